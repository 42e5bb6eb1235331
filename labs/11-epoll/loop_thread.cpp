// Lab 11: a thread that owns an event loop; the hand-over of its address under a mutex.
#include "loop_thread.hpp"
#include "syslab/todo.hpp"

namespace reactor {

LoopThread::LoopThread(PollerFactory make_poller)
    : thread_([this, make_poller = std::move(make_poller)] { body(make_poller); }) {
  SYSLAB_TODO("wait on started_ until the thread has set loop_ or error_; rethrow error_ after joining");
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

void LoopThread::body(const PollerFactory& make_poller) {
  SYSLAB_TODO("make an EventLoop here (it belongs to this thread), publish its address under the mutex and notify; run it");
}

}  // namespace reactor
