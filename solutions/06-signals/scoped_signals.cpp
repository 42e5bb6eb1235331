// Lab 06: installing a handler and blocking signals, each undone when its scope ends.
#include "scoped_signals.hpp"

#include <pthread.h>

#include <cerrno>

#include "syslab/error.hpp"
#include "wait_status.hpp"

namespace sig {

// [slide:sigaction]
ScopedSigaction::ScopedSigaction(int signal, Handler handler, Restart restart) {
  // BEGIN SOLUTION: install handler with sigaction(2): SA_RESTART exactly when restart says so; keep the previous action for the destructor
  struct sigaction action {};
  action.sa_handler = handler;
  // sa_mask: more signals to block while the handler runs. The handler's own signal is blocked
  // anyway; the others may interrupt it, which a handler that only writes one byte can bear.
  ::sigemptyset(&action.sa_mask);
  action.sa_flags = restart == Restart::kYes ? SA_RESTART : 0;
  if (::sigaction(signal, &action, &previous_) != 0) {
    syslab::throw_errno("sigaction", proc::signal_name(signal));
  }
  signal_ = signal;  // only now is there something to restore
  // END SOLUTION
}
// [/slide]

ScopedSigaction::ScopedSigaction(ScopedSigaction&& other) noexcept
    : signal_(other.signal_), previous_(other.previous_) {
  other.signal_ = 0;  // the moved-from object must not restore: that is now our job
}

ScopedSigaction::~ScopedSigaction() {
  if (signal_ == 0) return;
  const int saved_errno = errno;  // a destructor may run between a failed call and its errno check
  // Cannot fail for an action that sigaction itself handed back to us.
  ::sigaction(signal_, &previous_, nullptr);
  errno = saved_errno;
}

ScopedSignalMask::ScopedSignalMask(const sigset_t& block) {
  // BEGIN SOLUTION: add block to the calling thread's mask with pthread_sigmask(SIG_BLOCK), keeping the previous mask
  // pthread_sigmask, not sigprocmask: the mask is per thread, and sigprocmask is unspecified in a
  // program with threads. It returns the error number instead of setting errno.
  if (const int error = ::pthread_sigmask(SIG_BLOCK, &block, &previous_); error != 0) {
    syslab::throw_error(error, "pthread_sigmask");
  }
  active_ = true;
  // END SOLUTION
}

ScopedSignalMask::~ScopedSignalMask() {
  // A signal that arrived while blocked is delivered as soon as this unblocks it, before
  // pthread_sigmask returns: with its default action, SIGTERM would end the process here.
  // It cannot fail: the mask is one that pthread_sigmask itself handed back.
  if (active_) ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

sigset_t signal_set(std::initializer_list<int> signals) {
  sigset_t set;
  ::sigemptyset(&set);
  for (const int signal : signals) ::sigaddset(&set, signal);
  return set;
}

sigset_t all_signals() {
  sigset_t set;
  ::sigfillset(&set);
  return set;
}

}  // namespace sig
