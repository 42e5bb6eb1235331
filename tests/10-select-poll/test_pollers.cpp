// Lab 10 tests: the Poller contract, the same tests on both back-ends (SelectPoller.* and
// PollPoller.*): readiness of pipes for reading and writing, level-triggered reports, modify,
// remove (poll's swap with the last), timeouts, hang-ups and EINTR, and make_poller by name.
#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "poller.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using mux::Interest;
using mux::Ready;

namespace {

fdio::BorrowedFd borrow(const OwnedFd& fd) { return fdio::BorrowedFd(fd.get()); }

// What one wait reported for fd, or nullptr when it did not report fd.
const Ready* find(const std::vector<Ready>& ready, int fd) {
  const auto it =
      std::find_if(ready.begin(), ready.end(), [&](const Ready& r) { return r.fd == fd; });
  return it == ready.end() ? nullptr : &*it;
}

// Waits once with a timeout of `ms` and returns what was reported.
std::vector<Ready> wait_for(mux::Poller& poller, int ms) {
  std::vector<Ready> ready{Ready{12345, true, true, true}};  // must be replaced, not appended to
  poller.wait(std::chrono::milliseconds(ms), ready);
  return ready;
}

// Writes into a non-blocking pipe until it is full.
void fill(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  ASSERT_EQ(::fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
  const std::string chunk(65536, 'x');
  while (::write(fd, chunk.data(), chunk.size()) > 0) {
  }
  ASSERT_EQ(errno, EAGAIN);
}

// Reads everything a non-blocking read end holds now.
void drain(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  ASSERT_EQ(::fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
  char buffer[65536];
  while (::read(fd, buffer, sizeof buffer) > 0) {
  }
}

std::unique_ptr<mux::Poller> select_poller() { return mux::make_select_poller(); }
std::unique_ptr<mux::Poller> poll_poller() { return mux::make_poll_poller(); }

}  // namespace

// One contract, two back-ends: POLLER_TEST(Name, points, hints...) { body using `poller` }
// defines SelectPoller.Name and PollPoller.Name, each running the body on its back-end.
// clang-format off
#define POLLER_TEST(name, points, ...)                                                 \
  static void name##_body(mux::Poller& poller);                                        \
  SYSLAB_TEST(SelectPoller, name, points, __VA_ARGS__) { name##_body(*select_poller()); } \
  SYSLAB_TEST(PollPoller, name, points, __VA_ARGS__) { name##_body(*poll_poller()); }     \
  static void name##_body(mux::Poller& poller)
// clang-format on

POLLER_TEST(
    ReportsReadableAfterAWrite, 2,
    "add() remembers the fd and its interest; wait() reports every watched fd that is ready",
    "select: FD_SET in a copy of the read set, nfds = highest fd + 1, FD_ISSET after; "
    "poll: a pollfd with POLLIN, then look at revents",
    "wait() must clear `ready` first: it replaces the list, it does not append") {
  TestPipe quiet = make_pipe();
  TestPipe busy = make_pipe();
  poller.add(borrow(quiet.read_end), Interest::kRead);
  poller.add(borrow(busy.read_end), Interest::kRead);
  EXPECT_EQ(poller.size(), 2U);
  EXPECT_TRUE(wait_for(poller, 0).empty()) << "nothing was written yet";
  write_text(busy.write_end.get(), "x");
  const std::vector<Ready> ready = wait_for(poller, 1000);
  ASSERT_EQ(ready.size(), 1U) << "exactly the pipe written to";
  EXPECT_EQ(ready[0].fd, busy.read_end.get());
  EXPECT_TRUE(ready[0].readable);
  EXPECT_FALSE(ready[0].writable);
  // Level-triggered: the byte is still there, so the next wait reports it again.
  const std::vector<Ready> again = wait_for(poller, 0);
  ASSERT_NE(find(again, busy.read_end.get()), nullptr) << "unread data must be reported again";
}

POLLER_TEST(
    ReportsWritableUntilFull, 2, "kWrite: a pipe's write end is writable while it has room",
    "select: the write set; poll: POLLOUT in events",
    "a full pipe is not writable: wait(0) reports nothing for it until a reader drains it") {
  TestPipe pipe = make_pipe();
  poller.add(borrow(pipe.write_end), Interest::kWrite);
  std::vector<Ready> ready = wait_for(poller, 1000);
  ASSERT_EQ(ready.size(), 1U);
  EXPECT_EQ(ready[0].fd, pipe.write_end.get());
  EXPECT_TRUE(ready[0].writable);
  EXPECT_FALSE(ready[0].readable);
  fill(pipe.write_end.get());
  EXPECT_TRUE(wait_for(poller, 0).empty()) << "a full pipe was reported writable";
  drain(pipe.read_end.get());
  ready = wait_for(poller, 1000);
  ASSERT_EQ(ready.size(), 1U) << "writable again once drained";
  EXPECT_TRUE(ready[0].writable);
}

POLLER_TEST(ModifyChangesWhatIsReported, 2,
            "modify() replaces the interest of a watched fd; kNone keeps it but reports nothing",
            "select: set or clear the fd's bit in each set; poll: change events (and for kNone "
            "hide the fd from the kernel: a negative fd is skipped)",
            "modify of an fd that is not watched is a std::logic_error, as add of one that is") {
  TestPipe pipe = make_pipe();
  write_text(pipe.write_end.get(), "x");
  poller.add(borrow(pipe.read_end), Interest::kRead);
  EXPECT_THROW(poller.add(borrow(pipe.read_end), Interest::kRead), std::logic_error);
  ASSERT_NE(find(wait_for(poller, 1000), pipe.read_end.get()), nullptr);
  poller.modify(borrow(pipe.read_end), Interest::kNone);
  EXPECT_TRUE(wait_for(poller, 0).empty()) << "kNone: nothing may be reported";
  EXPECT_EQ(poller.size(), 1U) << "kNone still watches the fd";
  poller.modify(borrow(pipe.read_end), Interest::kRead | Interest::kWrite);
  const std::vector<Ready> after = wait_for(poller, 1000);
  const Ready* ready = find(after, pipe.read_end.get());
  ASSERT_NE(ready, nullptr);
  EXPECT_TRUE(ready->readable);
  EXPECT_THROW(poller.modify(borrow(pipe.write_end), Interest::kRead), std::logic_error);
}

POLLER_TEST(RemoveStopsReportsAndKeepsTheOthers, 2,
            "remove() forgets one fd; the others stay watched exactly as they were",
            "poll: move the last pollfd into the removed one's place and update its index",
            "after a swap the moved fd's index must point at its new place: remove it next and "
            "see") {
  std::vector<TestPipe> pipes;
  for (int i = 0; i < 4; ++i) pipes.push_back(make_pipe());
  for (const TestPipe& p : pipes) poller.add(borrow(p.read_end), Interest::kRead);
  for (const TestPipe& p : pipes) write_text(p.write_end.get(), "x");
  poller.remove(borrow(pipes[0].read_end));  // the last one moves into its place
  poller.remove(borrow(pipes[3].read_end));  // the one that moved
  EXPECT_EQ(poller.size(), 2U);
  EXPECT_THROW(poller.remove(borrow(pipes[0].read_end)), std::logic_error);
  std::vector<Ready> ready = wait_for(poller, 1000);
  std::vector<int> fds;
  for (const Ready& r : ready) fds.push_back(r.fd);
  std::sort(fds.begin(), fds.end());
  EXPECT_EQ(fds, (std::vector<int>{pipes[1].read_end.get(), pipes[2].read_end.get()}));
  poller.add(borrow(pipes[0].read_end), Interest::kRead);  // watched again after a remove
  EXPECT_NE(find(wait_for(poller, 1000), pipes[0].read_end.get()), nullptr);
}

POLLER_TEST(TimeoutReturnsEmptyInTime, 1,
            "wait(timeout) with nothing ready returns an empty list when the timeout passes",
            "select: a timeval of seconds and microseconds; poll: milliseconds, -1 for no timeout",
            "wait(0) must not block at all") {
  TestPipe pipe = make_pipe();
  poller.add(borrow(pipe.read_end), Interest::kRead);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_for(poller, 0).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "wait(0) blocked";
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_for(poller, 100).empty());
  const auto waited = std::chrono::steady_clock::now() - before;
  EXPECT_GE(waited, 90ms) << "returned before the timeout with nothing ready";
  EXPECT_LT(waited, 3s) << "the timeout was not honoured";
}

POLLER_TEST(ReportsAHangUp, 1, "a pipe whose writer closed is ready: a read returns EOF at once",
            "select reports it readable; poll says POLLHUP: hangup_or_error",
            "map POLLHUP and POLLERR to hangup_or_error, POLLIN to readable") {
  TestPipe pipe = make_pipe();
  poller.add(borrow(pipe.read_end), Interest::kRead);
  pipe.write_end.reset();
  const std::vector<Ready> ready = wait_for(poller, 1000);
  const Ready* r = find(ready, pipe.read_end.get());
  ASSERT_NE(r, nullptr) << "the hang-up was not reported";
  EXPECT_TRUE(r->readable || r->hangup_or_error);
  char byte = 0;
  EXPECT_EQ(::read(pipe.read_end.get(), &byte, 1), 0) << "a read must see EOF";
}

namespace {
volatile sig_atomic_t alarms = 0;
void count_alarm(int) { alarms = alarms + 1; }
}  // namespace

POLLER_TEST(InterruptedBySignalReturnsEmpty, 1,
            "a signal during the wait (EINTR) is not an error: wait() returns an empty list",
            "select and poll fail with EINTR when a handler runs, whatever SA_RESTART says",
            "if errno == EINTR: clear ready and return; throw only for other errors") {
  TestPipe pipe = make_pipe();
  poller.add(borrow(pipe.read_end), Interest::kRead);
  struct sigaction action {};
  action.sa_handler = count_alarm;  // no SA_RESTART; select and poll are never restarted anyway
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGALRM, &action, &previous), 0);
  alarms = 0;
  const itimerval every_20ms{{0, 20000}, {0, 20000}};  // again and again: one lands in the wait
  ASSERT_EQ(::setitimer(ITIMER_REAL, &every_20ms, nullptr), 0);
  const auto start = std::chrono::steady_clock::now();
  std::vector<Ready> ready{Ready{12345, true, true, true}};
  std::string error;
  try {
    poller.wait(std::chrono::milliseconds(5000), ready);
  } catch (const std::exception& e) {
    error = e.what();
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  const itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &previous, nullptr);
  ASSERT_EQ(error, "") << "EINTR was thrown as an error";
  EXPECT_GT(alarms, 0);
  EXPECT_TRUE(ready.empty()) << "after EINTR the list must be empty";
  EXPECT_LT(waited, 3s) << "wait() went on waiting after EINTR";
}

SYSLAB_TEST(MakePoller, ChoosesTheBackEndByName, 1,
            "make_poller(\"select\") and make_poller(\"poll\") make those back-ends",
            "each back-end's name() says what it is",
            "any other name: std::invalid_argument whose message names both choices") {
  EXPECT_EQ(mux::make_poller("select")->name(), "select");
  EXPECT_EQ(mux::make_poller("poll")->name(), "poll");
  EXPECT_EQ(mux::make_select_poller()->size(), 0U);
  try {
    (void)mux::make_poller("epol");
    ADD_FAILURE() << "make_poller(\"epol\") did not throw";
  } catch (const std::invalid_argument& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("select"), std::string::npos) << what;
    EXPECT_NE(what.find("poll"), std::string::npos) << what;
  }
}
