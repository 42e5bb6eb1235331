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
#include "syslab/todo.hpp"

namespace mux {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

EventServer::EventServer(net::Listener listener, Poller& poller, fdio::BorrowedFd stop)
    : poller_(poller), stop_(stop) {
  SYSLAB_TODO("make the listener non-blocking, then watch it and the stop fd for kRead");
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

void EventServer::run() {
  SYSLAB_TODO("until stopped with no connection left: wait, then handle each Ready (stop fd, connections); accept after the others");
}

void EventServer::accept_clients() {
  SYSLAB_TODO("accept until try_accept says nullopt (at most a batch); EMFILE or ENFILE pause accepting");
}

void EventServer::pause_accepting(const syslab::SystemError& error) {
  SYSLAB_TODO("say so on stderr, stop watching the listener (kNone) and remember when to resume");
}

void EventServer::resume_accepting_if_due() {
  SYSLAB_TODO("once the pause is over, watch the listener for kRead again");
}

std::optional<std::chrono::milliseconds> EventServer::wait_timeout() const {
  SYSLAB_TODO("no timeout, unless accepting is paused: then the time left in the pause");
}

void EventServer::begin_stop() {
  SYSLAB_TODO("stop watching the stop fd (it stays readable); stop watching and close the listener");
}

void EventServer::add_connection(net::Socket socket) {
  SYSLAB_TODO("make it non-blocking and watch it for kRead; FdNotWatchable: one line on stderr, close it, go on");
}

void EventServer::on_connection_ready(const Ready& ready) {
  SYSLAB_TODO("write what is owed, read if watched for kRead; close on a peer gone or EOF with nothing owed; else update_interest");
}

bool EventServer::read_from(EchoConnection& conn) {
  SYSLAB_TODO("one read_some; append what came to output and try to write it at once; EOF sets input_closed; false when the peer is gone");
}

bool EventServer::write_to(EchoConnection& conn) {
  SYSLAB_TODO("write_some what is owed until EAGAIN or nothing is owed; false when the peer is gone");
}

void EventServer::update_interest(int fd, EchoConnection& conn) {
  SYSLAB_TODO("kRead while input is open and less than kOutputCap is owed; kWrite while anything is owed; modify only on change");
}

void EventServer::close_connection(int fd) {
  SYSLAB_TODO("stop watching fd, then forget the connection (its Socket closes the fd)");
}

void serve_events(net::Listener listener, Poller& poller, fdio::BorrowedFd stop) {
  EventServer server(std::move(listener), poller, stop);
  server.run();
}

}  // namespace mux
