// Lab 09: threads that are joined as they finish. A thread that has ended still holds its stack
// and its kernel task until someone joins it, as a child process stays a zombie until waited
// for. ThreadGroup is the thread's reap_children (lab 06): each thread, as its last act, puts its
// id on a list and notifies an eventfd; the owner polls that fd with its others and joins.
// Look at: watch -n0.5 ls /proc/PID/task while clients come and go (echo-server --model=threads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <iostream>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

#include "stop_eventfd.hpp"
#include "unique_fd.hpp"

namespace tmodels {

// Every std::jthread it starts is joined: when finished_fd() says one ended (join_finished), or
// at the latest by the destructor, which first asks them all to stop. No thread is detached.
// start, join_finished, request_stop and size belong to the owner's thread; only the threads'
// own "I am done" crosses threads, under a mutex.
class ThreadGroup {
 public:
  ThreadGroup() : finished_fd_(make_eventfd()) {}
  ~ThreadGroup();
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;

  // [slide:thread_group_start]
  // Starts a thread running body(stop_token). An exception that escapes body is printed and
  // ends that thread only. Throws std::system_error when no thread can be created (EAGAIN).
  template <typename Body>
  void start([[maybe_unused]] Body body) {  // [[maybe_unused]]: for the skeleton's stub
    // BEGIN SOLUTION: start a std::jthread that runs body(its stop token), then mark_finished(its id); keep it under that id
    const std::uint64_t id = next_id_++;
    auto run = [this, id, body = std::move(body)](std::stop_token stop) mutable {
      try {
        body(std::move(stop));
      } catch (const std::exception& error) {
        std::cerr << "thread " << id << ": " << error.what() << "\n";
      }
      mark_finished(id);  // the last act: from here on the owner may join this thread
    };
    threads_.emplace(id, std::jthread(std::move(run)));
    // END SOLUTION
  }
  // [/slide]

  // Readable while some thread has finished and waits to be joined.
  [[nodiscard]] fdio::BorrowedFd finished_fd() const noexcept { return finished_fd_; }
  // Joins every thread that has finished (none waits long: they are past their last line).
  // Returns how many were joined.
  std::size_t join_finished();
  // Asks every running thread to stop (their stop tokens); does not wait.
  void request_stop();
  // Threads started and not joined yet.
  [[nodiscard]] std::size_t size() const noexcept { return threads_.size(); }

 private:
  // Called by a thread as its last act: its id goes on the list, the eventfd is notified.
  void mark_finished(std::uint64_t id);

  fdio::UniqueFd finished_fd_;
  std::mutex mutex_;
  std::vector<std::uint64_t> finished_;  // under mutex_: ids of threads that ended
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, std::jthread> threads_;  // the owner's thread only
};

}  // namespace tmodels
