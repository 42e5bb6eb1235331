// Lab 10: poll(2) behind the Poller contract: a pollfd array kept dense (remove swaps with the
// last), a descriptor watched for nothing hidden from the kernel by negating it.
#include "poll_poller.hpp"

#include <cerrno>
#include <climits>
#include <stdexcept>
#include <string>

#include "syslab/error.hpp"

namespace mux {

namespace {

// BEGIN SOLUTION
// [slide:poll_pollfd]
// What a pollfd holds for an interest. kNone: the fd is stored negated (~fd), which poll(2)
// skips altogether; with events = 0 it would still report POLLHUP and POLLERR, again and again.
pollfd to_pollfd(int fd, Interest interest) {
  short events = 0;
  if (has(interest, Interest::kRead)) events |= POLLIN;
  if (has(interest, Interest::kWrite)) events |= POLLOUT;
  return pollfd{events == 0 ? ~fd : fd, events, 0};
}
// [/slide]

// The fd a pollfd stands for, negated or not.
int real_fd(const pollfd& entry) { return entry.fd < 0 ? ~entry.fd : entry.fd; }

// poll(2)'s timeout: -1 waits for ever; milliseconds beyond INT_MAX are clamped.
int to_poll_timeout(std::optional<std::chrono::milliseconds> timeout) {
  if (!timeout) return -1;
  if (timeout->count() < 0) return 0;
  return timeout->count() > INT_MAX ? INT_MAX : static_cast<int>(timeout->count());
}
// END SOLUTION

}  // namespace

void PollPoller::add(fdio::BorrowedFd fd, Interest interest) {
  // BEGIN SOLUTION: std::invalid_argument for fd < 0, std::logic_error when watched already; else append a pollfd and remember its index
  if (fd.get() < 0)
    throw std::invalid_argument("poll: cannot watch fd " + std::to_string(fd.get()));
  if (!index_.emplace(fd.get(), fds_.size()).second) {
    throw std::logic_error("poll: fd " + std::to_string(fd.get()) + " is watched already");
  }
  fds_.push_back(to_pollfd(fd.get(), interest));
  // END SOLUTION
}

void PollPoller::modify(fdio::BorrowedFd fd, Interest interest) {
  // BEGIN SOLUTION: find fd's pollfd (std::logic_error when not watched) and set its events
  fds_[index_of(fd.get(), "modify")] = to_pollfd(fd.get(), interest);
  // END SOLUTION
}

// [slide:poll_remove]
void PollPoller::remove(fdio::BorrowedFd fd) {
  // BEGIN SOLUTION: O(1): move the last pollfd into fd's place, fix the moved fd's index, shrink
  const std::size_t hole = index_of(fd.get(), "remove");
  fds_[hole] = fds_.back();  // the last one fills the hole (a no-op when fd is the last)
  index_[real_fd(fds_[hole])] = hole;
  fds_.pop_back();
  index_.erase(fd.get());
  // END SOLUTION
}
// [/slide]

// [slide:poll_wait]
void PollPoller::wait(std::optional<std::chrono::milliseconds> timeout, std::vector<Ready>& ready) {
  // BEGIN SOLUTION: poll the whole array (EINTR: empty list); one Ready per pollfd with revents: POLLIN, POLLOUT, POLLHUP|POLLERR; POLLNVAL is a logic_error
  ready.clear();
  if (::poll(fds_.data(), fds_.size(), to_poll_timeout(timeout)) < 0) {
    if (errno == EINTR) return;  // a signal: the caller looks at its flags and waits again
    syslab::throw_errno("poll", std::to_string(fds_.size()) + " fds");
  }
  for (const pollfd& entry : fds_) {  // O(n): the answer is spread over the array
    if (entry.revents == 0) continue;
    if ((entry.revents & POLLNVAL) != 0) {
      throw std::logic_error("poll: fd " + std::to_string(entry.fd) +
                             " is not open (POLLNVAL): remove() it before closing it");
    }
    ready.push_back(Ready{entry.fd, (entry.revents & (POLLIN | POLLPRI)) != 0,
                          (entry.revents & POLLOUT) != 0,
                          (entry.revents & (POLLHUP | POLLERR)) != 0});
  }
  // END SOLUTION
}
// [/slide]

std::size_t PollPoller::index_of(int fd, std::string_view call) const {
  // BEGIN SOLUTION: where fd's pollfd is in fds_ (from index_); std::logic_error naming call when fd is not watched
  const auto it = index_.find(fd);
  if (it == index_.end()) {
    throw std::logic_error("poll: " + std::string(call) + " fd " + std::to_string(fd) +
                           ", which is not watched");
  }
  return it->second;
  // END SOLUTION
}

std::unique_ptr<Poller> make_poll_poller() { return std::make_unique<PollPoller>(); }

}  // namespace mux
