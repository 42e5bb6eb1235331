// Lab 14: a reuseport group of listening sockets on one port.
#include "reuseport.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>
#include <string>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace finale {
namespace {

using AddressList = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

// host:port for a passive TCP socket, as lab 07's listen_tcp resolves it.
AddressList resolve_passive(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  const int error =
      ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list);
  if (error != 0) throw net::ResolveError(error, host);
  return {list, &::freeaddrinfo};
}

// A TCP socket with SO_REUSEPORT, bound to address (where: the same as text, for errors). Every
// socket of the group must set the option before bind, and be of the same user: the kernel refuses
// a stranger's socket (EADDRINUSE).
fdio::UniqueFd reuseport_socket(const sockaddr* address, socklen_t length,
                                const std::string& where) {
  SYSLAB_TODO("socket(SOCK_CLOEXEC); SO_REUSEADDR and SO_REUSEPORT (IPV6_V6ONLY for IPv6); bind to address");
}

// A TCP socket with SO_REUSEPORT, bound to address and listening (backlog as lab 07's listen_tcp).
net::Listener listen_at(const sockaddr* address, socklen_t length, const std::string& where,
                        int backlog) {
  fdio::UniqueFd fd = reuseport_socket(address, length, where);
  if (::listen(fd.get(), backlog) < 0) syslab::throw_errno("listen", where);
  return net::Listener(std::move(fd));
}

}  // namespace

net::Listener listen_reuseport(const std::string& host, std::uint16_t port, int backlog) {
  const AddressList addresses = resolve_passive(host, port);
  const std::string where = (host.empty() ? "*" : host) + ":" + std::to_string(port);
  return listen_at(addresses->ai_addr, addresses->ai_addrlen, where, backlog);
}

net::Listener listen_beside(fdio::BorrowedFd first, int backlog) {
  SYSLAB_TODO("getsockname(first) gives the address (its port too); listen_at it");
}

}  // namespace finale
