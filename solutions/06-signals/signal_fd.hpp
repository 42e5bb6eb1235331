// Lab 06: signalfd(2), Linux's answer to the self-pipe trick. Block the signals, so that they
// stay pending instead of being delivered; a signalfd then turns each pending signal into a
// record to read(2), with who sent it. No handler runs at all, so nothing needs to be
// async-signal-safe.
// Look at: grep SigBlk /proc/PID/status of a running ./supervisor: SIGINT, SIGTERM and SIGCHLD.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <initializer_list>
#include <optional>

#include "scoped_signals.hpp"
#include "unique_fd.hpp"

namespace sig {

// One signal read from a signalfd: the fields of struct signalfd_siginfo that programs use.
struct SignalInfo {
  int signal = 0;        // ssi_signo
  pid_t sender_pid = 0;  // ssi_pid: who sent it (kill, sigqueue), or the child, for SIGCHLD
  uid_t sender_uid = 0;  // ssi_uid: the sender's real user id
  int code = 0;          // ssi_code: SI_USER (kill), SI_TKILL (raise), CLD_EXITED (SIGCHLD) ...
  int status = 0;        // ssi_status: for SIGCHLD, the exit code or the signal (see code)
};

// Blocks its signals in the calling thread and reads them from a signalfd (SFD_CLOEXEC |
// SFD_NONBLOCK). Poll fd() for POLLIN. On destruction it closes the fd, then puts the thread's
// previous mask back; a signal still pending then is delivered at once, by its disposition.
// Every thread must block these signals (create it before starting threads: they inherit the
// mask), or the kernel may deliver a process-directed signal to a thread that does not.
// Create and destroy it on the same thread. Not movable.
class SignalFd {
 public:
  // Throws syslab::SystemError naming the call (pthread_sigmask, signalfd).
  explicit SignalFd(std::initializer_list<int> signals);
  ~SignalFd() = default;
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;

  [[nodiscard]] fdio::BorrowedFd fd() const noexcept { return fd_; }

  // The next pending signal, or nullopt when none is pending (it never blocks). Standard
  // signals do not queue: ten SIGCHLDs sent while one is pending are read as one.
  [[nodiscard]] std::optional<SignalInfo> read();

  // The thread's mask before this object blocked its signals: what a child should get back
  // after fork (spawn with reset_signals does that already).
  [[nodiscard]] const sigset_t& previous_mask() const noexcept { return mask_.previous(); }

 private:
  ScopedSignalMask mask_;  // first in, last out: the fd is closed before the mask is restored
  fdio::UniqueFd fd_;
};

}  // namespace sig
