// Lab 06: the self-pipe trick (D. J. Bernstein's name for it): the handler writes one byte, the
// event loop reads it. The handler below is the whole of what runs in signal context.
#include "self_pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <stdexcept>

#include "fd_io.hpp"
#include "syslab/todo.hpp"

namespace sig {

namespace {

// The write end the handler writes to, or -1. A handler can reach only global state. It may
// read a lock-free atomic (signal-safety(7)); it must never take a lock, since the code it
// interrupted may hold that very lock.
std::atomic<int> g_handler_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free);

}  // namespace

void SelfPipe::HandlerTarget::publish(int write_fd) {
  int expected = -1;
  if (!g_handler_fd.compare_exchange_strong(expected, write_fd)) {
    throw std::logic_error("SelfPipe: another SelfPipe already exists in this process");
  }
  published_ = true;
}

SelfPipe::HandlerTarget::~HandlerTarget() {
  if (published_) g_handler_fd.store(-1);
}

// Runs between any two instructions of the program, maybe inside malloc or printf: it may call
// only async-signal-safe functions (write is one; printf, malloc, new and locks are not), and
// it must leave errno as it found it, because the code it interrupted may be about to read it.
void SelfPipe::on_signal(int signal) {
}

SelfPipe::SelfPipe(std::initializer_list<int> signals, Restart restart) {
  SYSLAB_TODO("make a non-blocking close-on-exec pipe, publish its write end (target_), install on_signal for each signal");
}

std::vector<int> SelfPipe::read_signals() {
  SYSLAB_TODO("read the pipe until it would block (EAGAIN); each byte is one signal's number");
}

}  // namespace sig
