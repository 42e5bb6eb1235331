// Lab 07: an echo loop built on lab 02's partial I/O, and the simplest server there is.
#include "echo.hpp"

#include <poll.h>

#include <array>
#include <cerrno>

#include "fd_io.hpp"
#include "syslab/error.hpp"

namespace net {

// BEGIN SOLUTION
namespace {

// Waits until one of two fds is readable (or at EOF or in error): true for `first`, false for
// `second`. A negative fd is left out, as poll(2) does with it.
bool wait_for_first(fdio::BorrowedFd first, fdio::BorrowedFd second) {
  std::array<pollfd, 2> fds{{{first.get(), POLLIN, 0}, {second.get(), POLLIN, 0}}};
  while (::poll(fds.data(), fds.size(), -1) < 0) {
    if (errno != EINTR) syslab::throw_errno("poll");
  }
  // A stop wins over more input: a server told to stop should not start on new work.
  return fds[1].revents == 0;
}

}  // namespace
// END SOLUTION

// [slide:echo_connection-1]
EchoResult echo_connection(fdio::BorrowedFd conn, fdio::BorrowedFd stop) {
  // BEGIN SOLUTION: read_some, write_all what came back, until EOF; a peer reset ends it, a readable stop fd too
  std::array<char, 64 * 1024> buffer;
  EchoResult result;
  for (;;) {
    if (stop.ok() && !wait_for_first(conn, stop)) {
      result.end = EchoEnd::kStopRequested;
      return result;
    }
    // [/slide]
    // [slide:echo_connection-2]
    const fdio::IoResult got = fdio::read_some(conn, buffer);
    if (got.eof()) return result;
    if (got.peer_closed()) {
      result.end = EchoEnd::kPeerReset;
      return result;
    }
    if (!got.done()) continue;  // EINTR: read again
    const fdio::IoResult sent = fdio::write_all(conn, std::string_view(buffer.data(), got.count));
    result.bytes += sent.count;
    if (sent.peer_closed()) {
      result.end = EchoEnd::kPeerReset;
      return result;
    }
  }
  // END SOLUTION
}
// [/slide]

// [slide:serve_iterative]
void serve_iterative(Listener listener, fdio::BorrowedFd stop) {
  // BEGIN SOLUTION: accept, echo_connection to the end, repeat; on stop close the listener, finish the connection, return
  for (;;) {
    if (!wait_for_first(listener.fd(), stop)) return;  // the listener closes on return
    std::optional<Socket> conn = listener.try_accept();
    if (!conn) continue;
    if (echo_connection(conn->fd(), stop).end == EchoEnd::kStopRequested) {
      // Graceful: no new connections (closing the listener makes connects fail at once),
      // but the client being served gets everything it sends echoed until it leaves.
      { const Listener closing = std::move(listener); }
      (void)echo_connection(conn->fd());
      return;
    }
  }
  // END SOLUTION
}
// [/slide]

}  // namespace net
