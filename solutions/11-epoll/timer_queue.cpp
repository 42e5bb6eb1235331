// Lab 11: timerfd_create, timerfd_settime, and the read that says it expired.
#include "timer_queue.hpp"

#include <sys/timerfd.h>

#include <cstdint>
#include <vector>

#include "fd_io.hpp"
#include "syslab/error.hpp"

namespace reactor {

namespace {

// BEGIN SOLUTION
// A relative itimerspec for delay. A zero it_value would disarm the timer, so a deadline that has
// already passed becomes one nanosecond: "now".
itimerspec one_shot_in(std::chrono::nanoseconds delay) {
  if (delay < std::chrono::nanoseconds(1)) delay = std::chrono::nanoseconds(1);
  itimerspec spec{};  // it_interval zero: one shot
  spec.it_value.tv_sec = static_cast<time_t>(delay.count() / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(delay.count() % 1'000'000'000);
  return spec;
}
// END SOLUTION

fdio::UniqueFd make_timer_fd() {
  fdio::UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!fd.ok()) syslab::throw_errno("timerfd_create", "CLOCK_MONOTONIC");
  return fd;
}

}  // namespace

TimerQueue::TimerQueue(EventLoop& loop) : timer_fd_(make_timer_fd()), channel_(loop, timer_fd_) {
  channel_.on_readable([this] { run_due_timers(); });
  channel_.enable_reading();
}

TimerId TimerQueue::add(Clock::time_point when, std::function<void()> task) {
  const TimerId id = next_id_++;
  timers_.emplace(Key{when, id}, std::move(task));
  deadlines_.emplace(id, when);
  // Only a new earliest deadline moves the timerfd. (A cancel does not disarm it: the timerfd
  // then fires once for nothing, and is armed for what is left.)
  if (timers_.begin()->first.second == id) arm();
  return id;
}

void TimerQueue::cancel(TimerId id) {
  const auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return;
  timers_.erase(Key{it->second, id});
  deadlines_.erase(it);
}

// [slide:arm]
void TimerQueue::arm() {
  // BEGIN SOLUTION: timerfd_settime (relative) for the earliest deadline; all zero disarms when none is left
  itimerspec spec{};  // all zero: disarmed
  if (!timers_.empty()) spec = one_shot_in(timers_.begin()->first.first - Clock::now());
  if (::timerfd_settime(timer_fd_.get(), 0, &spec, nullptr) < 0) {
    syslab::throw_errno("timerfd_settime", "fd " + std::to_string(timer_fd_.get()));
  }
  // END SOLUTION
}
// [/slide]

// [slide:run_due_timers]
void TimerQueue::run_due_timers() {
  // BEGIN SOLUTION: read the timerfd's count (EAGAIN: nothing); run every timer due by now, in order, skipping those a callback cancelled; arm for the next
  std::uint64_t expirations = 0;
  (void)fdio::read_some(timer_fd_,
                        std::span(reinterpret_cast<char*>(&expirations), sizeof expirations));
  // Which timers are due is decided first: a timer that a callback adds runs on a later turn,
  // and one that a callback cancels does not run at all.
  const Clock::time_point now = Clock::now();
  std::vector<TimerId> due;
  for (const auto& [key, task] : timers_) {
    if (key.first > now) break;
    due.push_back(key.second);
  }
  for (const TimerId id : due) {
    const auto deadline = deadlines_.find(id);
    if (deadline == deadlines_.end()) continue;  // cancelled by an earlier callback
    auto node = timers_.extract(Key{deadline->second, id});
    deadlines_.erase(deadline);
    node.mapped()();
  }
  arm();
  // END SOLUTION
}
// [/slide]

}  // namespace reactor
