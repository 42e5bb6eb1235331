// Lab 11: the event loop (the reactor): wait on a Poller, hand each ready fd to its Channel, then
// run the tasks other code queued. One loop belongs to one thread: the one that created it. Its
// state (channels, timers, connections) is touched on that thread only, and the loop checks it.
// Other threads reach a loop one way only: queue_in_loop, which wakes it with an eventfd.
// Look at: ls -l /proc/PID/fd: anon_inode:[eventpoll], [eventfd] and [timerfd] for each loop.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "poller.hpp"
#include "timer_queue.hpp"
#include "unique_fd.hpp"

namespace reactor {

class Channel;

class EventLoop {
 public:
  using Task = std::function<void()>;

  // The loop of the calling thread, on that poller (make_epoll_poller(), or lab 10's).
  explicit EventLoop(std::unique_ptr<mux::Poller> poller);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Waits and dispatches until quit(); then runs the tasks still queued. Loop thread only.
  void run();
  // Makes run() return once the current dispatch and its tasks are done. Any thread.
  void quit();

  // Runs task at once on the loop thread; from another thread, queues it. Any thread.
  void run_in_loop(Task task);
  // Queues task to run after the current dispatch, and wakes the loop. Any thread. On the loop
  // thread it is how work is deferred until no callback is running (a close, a destruction).
  void queue_in_loop(Task task);

  // Runs task on the loop thread after delay (never before). Loop thread only.
  [[nodiscard]] TimerId run_after(std::chrono::milliseconds delay, Task task);
  // Cancels a timer that has not fired (0, or one that fired, is ignored). Loop thread only.
  void cancel(TimerId id);

  [[nodiscard]] bool in_loop_thread() const noexcept {
    return std::this_thread::get_id() == owner_;
  }
  // Throws std::logic_error naming `what` when called from another thread: a data race caught.
  void assert_in_loop_thread(std::string_view what) const;

  [[nodiscard]] const mux::Poller& poller() const noexcept { return *poller_; }

  // For Channel: start or change watching (update_channel), stop (remove_channel). Loop thread.
  void update_channel(Channel& channel);
  void remove_channel(Channel& channel);

 private:
  void dispatch();          // one wait, and each ready fd to its Channel
  void run_queued_tasks();  // the tasks queued so far
  void wake_up();           // makes the loop's wait return: eventfd + 1
  void drain_wakeups();     // the eventfd is readable: read its count back to 0

  const std::thread::id owner_ = std::this_thread::get_id();
  // ---- loop thread only ----
  std::unique_ptr<mux::Poller> poller_;
  std::vector<Channel*> channels_;  // by fd: the Channel each watched fd reports to
  std::vector<mux::Ready> ready_;   // the last wait's reports
  bool running_tasks_ = false;      // inside run_queued_tasks
  // ---- any thread ----
  std::atomic<bool> quit_ = false;
  std::mutex mutex_;
  std::vector<Task> queued_;  // guarded by mutex_
  // ---- the loop's own fds: an eventfd for wake-ups, a timerfd for timers (last: they use the
  //      members above when they are made and destroyed) ----
  fdio::UniqueFd wakeup_fd_;
  std::unique_ptr<Channel> wakeup_channel_;
  std::unique_ptr<TimerQueue> timers_;
};

}  // namespace reactor
