// Lab 11: a connection's own timers (lab 12: a header timeout, a keep-alive timeout): loop timers
// whose tasks hold only a weak_ptr to the connection, all cancelled when it closes, so that none
// can run on a closed connection or on a freed one.
#include "event_loop.hpp"
#include "tcp_connection.hpp"
#include "syslab/todo.hpp"

namespace reactor {

Connection::TimerHandle Connection::start_timer(std::chrono::milliseconds delay,
                                                TimerCallback callback) {
  loop_.assert_in_loop_thread("Connection::start_timer");
  SYSLAB_TODO("closed: 0; else a new handle, and a loop timer whose task holds only a weak_ptr to this (lock it, then fire_timer); keep the loop's TimerId and the callback under the handle");
}

void Connection::cancel_timer(TimerHandle handle) {
  loop_.assert_in_loop_thread("Connection::cancel_timer");
  SYSLAB_TODO("a handle still pending: cancel its loop timer and forget it");
}

void Connection::fire_timer(TimerHandle handle) {
  SYSLAB_TODO("a handle still pending: forget it, then run its callback with *this");
}

void Connection::cancel_all_timers() {
  SYSLAB_TODO("cancel every pending loop timer; forget them all");
}

}  // namespace reactor
