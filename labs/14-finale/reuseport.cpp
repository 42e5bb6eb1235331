// Lab 14: a reserved port and the listening sockets beside it.
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

}  // namespace

net::Listener reserve_port(const std::string& host, std::uint16_t port) {
  const AddressList addresses = resolve_passive(host, port);
  const std::string where = (host.empty() ? "*" : host) + ":" + std::to_string(port);
  return net::Listener(reuseport_socket(addresses->ai_addr, addresses->ai_addrlen, where));
}

net::Listener listen_beside(fdio::BorrowedFd reserved, int backlog) {
  SYSLAB_TODO("getsockname(reserved) gives the address (its port too); a reuseport_socket bound to it; listen");
}

}  // namespace finale
