// Lab 11 tests: the EventLoop with its eventfd and timerfd, Channel dispatch, and LoopThread.
// Every test that runs a loop sets a watchdog timer first, so that a loop that is never woken
// fails within seconds instead of hanging. The loop takes any mux::Poller: the tests of its
// wake-ups, timers, channels and threads run on epoll (suites EventLoop, LoopThread) and again on
// lab 10's poll and select (suites PollLoop, SelectLoop), through reactor::make_poller.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "channel.hpp"
#include "epoll_poller.hpp"
#include "epoll_test_util.hpp"
#include "event_loop.hpp"
#include "loop_thread.hpp"
#include "poller_choice.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace epoll_test;
using reactor::EventLoop;

namespace {

EventLoop::Task watchdog(EventLoop& loop, bool& fired) {
  return [&loop, &fired] {
    fired = true;
    loop.quit();
  };
}

pid_t this_thread_tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

int epoll_fd_of(const EventLoop& loop) {
  return dynamic_cast<const reactor::EpollPoller&>(loop.poller()).fd().get();
}

// ---- the checks, on any back-end (each test below names one) -----------------------------------

void check_queued_task_wakes_a_blocked_loop(const reactor::PollerFactory& make_poller) {
  EventLoop loop(make_poller());
  bool timed_out = false;
  (void)loop.run_after(5s, watchdog(loop, timed_out));
  const pid_t loop_tid = this_thread_tid();
  std::atomic<pid_t> ran_on = 0;
  std::thread other([&] {
    // Queue only once the loop thread sleeps in its wait: the eventfd must wake it.
    (void)poll_until(Deadline(3s), [&] { return process_state(loop_tid) == 'S'; });
    loop.queue_in_loop([&] {
      ran_on = this_thread_tid();
      loop.quit();
    });
  });
  loop.run();
  other.join();
  EXPECT_FALSE(timed_out) << "the queued task did not run within 5 s: the loop was not woken";
  EXPECT_EQ(ran_on.load(), loop_tid) << "the task must run on the loop's thread";
}

void check_quit_from_another_thread_ends_run(const reactor::PollerFactory& make_poller) {
  EventLoop loop(make_poller());
  bool timed_out = false;
  (void)loop.run_after(5s, watchdog(loop, timed_out));
  const pid_t loop_tid = this_thread_tid();
  std::thread other([&] {
    (void)poll_until(Deadline(3s), [&] { return process_state(loop_tid) == 'S'; });
    loop.quit();
  });
  loop.run();
  other.join();
  EXPECT_FALSE(timed_out) << "quit() from another thread did not end run() within 5 s";
}

void check_timers_fire_in_order(const reactor::PollerFactory& make_poller) {
  EventLoop loop(make_poller());
  bool timed_out = false;
  (void)loop.run_after(5s, watchdog(loop, timed_out));
  std::vector<std::string> fired;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration last_at{};
  const auto record = [&](std::string name) {
    return [&, name] {
      fired.push_back(name);
      last_at = std::chrono::steady_clock::now() - start;
    };
  };
  (void)loop.run_after(60ms, record("60ms"));
  (void)loop.run_after(20ms, record("20ms"));
  const reactor::TimerId cancelled = loop.run_after(40ms, record("40ms, cancelled"));
  (void)loop.run_after(40ms, record("40ms"));
  const reactor::TimerId cancelled_by_callback = loop.run_after(50ms, record("50ms, cancelled"));
  (void)loop.run_after(45ms, [&] { loop.cancel(cancelled_by_callback); });
  (void)loop.run_after(80ms, [&] {
    record("80ms")();
    loop.quit();
  });
  loop.cancel(cancelled);
  loop.run();
  EXPECT_FALSE(timed_out) << "the timers did not fire within 5 s";
  EXPECT_EQ(fired, (std::vector<std::string>{"20ms", "40ms", "60ms", "80ms"}));
  EXPECT_GE(last_at, 80ms) << "a timer fired before its time";
}

void check_channel_calls_back(const reactor::PollerFactory& make_poller) {
  const SocketPair pair = make_socket_pair();
  EventLoop loop(make_poller());
  bool timed_out = false;
  (void)loop.run_after(5s, watchdog(loop, timed_out));
  reactor::Channel channel(loop, fdio::BorrowedFd(pair.b.get()));
  std::string got;
  int writable_calls = 0;
  channel.on_readable([&] {
    got += drain(pair.b.get());
    if (got == "hello") loop.quit();
  });
  channel.on_writable([&] {
    ++writable_calls;
    channel.disable_writing();
    put(pair.a.get(), "hello");
  });
  channel.enable_reading();
  channel.enable_writing();
  loop.run();
  EXPECT_FALSE(timed_out) << "the channel's callbacks did not run within 5 s";
  EXPECT_EQ(got, "hello");
  EXPECT_EQ(writable_calls, 1);
  channel.remove();
  EXPECT_EQ(loop.poller().size(), 2U) << "only the eventfd and the timerfd are left";
}

void check_loop_thread(const reactor::PollerFactory& make_poller) {
  const auto thread_count = [] { return own_threads(); };
  const int before = thread_count();
  {
    reactor::LoopThread loop_thread(make_poller);
    EXPECT_EQ(thread_count(), before + 1);
    std::promise<pid_t> ran_on;
    loop_thread.loop().run_in_loop([&] { ran_on.set_value(this_thread_tid()); });
    auto result = ran_on.get_future();
    ASSERT_EQ(result.wait_for(5s), std::future_status::ready) << "the task did not run in 5 s";
    EXPECT_NE(result.get(), this_thread_tid()) << "the task ran on the caller's thread";
  }
  EXPECT_TRUE(poll_until(Deadline(2s), [&] { return thread_count() == before; }))
      << "the loop's thread is still there after the LoopThread was destroyed";
}

}  // namespace

