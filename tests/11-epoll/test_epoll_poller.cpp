// Lab 11 tests: EpollPoller through lab 10's Poller interface, and what the kernel says about it
// (/proc/self/fd, /proc/self/fdinfo). Level against edge triggering, with data arriving in pieces.
#include <fcntl.h>
#include <sys/epoll.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "epoll_poller.hpp"
#include "epoll_test_util.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace epoll_test;
using mux::Interest;
using reactor::EpollPoller;
using reactor::Trigger;

namespace {

// One wait; the reports for fd (at most one).
std::vector<mux::Ready> wait_for(mux::Poller& poller, std::chrono::milliseconds timeout) {
  std::vector<mux::Ready> ready{{-7, true, true, true}};  // wait must replace, not append
  poller.wait(timeout, ready);
  return ready;
}

bool reports(const std::vector<mux::Ready>& ready, int fd, bool readable, bool writable) {
  for (const mux::Ready& r : ready) {
    if (r.fd == fd) return r.readable == readable && r.writable == writable;
  }
  return false;
}

}  // namespace

SYSLAB_TEST(
    EpollPoller, IsACloseOnExecEpollFd, 2,
    "epoll_create1(2) makes the instance; the kernel shows it as anon_inode:[eventpoll]",
    "EPOLL_CLOEXEC in the same call: no window in which an exec could inherit it",
    "epoll_fd_.reset(::epoll_create1(EPOLL_CLOEXEC)); throw_errno(\"epoll_create1\") on -1") {
  const EpollPoller poller(Trigger::kLevel);
  const int fd = poller.fd().get();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(open_fds()[fd], "anon_inode:[eventpoll]");
  EXPECT_NE(kernel_flags(fd) & O_CLOEXEC, 0) << "the epoll fd is not close-on-exec";
  EXPECT_EQ(poller.name(), "epoll");
  EXPECT_EQ(poller.size(), 0U);
}

SYSLAB_TEST(EpollPoller, ReportsReadableAndWritable, 3,
            "add(fd, interest) is epoll_ctl(EPOLL_CTL_ADD) with EPOLLIN / EPOLLOUT; wait is "
            "epoll_wait, and each epoll_event becomes one mux::Ready",
            "event.data.fd = fd on the way in, ready.fd = event.data.fd on the way out; "
            "readable from EPOLLIN, writable from EPOLLOUT; wait replaces the vector's contents",
            "a timeout of 0 ms must return at once: pass timeout->count() to epoll_wait, -1 for "
            "nullopt") {
  const SocketPair pair = make_socket_pair();
  EpollPoller poller(Trigger::kLevel);
  poller.add(fdio::BorrowedFd(pair.b.get()), Interest::kRead);
  EXPECT_EQ(poller.size(), 1U);
  EXPECT_TRUE(wait_for(poller, 0ms).empty()) << "nothing was written: nothing is readable";
  put(pair.a.get(), "ping");
  const auto ready = wait_for(poller, 1000ms);
  ASSERT_EQ(ready.size(), 1U);
  EXPECT_TRUE(reports(ready, pair.b.get(), true, false)) << "b should be readable only";
  EXPECT_FALSE(ready[0].hangup_or_error);

  poller.add(fdio::BorrowedFd(pair.a.get()), Interest::kWrite);
  EXPECT_TRUE(reports(wait_for(poller, 1000ms), pair.a.get(), false, true))
      << "a has room in its buffer: writable";
  const auto watched = epoll_watch_list(poller.fd().get());
  EXPECT_EQ(watched.size(), 2U) << "/proc/self/fdinfo of the epoll fd should list 2 tfd lines";
}

SYSLAB_TEST(EpollPoller, WaitTimesOutWithNothingReady, 1,
            "epoll_wait's last argument is the timeout in milliseconds",
            "after a timeout, `ready` is empty (clear it first)",
            "int ms = timeout ? timeout->count() : -1") {
  const SocketPair pair = make_socket_pair();
  EpollPoller poller(Trigger::kEdge);
  poller.add(fdio::BorrowedFd(pair.b.get()), Interest::kRead);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_for(poller, 100ms).empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 90ms) << "the wait returned too early";
}

SYSLAB_TEST(EpollPoller, ModifyAndRemoveChangeWhatIsReported, 3,
            "modify is EPOLL_CTL_MOD, remove is EPOLL_CTL_DEL; the kernel's list in "
            "/proc/self/fdinfo/EPFD follows",
            "epoll reports EPOLLHUP and EPOLLERR whatever you ask for: for kNone, take the fd out "
            "of the kernel's set (DEL) but keep it watched in your own table; ADD it back later",
            "add on a watched fd and modify/remove on an unknown one throw std::logic_error") {
  SocketPair pair = make_socket_pair();
  EpollPoller poller(Trigger::kLevel);
  const fdio::BorrowedFd b(pair.b.get());
  poller.add(b, Interest::kRead);
  EXPECT_THROW(poller.add(b, Interest::kRead), std::logic_error);
  put(pair.a.get(), "data");
  poller.modify(b, Interest::kWrite);
  EXPECT_TRUE(reports(wait_for(poller, 1000ms), pair.b.get(), false, true))
      << "after modify(kWrite): writable, and readable no longer reported";
  poller.modify(b, Interest::kNone);
  pair.a.reset();  // a hangup: epoll would report EPOLLHUP even for an empty event mask
  EXPECT_TRUE(wait_for(poller, 50ms).empty()) << "kNone: nothing at all, not even a hangup";
  EXPECT_EQ(poller.size(), 1U) << "a kNone fd is still watched";
  EXPECT_TRUE(epoll_watch_list(poller.fd().get()).empty()) << "kNone: out of the kernel's set";
  poller.modify(b, Interest::kRead);
  EXPECT_FALSE(wait_for(poller, 1000ms).empty()) << "back to kRead: data and EOF are there";
  poller.remove(b);
  EXPECT_EQ(poller.size(), 0U);
  EXPECT_TRUE(wait_for(poller, 50ms).empty()) << "removed: nothing reported";
  EXPECT_THROW(poller.remove(b), std::logic_error);
  EXPECT_THROW(poller.modify(b, Interest::kRead), std::logic_error);
}

