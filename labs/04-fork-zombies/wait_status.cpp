// Lab 04: decoding a wait status. The layout is the kernel's (see the table in wait_status.hpp);
// the W* macros of <sys/wait.h> are the portable way to read it, so the code uses only them.
#include "wait_status.hpp"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <ostream>
#include <stdexcept>
#include "syslab/todo.hpp"

namespace proc {

WaitStatus decode_wait_status(int raw) {
  SYSLAB_TODO("decode raw with the W* macros of wait(2) into one of the four kinds");
}

std::string WaitStatus::describe() const {
  SYSLAB_TODO("\"exited 3\", \"killed by SIGSEGV (core dumped)\", \"stopped by SIGTSTP\", \"continued\"");
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
