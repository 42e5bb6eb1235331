// Lab 06: installing a handler and blocking signals, each undone when its scope ends.
#include "scoped_signals.hpp"

#include <pthread.h>

#include <cerrno>

#include "syslab/error.hpp"
#include "wait_status.hpp"
#include "syslab/todo.hpp"

namespace sig {

ScopedSigaction::ScopedSigaction(int signal, Handler handler, Restart restart) {
  SYSLAB_TODO("install handler with sigaction(2): SA_RESTART exactly when restart says so; keep the previous action for the destructor");
}

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
  SYSLAB_TODO("add block to the calling thread's mask with pthread_sigmask(SIG_BLOCK), keeping the previous mask");
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
