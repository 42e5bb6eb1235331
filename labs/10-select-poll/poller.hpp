// Lab 10: one small contract for waiting on many descriptors at once, with interchangeable
// back-ends (select(2) and poll(2) here; lab 11 adds epoll(7)). The event-driven echo server is
// written against Poller only, so the same server runs on every back-end.
// Look at: strace -e trace=select,poll,epoll_wait ./echo-server --model=poll
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "unique_fd.hpp"

namespace mux {

// What a descriptor is watched for; a bit set: Interest::kRead | Interest::kWrite.
enum class Interest : unsigned { kNone = 0, kRead = 1u << 0, kWrite = 1u << 1 };

[[nodiscard]] constexpr Interest operator|(Interest a, Interest b) noexcept {
  return static_cast<Interest>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
// True when every bit of `bit` is in `set`.
[[nodiscard]] constexpr bool has(Interest set, Interest bit) noexcept {
  return (static_cast<unsigned>(set) & static_cast<unsigned>(bit)) == static_cast<unsigned>(bit);
}

// One ready descriptor, as wait() reports it.
struct Ready {
  int fd = -1;
  bool readable = false;         // data, EOF or a pending connection: a read will not block
  bool writable = false;         // a write will not block
  bool hangup_or_error = false;  // POLLHUP/POLLERR (EPOLLHUP/EPOLLERR): a read or write says which
};

// The back-end cannot watch this descriptor: select(2) with an fd >= FD_SETSIZE. The caller
// should refuse that one descriptor (close the connection), not stop.
class FdNotWatchable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Watches descriptors it does not own. Not thread-safe: one thread uses a Poller.
class Poller {
 public:
  Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  virtual ~Poller() = default;

  // Starts watching fd for interest; fd must stay open until remove(fd). Throws FdNotWatchable
  // when this back-end cannot watch fd, std::logic_error when fd is already watched, and
  // syslab::SystemError when the kernel refuses.
  virtual void add(fdio::BorrowedFd fd, Interest interest) = 0;
  // Changes what a watched fd is watched for (kNone: keep it, but report nothing).
  virtual void modify(fdio::BorrowedFd fd, Interest interest) = 0;
  // Stops watching fd. Call it before closing fd.
  virtual void remove(fdio::BorrowedFd fd) = 0;
  // Waits until a watched fd is ready or timeout passes (nullopt: no timeout) and replaces the
  // contents of `ready` with the ready descriptors: empty after a timeout or EINTR. Throws
  // syslab::SystemError for other failures.
  virtual void wait(std::optional<std::chrono::milliseconds> timeout,
                    std::vector<Ready>& ready) = 0;
  // "select", "poll", "epoll": for messages.
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  // How many descriptors are watched.
  [[nodiscard]] virtual std::size_t size() const noexcept = 0;
};

// The two back-ends of this lab (select_poller.cpp, poll_poller.cpp).
[[nodiscard]] std::unique_ptr<Poller> make_select_poller();
[[nodiscard]] std::unique_ptr<Poller> make_poll_poller();

// A back-end by name, for command lines: "select" or "poll". Throws std::invalid_argument naming
// the choices for any other name: unknown poller "epol" (this lab has: select, poll).
[[nodiscard]] std::unique_ptr<Poller> make_poller(std::string_view name);

}  // namespace mux
