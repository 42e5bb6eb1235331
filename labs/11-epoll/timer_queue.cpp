// Lab 11: timerfd_create, timerfd_settime, and the read that says it expired.
#include "timer_queue.hpp"

#include <sys/timerfd.h>

#include <cstdint>
#include <vector>

#include "fd_io.hpp"
#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace reactor {

namespace {

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

void TimerQueue::arm() {
  SYSLAB_TODO("timerfd_settime (relative) for the earliest deadline; all zero disarms when none is left");
}

void TimerQueue::run_due_timers() {
  SYSLAB_TODO("read the timerfd's count (EAGAIN: nothing); run every timer due by now, in order, skipping those a callback cancelled; arm for the next");
}

}  // namespace reactor
