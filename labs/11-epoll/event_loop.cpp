// Lab 11: the loop: epoll_wait, dispatch, queued tasks; eventfd(2) for cross-thread wake-ups.
#include "event_loop.hpp"

#include <sys/eventfd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "channel.hpp"
#include "fd_io.hpp"
#include "syslab/error.hpp"
#include "syslab/todo.hpp"

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

void EventLoop::run() {
  assert_in_loop_thread("EventLoop::run");
  SYSLAB_TODO("until quit(): dispatch one wait, then run the queued tasks; at the end run what is still queued");
}

void EventLoop::quit() {
  quit_.store(true);
  if (!in_loop_thread()) wake_up();  // it may be blocked in its wait
}

void EventLoop::dispatch() {
  SYSLAB_TODO("wait with no timeout (timers have their timerfd); give each report to the Channel of its fd, if it still has one");
}

void EventLoop::run_in_loop(Task task) {
  if (in_loop_thread()) {
    task();
  } else {
    queue_in_loop(std::move(task));
  }
}

void EventLoop::queue_in_loop(Task task) {
  SYSLAB_TODO("append under the mutex; wake the loop unless this is the loop thread in its dispatch (it runs the tasks next anyway)");
}

void EventLoop::run_queued_tasks() {
  SYSLAB_TODO("swap the queue out under the mutex, then run the tasks without holding it");
}

void EventLoop::wake_up() {
  SYSLAB_TODO("add 1 to the eventfd's counter (an 8-byte write); EAGAIN means it is readable already");
}

void EventLoop::drain_wakeups() {
  SYSLAB_TODO("read the eventfd's 8-byte counter (it goes back to 0); EAGAIN: nothing was pending");
}

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
