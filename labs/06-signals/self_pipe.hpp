// Lab 06: the self-pipe trick. A signal handler may interrupt the program between any two
// instructions, so it may do almost nothing: here it writes the signal's number as one byte to a
// pipe, and the program's poll(2) loop reads the byte and does the real work where anything is
// allowed. Portable to every Unix; signalfd (signal_fd.hpp) is Linux's tidier way.
// Look at: strace -e trace=rt_sigaction,write,poll,read ./supervisor -- sleep 5, then kill -INT it.
#pragma once

#include <initializer_list>
#include <vector>

#include "scoped_signals.hpp"
#include "unique_fd.hpp"

namespace sig {

// Owns a non-blocking, close-on-exec pipe and a handler for each of its signals that writes the
// signal's number to it. Poll fd() for POLLIN; read_signals() says which signals came. Only one
// SelfPipe may exist at a time in a process (the handler can reach only one global write end).
// Not movable: the handlers point at its pipe.
class SelfPipe {
 public:
  // Makes the pipe and installs the handler for each signal with the given restart choice.
  // Throws std::logic_error when another SelfPipe exists, syslab::SystemError when a call fails.
  SelfPipe(std::initializer_list<int> signals, Restart restart);
  // Restores the previous handlers first, then closes the pipe.
  ~SelfPipe() = default;
  SelfPipe(const SelfPipe&) = delete;
  SelfPipe& operator=(const SelfPipe&) = delete;

  // The read end, for poll(2): readable when at least one signal has come.
  [[nodiscard]] fdio::BorrowedFd fd() const noexcept { return pipe_.read_end; }

  // Every signal number written since the last call, in arrival order; empty when none (it
  // never blocks). A signal that came while the pipe was full (64 KiB of unread signals) is
  // missing; a loop that reads on every wake-up never gets there.
  [[nodiscard]] std::vector<int> read_signals();

 private:
  // The handler: saves errno, writes the signal's number as one byte to the published write
  // end (dropping it when the pipe is full), restores errno. Nothing else.
  static void on_signal(int signal);

  // Publishes the pipe's write end to on_signal for as long as it lives, and withdraws it on
  // destruction. The only global state of the trick; there can be only one.
  class HandlerTarget {
   public:
    HandlerTarget() = default;
    ~HandlerTarget();
    HandlerTarget(const HandlerTarget&) = delete;
    HandlerTarget& operator=(const HandlerTarget&) = delete;
    // Throws std::logic_error when another SelfPipe has published its write end.
    void publish(int write_fd);

   private:
    bool published_ = false;
  };

  // Destroyed in reverse order: handlers restored, then the write end withdrawn, then closed.
  fdio::Pipe pipe_;
  HandlerTarget target_;
  std::vector<ScopedSigaction> handlers_;
};

}  // namespace sig