SYSLAB_TEST(EventLoop, HasAnEventfdAndATimerfdInItsEpollSet, 2,
            "a loop makes three fds of its own: the epoll fd, an eventfd (wake-ups) and a timerfd "
            "(timers), all close-on-exec, the last two watched by the first",
            "eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK "
            "| TFD_CLOEXEC); each gets a Channel with enable_reading()",
            "/proc/self/fdinfo/EPFD lists one tfd line per watched fd: EpollPoller::add must "
            "really call epoll_ctl(EPOLL_CTL_ADD)") {
  const auto before = open_fds();
  const EventLoop loop(reactor::make_epoll_poller());
  std::map<std::string, int> made;
  for (const auto& [fd, target] : open_fds()) {
    if (before.contains(fd)) continue;
    made[target] = fd;
    EXPECT_NE(kernel_flags(fd) & O_CLOEXEC, 0) << target << " is not close-on-exec";
  }
  ASSERT_EQ(made.size(), 3U) << "expected an eventpoll, an eventfd and a timerfd";
  ASSERT_TRUE(made.contains("anon_inode:[eventfd]"));
  ASSERT_TRUE(made.contains("anon_inode:[timerfd]"));
  ASSERT_EQ(made["anon_inode:[eventpoll]"], epoll_fd_of(loop));
  std::vector<int> watched;
  for (const WatchedFd& w : epoll_watch_list(epoll_fd_of(loop))) watched.push_back(w.fd);
  EXPECT_EQ(watched.size(), 2U);
  EXPECT_NE(std::find(watched.begin(), watched.end(), made["anon_inode:[eventfd]"]), watched.end());
  EXPECT_NE(std::find(watched.begin(), watched.end(), made["anon_inode:[timerfd]"]), watched.end());
}

SYSLAB_TEST(EventLoop, QueueInLoopFromAnotherThreadWakesABlockedLoop, 3,
            "a loop blocked in epoll_wait with no timeout sees a queued task only if something "
            "makes the wait return: write 1 to its eventfd",
            "queue_in_loop: push under the mutex, then wake_up() when called from another thread; "
            "the eventfd's Channel reads the counter back to 0 (else level-triggered it spins)",
            "run(): while (!quit_) { dispatch(); run_queued_tasks(); }; the task runs on the loop "
            "thread, not on the caller's") {
  check_queued_task_wakes_a_blocked_loop([] { return reactor::make_epoll_poller(); });
}

