// Lab 06: a signal's disposition and the thread's signal mask, held for a scope. sigaction(2)
// sets what happens when a signal is delivered; pthread_sigmask(3) decides whether it may be
// delivered now or must wait, pending. Both are restored when the owning object goes away, the
// way UniqueFd closes its fd.
// Look at: grep Sig /proc/PID/status (SigBlk, SigIgn, SigCgt are these settings, as bit masks).
#pragma once

#include <signal.h>

#include <initializer_list>

namespace sig {

// Whether a system call that a handler interrupts is restarted by the kernel (SA_RESTART) or
// fails with EINTR. There is no default: every handler states its choice. Some calls are never
// restarted whatever the choice: poll, select, epoll_wait, sleep and friends (signal(7)).
enum class Restart {
  kNo,   // read/write/wait... fail with EINTR: the caller's loop notices the signal at once
  kYes,  // the kernel repeats the call: code that does not expect EINTR goes on working
};

// A signal handler: a plain function taking the signal number. SIG_IGN and SIG_DFL work too.
using Handler = void (*)(int);

// Installs a handler for one signal with sigaction(2) and puts the previous action back on
// destruction. While the handler runs, its own signal is blocked (no SA_NODEFER), so it never
// interrupts itself. Move-only: the moved-from object restores nothing. Restore in the reverse
// order of installation when the same signal is installed twice (scopes do that by themselves).
class ScopedSigaction {
 public:
  // Throws syslab::SystemError naming the signal: sigaction "SIGKILL": Invalid argument (EINVAL).
  ScopedSigaction(int signal, Handler handler, Restart restart);
  ScopedSigaction(ScopedSigaction&& other) noexcept;
  ScopedSigaction& operator=(ScopedSigaction&&) = delete;
  ScopedSigaction(const ScopedSigaction&) = delete;
  ScopedSigaction& operator=(const ScopedSigaction&) = delete;
  // Puts the previous action back. Never throws; errno is preserved.
  ~ScopedSigaction();

  // The signal it holds, or 0 once moved from.
  [[nodiscard]] int signal() const noexcept { return signal_; }
  // The action that was in place before, which the destructor restores.
  [[nodiscard]] const struct sigaction& previous() const noexcept { return previous_; }

 private:
  int signal_ = 0;
  struct sigaction previous_ {};
};

// Blocks signals in the calling thread (pthread_sigmask SIG_BLOCK) for a scope, then puts the
// thread's previous mask back. A blocked signal is not lost: it stays pending until unblocked
// (one pending instance per standard signal, however many were sent). Create and destroy it on
// the same thread: the mask belongs to a thread, not to the process.
class ScopedSignalMask {
 public:
  // Throws syslab::SystemError naming pthread_sigmask (it fails only for a bad argument).
  explicit ScopedSignalMask(const sigset_t& block);
  ~ScopedSignalMask();
  ScopedSignalMask(const ScopedSignalMask&) = delete;
  ScopedSignalMask& operator=(const ScopedSignalMask&) = delete;

  // The mask before this object blocked anything: what a child should get back after fork.
  [[nodiscard]] const sigset_t& previous() const noexcept { return previous_; }

 private:
  sigset_t previous_{};
  bool active_ = false;
};

// A sigset_t holding exactly these signals.
[[nodiscard]] sigset_t signal_set(std::initializer_list<int> signals);

// A sigset_t holding every signal (SIGKILL and SIGSTOP included: blocking them has no effect).
[[nodiscard]] sigset_t all_signals();

}  // namespace sig
