// Lab 14: SO_REUSEPORT, one listening socket per worker on the same port. With one shared socket,
// every idle worker sleeps on the same accept queue and each new connection wakes them all (the
// thundering herd: one wins, the others' accept4 says EAGAIN); with SO_REUSEPORT each worker has
// its own queue and the kernel hashes each new connection (its addresses and ports) to one of the
// listening sockets: no herd, and the load spread by the kernel, not by who wakes first.
// Look at: ss -ltnpe sport = :PORT (one LISTEN line per worker slot, each its own inode).
#pragma once

#include <cstdint>
#include <string>

#include "socket.hpp"
#include "unique_fd.hpp"

namespace finale {

// A listening socket on host:port with SO_REUSEADDR and SO_REUSEPORT: the first of a reuseport
// group (port 0: the kernel's choice, which listen_beside then shares). Throws net::ResolveError,
// or syslab::SystemError naming the call and the address.
[[nodiscard]] net::Listener listen_reuseport(const std::string& host, std::uint16_t port,
                                             int backlog = 128);

// A new listening socket on the address `first` is bound to, with SO_REUSEPORT: one more accept
// queue on the same port, in the same reuseport group.
[[nodiscard]] net::Listener listen_beside(fdio::BorrowedFd first, int backlog = 128);

}  // namespace finale
