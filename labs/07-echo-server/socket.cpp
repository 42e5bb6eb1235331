// Lab 07: getaddrinfo, socket, bind, listen, accept4 and connect, each error naming the call and
// the address it was about.
#include "socket.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <memory>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace net {

namespace {

std::string describe_gai_error(int gai_error) {
  // EAI_SYSTEM: the real reason is in errno.
  return gai_error == EAI_SYSTEM ? syslab::errno_text(errno) : ::gai_strerror(gai_error);
}

// "127.0.0.1:8080", "[::1]:8080": numeric, never a name lookup.
std::string format_address(const sockaddr* address, socklen_t length) {
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  const int rc = ::getnameinfo(address, length, host, sizeof host, service, sizeof service,
                               NI_NUMERICHOST | NI_NUMERICSERV);
  if (rc != 0) return "?";
  const std::string text(host);
  return (address->sa_family == AF_INET6 ? "[" + text + "]" : text) + ":" + service;
}

}  // namespace

ResolveError::ResolveError(int gai_error, const std::string& host)
    : std::runtime_error("getaddrinfo \"" + host + "\": " + describe_gai_error(gai_error)),
      gai_error_(gai_error) {}

std::optional<Socket> Listener::try_accept() {
  SYSLAB_TODO("one accept4 with SOCK_CLOEXEC; nullopt for EINTR, EAGAIN and ECONNABORTED, throw on the rest");
}

std::uint16_t Listener::local_port() const { return net::local_port(fd_); }

Listener listen_tcp(const std::string& host, std::uint16_t port, const ListenOptions& options) {
  SYSLAB_TODO("resolve with getaddrinfo(AI_PASSIVE); socket(SOCK_CLOEXEC), SO_REUSEADDR, IPV6_V6ONLY, bind, listen on the first address that works");
}

Socket connect_tcp(const std::string& host, std::uint16_t port) {
  SYSLAB_TODO("resolve with getaddrinfo; socket(SOCK_CLOEXEC) and connect to each address until one accepts");
}

std::uint16_t local_port(fdio::BorrowedFd fd) {
  SYSLAB_TODO("getsockname(2), then the port of the IPv4 or IPv6 address, in host byte order");
}

std::uint16_t parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || value > 65535) {
    throw std::invalid_argument("bad port \"" + std::string(text) +
                                "\": a number from 0 to 65535 is needed");
  }
  return static_cast<std::uint16_t>(value);
}

std::string local_address(fdio::BorrowedFd fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) < 0) {
    syslab::throw_errno("getsockname", "fd " + std::to_string(fd.get()));
  }
  return format_address(reinterpret_cast<const sockaddr*>(&address), length);
}

}  // namespace net
