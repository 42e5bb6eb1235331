// Lab 09: joining threads as they end, the way a server reaps its children.
#include "thread_group.hpp"

namespace tmodels {

ThreadGroup::~ThreadGroup() {
  for (auto& [id, thread] : threads_) thread.request_stop();  // all asked first, then joined:
  threads_.clear();  // each jthread joins in its destructor: no thread outlives the group
}

// [slide:join_finished]
void ThreadGroup::mark_finished(std::uint64_t id) {
  // BEGIN SOLUTION: add id to finished_ under the mutex, then notify finished_fd_
  {
    const std::lock_guard lock(mutex_);
    finished_.push_back(id);
  }
  notify_eventfd(finished_fd_);
  // END SOLUTION
}

std::size_t ThreadGroup::join_finished() {
  // BEGIN SOLUTION: drain finished_fd_, take the finished ids under the mutex, join (erase) those threads outside it
  drain_eventfd(finished_fd_);
  std::vector<std::uint64_t> ids;
  {
    const std::lock_guard lock(mutex_);
    ids.swap(finished_);
  }
  // Outside the lock: a thread we join may still need the mutex for its last act (it does not,
  // once its id is listed, but never hold a lock while waiting for another thread).
  for (const std::uint64_t id : ids) threads_.erase(id);  // ~jthread: request_stop, join
  return ids.size();
  // END SOLUTION
}
// [/slide]

void ThreadGroup::request_stop() {
  // BEGIN SOLUTION: request_stop() on every thread
  for (auto& [id, thread] : threads_) thread.request_stop();
  // END SOLUTION
}

}  // namespace tmodels
