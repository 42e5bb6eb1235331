// Lab 11: accept4 until EAGAIN, and EMFILE without a busy loop: the spare fd.
#include "acceptor.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <iostream>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

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

void Acceptor::accept_all() {
  SYSLAB_TODO("accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) until EAGAIN, handing each on; EMFILE/ENFILE: shed_one, and stop when it shed nothing; EINTR, ECONNABORTED: go on; other errors: report and wait for the next event");
}

bool Acceptor::shed_one() {
  SYSLAB_TODO("close the spare, accept and close one connection, open the spare again (if that fails, stop accepting); true if one was shed");
}

}  // namespace reactor
