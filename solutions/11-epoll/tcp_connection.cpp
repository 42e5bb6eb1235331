// Lab 11: a connection's reads, writes, flow control, idle timeout and two-step close.
#include "tcp_connection.hpp"

#include <array>
#include <iostream>
#include <system_error>

#include "event_loop.hpp"
#include "fd_io.hpp"

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

// [slide:handle_readable]
void Connection::handle_readable() {
  // BEGIN SOLUTION: read_some until EAGAIN into input_ and hand it to on_message_; stop early above the high-water mark (pause_reading) or once closed; EOF: peer_finished; a reset: handle_close
  std::array<char, 64 * 1024> chunk;  // on the loop thread's stack: no 64 KiB per connection
  while (state_ == State::kConnected && channel_.is_reading()) {
    if (output_.size() >= options_.high_water_mark) {
      pause_reading();  // the peer does not read its echo: stop taking its bytes
      return;
    }
    const fdio::IoResult got = fdio::read_some(socket_, chunk);
    if (got.done()) {
      touch();
      input_.append(std::string_view(chunk.data(), got.count));
      on_message_(*this, input_);
    } else if (got.would_block()) {
      return;  // all read: the next edge comes with the next bytes
    } else if (got.eof()) {
      peer_finished();
    } else if (got.peer_closed()) {
      handle_close();
    }  // interrupted: read again
  }
  // END SOLUTION
}
// [/slide]

// [slide:send]
void Connection::send(std::string_view bytes) {
  loop_.assert_in_loop_thread("Connection::send");
  // BEGIN SOLUTION: when nothing is pending, write_some now; append what is left to output_ and watch kWrite; a peer gone: handle_close
  if (state_ != State::kConnected) return;
  std::size_t written = 0;
  if (output_.empty()) {  // else the new bytes must queue behind the pending ones
    const fdio::IoResult sent = fdio::write_some(socket_, bytes);
    if (sent.peer_closed()) {
      handle_close();
      return;
    }
    written = sent.count;
    if (written > 0) touch();
  }
  if (written < bytes.size()) {
    output_.append(bytes.substr(written));
    if (!channel_.is_writing()) channel_.enable_writing();
  }
  // END SOLUTION
}
// [/slide]

// [slide:handle_writable]
void Connection::handle_writable() {
  // BEGIN SOLUTION: write_some output_ until empty or EAGAIN; once empty stop watching kWrite; resume reading below half the high-water mark; close if the peer had finished
  while (!output_.empty()) {
    const fdio::IoResult sent = fdio::write_some(socket_, output_.readable());
    if (sent.peer_closed()) {
      handle_close();
      return;
    }
    if (sent.would_block()) break;  // the peer's window is full: wait for the next writable
    output_.consume(sent.count);
    if (sent.count > 0) touch();
  }
  // Nothing pending: an idle socket is always writable, so watching it would spin (level) or
  // wake for nothing.
  if (output_.empty()) channel_.disable_writing();
  if (output_.size() <= options_.high_water_mark / 2 && !channel_.is_reading() && !peer_done_) {
    resume_reading();
  }
  if (output_.empty() && peer_done_) handle_close();
  // END SOLUTION
}
// [/slide]

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

// [slide:handle_close]
void Connection::handle_close() {
  // BEGIN SOLUTION: once only: mark disconnected, watch nothing, cancel the idle timer, call on_close_ with a shared_ptr to this (the fd stays open until destroyed)
  if (state_ == State::kDisconnected) return;
  state_ = State::kDisconnected;
  channel_.disable_all();  // no more events; the fd stays open, so its number is not reused yet
  loop_.cancel(idle_timer_);
  idle_timer_ = 0;
  const Ptr self = shared_from_this();  // the callback drops the owner's reference: keep one
  if (on_close_) on_close_(self);
  // END SOLUTION
}
// [/slide]

// [slide:check_idle]
void Connection::check_idle() {
  // BEGIN SOLUTION: quiet for the whole timeout: handle_close; else set the timer again for the time still to go
  idle_timer_ = 0;
  const auto quiet = TimerQueue::Clock::now() - last_active_;
  if (quiet >= options_.idle_timeout) {
    handle_close();
    return;
  }
  // Activity moved the deadline: one timer per connection, set again only when it fires (not on
  // every read), so a busy connection costs no timer work per byte.
  const auto rest = std::chrono::ceil<std::chrono::milliseconds>(options_.idle_timeout - quiet);
  idle_timer_ = loop_.run_after(rest, [this] { check_idle(); });
  // END SOLUTION
}
// [/slide]

}  // namespace reactor
