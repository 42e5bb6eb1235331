// Lab 14: SO_REUSEPORT, one listening socket per worker on the same port. With one shared socket,
// every idle worker sleeps on the same accept queue and each new connection wakes them all (the
// thundering herd: one wins, the others' accept4 says EAGAIN); with SO_REUSEPORT each worker has
// its own queue and the kernel hashes each new connection (its addresses and ports) to one of the
// listening sockets: no herd, and the load spread by the kernel, not by who wakes first.
// Look at: ss -ltnpe sport = :PORT (one LISTEN line per worker, each its own inode).
#pragma once

#include <cstdint>
#include <string>

#include "socket.hpp"
#include "unique_fd.hpp"

namespace finale {

// A socket bound to host:port with SO_REUSEADDR and SO_REUSEPORT, NOT listening: the master
// holds it so that the port stays ours (port 0: the kernel's choice, kept) while workers come and
// go. A socket that does not listen gets no connection: only listening sockets are in the
// kernel's lookup. Wrapped in a Listener because lab 08's Arbiter holds one. Throws
// net::ResolveError, or syslab::SystemError naming the call and the address.
[[nodiscard]] net::Listener reserve_port(const std::string& host, std::uint16_t port);

// A new listening socket on the address `reserved` is bound to, with SO_REUSEPORT: one more
// accept queue on the same port, in the same reuseport group.
[[nodiscard]] net::Listener listen_beside(fdio::BorrowedFd reserved, int backlog = 128);

}  // namespace finale
