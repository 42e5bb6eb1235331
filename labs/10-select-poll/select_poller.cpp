// Lab 10: select(2) behind the Poller contract. Every wait copies the sets, passes nfds = the
// highest fd + 1, and scans the answer: O(highest fd) per call, however few fds are ready.
#include "select_poller.hpp"

#include <sys/time.h>

#include <cerrno>
#include <stdexcept>
#include <string>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace mux {

namespace {

}  // namespace

SelectPoller::SelectPoller() noexcept {
  FD_ZERO(&read_set_);
  FD_ZERO(&write_set_);
}

void SelectPoller::add(fdio::BorrowedFd fd, Interest interest) {
  SYSLAB_TODO("refuse fd < 0 or >= FD_SETSIZE (FdNotWatchable naming both) before any FD_SET; logic_error when watched already; then set its bits");
}

void SelectPoller::modify(fdio::BorrowedFd fd, Interest interest) {
  SYSLAB_TODO("std::logic_error when fd is not watched; else remember the new interest and set its bits");
}

void SelectPoller::remove(fdio::BorrowedFd fd) {
  SYSLAB_TODO("std::logic_error when fd is not watched; else clear its bits and forget it");
}

void SelectPoller::wait(std::optional<std::chrono::milliseconds> timeout,
                        std::vector<Ready>& ready) {
  SYSLAB_TODO("copy both sets, select(highest fd + 1, ...), EINTR gives an empty list; then one Ready per watched fd whose bit is still set");
}

void SelectPoller::set_bits(int fd, Interest interest) {
  SYSLAB_TODO("FD_SET or FD_CLR fd in read_set_ and write_set_, as interest says");
}

std::unique_ptr<Poller> make_select_poller() { return std::make_unique<SelectPoller>(); }

}  // namespace mux
