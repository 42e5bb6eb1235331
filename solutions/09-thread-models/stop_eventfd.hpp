// Lab 09: a std::stop_token that poll(2) can see. A thread blocked in poll (echo_connection
// waits there) cannot be woken by a stop_token alone; a std::stop_callback that writes an
// eventfd(2) turns "stop requested" into "this fd is readable", and poll wakes up.
// Look at: ls -l /proc/PID/fd of echo-server --model=pool: one anon_inode:[eventfd] per worker.
#pragma once

#include <optional>
#include <stop_token>

#include "unique_fd.hpp"

namespace tmodels {

// A close-on-exec eventfd(2) (a counter in the kernel: readable while it is not zero).
[[nodiscard]] fdio::UniqueFd make_eventfd();
// Adds one to the counter: the fd becomes readable. Safe from any thread; never blocks.
void notify_eventfd(fdio::BorrowedFd fd) noexcept;
// Resets the counter to zero if it was not (a non-blocking read), so that the fd can signal again.
void drain_eventfd(fdio::BorrowedFd fd);

// [slide:stop_eventfd]
// An eventfd that becomes readable when `stop` is stopped (at once if it already is). Not
// movable: the callback holds this object's fd.
class StopEventFd {
 public:
  explicit StopEventFd(std::stop_token stop);
  StopEventFd(const StopEventFd&) = delete;
  StopEventFd& operator=(const StopEventFd&) = delete;

  [[nodiscard]] fdio::BorrowedFd fd() const noexcept { return fd_; }

 private:
  // Runs in the thread that calls request_stop(): it must be quick and must not throw.
  struct Notify {
    int fd;
    void operator()() const noexcept { notify_eventfd(fdio::BorrowedFd(fd)); }
  };
  fdio::UniqueFd fd_;
  // Declared after fd_, so destroyed before it: the callback is unregistered (waiting for a
  // running one to end) before the fd closes.
  std::optional<std::stop_callback<Notify>> on_stop_;
};
// [/slide]

}  // namespace tmodels
