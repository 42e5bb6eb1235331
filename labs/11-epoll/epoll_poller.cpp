// Lab 11: epoll_create1, epoll_ctl and epoll_wait; level and edge triggering.
#include "epoll_poller.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <stdexcept>
#include <string>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace reactor {

namespace {

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

EpollPoller::EpollPoller(Trigger trigger) : trigger_(trigger), events_(16) {
  SYSLAB_TODO("epoll_create1 with EPOLL_CLOEXEC; throw naming the call when it fails");
}

void EpollPoller::control(int op, int fd, mux::Interest interest) {
  SYSLAB_TODO("one epoll_ctl with the events for interest and this trigger, data.fd = fd; throw on failure");
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
  SYSLAB_TODO("kNone takes the fd out of the kernel's set (DEL), leaving kNone puts it back (ADD), else MOD");
}

void EpollPoller::remove(fdio::BorrowedFd fd) {
  const auto it = watched_.find(fd.get());
  if (it == watched_.end())
    throw std::logic_error("epoll: " + describe(fd.get()) + " is not watched");
  if (it->second != mux::Interest::kNone) control(EPOLL_CTL_DEL, fd.get(), it->second);
  watched_.erase(it);
}

void EpollPoller::wait(std::optional<std::chrono::milliseconds> timeout,
                       std::vector<mux::Ready>& ready) {
  SYSLAB_TODO("epoll_wait into events_ (-1 for no timeout); fill ready; EINTR gives none; grow events_ when full");
}

std::unique_ptr<mux::Poller> make_epoll_poller(Trigger trigger) {
  return std::make_unique<EpollPoller>(trigger);
}

}  // namespace reactor