SYSLAB_TEST(EpollPoller, LevelTriggeredReportsAgainWhileDataRemains, 2,
            "level-triggered (no EPOLLET): every wait reports the fd while it is readable",
            "read part of the data: the next wait reports the fd again",
            "no EPOLLET in the event mask for Trigger::kLevel") {
  const SocketPair pair = make_socket_pair();
  EpollPoller poller(Trigger::kLevel);
  poller.add(fdio::BorrowedFd(pair.b.get()), Interest::kRead);
  put(pair.a.get(), "0123456789");
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(reports(wait_for(poller, 1000ms), pair.b.get(), true, false))
        << "wait " << i << ": data remains, a level-triggered wait must report it";
    EXPECT_EQ(read_some(pair.b.get(), 2).size(), 2U);
  }
  EXPECT_EQ(drain(pair.b.get()), "6789");
  EXPECT_TRUE(wait_for(poller, 0ms).empty()) << "all read: nothing to report";
  const auto watched = epoll_watch_list(poller.fd().get());
  ASSERT_EQ(watched.size(), 1U);
  EXPECT_EQ(watched[0].events & EPOLLET, 0U) << "level-triggered: no EPOLLET in the kernel's mask";
}

SYSLAB_TEST(EpollPoller, EdgeTriggeredReportsOncePerArrival, 3,
            "edge-triggered (EPOLLET): a wait reports the fd when new data arrives, once; data "
            "left unread is not reported again until more arrives",
            "EPOLLET goes into the event mask of every epoll_ctl for Trigger::kEdge; the kernel "
            "shows it in /proc/self/fdinfo/EPFD (0x80000000)",
            "writable is an edge too: reported once, and again only after the buffer was full "
            "(EAGAIN) and the peer made room") {
  const SocketPair pair = make_socket_pair();
  EpollPoller poller(Trigger::kEdge);
  poller.add(fdio::BorrowedFd(pair.b.get()), Interest::kRead);
  const auto watched = epoll_watch_list(poller.fd().get());
  ASSERT_EQ(watched.size(), 1U);
  EXPECT_NE(watched[0].events & EPOLLET, 0U) << "edge-triggered: EPOLLET in the kernel's mask";

  put(pair.a.get(), "first piece;");
  EXPECT_TRUE(reports(wait_for(poller, 1000ms), pair.b.get(), true, false)) << "new data: an edge";
  EXPECT_EQ(read_some(pair.b.get(), 5), "first");  // only part of it
  EXPECT_TRUE(wait_for(poller, 50ms).empty())
      << "edge-triggered: data remains, but no new data came: no report (a reader that does not "
         "read until EAGAIN waits forever here)";
  put(pair.a.get(), "second piece");
  EXPECT_TRUE(reports(wait_for(poller, 1000ms), pair.b.get(), true, false))
      << "a new arrival is a new edge";
  EXPECT_EQ(drain(pair.b.get()), " piece;second piece");

  // Writable: once, then again only after EAGAIN and room made by the peer.
  poller.modify(fdio::BorrowedFd(pair.b.get()), Interest::kWrite);
  EXPECT_TRUE(reports(wait_for(poller, 1000ms), pair.b.get(), false, true));
  EXPECT_TRUE(wait_for(poller, 50ms).empty()) << "still writable, but no change: no report";
  const std::string block(65536, 'x');
  while (::write(pair.b.get(), block.data(), block.size()) > 0) {
  }
  EXPECT_TRUE(wait_for(poller, 50ms).empty()) << "full: not writable";
  (void)drain(pair.a.get());
  EXPECT_TRUE(reports(wait_for(poller, 1000ms), pair.b.get(), false, true))
      << "the peer read: room again, a new edge";
}

SYSLAB_TEST(EpollPoller, EdgeTriggeredReaderThatReadsUntilEagainGetsEverything, 3,
            "data arrives in pieces; an edge-triggered reader must read until read(2) says EAGAIN "
            "at every report, or what is left waits for an edge that may never come",
            "one report may stand for several pieces: the kernel does not queue one event per "
            "write",
            "for (;;) { n = read(...); if (n < 0 && errno == EAGAIN) break; ... }") {
  const SocketPair pair = make_socket_pair();
  EpollPoller poller(Trigger::kEdge);
  poller.add(fdio::BorrowedFd(pair.b.get()), Interest::kRead);
  std::string sent, got;
  int reports_seen = 0;
  for (int piece = 0; piece < 20; ++piece) {
    const std::string bytes(static_cast<std::size_t>(100 + piece * 997),
                            static_cast<char>('a' + piece));
    put(pair.a.get(), bytes);
    sent += bytes;
    if (piece % 3 == 2) continue;  // some pieces pile up before the reader looks
    const auto ready = wait_for(poller, 1000ms);
    ASSERT_TRUE(reports(ready, pair.b.get(), true, false)) << "piece " << piece << ": no edge";
    ++reports_seen;
    got += drain(pair.b.get());  // until EAGAIN
    EXPECT_EQ(got.size(), sent.size()) << "piece " << piece << ": after reading until EAGAIN";
  }
  EXPECT_EQ(got, sent);
  EXPECT_LT(reports_seen, 20) << "pieces that piled up came with one report";
}
