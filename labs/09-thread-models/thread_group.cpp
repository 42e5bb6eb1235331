// Lab 09: joining threads as they end, the way a server reaps its children.
#include "thread_group.hpp"
#include "syslab/todo.hpp"

namespace tmodels {

ThreadGroup::~ThreadGroup() {
  for (auto& [id, thread] : threads_) thread.request_stop();  // all asked first, then joined:
  threads_.clear();  // each jthread joins in its destructor: no thread outlives the group
}

void ThreadGroup::mark_finished(std::uint64_t id) {
  SYSLAB_TODO("add id to finished_ under the mutex, then notify finished_fd_");
}

std::size_t ThreadGroup::join_finished() {
  SYSLAB_TODO("drain finished_fd_, take the finished ids under the mutex, join (erase) those threads outside it");
}

void ThreadGroup::request_stop() {
  SYSLAB_TODO("request_stop() on every thread");
}

}  // namespace tmodels
