// Child processes for tests: run a program and capture what it says, or fork a function.
// Every child is waited for: nothing here can leave a zombie behind.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "syslab/deadline.hpp"

namespace syslab::test {

// How a process ended, decoded from a wait status.
struct ExitStatus {
  bool exited = false;  // normal exit: code is valid
  int code = -1;
  bool signaled = false;  // killed: signal is valid
  int signal = 0;
  bool timed_out = false;  // we killed it at the deadline

  [[nodiscard]] bool success() const { return exited && code == 0; }
  [[nodiscard]] std::string describe() const;  // "exited 3", "killed by SIGSEGV", "timed out"
};
ExitStatus decode_wait_status(int status);
std::ostream& operator<<(std::ostream& out, const ExitStatus& status);

struct ProgramResult {
  pid_t pid = -1;
  ExitStatus status;
  std::string out;  // standard output
  std::string err;  // standard error
};

struct RunOptions {
  std::string input;  // written to the program's stdin, then closed
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  std::vector<std::string> extra_env;  // "NAME=value"
  // At the deadline, tell the runner where the program was stuck (syslab/report.hpp) before
  // killing it, so that the test is a HANG with the blocked call and line.
  bool report_hang = true;
};

// Runs argv[0] (a path) with argv, captures stdout and stderr. At the deadline it kills the
// program and every process it started (a hung pipeline leaves no stage behind).
// A stub's TODO line on the program's stderr is repeated on ours, so that the runner sees it.
ProgramResult run_program(const std::vector<std::string>& argv, const RunOptions& options = {});

// The path of one of this lab's small programs, built on the same side (learner or solution)
// as the test binary (or from the reference, with REFERENCE): program-dirs.txt beside the test
// binaries says where.
std::string program_path(const std::string& name);

// A forked child running a function; killed and reaped on destruction if still there.
class ForkedChild {
 public:
  // The child runs body() and _exits with its return value. An exception in the child is printed
  // to stderr ("syslab CHILD THREW: PID TYPE: WHAT", which the runner shows first) and gives exit
  // code kThrew.
  explicit ForkedChild(const std::function<int()>& body);
  ~ForkedChild();
  ForkedChild(const ForkedChild&) = delete;
  ForkedChild& operator=(const ForkedChild&) = delete;

  static constexpr int kThrew = 70;

  [[nodiscard]] pid_t pid() const { return pid_; }
  // Waits for the child to end; nullopt if the deadline passed first (the child is then left
  // for the destructor to kill, and where it was stuck is reported for the runner's HANG).
  std::optional<ExitStatus> wait(const Deadline& deadline);

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
};

// Ignores SIGPIPE for a scope, so that a write into a pipe without readers fails with EPIPE
// instead of killing the test; the previous disposition comes back at the end of the scope.
class ScopedIgnoreSigpipe {
 public:
  ScopedIgnoreSigpipe();
  ~ScopedIgnoreSigpipe();
  ScopedIgnoreSigpipe(const ScopedIgnoreSigpipe&) = delete;
  ScopedIgnoreSigpipe& operator=(const ScopedIgnoreSigpipe&) = delete;

 private:
  struct sigaction previous_ {};
};

// The pids of this process's children, alive or zombie, from /proc.
std::vector<pid_t> child_pids();
std::vector<pid_t> children_of(pid_t parent);

// One field of /proc/PID/stat: the state letter (R, S, Z, ...), or '?' if the process is gone.
char process_state(pid_t pid);

}  // namespace syslab::test
