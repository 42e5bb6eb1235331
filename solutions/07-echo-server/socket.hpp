// Lab 07: TCP sockets as owning types. A Listener owns a listening socket, a Socket a connected
// one; both are lab 02's UniqueFd underneath, so each fd is closed exactly once and is
// close-on-exec from the call that made it (socket(SOCK_CLOEXEC), accept4(SOCK_CLOEXEC)).
// Names are resolved with getaddrinfo(3), so "localhost", "127.0.0.1" and "::1" all work.
// Look at: ss -ltnp (who listens where), strace -e trace=network ./echo-server --port 0.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "unique_fd.hpp"

namespace net {

// getaddrinfo(3) failed: its errors are not errno values, so they get their own type.
// what(): getaddrinfo "nosuch.invalid": Name or service not known
class ResolveError : public std::runtime_error {
 public:
  ResolveError(int gai_error, const std::string& host);
  [[nodiscard]] int gai_error() const noexcept { return gai_error_; }

 private:
  int gai_error_;
};

// A connected TCP socket. Move-only; closes its fd on destruction.
class Socket {
 public:
  explicit Socket(fdio::UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  [[nodiscard]] fdio::BorrowedFd fd() const noexcept { return fd_; }
  // Gives up ownership: the caller now owns the fd.
  [[nodiscard]] int release() noexcept { return fd_.release(); }

 private:
  fdio::UniqueFd fd_;
};

// [slide:listen_options]
struct ListenOptions {
  int backlog = 128;  // listen(2): how many finished handshakes may wait for accept
  bool reuse_address =
      true;             // SO_REUSEADDR: bind again at once while old connections sit in TIME_WAIT
  bool v6_only = true;  // IPV6_V6ONLY for an IPv6 address: false lets "::" take IPv4 too
};
// [/slide]

// A listening TCP socket. Move-only; closing it (destruction) stops new connections: a connect
// to its port is then refused.
class Listener {
 public:
  explicit Listener(fdio::UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  [[nodiscard]] fdio::BorrowedFd fd() const noexcept { return fd_; }

  // One accept4(2) with SOCK_CLOEXEC. nullopt for the outcomes to expect and retry: EINTR,
  // EAGAIN (a non-blocking listener with nothing queued) and ECONNABORTED (the client gave up
  // before we accepted). Throws syslab::SystemError on anything else (EMFILE, EBADF ...).
  [[nodiscard]] std::optional<Socket> try_accept();

  // The port it is bound to: the kernel's choice when it was asked for port 0.
  [[nodiscard]] std::uint16_t local_port() const;

 private:
  fdio::UniqueFd fd_;
};

// Resolves host with getaddrinfo(AI_PASSIVE) and listens on the first address that works:
// socket(SOCK_CLOEXEC), SO_REUSEADDR, IPV6_V6ONLY (IPv6 only), bind, listen. host "" means every
// local address. Port 0 lets the kernel choose (ask local_port()). Throws ResolveError when the
// name does not resolve, syslab::SystemError naming the call and address when none works:
// bind "127.0.0.1:80": Permission denied (EACCES).
[[nodiscard]] Listener listen_tcp(const std::string& host, std::uint16_t port,
                                  const ListenOptions& options = {});

// Resolves host and connects to the first address that accepts. Throws ResolveError, or
// syslab::SystemError for the last address tried: connect "[::1]:7": Connection refused
// (ECONNREFUSED).
[[nodiscard]] Socket connect_tcp(const std::string& host, std::uint16_t port);

// "8080" -> 8080. Throws std::invalid_argument for anything but a number in 0..65535:
// bad port "http": a number from 0 to 65535 is needed
[[nodiscard]] std::uint16_t parse_port(std::string_view text);

// The local port of a bound socket, from getsockname(2).
[[nodiscard]] std::uint16_t local_port(fdio::BorrowedFd fd);

// The local address of a bound socket as text: "127.0.0.1:40123", "[::1]:40123".
[[nodiscard]] std::string local_address(fdio::BorrowedFd fd);

}  // namespace net
