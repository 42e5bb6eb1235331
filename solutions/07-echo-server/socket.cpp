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

// BEGIN SOLUTION
// getaddrinfo's list, freed with freeaddrinfo on destruction.
using AddressList = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

// [slide:resolve]
AddressList resolve(const std::string& host, std::uint16_t port, int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;      // IPv4 and IPv6, whatever the name has
  hints.ai_socktype = SOCK_STREAM;  // TCP
  hints.ai_flags = flags | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  const int rc =
      ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) throw ResolveError(rc, host);
  return {list, &::freeaddrinfo};
}
// [/slide]

void set_option(int fd, int level, int name, int value, std::string_view call,
                const std::string& where) {
  if (::setsockopt(fd, level, name, &value, sizeof value) < 0) syslab::throw_errno(call, where);
}

// [slide:listen_on]
// One address: socket, options, bind, listen. Throws naming the call that failed.
fdio::UniqueFd listen_on(const addrinfo& address, const ListenOptions& options) {
  const std::string where = format_address(address.ai_addr, address.ai_addrlen);
  fdio::UniqueFd fd(
      ::socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC, address.ai_protocol));
  if (!fd.ok()) syslab::throw_errno("socket", where);
  if (options.reuse_address) {
    set_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt SO_REUSEADDR", where);
  }
  if (address.ai_family == AF_INET6) {
    set_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, options.v6_only ? 1 : 0,
               "setsockopt IPV6_V6ONLY", where);
  }
  if (::bind(fd.get(), address.ai_addr, address.ai_addrlen) < 0) syslab::throw_errno("bind", where);
  if (::listen(fd.get(), options.backlog) < 0) syslab::throw_errno("listen", where);
  return fd;
}
// [/slide]
// END SOLUTION

}  // namespace

ResolveError::ResolveError(int gai_error, const std::string& host)
    : std::runtime_error("getaddrinfo \"" + host + "\": " + describe_gai_error(gai_error)),
      gai_error_(gai_error) {}

// [slide:try_accept]
std::optional<Socket> Listener::try_accept() {
  // BEGIN SOLUTION: one accept4 with SOCK_CLOEXEC; nullopt for EINTR, EAGAIN and ECONNABORTED, throw on the rest
  const int fd = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) return Socket(fdio::UniqueFd(fd));
  switch (errno) {
    case EINTR:
    case EAGAIN:
    case ECONNABORTED: return std::nullopt;
    default: syslab::throw_errno("accept4", local_address(fd_));
  }
  // END SOLUTION
}
// [/slide]

std::uint16_t Listener::local_port() const { return net::local_port(fd_); }

Listener listen_tcp(const std::string& host, std::uint16_t port, const ListenOptions& options) {
  // BEGIN SOLUTION: resolve with getaddrinfo(AI_PASSIVE); socket(SOCK_CLOEXEC), SO_REUSEADDR, IPV6_V6ONLY, bind, listen on the first address that works
  const AddressList addresses = resolve(host, port, AI_PASSIVE);
  // Try each address; if none works, the first failure is the most telling one.
  std::optional<syslab::SystemError> first_error;
  for (const addrinfo* address = addresses.get(); address != nullptr; address = address->ai_next) {
    try {
      return Listener(listen_on(*address, options));
    } catch (const syslab::SystemError& error) {
      if (!first_error) first_error = error;
    }
  }
  throw *first_error;  // getaddrinfo never returns an empty list
  // END SOLUTION
}

Socket connect_tcp(const std::string& host, std::uint16_t port) {
  // BEGIN SOLUTION: resolve with getaddrinfo; socket(SOCK_CLOEXEC) and connect to each address until one accepts
  const AddressList addresses = resolve(host, port, 0);
  std::optional<syslab::SystemError> last_error;
  for (const addrinfo* address = addresses.get(); address != nullptr; address = address->ai_next) {
    const std::string where = format_address(address->ai_addr, address->ai_addrlen);
    fdio::UniqueFd fd(
        ::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol));
    if (!fd.ok()) syslab::throw_errno("socket", where);
    // A connect interrupted by a signal goes on in the background; this small client has
    // no handlers that interrupt, so EINTR is reported like any other failure.
    if (::connect(fd.get(), address->ai_addr, address->ai_addrlen) == 0)
      return Socket(std::move(fd));
    last_error = syslab::errno_error(errno, "connect", where);
  }
  throw *last_error;
  // END SOLUTION
}

std::uint16_t local_port(fdio::BorrowedFd fd) {
  // BEGIN SOLUTION: getsockname(2), then the port of the IPv4 or IPv6 address, in host byte order
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) < 0) {
    syslab::throw_errno("getsockname", "fd " + std::to_string(fd.get()));
  }
  if (address.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
  // END SOLUTION
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
