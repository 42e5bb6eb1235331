// Lab 10: poll(2) behind the Poller contract: a pollfd array kept dense (remove swaps with the
// last), a descriptor watched for nothing hidden from the kernel by negating it.
#include "poll_poller.hpp"

#include <cerrno>
#include <climits>
#include <stdexcept>
#include <string>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace mux {

namespace {

}  // namespace

void PollPoller::add(fdio::BorrowedFd fd, Interest interest) {
  SYSLAB_TODO("std::invalid_argument for fd < 0, std::logic_error when watched already; else append a pollfd and remember its index");
}

void PollPoller::modify(fdio::BorrowedFd fd, Interest interest) {
  SYSLAB_TODO("find fd's pollfd (std::logic_error when not watched) and set its events");
}

void PollPoller::remove(fdio::BorrowedFd fd) {
  SYSLAB_TODO("O(1): move the last pollfd into fd's place, fix the moved fd's index, shrink");
}

void PollPoller::wait(std::optional<std::chrono::milliseconds> timeout, std::vector<Ready>& ready) {
  SYSLAB_TODO("poll the whole array (EINTR: empty list); one Ready per pollfd with revents: POLLIN, POLLOUT, POLLHUP|POLLERR; POLLNVAL is a logic_error");
}

std::size_t PollPoller::index_of(int fd, std::string_view call) const {
  SYSLAB_TODO("where fd's pollfd is in fds_ (from index_); std::logic_error naming call when fd is not watched");
}

std::unique_ptr<Poller> make_poll_poller() { return std::make_unique<PollPoller>(); }

}  // namespace mux
