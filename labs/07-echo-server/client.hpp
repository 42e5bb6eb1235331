// Lab 07: the two modes of echo-client. Interactive: each line of input goes to the server and
// its echo comes back to the output. --bytes N: N pseudo-random bytes are sent while the echo is
// read at the same time, and every byte is compared. At the same time, because a sender that
// writes everything before it reads deadlocks with a big enough N: the server blocks writing the
// echo we do not read, and then stops reading what we write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "unique_fd.hpp"

namespace net {

// n bytes from a small fixed generator: the same seed gives the same bytes on every machine.
[[nodiscard]] std::string pseudo_random_bytes(std::size_t n, std::uint32_t seed);

struct VerifyResult {
  std::size_t sent = 0;
  std::size_t received = 0;
  std::optional<std::size_t> first_mismatch;  // the offset of the first byte that differs

  // Every byte came back, unchanged.
  [[nodiscard]] bool all_match(std::size_t expected) const {
    return sent == expected && received == expected && !first_mismatch;
  }
};

// Sends pseudo_random_bytes(n, seed) on sock and reads the echo at the same time, comparing each
// byte. Stops early at EOF or a reset from the server. Makes sock non-blocking.
[[nodiscard]] VerifyResult echo_and_verify(fdio::BorrowedFd sock, std::size_t n,
                                           std::uint32_t seed);

// For each line of in: sends it (with its newline), reads its echo, writes that to out. At the end
// of in, shuts down the sending side. Throws std::runtime_error when the server leaves early.
void echo_lines(fdio::BorrowedFd sock, std::istream& in, std::ostream& out);

}  // namespace net
