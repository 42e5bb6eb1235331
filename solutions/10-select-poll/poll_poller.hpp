// Lab 10: the Poller contract on poll(2). One pollfd per watched fd, in a vector handed to the
// kernel as it is: no FD_SETSIZE, any fd number works. An fd -> index map makes remove O(1): the
// last pollfd moves into the hole. The kernel still walks the whole vector on every call.
// Look at: strace -e trace=poll,ppoll ./echo-server --model=poll (the array, and revents).
#pragma once

#include <poll.h>

#include <unordered_map>
#include <vector>

#include "poller.hpp"

namespace mux {

class PollPoller final : public Poller {
 public:
  void add(fdio::BorrowedFd fd, Interest interest) override;
  void modify(fdio::BorrowedFd fd, Interest interest) override;
  void remove(fdio::BorrowedFd fd) override;
  void wait(std::optional<std::chrono::milliseconds> timeout, std::vector<Ready>& ready) override;
  [[nodiscard]] std::string_view name() const noexcept override { return "poll"; }
  [[nodiscard]] std::size_t size() const noexcept override { return fds_.size(); }

 private:
  // Where fd's pollfd is in fds_; std::logic_error naming `call` when fd is not watched.
  [[nodiscard]] std::size_t index_of(int fd, std::string_view call) const;

  std::vector<pollfd> fds_;                     // what poll(2) gets, in no particular order
  std::unordered_map<int, std::size_t> index_;  // fd -> its position in fds_
};

}  // namespace mux
