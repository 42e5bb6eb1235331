// Lab 11: epoll(7) behind lab 10's Poller interface. The kernel keeps the interest list, so a
// wait costs O(ready), not O(watched) as select and poll do: what makes 10,000 connections cheap.
// Trigger::kLevel reports an fd on every wait while it is ready; kEdge (EPOLLET) once per change,
// so an edge-triggered reader must read until EAGAIN.
// Look at: strace -e epoll_wait,epoll_ctl ./echo-server --model=epoll; /proc/PID/fdinfo/EPFD.
#pragma once

#include <sys/epoll.h>

#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "poller.hpp"
#include "unique_fd.hpp"

namespace reactor {

// [slide:trigger]
// When epoll reports a ready fd.
enum class Trigger {
  kLevel,  // on every wait while the fd is ready (as select and poll): safe to read a little
  kEdge,   // once when it becomes ready (EPOLLET): read (or write) until EAGAIN, or data waits
};
// [/slide]

// "level" or "edge"; throws std::invalid_argument for anything else.
[[nodiscard]] Trigger parse_trigger(std::string_view text);
[[nodiscard]] std::string_view to_string(Trigger trigger) noexcept;

// An epoll instance (epoll_create1 with EPOLL_CLOEXEC) as a Poller. Owns the epoll fd, not the
// fds it watches. One trigger mode for every fd it watches. Not thread-safe: one loop uses it.
class EpollPoller final : public mux::Poller {
 public:
  explicit EpollPoller(Trigger trigger = Trigger::kLevel);

  void add(fdio::BorrowedFd fd, mux::Interest interest) override;
  void modify(fdio::BorrowedFd fd, mux::Interest interest) override;
  void remove(fdio::BorrowedFd fd) override;
  void wait(std::optional<std::chrono::milliseconds> timeout,
            std::vector<mux::Ready>& ready) override;
  [[nodiscard]] std::string_view name() const noexcept override { return "epoll"; }
  [[nodiscard]] std::size_t size() const noexcept override { return watched_.size(); }

  [[nodiscard]] Trigger trigger() const noexcept { return trigger_; }
  // The epoll fd itself: /proc/self/fdinfo/N lists what it watches ("tfd:" lines).
  [[nodiscard]] fdio::BorrowedFd fd() const noexcept { return epoll_fd_; }

 private:
  // One epoll_ctl(2); throws naming the operation and the fd.
  void control(int op, int fd, mux::Interest interest);

  fdio::UniqueFd epoll_fd_;
  Trigger trigger_;
  // Every watched fd and its interest. epoll always reports EPOLLHUP and EPOLLERR, so an fd
  // watched for kNone is taken out of the kernel's set (and put back by modify).
  std::unordered_map<int, mux::Interest> watched_;
  std::vector<epoll_event> events_;  // wait's buffer; it doubles when a wait fills it
};

// A Poller on epoll, for an EventLoop: reactor::EventLoop loop(make_epoll_poller(Trigger::kEdge));
[[nodiscard]] std::unique_ptr<mux::Poller> make_epoll_poller(Trigger trigger = Trigger::kLevel);

}  // namespace reactor
