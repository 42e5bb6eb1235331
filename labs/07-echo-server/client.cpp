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
#include "syslab/todo.hpp"

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

VerifyResult echo_and_verify(fdio::BorrowedFd sock, std::size_t n, std::uint32_t seed) {
  SYSLAB_TODO("non-blocking; poll for POLLIN and (while bytes are left) POLLOUT; write_some, read_some, compare; shutdown(SHUT_WR) once all is sent");
}

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
