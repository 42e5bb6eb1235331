// Lab 10 tests: select's FD_SETSIZE wall, met safely. With the soft RLIMIT_NOFILE raised (lab 03),
// an fd is duplicated to FD_SETSIZE or above (fcntl F_DUPFD): the select poller refuses it with
// FdNotWatchable before FD_SET could write past its set (ASan would see that write), and goes on
// working; the poll poller watches it like any other.
#include <fcntl.h>
#include <sys/select.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "poller.hpp"
#include "rlimits.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using mux::Interest;

namespace {

// An fd numbered FD_SETSIZE or above for the same pipe end as fd. The caller raises the soft
// limit first (the fd must be below it).
OwnedFd dup_above_fd_setsize(int fd) {
  OwnedFd high(::fcntl(fd, F_DUPFD_CLOEXEC, FD_SETSIZE));
  if (high.get() < 0)
    throw std::runtime_error("fcntl F_DUPFD_CLOEXEC " + std::to_string(FD_SETSIZE) + " failed");
  return high;
}

// Room for fds up to FD_SETSIZE + 64 for this scope (lab 03's guard puts the old limit back).
rlim::ScopedLimit room_above_fd_setsize() {
  const rlim::Limit now = rlim::get_limit(RLIMIT_NOFILE);
  const rlim_t wanted = FD_SETSIZE + 64;
  if (now.hard < wanted)
    throw std::runtime_error("the hard RLIMIT_NOFILE is below FD_SETSIZE + 64");
  return rlim::scoped_soft_limit(RLIMIT_NOFILE, std::max(now.soft, wanted));
}

}  // namespace

SYSLAB_TEST(SelectPoller, RefusesAnFdAtOrAboveFdSetsize, 3,
            "an fd_set is a bitmap of FD_SETSIZE (1024) bits: fd 1024 has no bit, and FD_SET(1024) "
            "writes past the set (man 2 select, BUGS and NOTES)",
            "check fd < FD_SETSIZE in add() before any FD_SET, and throw mux::FdNotWatchable",
            "the message names the fd and FD_SETSIZE: \"select cannot watch fd 1030: an fd_set "
            "holds fds 0 to 1023 (FD_SETSIZE is 1024) ...\"; size() does not change") {
  const rlim::ScopedLimit room = room_above_fd_setsize();
  TestPipe pipe = make_pipe();
  const OwnedFd high = dup_above_fd_setsize(pipe.read_end.get());
  const auto poller = mux::make_select_poller();
  poller->add(fdio::BorrowedFd(pipe.read_end.get()), Interest::kRead);
  try {
    poller->add(fdio::BorrowedFd(high.get()), Interest::kRead);
    FAIL() << "select poller: add(fd " << high.get() << ") did not throw FdNotWatchable";
  } catch (const mux::FdNotWatchable& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find(std::to_string(high.get())), std::string::npos) << "no fd in: " << what;
    EXPECT_NE(what.find("FD_SETSIZE"), std::string::npos) << "no FD_SETSIZE in: " << what;
  }
  EXPECT_EQ(poller->size(), 1U) << "the refused fd must not be counted as watched";
  EXPECT_THROW(poller->modify(fdio::BorrowedFd(high.get()), Interest::kRead), std::logic_error);
  // Still working, and nothing reported for the refused fd (its bit was never set).
  write_text(pipe.write_end.get(), "x");
  std::vector<mux::Ready> ready;
  poller->wait(std::chrono::milliseconds(1000), ready);
  ASSERT_EQ(ready.size(), 1U);
  EXPECT_EQ(ready[0].fd, pipe.read_end.get());
}

SYSLAB_TEST(
    PollPoller, WatchesAnFdAboveFdSetsize, 2,
    "poll(2) takes an array of pollfd: no bitmap, no FD_SETSIZE; any open fd can be watched",
    "do not copy select's check into the poll back-end",
    "the Ready for it carries the fd number itself, above 1024") {
  const rlim::ScopedLimit room = room_above_fd_setsize();
  TestPipe pipe = make_pipe();
  const OwnedFd high = dup_above_fd_setsize(pipe.read_end.get());
  const auto poller = mux::make_poll_poller();
  poller->add(fdio::BorrowedFd(high.get()), Interest::kRead);
  write_text(pipe.write_end.get(), "x");
  std::vector<mux::Ready> ready;
  poller->wait(std::chrono::milliseconds(1000), ready);
  ASSERT_EQ(ready.size(), 1U);
  EXPECT_EQ(ready[0].fd, high.get());
  EXPECT_TRUE(ready[0].readable);
  poller->remove(fdio::BorrowedFd(high.get()));
  EXPECT_EQ(poller->size(), 0U);
}
