// Lab 11: one event loop per thread. A LoopThread starts a thread, makes an EventLoop there (so
// the loop belongs to that thread), and runs it until destroyed. Other threads use its loop only
// through run_in_loop and queue_in_loop. (muduo's EventLoopThread.)
// Look at: ls /proc/PID/task: one thread per loop; ls -l /proc/PID/fd: an epoll fd for each.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "event_loop.hpp"
#include "poller.hpp"

namespace reactor {

// Makes the Poller of a new loop, on the loop's own thread.
using PollerFactory = std::function<std::unique_ptr<mux::Poller>()>;

class LoopThread {
 public:
  // Starts the thread and waits until its loop exists; rethrows what making it threw (EMFILE).
  explicit LoopThread(PollerFactory make_poller);
  // Quits the loop (its queued tasks still run) and joins the thread.
  ~LoopThread();
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  // The thread's loop; valid until destruction. Call its thread-safe members only.
  [[nodiscard]] EventLoop& loop() const noexcept { return *loop_; }

 private:
  void body(const PollerFactory& make_poller);

  std::mutex mutex_;
  std::condition_variable started_;  // for done_ and quit_returned_
  EventLoop* loop_ = nullptr;        // set once, under mutex_, by the thread
  std::exception_ptr error_;         // what making the loop threw
  bool done_ = false;                // the thread has set loop_ or error_
  bool quit_returned_ = false;       // the destructor's quit() is over: the loop may be destroyed
  std::thread thread_;               // last: it starts running in the constructor
};

}  // namespace reactor
