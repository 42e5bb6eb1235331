#include "syslab/echo_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "syslab/faults.hpp"

namespace syslab::test::echo {

void fail(const std::string& what, int error) {
  throw std::runtime_error(error == 0 ? what : what + ": " + std::strerror(error));
}

short wait_for(int fd, short events, const Deadline& deadline) {
  for (;;) {
    pollfd entry{fd, events, 0};
    const int n = ::poll(&entry, 1, deadline.remaining_ms());
    if (n > 0) return entry.revents;
    if (n == 0) return 0;
    if (errno != EINTR) fail("poll", errno);
  }
}

void set_nodelay(int fd) {
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) fail("TCP_NODELAY", errno);
}

int try_connect(std::uint16_t port, const Deadline& deadline, OwnedFd& conn) {
  const FaultsPaused client;  // the test's client: the faults are for the server
  OwnedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) fail("socket", errno);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
    if (errno != EINPROGRESS) return errno;
    if (wait_for(fd.get(), POLLOUT, deadline) == 0) return ETIMEDOUT;
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) < 0) fail("SO_ERROR", errno);
    if (error != 0) return error;
  }
  conn = std::move(fd);
  return 0;
}

OwnedFd connect_loopback(std::uint16_t port, const Deadline& deadline) {
  OwnedFd conn;
  const int error = try_connect(port, deadline, conn);
  if (error != 0) fail("connect 127.0.0.1:" + std::to_string(port), error);
  return conn;
}

void send_all(int fd, std::string_view bytes, const Deadline& deadline) {
  const FaultsPaused client;  // the test's client: the faults are for the server
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n =
        ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN) {
      if (wait_for(fd, POLLOUT, deadline) == 0) {
        fail("send: deadline passed after " + std::to_string(sent) + " of " +
             std::to_string(bytes.size()) + " bytes (the server does not read?)");
      }
    } else if (errno != EINTR) {
      fail("send", errno);
    }
  }
}

std::string recv_exact(int fd, std::size_t n, const Deadline& deadline) {
  std::string got = recv_until(fd, n, deadline);
  if (got.size() < n) {
    fail("recv: " + std::to_string(got.size()) + " of " + std::to_string(n) +
         " bytes came back before EOF or the deadline");
  }
  return got;
}

std::string recv_until(int fd, std::size_t max, const Deadline& deadline) {
  const FaultsPaused client;  // the test's client: the faults are for the server
  std::string got;
  char buffer[65536];
  while (got.size() < max) {
    const ssize_t n = ::recv(fd, buffer, std::min(sizeof buffer, max - got.size()), MSG_DONTWAIT);
    if (n > 0) {
      got.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno == ECONNRESET) {
      break;
    } else if (errno == EAGAIN) {
      if (wait_for(fd, POLLIN, deadline) == 0) break;
    } else if (errno != EINTR) {
      fail("recv", errno);
    }
  }
  return got;
}

bool wait_for_close(int fd, const Deadline& deadline) {
  const FaultsPaused client;  // the test's client: the faults are for the server
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n < 0 && errno == EAGAIN && wait_for(fd, POLLIN, deadline) == 0) return false;
    if (n < 0 && errno != EAGAIN && errno != EINTR) fail("recv", errno);
  }
}

std::string exchange(int fd, std::string_view payload, const Deadline& deadline,
                     const std::vector<std::size_t>& pieces) {
  const FaultsPaused client;  // the test's client: the faults are for the server
  std::string got;
  got.reserve(payload.size());
  std::size_t sent = 0;
  std::size_t piece = 0;
  char buffer[65536];
  while (got.size() < payload.size()) {
    const short want = static_cast<short>(POLLIN | (sent < payload.size() ? POLLOUT : 0));
    const short ready = wait_for(fd, want, deadline);
    if (ready == 0) {
      fail("exchange: deadline passed; sent " + std::to_string(sent) + ", received " +
           std::to_string(got.size()) + " of " + std::to_string(payload.size()) + " bytes");
    }
    if (sent < payload.size() && (ready & POLLOUT) != 0) {
      std::size_t size = payload.size() - sent;
      if (!pieces.empty()) size = std::min(size, pieces[piece++ % pieces.size()]);
      const ssize_t n = ::send(fd, payload.data() + sent, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) sent += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) fail("send", errno);
    }
    if ((ready & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n == 0) {
        fail("exchange: EOF after " + std::to_string(got.size()) + " of " +
             std::to_string(payload.size()) + " bytes");
      }
      if (n > 0) got.append(buffer, static_cast<std::size_t>(n));
      if (n < 0 && errno != EAGAIN && errno != EINTR) fail("recv", errno);
    }
  }
  return got;
}

std::size_t send_until_full(int fd, std::chrono::milliseconds quiet, std::size_t limit) {
  const FaultsPaused client;  // the test's client: the faults are for the server
  const std::string chunk(65536, 's');
  std::size_t sent = 0;
  while (sent < limit) {
    const ssize_t n =
        ::send(fd, chunk.data(), std::min(chunk.size(), limit - sent), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      if (wait_for(fd, POLLOUT, Deadline(quiet)) == 0) break;  // not writable for `quiet`: full
    } else if (n < 0 && errno != EINTR) {
      fail("send", errno);
    }
  }
  return sent;
}

std::string payload(std::size_t n, std::uint32_t seed) {
  std::string bytes(n, '\0');
  std::uint32_t state = seed == 0 ? 1 : seed;
  for (char& byte : bytes) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

std::optional<std::size_t> first_difference(std::string_view a, std::string_view b) {
  const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  if (ia == a.end() && ib == b.end()) return std::nullopt;
  return static_cast<std::size_t>(ia - a.begin());
}

}  // namespace syslab::test::echo
