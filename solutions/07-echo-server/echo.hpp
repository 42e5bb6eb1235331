// Lab 07: the echo protocol and the iterative server. echo_connection is the whole protocol:
// every byte read is written back, with lab 02's read_some/write_all, until the peer is done.
// serve_iterative accepts one connection, echoes it to the end, then accepts the next: simple,
// and a second client waits until the first leaves (try two echo-clients at once).
// Look at: ss -tan while two clients are connected: both ESTABLISHED, one not yet accepted.
#pragma once

#include <cstddef>

#include "socket.hpp"
#include "unique_fd.hpp"

namespace net {

// How a connection's echo loop ended.
enum class EchoEnd {
  kEof,            // the peer closed its side and everything read was echoed
  kPeerReset,      // ECONNRESET or EPIPE: the peer left mid-stream; an ordinary end, not an error
  kStopRequested,  // the stop fd became readable before the peer was done
};

struct EchoResult {
  EchoEnd end = EchoEnd::kEof;
  std::size_t bytes = 0;  // bytes echoed back
};

// Echoes everything read from conn back to it, until EOF, a peer reset, or (when stop is a valid
// fd) stop becomes readable. Blocks; conn must be a blocking fd. Needs SIGPIPE ignored (in main)
// so that a peer gone mid-write is EPIPE, not death. Throws on other errors (EBADF ...).
[[nodiscard]] EchoResult echo_connection(fdio::BorrowedFd conn,
                                         fdio::BorrowedFd stop = fdio::BorrowedFd(-1));

// Serves one connection after the other until stop (any fd: a signalfd, an eventfd, a pipe)
// becomes readable. Then it stops gracefully: closes the listener, so that new connects are
// refused, finishes the connection it is serving, and returns. Takes the listener over.
void serve_iterative(Listener listener, fdio::BorrowedFd stop);

}  // namespace net
