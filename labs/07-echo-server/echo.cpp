// Lab 07: an echo loop built on lab 02's partial I/O, and the simplest server there is.
#include "echo.hpp"

#include <poll.h>

#include <array>
#include <cerrno>

#include "fd_io.hpp"
#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace net {

EchoResult echo_connection(fdio::BorrowedFd conn, fdio::BorrowedFd stop) {
  SYSLAB_TODO("read_some, write_all what came back, until EOF; a peer reset ends it, a readable stop fd too");
}

void serve_iterative(Listener listener, fdio::BorrowedFd stop) {
  SYSLAB_TODO("accept, echo_connection to the end, repeat; on stop close the listener, finish the connection, return");
}

}  // namespace net
