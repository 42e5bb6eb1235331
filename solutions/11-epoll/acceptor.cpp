// Lab 11: accept4 until EAGAIN, and EMFILE without a busy loop: the spare fd.
#include "acceptor.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <iostream>

#include "syslab/error.hpp"

namespace reactor {

namespace {

// The spare: any fd will do; /dev/null always opens.
fdio::UniqueFd open_spare() { return fdio::open_file("/dev/null", O_RDONLY); }

}  // namespace

Acceptor::Acceptor(EventLoop& loop, net::Listener listener, NewConnection on_new_connection)
    : listener_(std::move(listener)),
      channel_(loop, listener_->fd()),
      spare_(open_spare()),
      on_new_connection_(std::move(on_new_connection)) {
  fdio::set_nonblocking(listener_->fd());  // accept must say EAGAIN, not block the loop
  channel_.on_readable([this] { accept_all(); });
}

void Acceptor::stop() {
  if (!listener_) return;
  channel_.remove();
  listener_.reset();  // closed: the kernel refuses new connects and resets those still queued
}

// [slide:accept_all-1]
void Acceptor::accept_all() {
  // BEGIN SOLUTION: accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) until EAGAIN, handing each on; EMFILE/ENFILE: shed_one, and stop when it shed nothing; EINTR, ECONNABORTED: go on; other errors: report and wait for the next event
  // Until EAGAIN: edge-triggered, a connection left in the queue would get no new event.
  while (listener_) {
    const int fd = ::accept4(listener_->fd().get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      on_new_connection_(fdio::UniqueFd(fd));
      continue;
    }
    // [/slide]
    // [slide:accept_all-2]
    switch (errno) {
      case EAGAIN: return;  // the queue is empty
      case EINTR:
      case ECONNABORTED: continue;  // the client left before we took it: the next one
      case EMFILE:
      case ENFILE:
        if (shed_one()) continue;
        return;  // EMFILE comes before the queue is looked at: it may have been empty
      default:   // ENOBUFS, ENOMEM: the kernel is short; the next event retries
        std::cerr << "echo-server: " << syslab::errno_error(errno, "accept4").what() << "\n";
        return;
    }
  }
  // END SOLUTION
}
// [/slide]

// [slide:shed_one]
bool Acceptor::shed_one() {
  // BEGIN SOLUTION: close the spare, accept and close one connection, open the spare again (if that fails, stop accepting); true if one was shed
  spare_.reset();  // one fd free now: the lowest number, the spare's
  const int fd = ::accept4(listener_->fd().get(), nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) {
    const fdio::UniqueFd shed(fd);  // closed at once: the client reads EOF, not a silent wait
    ++shed_;
  }
  try {
    spare_ = open_spare();
  } catch (const syslab::SystemError& error) {
    // Another thread took the fd. Without a spare the next EMFILE would spin: stop accepting.
    std::cerr << "echo-server: " << error.what() << ": no longer accepting\n";
    stop();
  }
  return fd >= 0;  // EAGAIN: nothing was queued, accept4 said EMFILE before it looked
  // END SOLUTION
}
// [/slide]

}  // namespace reactor
