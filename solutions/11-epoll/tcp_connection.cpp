// Lab 11: a connection's reads, writes, flow control both ways, close after output, and the
// two-step close. Its own timers are in tcp_connection_timers.cpp.
#include "tcp_connection.hpp"

#include <array>
#include <iostream>
#include <system_error>

#include "event_loop.hpp"
#include "fd_io.hpp"

namespace reactor {

Connection::Connection(EventLoop& loop, std::uint64_t id, fdio::UniqueFd socket,
                       ConnectionOptions options)
    : Connection(loop, id, std::make_unique<PlainTransport>(std::move(socket)), options) {}

Connection::Connection(EventLoop& loop, std::uint64_t id, std::unique_ptr<Transport> transport,
                       ConnectionOptions options)
    : loop_(loop),
      id_(id),
      transport_(std::move(transport)),
      channel_(loop, transport_->fd()),
      options_(options) {}

void Connection::established() {
  loop_.assert_in_loop_thread("Connection::established");
  state_ = State::kHandshaking;
  channel_.on_readable([this] { guarded(&Connection::handle_read_event); });
  channel_.on_writable([this] { guarded(&Connection::handle_write_event); });
  touch();
  if (options_.idle_timeout.count() > 0) {
    idle_timer_ = loop_.run_after(options_.idle_timeout, [this] { check_idle(); });
  }
  if (options_.handshake_timeout.count() > 0) {
    // Fires harmlessly once the connection is open; it keeps only a weak_ptr, as every timer.
    (void)start_timer(options_.handshake_timeout, [](Connection& conn) {
      if (conn.state_ == State::kHandshaking) conn.handle_close();
    });
  }
  guarded(&Connection::continue_handshake);  // a plain socket is open at once
}

// A failure nobody expects (EBADF, EIO ...) ends this connection, not the server.
void Connection::guarded(void (Connection::*step)()) {
  try {
    (this->*step)();
  } catch (const std::system_error& error) {
    std::cerr << "connection " << id_ << ": " << error.what() << "\n";
    handle_close();
  }
}

void Connection::destroyed() {
  loop_.assert_in_loop_thread("Connection::destroyed");
  channel_.remove();
  // The codec may hold a reference to this connection: letting it go here breaks the cycle.
  set_context(std::shared_ptr<void>());
}

// [slide:handle_event]
void Connection::handle_event(mux::Interest ready) {
  if (state_ == State::kHandshaking) {
    continue_handshake();
    return;
  }
  // A plain socket writes when writable and reads when readable; TLS may need the other one.
  if (mux::has(transport_->waits_for(Transport::Call::kWrite), ready)) {
    if (!output_.empty()) {
      handle_writable();
    } else if (shutdown_pending_) {
      shut_down_write();  // TLS: close_notify found no room in the socket before
    }
  }
  if (reading_ && mux::has(transport_->waits_for(Transport::Call::kRead), ready)) {
    handle_readable();
  }
}
// [/slide]

void Connection::continue_handshake() {
  // BEGIN SOLUTION: call transport_->handshake() until it is done (open) or would block (watch what it waits for); EINTR: again; EOF or a reset: handle_close
  for (;;) {
    const fdio::IoResult step = transport_->handshake();
    if (step.done()) {
      open();
      return;
    }
    if (step.would_block()) {
      update_interest();  // state kHandshaking: what the transport waits for
      return;
    }
    if (!step.interrupted()) {
      handle_close();  // the peer left before the connection was open
      return;
    }
  }
  // END SOLUTION
}

void Connection::open() {
  // BEGIN SOLUTION: mark connected and start reading; tell the protocol (on_connection_); then read what came with the handshake (edge-triggered: no new edge will say so)
  state_ = State::kConnected;
  reading_ = true;
  update_interest();
  if (on_connection_) on_connection_(shared_from_this());
  // Bytes may be in the socket (or in the transport's own buffer) already.
  if (state_ == State::kConnected) handle_readable();
  // END SOLUTION
}

// [slide:handle_readable-1]
void Connection::handle_readable() {
  // BEGIN SOLUTION: transport_->read_some until EAGAIN into input_ and hand it to on_message_ (dropped once closing); stop early above the high-water mark (pause_reading) or once closed; EOF: peer_finished; a reset: handle_close
  std::array<char, 64 * 1024> chunk;  // on the loop thread's stack: no 64 KiB per connection
  while (state_ == State::kConnected && reading_) {
    if (output_.size() >= options_.high_water_mark) {
      pause_reading();  // the peer does not read what we send: stop taking its bytes
      return;
    }
    const fdio::IoResult got = transport_->read_some(chunk);
    // [/slide]
    // [slide:handle_readable-2]
    if (got.done()) {
      touch();
      // After close_after_output, what the peer sends is read (so that closing does not reset
      // the connection under the bytes it has not read yet) and dropped.
      if (close_requested_) continue;
      input_.append(std::string_view(chunk.data(), got.count));
      if (on_message_) on_message_(*this, input_);
    } else if (got.would_block()) {
      update_interest();  // TLS may wait for the other readiness now
      return;             // all read: the next edge comes with the next bytes
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
  // BEGIN SOLUTION: when nothing is pending, transport_->write_some now; append what is left to output_; a peer gone: handle_close; then after_send()
  if (state_ != State::kConnected || close_requested_) return;
  std::size_t written = 0;
  if (output_.empty()) {  // else the new bytes must queue behind the pending ones
    const fdio::IoResult sent = transport_->write_some(bytes);
    if (sent.peer_closed()) {
      handle_close();
      return;
    }
    written = sent.count;
    if (written > 0) touch();
  }
  if (written < bytes.size()) output_.append(bytes.substr(written));
  after_send();
  // END SOLUTION
}
// [/slide]

// [slide:send_file]
void Connection::send_file(std::shared_ptr<const fdio::UniqueFd> file, std::uint64_t offset,
                           std::uint64_t count) {
  loop_.assert_in_loop_thread("Connection::send_file");
  // BEGIN SOLUTION: queue the region behind what is pending; if nothing was pending, flush_output now; then after_send()
  if (state_ != State::kConnected || close_requested_ || count == 0) return;
  const bool was_idle = output_.empty();
  output_.append(FileRegion{std::move(file), offset, count});
  // Queued behind other bytes, it waits its turn; alone, it goes now (no copy: sendfile).
  if (was_idle && !flush_output()) return;
  after_send();
  // END SOLUTION
}
// [/slide]

// [slide:handle_writable]
void Connection::handle_writable() {
  // BEGIN SOLUTION: flush_output; check_drained; resume reading below half the high-water mark; once empty: output_done
  if (!flush_output()) return;
  check_drained();
  if (output_.size() <= options_.high_water_mark / 2 && !reading_ && !peer_done_) {
    resume_reading();
    if (state_ != State::kConnected) return;
  }
  if (output_.empty()) output_done();
  // END SOLUTION
}
// [/slide]

bool Connection::flush_output() {
  // BEGIN SOLUTION: output_.write_to the transport (again after EINTR); touch when bytes went; a peer gone: handle_close and false; else watch kWrite only while output is pending
  fdio::IoResult sent;
  do {
    sent = output_.write_to(*transport_);
    if (sent.count > 0) touch();
  } while (sent.interrupted());
  if (sent.peer_closed()) {
    handle_close();
    return false;
  }
  // Nothing pending: an idle socket is always writable, so watching it would spin (level) or
  // wake for nothing.
  update_interest();
  return true;
  // END SOLUTION
}

// [slide:drained-1]
void Connection::after_send() {
  update_interest();  // kWrite while anything is pending
  if (on_drained_) drained_due_ = true;
  check_drained();
}

void Connection::check_drained() {
  // BEGIN SOLUTION: due, not queued yet, and pending output at or below the low-water mark: no longer due; queue run_drained on the loop, in a task that holds only a weak_ptr to this
  if (!drained_due_ || drained_queued_ || output_.size() > options_.low_water_mark) return;
  drained_due_ = false;
  drained_queued_ = true;
  // Queued, not called: the producer's send is on the stack (no recursion), and the task must
  // not keep a closed connection alive nor run on a freed one.
  loop_.queue_in_loop([weak = weak_from_this()] {
    if (const Ptr self = weak.lock()) self->run_drained();
  });
  // END SOLUTION
}
// [/slide]

// [slide:drained-2]
void Connection::run_drained() {
  // BEGIN SOLUTION: no longer queued; still open and not closing: on_drained_
  drained_queued_ = false;
  if (state_ == State::kConnected && !close_requested_ && on_drained_) on_drained_(*this);
  // END SOLUTION
}
// [/slide]

// [slide:output_done-1]
void Connection::output_done() {
  // BEGIN SOLUTION: the peer had finished: handle_close; close_after_output was asked and the write side is still open: shut_down_write
  if (peer_done_) {
    handle_close();
  } else if (close_requested_ && !write_shut_) {
    shut_down_write();
  }
  // END SOLUTION
}

void Connection::close_after_output() {
  loop_.assert_in_loop_thread("Connection::close_after_output");
  // BEGIN SOLUTION: once only; not open yet (handshaking): handle_close; else remember it, and if nothing is pending go on at once (output_done); otherwise the last write does
  if (state_ == State::kDisconnected || close_requested_) return;
  if (state_ != State::kConnected) {
    handle_close();
    return;
  }
  close_requested_ = true;
  if (output_.empty()) output_done();  // else handle_writable calls it after the last byte
  // END SOLUTION
}
// [/slide]

// [slide:output_done-2]
void Connection::shut_down_write() {
  // BEGIN SOLUTION: transport_->shutdown_write (the peer reads EOF after our last byte); would block (TLS): watch for writable and come back; else keep reading (and dropping) until the peer's EOF, at most linger_timeout, then handle_close
  shutdown_pending_ = transport_->shutdown_write().would_block();
  if (shutdown_pending_) {
    update_interest();  // TLS: close_notify waits for room; closing now would cut it off
    return;
  }
  write_shut_ = true;
  // Closing now, with bytes of the peer unread in our socket, would send a reset, and the peer's
  // kernel may throw away the response it has not read yet. So we wait for its EOF.
  (void)start_timer(options_.linger_timeout, [](Connection& conn) { conn.handle_close(); });
  if (!reading_ && !peer_done_) resume_reading();
  // END SOLUTION
}
// [/slide]

void Connection::peer_finished() {
  peer_done_ = true;
  reading_ = false;  // at EOF the socket stays readable: a level loop would spin
  update_interest();
  if (output_.empty()) handle_close();
}

void Connection::pause_reading() {
  reading_ = false;
  update_interest();
}

void Connection::resume_reading() {
  if (input_paused_) return;  // the protocol's pause outlasts flow control's: resume_input ends it
  reading_ = true;
  update_interest();
  // Bytes may have waited in the socket all along: edge-triggered, no new edge would come for
  // them (EPOLL_CTL_MOD happens to report a ready fd again, but the reader should not count on it).
  handle_readable();
}

void Connection::pause_input() {
  loop_.assert_in_loop_thread("Connection::pause_input");
  input_paused_ = true;
  if (reading_) pause_reading();
}

void Connection::resume_input() {
  loop_.assert_in_loop_thread("Connection::resume_input");
  if (!input_paused_) return;
  input_paused_ = false;
  loop_.queue_in_loop([self = shared_from_this()] {
    // Still open, not paused again meanwhile, and not at EOF; handle_readable pauses at once
    // again if the output is above the high-water mark.
    if (self->connected() && !self->input_paused_ && !self->reading_ && !self->peer_done_) {
      self->resume_reading();
    }
  });
}

void Connection::update_interest() {
  mux::Interest want = mux::Interest::kNone;
  if (state_ == State::kHandshaking) {
    want = transport_->waits_for(Transport::Call::kHandshake);
  } else if (state_ == State::kConnected) {
    if (reading_) want = want | transport_->waits_for(Transport::Call::kRead);
    if (!output_.empty() || shutdown_pending_) {
      want = want | transport_->waits_for(Transport::Call::kWrite);
    }
  }
  channel_.watch(want);
}

// [slide:handle_close]
void Connection::handle_close() {
  // BEGIN SOLUTION: once only: mark disconnected, watch nothing, cancel the idle timer and the others, drop pending output; call on_connection_ (if it was open) and on_close_ with a shared_ptr to this (the fd stays open until destroyed)
  if (state_ == State::kDisconnected) return;
  const bool was_open = state_ == State::kConnected;
  state_ = State::kDisconnected;
  channel_.disable_all();  // no more events; the fd stays open, so its number is not reused yet
  loop_.cancel(idle_timer_);
  idle_timer_ = 0;
  cancel_all_timers();
  output_.clear();                      // the files of queued regions are let go now
  const Ptr self = shared_from_this();  // the callbacks drop the owner's reference: keep one
  if (was_open && on_connection_) on_connection_(self);
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
