// Lab 09 tests: ThreadGroup (threads joined as they finish, seen in /proc/self/task) and
// StopEventFd (a stop token that poll(2) sees).
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <string>

#include "stop_eventfd.hpp"
#include "syslab/proc.hpp"
#include "syslab/test.hpp"
#include "thread_group.hpp"

using namespace syslab::test;
using namespace std::chrono_literals;

namespace {

// Threads of this process, from the kernel (Threads: in /proc/self/status), but the sanitizer's.
int thread_count() { return own_threads(); }

bool thread_count_becomes(int expected, int& seen) {
  return poll_until(Deadline(5s), [&] { return (seen = thread_count()) == expected; });
}

// A gate that threads wait at until the test opens it (a handshake, not a sleep).
class Gate {
 public:
  void wait() {
    std::unique_lock lock(mutex_);
    opened_cv_.wait(lock, [this] { return open_; });
  }
  void open() {
    {
      const std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_cv_;
  bool open_ = false;
};

}  // namespace

SYSLAB_TEST(StopEventFd, BecomesReadableOnStop, 2,
            "a StopEventFd's fd is readable once its stop token is stopped, not before",
            "std::stop_callback runs a function in the thread that calls request_stop() (or at "
            "once, if the stop was requested already)",
            "on_stop_.emplace(stop, Notify{fd_.get()}): Notify writes 1 to the eventfd") {
  std::stop_source source;
  const tmodels::StopEventFd stop(source.get_token());
  EXPECT_FALSE(wait_readable(stop.fd().get(), Deadline(0ms))) << "readable before the stop";
  source.request_stop();
  EXPECT_TRUE(wait_readable(stop.fd().get(), Deadline(5s))) << "not readable after request_stop";
  const tmodels::StopEventFd late(source.get_token());
  EXPECT_TRUE(wait_readable(late.fd().get(), Deadline(5s)))
      << "made for a token already stopped: it must be readable at once";
}

SYSLAB_TEST(ThreadGroup, JoinsThreadsAsTheyFinish, 3,
            "each thread, as its last act, lists its id and notifies finished_fd(); "
            "join_finished() joins exactly those, and the kernel's thread count goes down",
            "start: threads_.emplace(id, std::jthread(...)); the thread's lambda calls "
            "body(stop), then mark_finished(id)",
            "join_finished: drain the eventfd, swap the finished ids out under the mutex, then "
            "threads_.erase(id) for each (~jthread joins)") {
  const int before = thread_count();
  Gate gate_a;
  Gate gate_b;
  std::atomic<int> ran{0};
  {
    tmodels::ThreadGroup group;
    group.start([&](std::stop_token) {
      gate_a.wait();
      ++ran;
    });
    group.start([&](std::stop_token) {
      gate_b.wait();
      ++ran;
    });
    group.start([&](std::stop_token) {
      gate_b.wait();
      ++ran;
    });
    int seen = 0;
    EXPECT_TRUE(thread_count_becomes(before + 3, seen)) << seen << " threads";
    EXPECT_EQ(group.size(), 3U);
    EXPECT_FALSE(wait_readable(group.finished_fd().get(), Deadline(0ms)))
        << "finished_fd() readable while no thread has finished";

    gate_a.open();
    ASSERT_TRUE(wait_readable(group.finished_fd().get(), Deadline(5s)))
        << "a thread ended, but finished_fd() did not become readable";
    EXPECT_EQ(group.join_finished(), 1U);
    EXPECT_EQ(group.size(), 2U);
    EXPECT_TRUE(thread_count_becomes(before + 2, seen))
        << seen << " threads: the finished one was not joined";
    EXPECT_FALSE(wait_readable(group.finished_fd().get(), Deadline(0ms)))
        << "finished_fd() still readable after join_finished() (drain the eventfd)";

    gate_b.open();
    std::size_t joined = 0;
    EXPECT_TRUE(poll_until(Deadline(5s),
                           [&] {
                             if (wait_readable(group.finished_fd().get(), Deadline(100ms))) {
                               joined += group.join_finished();
                             }
                             return joined == 2;
                           }))
        << joined << " of 2 joined";
    EXPECT_EQ(group.size(), 0U);
    EXPECT_EQ(ran.load(), 3);
  }
  int seen = 0;
  EXPECT_TRUE(thread_count_becomes(before, seen)) << seen << " threads after the group ended";
}

SYSLAB_TEST(ThreadGroup, RequestStopReachesEveryThread, 2,
            "request_stop() asks every thread to stop: their stop tokens say so, and a thread "
            "that waits for it (here on a StopEventFd) ends; the destructor joins them all",
            "std::jthread passes its own stop token as the first argument to the function",
            "for (auto& [id, thread] : threads_) thread.request_stop();") {
  const int before = thread_count();
  std::atomic<int> stopped{0};
  {
    tmodels::ThreadGroup group;
    for (int i = 0; i < 3; ++i) {
      group.start([&stopped](std::stop_token stop) {
        const tmodels::StopEventFd wake(stop);
        pollfd entry{wake.fd().get(), POLLIN, 0};
        if (::poll(&entry, 1, 10000) == 1 && stop.stop_requested()) ++stopped;
      });
    }
    int seen = 0;
    EXPECT_TRUE(thread_count_becomes(before + 3, seen)) << seen << " threads";
    group.request_stop();
    std::size_t joined = 0;
    EXPECT_TRUE(poll_until(Deadline(5s),
                           [&] {
                             if (wait_readable(group.finished_fd().get(), Deadline(100ms))) {
                               joined += group.join_finished();
                             }
                             return joined == 3;
                           }))
        << joined << " of 3 threads ended after request_stop()";
  }
  EXPECT_EQ(stopped.load(), 3) << "a thread's poll was not woken by its stop token";
  int seen = 0;
  EXPECT_TRUE(thread_count_becomes(before, seen)) << seen << " threads after the group ended";
}
