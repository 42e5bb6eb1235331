// Lab 06: signalfd. The signals are blocked, so they wait, pending; the fd reports them as data.
#include "signal_fd.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace sig {

SignalFd::SignalFd(std::initializer_list<int> signals) : mask_(signal_set(signals)) {
  SYSLAB_TODO("the signals are blocked already (mask_); make a signalfd for them with SFD_CLOEXEC | SFD_NONBLOCK");
}

std::optional<SignalInfo> SignalFd::read() {
  SYSLAB_TODO("read one struct signalfd_siginfo; nullopt on EAGAIN (nothing pending); copy signo, pid, uid, code, status");
}

}  // namespace sig