SYSLAB_TEST(EventLoop, QuitFromAnotherThreadEndsRun, 2,
            "quit() from another thread sets an atomic flag and wakes the loop",
            "a flag alone is not enough: the loop is blocked in epoll_wait and never looks at it",
            "quit(): quit_ = true; if (!in_loop_thread()) wake_up();") {
  check_quit_from_another_thread_ends_run([] { return reactor::make_epoll_poller(); });
}

SYSLAB_TEST(EventLoop, TaskQueuedBeforeRunRunsAtOnce, 2,
            "run() runs what was queued before it started, before its first wait",
            "on the loop's own thread queue_in_loop does not wake the loop: nothing would make "
            "the first wait return for a task queued before run()",
            "call run_queued_tasks() once before the loop's first dispatch()") {
  EventLoop loop(reactor::make_epoll_poller());
  bool timed_out = false;
  (void)loop.run_after(5s, watchdog(loop, timed_out));
  bool ran = false;
  loop.queue_in_loop([&] {
    ran = true;
    loop.quit();
  });
  loop.run();
  EXPECT_TRUE(ran);
  EXPECT_FALSE(timed_out) << "a task queued before run() waited for the 5 s watchdog timer";
}

SYSLAB_TEST(EventLoop, TimersFireInOrderAndCanBeCancelled, 3,
            "one timerfd, armed for the earliest timer; when it is readable, every timer due "
            "runs in order of deadline, and the timerfd is armed for the next",
            "timerfd_settime with a zero it_value disarms: a deadline already passed must become "
            "1 ns, not 0; read the timerfd's 8-byte count or it stays readable",
            "cancel erases the timer; decide which timers are due first, then run those still "
            "there (a callback may cancel a later one)") {
  check_timers_fire_in_order([] { return reactor::make_epoll_poller(); });
}

SYSLAB_TEST(EventLoop, LoopStateIsTouchedOnItsOwnThreadOnly, 2,
            "a loop's timers and channels belong to the thread that made it: another thread "
            "that touches them is a data race, which the loop turns into std::logic_error",
            "run_after, cancel, update_channel, remove_channel and run call "
            "assert_in_loop_thread first",
            "other threads use queue_in_loop or run_in_loop, which go through the mutex") {
  EventLoop loop(reactor::make_epoll_poller());
  std::thread other([&] {
    EXPECT_THROW((void)loop.run_after(1ms, [] {}), std::logic_error);
    EXPECT_THROW(loop.run(), std::logic_error);
    EXPECT_FALSE(loop.in_loop_thread());
  });
  other.join();
  EXPECT_TRUE(loop.in_loop_thread());
  bool ran = false;
  loop.run_in_loop([&] { ran = true; });
  EXPECT_TRUE(ran) << "run_in_loop on the loop's thread runs the task at once";
}

SYSLAB_TEST(EventLoop, ChannelCallsBackWhenItsFdIsReady, 3,
            "dispatch(): one wait, then for each ready fd the Channel registered for it; the "
            "Channel calls on_readable / on_writable for what it watches",
            "EventLoop keeps a table fd -> Channel* (update_channel fills it, remove_channel "
            "empties the slot); Channel::handle_event checks is_reading()/is_writing()",
            "a hangup or error goes to the watched callback: the next read or write tells which") {
  check_channel_calls_back([] { return reactor::make_epoll_poller(reactor::Trigger::kEdge); });
}

SYSLAB_TEST(LoopThread, RunsItsLoopOnItsOwnThreadAndJoinsIt, 2,
            "LoopThread makes its EventLoop on the new thread (the loop belongs to the thread "
            "that made it) and hands its address over under a mutex",
            "the constructor waits on a condition variable until the thread has published the "
            "loop; the destructor quits the loop and joins",
            "loop().run_in_loop(task) from the test thread must run task on the loop thread") {
  check_loop_thread([] { return reactor::make_epoll_poller(); });
}

// ---- the same loop on lab 10's back-ends --------------------------------------------------------

