// Lab 11: timers for an event loop on one timerfd(2). The timerfd is an fd that becomes readable
// when it expires, so timers are one more Channel in the loop, and the loop's wait needs no
// timeout of its own. It is always armed for the earliest timer; when it fires, every timer due
// runs, in order of deadline (then of creation), and it is armed for the next one.
// Look at: /proc/PID/fdinfo/N of the anon_inode:[timerfd]: clockid, ticks, it_value.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <utility>

#include "channel.hpp"
#include "unique_fd.hpp"

namespace reactor {

class EventLoop;

// Names one timer, for cancel. 0 is never a timer's id.
using TimerId = std::uint64_t;

// Loop thread only, like the loop's other state.
class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC: wall-clock jumps do not move it

  // Creates the timerfd (CLOCK_MONOTONIC, non-blocking, close-on-exec) and watches it on loop.
  explicit TimerQueue(EventLoop& loop);

  // Runs task on the loop thread at when (or soon after; never before).
  [[nodiscard]] TimerId add(Clock::time_point when, std::function<void()> task);
  // Forgets a timer that has not fired yet; an id that fired or is unknown is ignored.
  void cancel(TimerId id);
  [[nodiscard]] std::size_t size() const noexcept { return timers_.size(); }

 private:
  using Key = std::pair<Clock::time_point, TimerId>;  // ordered by deadline, then creation

  void run_due_timers();  // the timerfd is readable
  void arm();             // the timerfd for the earliest timer, or disarmed when there is none

  fdio::UniqueFd timer_fd_;
  Channel channel_;
  std::map<Key, std::function<void()>> timers_;
  std::unordered_map<TimerId, Clock::time_point> deadlines_;  // id -> deadline, for cancel
  TimerId next_id_ = 1;
};

}  // namespace reactor
