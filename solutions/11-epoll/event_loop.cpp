// Lab 11: the loop: epoll_wait, dispatch, queued tasks; eventfd(2) for cross-thread wake-ups.
#include "event_loop.hpp"

#include <sys/eventfd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "channel.hpp"
#include "fd_io.hpp"
#include "syslab/error.hpp"

namespace reactor {

namespace {

fdio::UniqueFd make_event_fd() {
  fdio::UniqueFd fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!fd.ok()) syslab::throw_errno("eventfd");
  return fd;
}

}  // namespace

EventLoop::EventLoop(std::unique_ptr<mux::Poller> poller)
    : poller_(std::move(poller)), wakeup_fd_(make_event_fd()) {
  wakeup_channel_ = std::make_unique<Channel>(*this, wakeup_fd_);
  wakeup_channel_->on_readable([this] { drain_wakeups(); });
  wakeup_channel_->enable_reading();
  timers_ = std::make_unique<TimerQueue>(*this);
}

// The timers' and the wake-up's Channels leave the poller before it goes (members' order).
EventLoop::~EventLoop() = default;

void EventLoop::assert_in_loop_thread(std::string_view what) const {
  if (!in_loop_thread()) {
    throw std::logic_error(std::string(what) +
                           ": called from another thread than the event loop's own");
  }
}

// [slide:run]
void EventLoop::run() {
  assert_in_loop_thread("EventLoop::run");
  // BEGIN SOLUTION: until quit(): dispatch one wait, then run the queued tasks; at the end run what is still queued
  run_queued_tasks();  // tasks queued before run(): nothing would wake the first wait for them
  while (!quit_.load()) {
    dispatch();
    run_queued_tasks();  // after the dispatch: no callback is on the stack any more
  }
  run_queued_tasks();  // a task queued just before quit (a connection's last step) still runs
  // END SOLUTION
}
// [/slide]

void EventLoop::quit() {
  quit_.store(true);
  if (!in_loop_thread()) wake_up();  // it may be blocked in its wait
}

// [slide:dispatch]
void EventLoop::dispatch() {
  // BEGIN SOLUTION: wait with no timeout (timers have their timerfd); give each report to the Channel of its fd, if it still has one
  poller_->wait(std::nullopt, ready_);
  for (const mux::Ready& ready : ready_) {
    // A Channel removed by an earlier callback of this dispatch has left its slot empty. Its fd
    // is still open (closing waits until the dispatch ends), so no new fd has that number yet.
    Channel* channel =
        static_cast<std::size_t>(ready.fd) < channels_.size() ? channels_[ready.fd] : nullptr;
    if (channel != nullptr) channel->handle_event(ready);
  }
  // END SOLUTION
}
// [/slide]

void EventLoop::run_in_loop(Task task) {
  if (in_loop_thread()) {
    task();
  } else {
    queue_in_loop(std::move(task));
  }
}

// [slide:queue_in_loop]
void EventLoop::queue_in_loop(Task task) {
  // BEGIN SOLUTION: append under the mutex; wake the loop unless this is the loop thread in its dispatch (it runs the tasks next anyway)
  {
    const std::lock_guard lock(mutex_);
    queued_.push_back(std::move(task));
  }
  // From another thread the loop may be blocked in its wait. On the loop thread, a task queued
  // by a task would wait for the next event: wake up for it too.
  if (!in_loop_thread() || running_tasks_) wake_up();
  // END SOLUTION
}
// [/slide]

void EventLoop::run_queued_tasks() {
  // BEGIN SOLUTION: swap the queue out under the mutex, then run the tasks without holding it
  std::vector<Task> tasks;
  {
    const std::lock_guard lock(mutex_);
    tasks.swap(queued_);
  }
  // Not under the lock: a task may queue another one (the mutex is not recursive).
  running_tasks_ = true;
  for (Task& task : tasks) task();
  running_tasks_ = false;
  // END SOLUTION
}

// [slide:wake_up]
void EventLoop::wake_up() {
  // BEGIN SOLUTION: add 1 to the eventfd's counter (an 8-byte write); EAGAIN means it is readable already
  const std::uint64_t one = 1;
  // EAGAIN (would block) only when the counter is near 2^64: a wake-up is pending anyway.
  (void)fdio::write_some(wakeup_fd_,
                         std::string_view(reinterpret_cast<const char*>(&one), sizeof one));
  // END SOLUTION
}

void EventLoop::drain_wakeups() {
  // BEGIN SOLUTION: read the eventfd's 8-byte counter (it goes back to 0); EAGAIN: nothing was pending
  std::uint64_t count = 0;
  // One read takes the whole count and resets it: many wake-ups, one read.
  (void)fdio::read_some(wakeup_fd_, std::span(reinterpret_cast<char*>(&count), sizeof count));
  // END SOLUTION
}
// [/slide]

TimerId EventLoop::run_after(std::chrono::milliseconds delay, Task task) {
  assert_in_loop_thread("EventLoop::run_after");
  return timers_->add(TimerQueue::Clock::now() + delay, std::move(task));
}

void EventLoop::cancel(TimerId id) {
  assert_in_loop_thread("EventLoop::cancel");
  timers_->cancel(id);
}

void EventLoop::update_channel(Channel& channel) {
  assert_in_loop_thread("EventLoop::update_channel");
  const auto fd = static_cast<std::size_t>(channel.fd());
  if (fd >= channels_.size()) channels_.resize(fd + 1, nullptr);
  if (channels_[fd] == nullptr) {
    poller_->add(fdio::BorrowedFd(channel.fd()), channel.interest());
    channels_[fd] = &channel;
  } else {
    poller_->modify(fdio::BorrowedFd(channel.fd()), channel.interest());
  }
}

void EventLoop::remove_channel(Channel& channel) {
  assert_in_loop_thread("EventLoop::remove_channel");
  poller_->remove(fdio::BorrowedFd(channel.fd()));
  channels_[static_cast<std::size_t>(channel.fd())] = nullptr;
}

}  // namespace reactor
