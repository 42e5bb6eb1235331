// Lab 10: the event loop of the echo server: wait, then for each ready fd do what will not block.
// Read a connection while it owes its client less than kOutputCap; write while it owes anything
// (and watch kWrite only then: a socket is nearly always writable, so watching it idle would wake
// the loop for nothing). Level-triggered: whatever is left is reported again by the next wait.
#include "event_server.hpp"

#include <cerrno>
#include <iostream>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fd_io.hpp"
#include "syslab/error.hpp"

namespace mux {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

EventServer::EventServer(net::Listener listener, Poller& poller, fdio::BorrowedFd stop)
    : poller_(poller), stop_(stop) {
  // BEGIN SOLUTION: make the listener non-blocking, then watch it and the stop fd for kRead
  // Non-blocking: a client that gives up between poll and accept4 must not block the loop.
  fdio::set_nonblocking(listener.fd());
  poller_.add(listener.fd(), Interest::kRead);
  listener_.emplace(std::move(listener));
  if (stop_.ok()) {
    poller_.add(stop_, Interest::kRead);
    watching_stop_ = true;
  }
  // END SOLUTION
}

EventServer::~EventServer() {
  try {
    for (const auto& [fd, conn] : connections_) poller_.remove(conn.socket.fd());
    if (listener_) poller_.remove(listener_->fd());
    if (watching_stop_) poller_.remove(stop_);
  } catch (const std::exception& error) {  // not watched after all: nothing left to undo
    std::cerr << "event server: " << error.what() << "\n";
  }
}

// [slide:run]
void EventServer::run() {
  // BEGIN SOLUTION: until stopped with no connection left: wait, then handle each Ready (stop fd, connections); accept after the others
  std::vector<Ready> ready;
  while (listener_ || !connections_.empty()) {
    poller_.wait(wait_timeout(), ready);
    resume_accepting_if_due();
    bool listener_ready = false;
    for (const Ready& event : ready) {
      if (watching_stop_ && event.fd == stop_.get()) {
        begin_stop();
      } else if (listener_ && event.fd == listener_->fd().get()) {
        listener_ready = true;
      } else {
        on_connection_ready(event);
      }
    }
    // Accept after the batch: `ready` describes the fds as wait() found them. A connection
    // accepted mid-batch could take the number of an fd closed earlier in the batch, and would
    // then be handed events that were meant for the closed one.
    if (listener_ready && listener_) accept_clients();
  }
  // END SOLUTION
}
// [/slide]

// [slide:accept_clients]
void EventServer::accept_clients() {
  // BEGIN SOLUTION: accept until try_accept says nullopt (at most a batch); EMFILE or ENFILE pause accepting
  for (int i = 0; i < 64; ++i) {  // a batch, so that a flood of connects cannot starve the rest
    try {
      std::optional<net::Socket> conn = listener_->try_accept();
      if (!conn) return;  // EAGAIN: the backlog is empty
      add_connection(std::move(*conn));
    } catch (const syslab::SystemError& error) {
      const int code = error.code().value();
      if (code != EMFILE && code != ENFILE) throw;
      pause_accepting(error);
      return;
    }
  }
  // END SOLUTION
}
// [/slide]

void EventServer::pause_accepting(const syslab::SystemError& error) {
  // BEGIN SOLUTION: say so on stderr, stop watching the listener (kNone) and remember when to resume
  // The pending client stays in the backlog; the listener stays readable, and watching it now
  // would wake every wait at once: a busy loop until an fd is free.
  std::cerr << "event server: " << error.what() << ": not accepting for " << kAcceptPause.count()
            << " ms\n";
  poller_.modify(listener_->fd(), Interest::kNone);
  accept_paused_until_ = Clock::now() + kAcceptPause;
  // END SOLUTION
}

void EventServer::resume_accepting_if_due() {
  // BEGIN SOLUTION: once the pause is over, watch the listener for kRead again
  if (!accept_paused_until_ || Clock::now() < *accept_paused_until_) return;
  accept_paused_until_.reset();
  if (listener_) poller_.modify(listener_->fd(), Interest::kRead);
  // END SOLUTION
}

std::optional<std::chrono::milliseconds> EventServer::wait_timeout() const {
  // BEGIN SOLUTION: no timeout, unless accepting is paused: then the time left in the pause
  if (!accept_paused_until_) return std::nullopt;
  const auto left = *accept_paused_until_ - Clock::now();
  return std::chrono::ceil<std::chrono::milliseconds>(
      left < Clock::duration::zero() ? Clock::duration::zero() : left);
  // END SOLUTION
}

// [slide:begin_stop]
void EventServer::begin_stop() {
  // BEGIN SOLUTION: stop watching the stop fd (it stays readable); stop watching and close the listener
  poller_.remove(stop_);  // level-triggered: it would be reported on every wait from now on
  watching_stop_ = false;
  if (listener_) {
    poller_.remove(listener_->fd());
    listener_.reset();  // closed: a connect is refused from now on
  }
  accept_paused_until_.reset();
  // END SOLUTION
}
// [/slide]

// [slide:add_connection]
void EventServer::add_connection(net::Socket socket) {
  // BEGIN SOLUTION: make it non-blocking and watch it for kRead; FdNotWatchable: one line on stderr, close it, go on
  const int fd = socket.fd().get();
  fdio::set_nonblocking(socket.fd());
  try {
    poller_.add(socket.fd(), Interest::kRead);
  } catch (const FdNotWatchable& error) {
    std::cerr << "event server: connection refused: " << error.what() << "\n";
    return;  // the Socket closes it: this client sees EOF, the others go on
  }
  connections_.emplace(fd, EchoConnection(std::move(socket)));
  // END SOLUTION
}
// [/slide]

// [slide:on_connection_ready]
void EventServer::on_connection_ready(const Ready& ready) {
  // BEGIN SOLUTION: write what is owed, read if watched for kRead; close on a peer gone or EOF with nothing owed; else update_interest
  const auto it = connections_.find(ready.fd);
  if (it == connections_.end()) return;
  EchoConnection& conn = it->second;
  // A hang-up or an error: the next read or write says which, and ends the connection.
  bool open = true;
  if (ready.writable || ready.hangup_or_error) open = write_to(conn);
  if (open && (ready.readable || ready.hangup_or_error) && has(conn.watched, Interest::kRead)) {
    open = read_from(conn);
  }
  if (!open || (conn.input_closed && conn.owed() == 0)) {
    close_connection(ready.fd);
  } else {
    update_interest(ready.fd, conn);
  }
  // END SOLUTION
}
// [/slide]

// [slide:read_from]
bool EventServer::read_from(EchoConnection& conn) {
  // BEGIN SOLUTION: one read_some; append what came to output and try to write it at once; EOF sets input_closed; false when the peer is gone
  const fdio::IoResult got = fdio::read_some(conn.socket.fd(), buffer_);
  if (got.peer_closed()) return false;
  if (got.eof()) conn.input_closed = true;
  if (!got.done()) return true;  // EOF, EAGAIN or EINTR: nothing to echo
  if (conn.written > 0) {        // drop what went out already, so that output stays within the cap
    conn.output.erase(0, conn.written);
    conn.written = 0;
  }
  conn.output.append(buffer_.data(), got.count);
  return write_to(conn);  // most sockets take it at once: no need to wait for kWrite
  // END SOLUTION
}
// [/slide]

bool EventServer::write_to(EchoConnection& conn) {
  // BEGIN SOLUTION: write_some what is owed until EAGAIN or nothing is owed; false when the peer is gone
  while (conn.owed() > 0) {
    const fdio::IoResult sent =
        fdio::write_some(conn.socket.fd(), std::string_view(conn.output).substr(conn.written));
    if (sent.peer_closed()) return false;
    if (sent.would_block()) break;  // the client's buffers are full: wait for kWrite
    conn.written += sent.count;
  }
  if (conn.owed() == 0) {
    conn.output.clear();
    conn.written = 0;
  }
  return true;
  // END SOLUTION
}

// [slide:update_interest]
void EventServer::update_interest(int fd, EchoConnection& conn) {
  // BEGIN SOLUTION: kRead while input is open and less than kOutputCap is owed; kWrite while anything is owed; modify only on change
  Interest wanted = Interest::kNone;
  if (!conn.input_closed && conn.owed() < kOutputCap) wanted = wanted | Interest::kRead;
  if (conn.owed() > 0) wanted = wanted | Interest::kWrite;
  if (wanted != conn.watched) {
    poller_.modify(fdio::BorrowedFd(fd), wanted);
    conn.watched = wanted;
  }
  // END SOLUTION
}
// [/slide]

void EventServer::close_connection(int fd) {
  // BEGIN SOLUTION: stop watching fd, then forget the connection (its Socket closes the fd)
  poller_.remove(fdio::BorrowedFd(fd));  // before the close: the poller must never see a stale fd
  connections_.erase(fd);
  // END SOLUTION
}

void serve_events(net::Listener listener, Poller& poller, fdio::BorrowedFd stop) {
  EventServer server(std::move(listener), poller, stop);
  server.run();
}

}  // namespace mux
