// Lab 06: signalfd. The signals are blocked, so they wait, pending; the fd reports them as data.
#include "signal_fd.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "syslab/error.hpp"

namespace sig {

// [slide:signal_fd]
SignalFd::SignalFd(std::initializer_list<int> signals) : mask_(signal_set(signals)) {
  // BEGIN SOLUTION: the signals are blocked already (mask_); make a signalfd for them with SFD_CLOEXEC | SFD_NONBLOCK
  // Blocked first (mask_, above): a signal that came between signalfd and the block would have
  // been delivered by its old disposition (SIGTERM: the end of the process).
  const sigset_t set = signal_set(signals);
  const int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) syslab::throw_errno("signalfd");
  fd_.reset(fd);
  // END SOLUTION
}
// [/slide]

std::optional<SignalInfo> SignalFd::read() {
  // BEGIN SOLUTION: read one struct signalfd_siginfo; nullopt on EAGAIN (nothing pending); copy signo, pid, uid, code, status
  signalfd_siginfo info{};
  ssize_t got;
  do {
    got = ::read(fd_.get(), &info, sizeof info);
  } while (got < 0 && errno == EINTR);
  if (got < 0 && errno == EAGAIN) return std::nullopt;
  if (got < 0) syslab::throw_errno("read", "signalfd");
  // The kernel hands out whole records only: a short one means something is badly wrong.
  if (got != static_cast<ssize_t>(sizeof info)) throw std::runtime_error("signalfd: a short read");
  return SignalInfo{static_cast<int>(info.ssi_signo), static_cast<pid_t>(info.ssi_pid),
                    static_cast<uid_t>(info.ssi_uid), info.ssi_code, info.ssi_status};
  // END SOLUTION
}

}  // namespace sig
