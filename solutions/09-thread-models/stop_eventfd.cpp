// Lab 09: eventfd(2) as a wake-up call between threads, and the stop_token bridge.
#include "stop_eventfd.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "syslab/error.hpp"

namespace tmodels {

fdio::UniqueFd make_eventfd() {
  // Non-blocking: drain_eventfd must not wait when the counter is already zero.
  fdio::UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd.ok()) syslab::throw_errno("eventfd");
  return fd;
}

void notify_eventfd(fdio::BorrowedFd fd) noexcept {
  const std::uint64_t one = 1;
  // Can fail only with EAGAIN when the counter is at its maximum: it is readable then anyway.
  // EINTR cannot happen: a non-blocking eventfd write never sleeps.
  [[maybe_unused]] const ssize_t n = ::write(fd.get(), &one, sizeof one);
}

void drain_eventfd(fdio::BorrowedFd fd) {
  std::uint64_t count = 0;
  if (::read(fd.get(), &count, sizeof count) < 0 && errno != EAGAIN && errno != EINTR) {
    syslab::throw_errno("read eventfd");
  }
}

StopEventFd::StopEventFd(std::stop_token stop) : fd_(make_eventfd()) {
  // BEGIN SOLUTION: register a std::stop_callback on stop that notifies this eventfd
  on_stop_.emplace(std::move(stop), Notify{fd_.get()});
  // END SOLUTION
}

}  // namespace tmodels
