// Lab 09: two thread models for lab 07's echo protocol. Thread per connection: every accepted
// connection gets its own std::jthread, joined as soon as it ends. Pool: N workers and a bounded
// queue; when the queue is full the server either stops accepting (clients wait in the kernel's
// listen backlog) or answers "busy" and hangs up. Both stop gracefully on the stop fd (stop
// accepting, finish every open connection, join every thread); a second stop request stops the
// threads at once through their stop tokens.
// Look at: ps -L -p PID, ls /proc/PID/task, ss -tn while clients come and go.
#pragma once

#include <cstddef>
#include <string_view>

#include "socket.hpp"
#include "thread_group.hpp"
#include "thread_pool.hpp"
#include "unique_fd.hpp"

namespace tmodels {

// [slide:when_full]
// What the pool does with a new client while `queue` accepted ones already wait for a worker.
enum class WhenFull {
  kWait,    // stop accepting until a worker takes one: new clients wait in the listen backlog
  kReject,  // accept, answer kBusyLine, close: the client knows at once and may retry
};
// [/slide]
inline constexpr std::string_view kBusyLine = "busy: every worker is taken, try again later\n";

struct PoolOptions {
  std::size_t threads = 4;  // workers
  std::size_t queue = 16;   // accepted connections waiting for a worker
  WhenFull when_full = WhenFull::kWait;
};

// Echoes conn until the peer is done (lab 07's echo_connection) or `stop` is stopped (a
// StopEventFd is echo_connection's stop fd), then closes it. An error ends this connection only:
// it is printed, never thrown.
void serve_connection(net::Socket conn, std::stop_token stop) noexcept;

// Thread per connection, each started in `threads`, until `stop` is readable; then stops
// gracefully (see finish_threads). The group is the caller's, so that everything the server
// keeps open exists before it announces that it listens.
void serve_threads(net::Listener listener, fdio::BorrowedFd stop, ThreadGroup& threads);

// Accepts into `pool` (its workers are running already) until `stop` is readable; when the
// queue is full, does what when_full says. Then stops gracefully: the connections already
// queued are served too.
void serve_pool(net::Listener listener, fdio::BorrowedFd stop, ConnectionPool& pool,
                WhenFull when_full);

// Writes kBusyLine to conn and closes it: the "reject" answer to a full queue. A peer that is
// already gone is no error.
void reject_busy(net::Socket conn);

// After stop was readable (and the listener closed): joins the group's threads as each ends,
// until none is left. The stop request is consumed first, so that a second one (a second
// SIGTERM, Ctrl-C twice) makes stop readable again: the threads are then told to stop now.
void finish_threads(ThreadGroup& threads, fdio::BorrowedFd stop);

}  // namespace tmodels
