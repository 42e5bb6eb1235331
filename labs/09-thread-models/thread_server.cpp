// Lab 09: the acceptor loops of both thread models and their graceful stop.
#include "thread_server.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <iostream>
#include <optional>
#include <system_error>

#include "echo.hpp"
#include "fd_io.hpp"
#include "stop_eventfd.hpp"
#include "syslab/error.hpp"
#include "thread_pool.hpp"
#include "syslab/todo.hpp"

namespace tmodels {

void serve_connection(net::Socket conn, std::stop_token stop) noexcept {
  try {
    SYSLAB_TODO("echo_connection with a StopEventFd of stop as its stop fd; print (do not throw) an error");
  } catch (const std::exception& error) {
    std::cerr << "echo-server: connection: " << error.what() << "\n";
  }
}

void reject_busy(net::Socket conn) {
  SYSLAB_TODO("write kBusyLine (a peer gone early is no error), shut down the sending side, close");
}

void serve_threads(net::Listener listener, fdio::BorrowedFd stop, ThreadGroup& threads) {
  SYSLAB_TODO("poll listener, stop and the group's finished fd: accept -> a thread per connection; join finished threads; on stop close the listener, finish_threads");
}

void serve_pool(net::Listener listener, fdio::BorrowedFd stop, ConnectionPool& pool,
                WhenFull when_full) {
  SYSLAB_TODO("accept into the pool (when full: wait or reject); on stop close the listener, close the pool, finish_threads on its workers");
}

void finish_threads(ThreadGroup& threads, fdio::BorrowedFd stop) {
  SYSLAB_TODO("consume the stop request; until the group is empty: poll stop and the finished fd, join the finished; a second stop request -> request_stop");
}

}  // namespace tmodels
