// Lab 11: epoll_create1, epoll_ctl and epoll_wait; level and edge triggering.
#include "epoll_poller.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <stdexcept>
#include <string>

#include "syslab/error.hpp"

namespace reactor {

namespace {

// BEGIN SOLUTION
// [slide:to_events]
// The epoll event mask for an interest. EPOLLHUP and EPOLLERR need no asking: always reported.
std::uint32_t to_events(mux::Interest interest, Trigger trigger) {
  std::uint32_t events = 0;
  if (mux::has(interest, mux::Interest::kRead)) events |= EPOLLIN;
  if (mux::has(interest, mux::Interest::kWrite)) events |= EPOLLOUT;
  if (trigger == Trigger::kEdge) events |= EPOLLET;
  return events;
}
// [/slide]

mux::Ready to_ready(const epoll_event& event) {
  mux::Ready ready;
  ready.fd = event.data.fd;
  ready.readable = (event.events & (EPOLLIN | EPOLLPRI | EPOLLRDHUP)) != 0;
  ready.writable = (event.events & EPOLLOUT) != 0;
  ready.hangup_or_error = (event.events & (EPOLLHUP | EPOLLERR)) != 0;
  return ready;
}

std::string_view op_name(int op) {
  switch (op) {
    case EPOLL_CTL_ADD: return "epoll_ctl EPOLL_CTL_ADD";
    case EPOLL_CTL_MOD: return "epoll_ctl EPOLL_CTL_MOD";
    default: return "epoll_ctl EPOLL_CTL_DEL";
  }
}
// END SOLUTION

std::string describe(int fd) { return "fd " + std::to_string(fd); }

}  // namespace

Trigger parse_trigger(std::string_view text) {
  if (text == "level") return Trigger::kLevel;
  if (text == "edge") return Trigger::kEdge;
  throw std::invalid_argument("unknown trigger \"" + std::string(text) + "\" (level or edge)");
}

std::string_view to_string(Trigger trigger) noexcept {
  return trigger == Trigger::kEdge ? "edge" : "level";
}

// [slide:epoll_create]
EpollPoller::EpollPoller(Trigger trigger) : trigger_(trigger), events_(16) {
  // BEGIN SOLUTION: epoll_create1 with EPOLL_CLOEXEC; throw naming the call when it fails
  epoll_fd_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_fd_.ok()) syslab::throw_errno("epoll_create1");
  // END SOLUTION
}
// [/slide]

void EpollPoller::control(int op, int fd, mux::Interest interest) {
  // BEGIN SOLUTION: one epoll_ctl with the events for interest and this trigger, data.fd = fd; throw on failure
  epoll_event event{};
  event.events = to_events(interest, trigger_);
  event.data.fd = fd;  // what epoll_wait hands back: the loop finds the fd's Channel by it
  if (::epoll_ctl(epoll_fd_.get(), op, fd, &event) < 0)
    syslab::throw_errno(op_name(op), describe(fd));
  // END SOLUTION
}

void EpollPoller::add(fdio::BorrowedFd fd, mux::Interest interest) {
  if (watched_.contains(fd.get())) {
    throw std::logic_error("epoll: " + describe(fd.get()) + " is already watched");
  }
  if (interest != mux::Interest::kNone) control(EPOLL_CTL_ADD, fd.get(), interest);
  watched_.emplace(fd.get(), interest);
}

void EpollPoller::modify(fdio::BorrowedFd fd, mux::Interest interest) {
  const auto it = watched_.find(fd.get());
  if (it == watched_.end())
    throw std::logic_error("epoll: " + describe(fd.get()) + " is not watched");
  // BEGIN SOLUTION: kNone takes the fd out of the kernel's set (DEL), leaving kNone puts it back (ADD), else MOD
  const bool was_in_kernel = it->second != mux::Interest::kNone;
  const bool goes_to_kernel = interest != mux::Interest::kNone;
  if (was_in_kernel && goes_to_kernel) {
    control(EPOLL_CTL_MOD, fd.get(),
            interest);  // MOD checks readiness again: a ready fd is reported
  } else if (goes_to_kernel) {
    control(EPOLL_CTL_ADD, fd.get(), interest);
  } else if (was_in_kernel) {
    control(EPOLL_CTL_DEL, fd.get(), interest);
  }
  it->second = interest;
  // END SOLUTION
}

void EpollPoller::remove(fdio::BorrowedFd fd) {
  const auto it = watched_.find(fd.get());
  if (it == watched_.end())
    throw std::logic_error("epoll: " + describe(fd.get()) + " is not watched");
  if (it->second != mux::Interest::kNone) control(EPOLL_CTL_DEL, fd.get(), it->second);
  watched_.erase(it);
}

// [slide:epoll_wait]
void EpollPoller::wait(std::optional<std::chrono::milliseconds> timeout,
                       std::vector<mux::Ready>& ready) {
  // BEGIN SOLUTION: epoll_wait into events_ (-1 for no timeout); fill ready; EINTR gives none; grow events_ when full
  const int ms =
      timeout ? static_cast<int>(std::clamp<long long>(timeout->count(), 0, INT_MAX)) : -1;
  const int n = ::epoll_wait(epoll_fd_.get(), events_.data(), static_cast<int>(events_.size()), ms);
  ready.clear();
  if (n < 0) {
    if (errno == EINTR) return;  // a signal: report nothing, the caller waits again
    syslab::throw_errno("epoll_wait", describe(epoll_fd_.get()));
  }
  for (int i = 0; i < n; ++i) ready.push_back(to_ready(events_[static_cast<std::size_t>(i)]));
  // A full buffer: more fds may be ready. They are not lost (the next wait reports them), but a
  // bigger buffer takes them in one call.
  if (static_cast<std::size_t>(n) == events_.size()) events_.resize(events_.size() * 2);
  // END SOLUTION
}
// [/slide]

std::unique_ptr<mux::Poller> make_epoll_poller(Trigger trigger) {
  return std::make_unique<EpollPoller>(trigger);
}

}  // namespace reactor