namespace {

reactor::PollerFactory backend(std::string name) {
  return [name] { return reactor::make_poller(name); };
}

// A loop on a back-end that is not epoll has its eventfd and timerfd, and no epoll fd at all;
// and it runs: its timerfd, watched by that poller, ends the first wait.
void check_loop_fds_without_epoll(const std::string& name) {
  const auto before = open_fds();
  EventLoop loop(reactor::make_poller(name));
  std::vector<std::string> made;
  for (const auto& [fd, target] : open_fds()) {
    if (!before.contains(fd)) made.push_back(target);
  }
  std::sort(made.begin(), made.end());
  EXPECT_EQ(made, (std::vector<std::string>{"anon_inode:[eventfd]", "anon_inode:[timerfd]"}))
      << "a loop on " << name << " makes an eventfd and a timerfd, and no anon_inode:[eventpoll]";
  EXPECT_EQ(loop.poller().name(), name);
  EXPECT_EQ(loop.poller().size(), 2U) << "the poller watches the eventfd and the timerfd";
  bool timed_out = false;
  (void)loop.run_after(5s, watchdog(loop, timed_out));
  bool fired = false;
  (void)loop.run_after(1ms, [&] {
    fired = true;
    loop.quit();
  });
  loop.run();
  EXPECT_TRUE(fired && !timed_out) << "a 1 ms timer did not end run() within 5 s on " << name;
}

}  // namespace

// The reactor's tests on one back-end: Suite is PollLoop or SelectLoop, name "poll" or "select".
#define LOOP_BACKEND_TESTS(Suite, name)                                                            \
  SYSLAB_TEST(Suite, RunsWithAnEventfdAndATimerfdButNoEpollFd, 1,                                  \
              "EventLoop takes any mux::Poller: on " name                                          \
              " it makes its eventfd and timerfd, "                                                \
              "the poller (not epoll_create1) watches them, and run() waits on it",                \
              "the loop must not make an epoll fd itself: everything goes through poller_",        \
              "update_channel calls poller_->add the first time, poller_->modify after") {         \
    check_loop_fds_without_epoll(name);                                                            \
  }                                                                                                \
  SYSLAB_TEST(Suite, QueueInLoopFromAnotherThreadWakesABlockedLoop, 1,                             \
              "a loop blocked in " name                                                            \
              "(2) wakes for a queued task: the eventfd is one of its "                            \
              "watched fds like any other",                                                        \
              "queue_in_loop writes 1 to the eventfd from the other thread",                       \
              "the eventfd's Channel reads the count back to 0: level-triggered, it would spin") { \
    check_queued_task_wakes_a_blocked_loop(backend(name));                                         \
  }                                                                                                \
  SYSLAB_TEST(Suite, QuitFromAnotherThreadEndsRun, 1,                                              \
              "quit() from another thread wakes a loop blocked in " name "(2)",                    \
              "a flag alone is not enough: the loop never looks at it while it waits",             \
              "quit(): quit_ = true; if (!in_loop_thread()) wake_up();") {                         \
    check_quit_from_another_thread_ends_run(backend(name));                                        \
  }                                                                                                \
  SYSLAB_TEST(Suite, TimersFireInOrderAndCanBeCancelled, 1,                                        \
              "the timerfd is a watched fd on " name " too: timers need nothing epoll has",        \
              "read the timerfd's 8-byte count, or level-triggered it stays readable",             \
              "run every due timer in deadline order, then arm the timerfd for the next") {        \
    check_timers_fire_in_order(backend(name));                                                     \
  }                                                                                                \
  SYSLAB_TEST(Suite, ChannelCallsBackWhenItsFdIsReady, 1,                                          \
              "a Channel on " name ": its interest goes to the poller, its Ready back to it",      \
              "Channel::handle_event reads mux::Ready: readable, writable, hangup_or_error",       \
              "disable_writing() must reach the poller (modify), or " name " reports it again") {  \
    check_channel_calls_back(backend(name));                                                       \
  }                                                                                                \
  SYSLAB_TEST(Suite, LoopThreadRunsItsLoopOnItsOwnThread, 1,                                       \
              "a LoopThread makes its loop (and its " name " poller) on its own thread",           \
              "the PollerFactory is called on the new thread, inside body()",                      \
              "the constructor waits until the thread has published the loop") {                   \
    check_loop_thread(backend(name));                                                              \
  }                                                                                                \
  static_assert(true, "a semicolon after the macro")

LOOP_BACKEND_TESTS(PollLoop, "poll");
LOOP_BACKEND_TESTS(SelectLoop, "select");
