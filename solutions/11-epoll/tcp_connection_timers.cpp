// Lab 11: a connection's own timers (lab 12: a header timeout, a keep-alive timeout): loop timers
// whose tasks hold only a weak_ptr to the connection, all cancelled when it closes, so that none
// can run on a closed connection or on a freed one.
#include "event_loop.hpp"
#include "tcp_connection.hpp"

namespace reactor {

// [slide:start_timer]
Connection::TimerHandle Connection::start_timer(std::chrono::milliseconds delay,
                                                TimerCallback callback) {
  loop_.assert_in_loop_thread("Connection::start_timer");
  // BEGIN SOLUTION: closed: 0; else a new handle, and a loop timer whose task holds only a weak_ptr to this (lock it, then fire_timer); keep the loop's TimerId and the callback under the handle
  if (state_ == State::kDisconnected) return 0;
  const TimerHandle handle = next_timer_++;
  // Not `this`: should the connection be gone when the timer fires, lock() says so.
  const TimerId id = loop_.run_after(delay, [weak = weak_from_this(), handle] {
    if (const Ptr self = weak.lock()) self->fire_timer(handle);
  });
  timers_.emplace(handle, PendingTimer{id, std::move(callback)});
  return handle;
  // END SOLUTION
}
// [/slide]

void Connection::cancel_timer(TimerHandle handle) {
  loop_.assert_in_loop_thread("Connection::cancel_timer");
  // BEGIN SOLUTION: a handle still pending: cancel its loop timer and forget it
  const auto it = timers_.find(handle);
  if (it == timers_.end()) return;
  loop_.cancel(it->second.id);
  timers_.erase(it);
  // END SOLUTION
}

void Connection::fire_timer(TimerHandle handle) {
  // BEGIN SOLUTION: a handle still pending: forget it, then run its callback with *this
  const auto it = timers_.find(handle);
  if (it == timers_.end()) return;  // cancelled, or the connection closed
  const TimerCallback callback = std::move(it->second.callback);
  timers_.erase(it);
  callback(*this);
  // END SOLUTION
}

void Connection::cancel_all_timers() {
  // BEGIN SOLUTION: cancel every pending loop timer; forget them all
  for (const auto& [handle, timer] : timers_) loop_.cancel(timer.id);
  timers_.clear();
  // END SOLUTION
}

}  // namespace reactor
