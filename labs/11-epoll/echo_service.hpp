// Lab 11: the echo protocol on the reactor. The whole protocol is one message callback: send
// back what came in. Everything else (accepting, buffering, flow control, timeouts, threads, the
// graceful stop) is the reactor's.
// Look at: serve_echo, then the same server for HTTP in lab 12 with another message callback.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "epoll_poller.hpp"
#include "socket.hpp"
#include "unique_fd.hpp"

namespace reactor {

struct EchoOptions {
  int threads = 0;                   // I/O threads; 0: one loop does everything
  std::string poller = "epoll";      // every loop's back-end: epoll, poll or select (poller_choice)
  Trigger trigger = Trigger::kEdge;  // epoll only: poll and select need kLevel
  std::chrono::milliseconds idle_timeout{0};  // 0: none
};

// Serves echo on listener, on this thread's loop and options.threads more (each on the poller
// options.poller names; std::invalid_argument for a bad choice, as make_poller), until stop (a
// signalfd, an eventfd: any fd) is readable. Then it stops gracefully: closes the listener, lets
// open connections finish, joins its threads and returns. on_ready runs once every loop and fd is
// made, just before serving (main prints "listening on" there: its fds are all open by then).
void serve_echo(
    net::Listener listener, fdio::BorrowedFd stop, const EchoOptions& options,
    const std::function<void()>& on_ready = [] {});

}  // namespace reactor
