// Lab 10: select(2) behind the Poller contract. Every wait copies the sets, passes nfds = the
// highest fd + 1, and scans the answer: O(highest fd) per call, however few fds are ready.
#include "select_poller.hpp"

#include <sys/time.h>

#include <cerrno>
#include <stdexcept>
#include <string>

#include "syslab/error.hpp"

namespace mux {

namespace {

// BEGIN SOLUTION
// "fd 7": how the errors below name a descriptor.
std::string describe(int fd) { return "fd " + std::to_string(fd); }

// A timeval for select(2): nullopt waits for ever (a null pointer), a negative timeout is 0.
timeval to_timeval(std::chrono::milliseconds timeout) {
  const long long ms = timeout.count() < 0 ? 0 : timeout.count();
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}
// END SOLUTION

}  // namespace

SelectPoller::SelectPoller() noexcept {
  FD_ZERO(&read_set_);
  FD_ZERO(&write_set_);
}

// [slide:select_add]
void SelectPoller::add(fdio::BorrowedFd fd, Interest interest) {
  // BEGIN SOLUTION: refuse fd < 0 or >= FD_SETSIZE (FdNotWatchable naming both) before any FD_SET; logic_error when watched already; then set its bits
  // The wall: FD_SET(1024, &set) would write one bit past the 128-byte set. Refuse it first.
  if (fd.get() < 0 || fd.get() >= FD_SETSIZE) {
    throw FdNotWatchable("select cannot watch " + describe(fd.get()) +
                         ": an fd_set holds fds 0 to " + std::to_string(FD_SETSIZE - 1) +
                         " (FD_SETSIZE is " + std::to_string(FD_SETSIZE) + "); poll or epoll can");
  }
  if (!watched_.emplace(fd.get(), interest).second) {
    throw std::logic_error("select: " + describe(fd.get()) + " is watched already");
  }
  set_bits(fd.get(), interest);
  // END SOLUTION
}
// [/slide]

void SelectPoller::modify(fdio::BorrowedFd fd, Interest interest) {
  // BEGIN SOLUTION: std::logic_error when fd is not watched; else remember the new interest and set its bits
  const auto it = watched_.find(fd.get());
  if (it == watched_.end()) {
    throw std::logic_error("select: modify " + describe(fd.get()) + ", which is not watched");
  }
  it->second = interest;
  set_bits(fd.get(), interest);
  // END SOLUTION
}

void SelectPoller::remove(fdio::BorrowedFd fd) {
  // BEGIN SOLUTION: std::logic_error when fd is not watched; else clear its bits and forget it
  if (watched_.erase(fd.get()) == 0) {
    throw std::logic_error("select: remove " + describe(fd.get()) + ", which is not watched");
  }
  set_bits(fd.get(), Interest::kNone);
  // END SOLUTION
}

// [slide:select_wait]
void SelectPoller::wait(std::optional<std::chrono::milliseconds> timeout,
                        std::vector<Ready>& ready) {
  // BEGIN SOLUTION: copy both sets, select(highest fd + 1, ...), EINTR gives an empty list; then one Ready per watched fd whose bit is still set
  ready.clear();
  fd_set readable = read_set_;  // select overwrites its sets with the answer: give it copies
  fd_set writable = write_set_;
  const int nfds = watched_.empty() ? 0 : watched_.rbegin()->first + 1;
  timeval tv{};
  if (timeout) tv = to_timeval(*timeout);
  if (::select(nfds, &readable, &writable, nullptr, timeout ? &tv : nullptr) < 0) {
    if (errno == EINTR) return;  // a signal: the caller looks at its flags and waits again
    syslab::throw_errno("select", std::to_string(watched_.size()) + " fds");
  }
  for (const auto& [fd, interest] : watched_) {  // O(n): select does not say which fds
    const bool r = FD_ISSET(fd, &readable);
    const bool w = FD_ISSET(fd, &writable);
    if (r || w) ready.push_back(Ready{fd, r, w, false});
  }
  // END SOLUTION
}
// [/slide]

void SelectPoller::set_bits(int fd, Interest interest) {
  // BEGIN SOLUTION: FD_SET or FD_CLR fd in read_set_ and write_set_, as interest says
  if (has(interest, Interest::kRead)) {
    FD_SET(fd, &read_set_);
  } else {
    FD_CLR(fd, &read_set_);
  }
  if (has(interest, Interest::kWrite)) {
    FD_SET(fd, &write_set_);
  } else {
    FD_CLR(fd, &write_set_);
  }
  // END SOLUTION
}

std::unique_ptr<Poller> make_select_poller() { return std::make_unique<SelectPoller>(); }

}  // namespace mux
