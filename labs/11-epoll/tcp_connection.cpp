// Lab 11: a connection's reads, writes, flow control, idle timeout and two-step close.
#include "tcp_connection.hpp"

#include <array>
#include <iostream>
#include <system_error>

#include "event_loop.hpp"
#include "fd_io.hpp"
#include "syslab/todo.hpp"

namespace reactor {

Connection::Connection(EventLoop& loop, std::uint64_t id, fdio::UniqueFd socket,
                       ConnectionOptions options)
    : loop_(loop),
      id_(id),
      socket_(std::move(socket)),
      channel_(loop, socket_),
      options_(options) {}

void Connection::established() {
  loop_.assert_in_loop_thread("Connection::established");
  state_ = State::kConnected;
  channel_.on_readable([this] { guarded(&Connection::handle_readable); });
  channel_.on_writable([this] { guarded(&Connection::handle_writable); });
  channel_.enable_reading();
  touch();
  if (options_.idle_timeout.count() > 0) {
    idle_timer_ = loop_.run_after(options_.idle_timeout, [this] { check_idle(); });
  }
}

// A failure nobody expects (EBADF, EIO ...) ends this connection, not the server.
void Connection::guarded(void (Connection::*step)()) {
  try {
    (this->*step)();
  } catch (const std::system_error& error) {
    std::cerr << "echo-server: connection " << id_ << ": " << error.what() << "\n";
    handle_close();
  }
}

void Connection::destroyed() {
  loop_.assert_in_loop_thread("Connection::destroyed");
  channel_.remove();
}

void Connection::handle_readable() {
  SYSLAB_TODO("read_some until EAGAIN into input_ and hand it to on_message_; stop early above the high-water mark (pause_reading) or once closed; EOF: peer_finished; a reset: handle_close");
}

void Connection::send(std::string_view bytes) {
  loop_.assert_in_loop_thread("Connection::send");
  SYSLAB_TODO("when nothing is pending, write_some now; append what is left to output_ and watch kWrite; a peer gone: handle_close");
}

void Connection::handle_writable() {
  SYSLAB_TODO("write_some output_ until empty or EAGAIN; once empty stop watching kWrite; resume reading below half the high-water mark; close if the peer had finished");
}

void Connection::peer_finished() {
  peer_done_ = true;
  channel_.disable_reading();  // at EOF the socket stays readable: a level loop would spin
  if (output_.empty()) handle_close();
}

void Connection::pause_reading() { channel_.disable_reading(); }

void Connection::resume_reading() {
  channel_.enable_reading();
  // Bytes may have waited in the socket all along: edge-triggered, no new edge would come for
  // them (EPOLL_CTL_MOD happens to report a ready fd again, but the reader should not count on it).
  handle_readable();
}

void Connection::handle_close() {
  SYSLAB_TODO("once only: mark disconnected, watch nothing, cancel the idle timer, call on_close_ with a shared_ptr to this (the fd stays open until destroyed)");
}

void Connection::check_idle() {
  SYSLAB_TODO("quiet for the whole timeout: handle_close; else set the timer again for the time still to go");
}

}  // namespace reactor
