// Lab 11: a connection's reads, writes, flow control both ways, close after output, and the
// two-step close. Its own timers are in tcp_connection_timers.cpp.
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

void Connection::continue_handshake() {
  SYSLAB_TODO("call transport_->handshake() until it is done (open) or would block (watch what it waits for); EINTR: again; EOF or a reset: handle_close");
}

void Connection::open() {
  SYSLAB_TODO("mark connected and start reading; tell the protocol (on_connection_); then read what came with the handshake (edge-triggered: no new edge will say so)");
}

void Connection::handle_readable() {
  SYSLAB_TODO("transport_->read_some until EAGAIN into input_ and hand it to on_message_ (dropped once closing); stop early above the high-water mark (pause_reading) or once closed; EOF: peer_finished; a reset: handle_close");
}

void Connection::send(std::string_view bytes) {
  loop_.assert_in_loop_thread("Connection::send");
  SYSLAB_TODO("when nothing is pending, transport_->write_some now; append what is left to output_; a peer gone: handle_close; then after_send()");
}

void Connection::send_file(std::shared_ptr<const fdio::UniqueFd> file, std::uint64_t offset,
                           std::uint64_t count) {
  loop_.assert_in_loop_thread("Connection::send_file");
  SYSLAB_TODO("queue the region behind what is pending; if nothing was pending, flush_output now; then after_send()");
}

void Connection::handle_writable() {
  SYSLAB_TODO("flush_output; check_drained; resume reading below half the high-water mark; once empty: output_done");
}

bool Connection::flush_output() {
  SYSLAB_TODO("output_.write_to the transport (again after EINTR); touch when bytes went; a peer gone: handle_close and false; else watch kWrite only while output is pending");
}

void Connection::after_send() {
  update_interest();  // kWrite while anything is pending
  if (on_drained_) drained_due_ = true;
  check_drained();
}

void Connection::check_drained() {
  SYSLAB_TODO("due, not queued yet, and pending output at or below the low-water mark: no longer due; queue run_drained on the loop, in a task that holds only a weak_ptr to this");
}

void Connection::run_drained() {
  SYSLAB_TODO("no longer queued; still open and not closing: on_drained_");
}

void Connection::output_done() {
  SYSLAB_TODO("the peer had finished: handle_close; close_after_output was asked and the write side is still open: shut_down_write");
}

void Connection::close_after_output() {
  loop_.assert_in_loop_thread("Connection::close_after_output");
  SYSLAB_TODO("once only; not open yet (handshaking): handle_close; else remember it, and if nothing is pending go on at once (output_done); otherwise the last write does");
}

void Connection::shut_down_write() {
  SYSLAB_TODO("transport_->shutdown_write (the peer reads EOF after our last byte); would block (TLS): watch for writable and come back; else keep reading (and dropping) until the peer's EOF, at most linger_timeout, then handle_close");
}

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

void Connection::handle_close() {
  SYSLAB_TODO("once only: mark disconnected, watch nothing, cancel the idle timer and the others, drop pending output; call on_connection_ (if it was open) and on_close_ with a shared_ptr to this (the fd stays open until destroyed)");
}

void Connection::check_idle() {
  SYSLAB_TODO("quiet for the whole timeout: handle_close; else set the timer again for the time still to go");
}

}  // namespace reactor
