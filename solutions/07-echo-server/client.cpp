// Lab 07: echo-client's two modes.
#include "client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <istream>
#include <ostream>
#include <stdexcept>

#include "fd_io.hpp"
#include "syslab/error.hpp"

namespace net {

std::string pseudo_random_bytes(std::size_t n, std::uint32_t seed) {
  std::string bytes(n, '\0');
  std::uint32_t state = seed == 0 ? 1 : seed;
  for (char& byte : bytes) {
    state ^= state << 13;  // xorshift32: small, fast, the same everywhere
    state ^= state >> 17;
    state ^= state << 5;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

// [slide:echo_and_verify-1]
VerifyResult echo_and_verify(fdio::BorrowedFd sock, std::size_t n, std::uint32_t seed) {
  // BEGIN SOLUTION: non-blocking; poll for POLLIN and (while bytes are left) POLLOUT; write_some, read_some, compare; shutdown(SHUT_WR) once all is sent
  const std::string payload = pseudo_random_bytes(n, seed);
  fdio::set_nonblocking(sock);
  VerifyResult result;
  if (n == 0 && ::shutdown(sock.get(), SHUT_WR) < 0) syslab::throw_errno("shutdown");
  std::array<char, 64 * 1024> buffer;
  while (result.received < n) {
    pollfd entry{sock.get(), static_cast<short>(POLLIN | (result.sent < n ? POLLOUT : 0)), 0};
    if (::poll(&entry, 1, -1) < 0) {
      if (errno == EINTR) continue;
      syslab::throw_errno("poll");
    }
    // [/slide]
    // [slide:echo_and_verify-2]
    if (result.sent < n && (entry.revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      const fdio::IoResult wrote =
          fdio::write_some(sock, std::string_view(payload).substr(result.sent));
      result.sent += wrote.count;
      if (wrote.peer_closed()) return result;
      // Half-close once everything is out: the server sees EOF after the last byte.
      if (result.sent == n && ::shutdown(sock.get(), SHUT_WR) < 0) syslab::throw_errno("shutdown");
    }
    // [/slide]
    // [slide:echo_and_verify-3]
    if ((entry.revents & (POLLIN | POLLERR | POLLHUP)) == 0) continue;
    const fdio::IoResult got = fdio::read_some(sock, buffer);
    if (got.eof() || got.peer_closed()) return result;
    for (std::size_t i = 0; i < got.count; ++i) {
      if (!result.first_mismatch && result.received + i < n &&
          buffer[i] != payload[result.received + i]) {
        result.first_mismatch = result.received + i;
      }
    }
    result.received += got.count;
  }
  return result;
  // END SOLUTION
}
// [/slide]

void echo_lines(fdio::BorrowedFd sock, std::istream& in, std::ostream& out) {
  std::string line;
  while (std::getline(in, line)) {
    line += '\n';
    if (!fdio::write_all(sock, line).done()) throw std::runtime_error("the server left");
    std::string echo(line.size(), '\0');
    if (!fdio::read_exact(sock, std::span<char>(echo)).done()) {
      throw std::runtime_error("the server left before it echoed the line");
    }
    out << echo << std::flush;
  }
  if (::shutdown(sock.get(), SHUT_WR) < 0) syslab::throw_errno("shutdown");
}

}  // namespace net
