// Lab 04: decoding a wait status. The layout is the kernel's (see the table in wait_status.hpp);
// the W* macros of <sys/wait.h> are the portable way to read it, so the code uses only them.
#include "wait_status.hpp"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <ostream>
#include <stdexcept>

namespace proc {

// [slide:decode]
WaitStatus decode_wait_status(int raw) {
  // BEGIN SOLUTION: decode raw with the W* macros of wait(2) into one of the four kinds
  using Kind = WaitStatus::Kind;
  if (WIFEXITED(raw)) return {Kind::kExited, WEXITSTATUS(raw), 0, false};
  if (WIFSIGNALED(raw)) return {Kind::kKilled, 0, WTERMSIG(raw), WCOREDUMP(raw) != 0};
  if (WIFSTOPPED(raw)) return {Kind::kStopped, 0, WSTOPSIG(raw), false};
  if (WIFCONTINUED(raw)) return {Kind::kContinued, 0, 0, false};
  throw std::invalid_argument("not a wait status: " + std::to_string(raw));
  // END SOLUTION
}
// [/slide]

std::string WaitStatus::describe() const {
  // BEGIN SOLUTION: "exited 3", "killed by SIGSEGV (core dumped)", "stopped by SIGTSTP", "continued"
  switch (kind) {
    case Kind::kExited: return "exited " + std::to_string(code);
    case Kind::kKilled:
      return "killed by " + signal_name(signal) + (core_dumped ? " (core dumped)" : "");
    case Kind::kStopped: return "stopped by " + signal_name(signal);
    case Kind::kContinued: return "continued";
  }
  return "unknown wait status";  // not reached: the switch names every kind
  // END SOLUTION
}

std::string signal_name(int signal) {
  // The real-time signals have no abbreviations; glibc reserves the first two or three of them,
  // so SIGRTMIN is a function call, not a constant.
  if (signal >= SIGRTMIN && signal <= SIGRTMAX) {
    return signal == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+" + std::to_string(signal - SIGRTMIN);
  }
  const char* abbreviation = ::sigabbrev_np(signal);  // glibc 2.32+: "SEGV"
  return abbreviation != nullptr ? std::string("SIG") + abbreviation
                                 : "signal " + std::to_string(signal);
}

std::ostream& operator<<(std::ostream& out, const WaitStatus& status) {
  return out << status.describe();
}

}  // namespace proc
