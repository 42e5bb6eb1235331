// Lab 11: a thread that owns an event loop; the hand-over of its address under a mutex.
#include "loop_thread.hpp"

namespace reactor {

LoopThread::LoopThread(PollerFactory make_poller)
    : thread_([this, make_poller = std::move(make_poller)] { body(make_poller); }) {
  // BEGIN SOLUTION: wait on started_ until the thread has set loop_ or error_; rethrow error_ after joining
  std::unique_lock lock(mutex_);
  started_.wait(lock, [this] { return done_; });
  if (error_) {
    lock.unlock();
    thread_.join();
    std::rethrow_exception(error_);
  }
  // END SOLUTION
}

LoopThread::~LoopThread() {
  loop_->quit();
  {
    // quit() may still be writing to the loop's eventfd after the loop has seen quit_ and left
    // run(): the thread destroys its loop only once told that quit() has returned.
    const std::lock_guard lock(mutex_);
    quit_returned_ = true;
  }
  started_.notify_one();
  thread_.join();
}

// [slide:loop_thread]
void LoopThread::body(const PollerFactory& make_poller) {
  // BEGIN SOLUTION: make an EventLoop here (it belongs to this thread), publish its address under the mutex and notify; run it
  std::unique_ptr<EventLoop> loop;
  try {
    loop = std::make_unique<EventLoop>(make_poller());
  } catch (...) {
    const std::lock_guard lock(mutex_);
    error_ = std::current_exception();
    done_ = true;
    started_.notify_one();
    return;
  }
  {
    const std::lock_guard lock(mutex_);
    loop_ = loop.get();
    done_ = true;
  }
  started_.notify_one();
  loop->run();  // until the destructor's quit(); an exception here ends the process, loudly
  std::unique_lock lock(mutex_);
  started_.wait(lock, [this] { return quit_returned_; });
  // END SOLUTION
}
// [/slide]

}  // namespace reactor
