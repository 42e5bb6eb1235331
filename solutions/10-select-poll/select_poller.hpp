// Lab 10: the Poller contract on select(2), as Redis's ae_select.c does it. Two fd_sets (read,
// write) are kept up to date by add/modify/remove and copied for each call, because select
// overwrites the sets it is given with the answer. An fd_set is a bitmap of FD_SETSIZE (1024)
// bits: a descriptor >= FD_SETSIZE has no bit, so add() refuses it before FD_SET could write
// past the set.
// Look at: strace -e trace=select,pselect6 ./echo-server --model=select (nfds grows with the fds).
#pragma once

#include <sys/select.h>

#include <map>

#include "poller.hpp"

namespace mux {

class SelectPoller final : public Poller {
 public:
  SelectPoller() noexcept;

  void add(fdio::BorrowedFd fd, Interest interest) override;
  void modify(fdio::BorrowedFd fd, Interest interest) override;
  void remove(fdio::BorrowedFd fd) override;
  void wait(std::optional<std::chrono::milliseconds> timeout, std::vector<Ready>& ready) override;
  [[nodiscard]] std::string_view name() const noexcept override { return "select"; }
  [[nodiscard]] std::size_t size() const noexcept override { return watched_.size(); }

 private:
  // Sets or clears fd's bits in read_set_ and write_set_ (fd is known to be < FD_SETSIZE).
  void set_bits(int fd, Interest interest);

  fd_set read_set_;                  // the fds watched for kRead
  fd_set write_set_;                 // the fds watched for kWrite
  std::map<int, Interest> watched_;  // every watched fd, sorted: the last one gives nfds
};

}  // namespace mux
