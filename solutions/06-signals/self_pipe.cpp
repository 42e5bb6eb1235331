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

// [slide:on_signal]
// Runs between any two instructions of the program, maybe inside malloc or printf: it may call
// only async-signal-safe functions (write is one; printf, malloc, new and locks are not), and
// it must leave errno as it found it, because the code it interrupted may be about to read it.
void SelfPipe::on_signal(int signal) {
  // BEGIN SOLUTION
  const int saved_errno = errno;
  const int fd = g_handler_fd.load();
  if (fd >= 0) {
    const auto byte = static_cast<unsigned char>(signal);  // signal numbers are below 65
    // Non-blocking: when the pipe is full, write fails with EAGAIN instead of hanging the
    // program inside its own handler. The bytes already there will wake the loop anyway.
    [[maybe_unused]] const ssize_t written = ::write(fd, &byte, 1);
  }
  errno = saved_errno;
  // END SOLUTION
}
// [/slide]

SelfPipe::SelfPipe(std::initializer_list<int> signals, Restart restart) {
  // BEGIN SOLUTION: make a non-blocking close-on-exec pipe, publish its write end (target_), install on_signal for each signal
  // O_NONBLOCK on both ends: the handler must never block, and read_signals must stop at "empty".
  pipe_ = fdio::make_pipe(O_NONBLOCK);
  target_.publish(pipe_.write_end.get());  // before the handlers: a signal may come at once
  handlers_.reserve(signals.size());
  for (const int signal : signals) handlers_.emplace_back(signal, &SelfPipe::on_signal, restart);
  // END SOLUTION
}

std::vector<int> SelfPipe::read_signals() {
  // BEGIN SOLUTION: read the pipe until it would block (EAGAIN); each byte is one signal's number
  std::vector<int> signals;
  std::byte buffer[256];
  for (;;) {
    const fdio::IoResult got = fdio::read_some(pipe_.read_end, buffer);
    for (std::size_t i = 0; i < got.count; ++i) signals.push_back(std::to_integer<int>(buffer[i]));
    if (got.interrupted() || (got.done() && got.count > 0)) continue;
    return signals;  // kWouldBlock: empty now. (kEof cannot happen: we hold the write end.)
  }
  // END SOLUTION
}

}  // namespace sig
