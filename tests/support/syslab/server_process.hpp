// A server under test as a child process (labs 07-11, and the HTTP labs after them): started,
// its "listening on ADDRESS:PORT" line read, watched through /proc, stopped and reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "syslab/deadline.hpp"
#include "syslab/files.hpp"
#include "syslab/process.hpp"

namespace syslab::test::echo {

// Runs argv (argv[0] a path) in a child process with stdout on a pipe, and reads its "listening
// on ADDRESS:PORT" line within `startup`; throws (after killing and reaping it) when the line does
// not come. Its stderr is the test's, so a stub's TODO line reaches the runner. SIGPIPE is set to
// its default and no signal is blocked in the child: the server must handle them itself. The
// server gets fds 0, 1 and 2 only, so every other fd it has is one it opened.
// Destruction stops it: SIGTERM, a wait with a deadline, then SIGKILL. It never leaves a zombie.
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> argv,
                         std::chrono::milliseconds startup = std::chrono::seconds(5));
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& listening_line() const { return line_; }

  // From /proc/PID: the pids whose parent it is, its open fds (its threads: own_threads(pid())).
  [[nodiscard]] std::vector<pid_t> children() const;
  [[nodiscard]] std::size_t open_fd_count() const;

  // Sends a signal (kill(2)).
  void signal(int signal) const;
  // True while it runs (not yet exited: a zombie counts as exited).
  [[nodiscard]] bool running();
  // Waits for it to exit and reaps it; nullopt when the deadline passed first.
  std::optional<ExitStatus> wait(const Deadline& deadline);
  // SIGTERM, wait up to grace, then SIGKILL; the exit status (timed_out when it needed SIGKILL).
  ExitStatus stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;  // once reaped
  OwnedFd stdout_;
  std::string line_;
  std::uint16_t port_ = 0;
};

}  // namespace syslab::test::echo
