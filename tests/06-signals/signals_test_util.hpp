// Helpers for lab 06's tests, written without the lab's code: signal state saved and restored
// around a test, the kernel's view of fds and threads, orphans adopted and reaped, and programs
// watched while they run.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "syslab/orphans.hpp"  // SubreaperGuard, ReapOnExit, wait_for_pid
#include "syslab/proc.hpp"     // parent_of, blocked_in, count_of
#include "syslab/test.hpp"

namespace signals_test {

using namespace syslab::test;

// Every signal's disposition and this thread's mask, saved on construction and put back on
// destruction, so that tests run one after another in one process do not disturb each other.
// A signal left pending by a failed test is discarded first (by ignoring it), or unblocking it
// would deliver it by its default action: for SIGUSR1, the end of the test binary.
class SignalStateGuard {
 public:
  SignalStateGuard() {
    ::pthread_sigmask(SIG_SETMASK, nullptr, &mask_);
    for (int signal = 1; signal < NSIG; ++signal) {
      saved_[signal] = ::sigaction(signal, nullptr, &actions_[signal]) == 0;
    }
  }
  ~SignalStateGuard() {
    sigset_t pending;
    ::sigpending(&pending);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigemptyset(&ignore.sa_mask);
    for (int signal = 1; signal < NSIG; ++signal) {
      if (saved_[signal] && ::sigismember(&pending, signal) == 1) {
        ::sigaction(signal, &ignore, nullptr);
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &mask_, nullptr);
    for (int signal = 1; signal < NSIG; ++signal) {
      if (saved_[signal]) ::sigaction(signal, &actions_[signal], nullptr);
    }
  }
  SignalStateGuard(const SignalStateGuard&) = delete;
  SignalStateGuard& operator=(const SignalStateGuard&) = delete;

 private:
  sigset_t mask_{};
  std::array<struct sigaction, NSIG> actions_{};
  std::array<bool, NSIG> saved_{};
};

// The action installed for signal now.
inline struct sigaction current_action(int signal) {
  struct sigaction action {};
  ::sigaction(signal, nullptr, &action);
  return action;
}

// This thread's signal mask now.
inline sigset_t current_mask() {
  sigset_t mask;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return mask;
}

inline bool is_blocked(int signal) {
  const sigset_t mask = current_mask();
  return ::sigismember(&mask, signal) == 1;
}

// Every fd of this process that points to the same object as fd ("pipe:[1234]"), fd included.
inline std::vector<int> fds_like(int fd) {
  const auto fds = open_fds();
  const auto found = fds.find(fd);
  std::vector<int> same;
  if (found == fds.end()) return same;
  for (const auto& [other, target] : fds) {
    if (target == found->second) same.push_back(other);
  }
  return same;
}

// Gone, or dead and waiting to be reaped by someone.
inline bool ended(pid_t pid) {
  const char state = process_state(pid);
  return state == '?' || state == 'Z' || state == 'X';
}

// Waits until pid has ended (its pidfd becomes readable), without reaping it: a child of ours
// is a zombie then. False if the deadline passed first.
inline bool wait_ended(pid_t pid, const Deadline& deadline) {
  const long pidfd = ::syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return errno == ESRCH;  // gone already
  const bool readable = wait_readable(static_cast<int>(pidfd), deadline);
  ::close(static_cast<int>(pidfd));
  return readable;
}

// Reads exactly `count` bytes from fd (or fewer, at EOF or the deadline).
inline std::string read_bytes(int fd, std::size_t count, const Deadline& deadline) {
  std::string bytes;
  while (bytes.size() < count && wait_readable(fd, deadline)) {
    char buffer[256];
    const ssize_t n = ::read(fd, buffer, std::min(sizeof buffer, count - bytes.size()));
    if (n == 0) break;
    if (n > 0) bytes.append(buffer, static_cast<std::size_t>(n));
    if (n < 0 && errno != EINTR && errno != EAGAIN) break;
  }
  return bytes;
}

// Reads fd into text until `needle` appears in it, EOF, or the deadline. True if it appeared.
inline bool read_until(int fd, std::string& text, std::string_view needle,
                       const Deadline& deadline) {
  while (text.find(needle) == std::string::npos) {
    if (!wait_readable(fd, deadline)) return false;
    char buffer[4096];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return false;
    if (n > 0) text.append(buffer, static_cast<std::size_t>(n));
    if (n < 0 && errno != EINTR && errno != EAGAIN) return false;
  }
  return true;
}

// Writes a whole line to fd (for a log callback in a forked child).
inline void write_line(int fd, const std::string& line) { write_text(fd, line + "\n"); }

// The number after `prefix` in text ("child 1234 started" with prefix "child "), or -1.
inline long number_after(std::string_view text, std::string_view prefix) {
  const auto at = text.find(prefix);
  if (at == std::string_view::npos) return -1;
  return std::strtol(std::string(text.substr(at + prefix.size(), 12)).c_str(), nullptr, 10);
}

// A program started with its stdout and stderr on pipes, read while it runs: a test can wait
// for a line ("ready"), send a signal, and then wait for the end.
class Launched {
 public:
  explicit Launched(std::vector<std::string> argv) : out_(make_pipe()), err_(make_pipe()) {
    child_ = std::make_unique<ForkedChild>([this, argv] {
      if (::dup2(out_.write_end.get(), STDOUT_FILENO) < 0 ||
          ::dup2(err_.write_end.get(), STDERR_FILENO) < 0) {
        return 127;
      }
      std::vector<char*> args;
      for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      return 127;
    });
    pid_ = child_->pid();
    out_.write_end.reset();
    err_.write_end.reset();
  }
  ~Launched() {
    drain(Deadline(std::chrono::milliseconds(0)));
    child_.reset();  // kills and reaps it if it still runs
    forward_todo_lines();
  }
  Launched(const Launched&) = delete;
  Launched& operator=(const Launched&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const std::string& out() const { return out_text_; }
  [[nodiscard]] const std::string& err() const { return err_text_; }

  // Reads both outputs until `needle` shows in stdout (or stderr); false at EOF or the deadline.
  bool wait_for_stdout(std::string_view needle, const Deadline& deadline) {
    return pump_until([&] { return out_text_.find(needle) != std::string::npos; }, deadline);
  }
  bool wait_for_stderr(std::string_view needle, const Deadline& deadline) {
    return pump_until([&] { return err_text_.find(needle) != std::string::npos; }, deadline);
  }

  // Waits for the program to end (reading its output meanwhile), then takes what is left.
  std::optional<ExitStatus> wait(const Deadline& deadline) {
    std::optional<ExitStatus> status;
    pump_until(
        [&] { return (status = child_->wait(Deadline(std::chrono::milliseconds(0)))).has_value(); },
        deadline);
    if (!status) status = child_->wait(deadline);
    drain(Deadline(std::chrono::milliseconds(0)));
    forward_todo_lines();
    return status;
  }

 private:
  // Reads whatever arrives on either pipe until done() or the deadline.
  template <typename Done>
  bool pump_until(Done done, const Deadline& deadline) {
    for (;;) {
      if (done()) return true;
      if (deadline.expired()) return false;
      // Both at EOF: the program and everything it started have closed them; nothing will come.
      if (out_.read_end.get() < 0 && err_.read_end.get() < 0) return done();
      pollfd fds[2] = {{out_.read_end.get(), POLLIN, 0}, {err_.read_end.get(), POLLIN, 0}};
      const int ready = ::poll(fds, 2, std::min(deadline.remaining_ms(), 20));
      if (ready < 0 && errno != EINTR) return false;
      read_ready(fds);
    }
  }

  void drain(const Deadline& deadline) {
    for (;;) {
      pollfd fds[2] = {{out_.read_end.get(), POLLIN, 0}, {err_.read_end.get(), POLLIN, 0}};
      if (::poll(fds, 2, deadline.remaining_ms()) <= 0 || !read_ready(fds)) return;
    }
  }

  // Reads once from each ready pipe; false when nothing was read.
  bool read_ready(const pollfd (&fds)[2]) {
    bool got = false;
    OwnedFd* sources[2] = {&out_.read_end, &err_.read_end};
    std::string* sinks[2] = {&out_text_, &err_text_};
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(sources[i]->get(), buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
        got = true;
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        sources[i]->reset();  // EOF: poll ignores fd -1 from now on
      }
    }
    return got;
  }

  // A stub's "syslab TODO:" line on the program's stderr, repeated on ours for the runner.
  void forward_todo_lines() {
    if (forwarded_) return;
    forwarded_ = true;
    std::istringstream lines(err_text_);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("syslab TODO:") == std::string::npos) continue;
      line += '\n';
      [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    }
  }

  TestPipe out_;
  TestPipe err_;
  std::unique_ptr<ForkedChild> child_;
  pid_t pid_ = -1;
  std::string out_text_;
  std::string err_text_;
  bool forwarded_ = false;
};

}  // namespace signals_test
