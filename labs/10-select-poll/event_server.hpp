// Lab 10: one thread serves every client. The event server never blocks on a socket: the listener
// and the connections are non-blocking, a Poller says which are ready, and each connection keeps
// the echo its client has not taken yet. It runs on any Poller (select, poll, and lab 11's epoll).
// Look at: echo-server --model=poll; grep Threads /proc/PID/status; ls -l /proc/PID/fd.
#pragma once

#include <chrono>
#include <cstddef>

#include "poller.hpp"
#include "socket.hpp"
#include "unique_fd.hpp"

namespace mux {

// Flow control: a connection that owes its client this many bytes of echo is not read from until
// the client has taken some, so a client that never reads costs at most this much memory.
inline constexpr std::size_t kOutputCap = 256 * 1024;
// accept4 failed with EMFILE or ENFILE: the listener is not watched for this long, so that a full
// fd table does not turn the loop into a busy loop on a listener that stays readable.
inline constexpr std::chrono::milliseconds kAcceptPause{100};

// Serves every client of listener from this thread until stop (a signalfd, an eventfd, a pipe)
// becomes readable. Then it stops gracefully: closes the listener (new connects are refused),
// goes on echoing the open connections until their clients close, and returns. A connection
// whose fd the poller cannot watch (FdNotWatchable) is closed with one line on stderr; the
// others go on. The poller is the caller's: on return it watches nothing this function added.
// Needs SIGPIPE ignored (a client gone mid-write is EPIPE). Throws on failures that are not one
// connection's (a poller that fails, an accept error other than running out of fds).
void serve_events(net::Listener listener, Poller& poller, fdio::BorrowedFd stop);

}  // namespace mux
