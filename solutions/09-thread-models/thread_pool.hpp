// Lab 09: a fixed pool of worker threads fed by a bounded queue of connections. The number of
// threads stays N whatever the load (ps -L shows N+1), and at most `queue` accepted connections
// wait for a worker. Beyond that the server must decide: that decision is the back-pressure.
// Look at: grep Threads /proc/PID/status under load; ss -ltn (Recv-Q of the listener).
#pragma once

#include <cstddef>
#include <functional>
#include <stop_token>

#include "bounded_queue.hpp"
#include "socket.hpp"
#include "stop_eventfd.hpp"
#include "thread_group.hpp"
#include "unique_fd.hpp"

namespace tmodels {

// Serves one connection to its end; `stop` is the worker's stop token (stopped: end it now).
using ConnectionHandler = std::function<void(net::Socket conn, std::stop_token stop)>;

class ConnectionPool {
 public:
  // Starts `threads` workers at once (at least 1); each takes connections from a queue of
  // `queue_capacity` and hands them to `handler`, one after the other.
  ConnectionPool(std::size_t threads, std::size_t queue_capacity, ConnectionHandler handler);

  // Queues conn for a worker without waiting: kFull leaves conn with the caller.
  [[nodiscard]] PushResult try_submit(net::Socket& conn) { return queue_.try_push(conn); }
  // True while the queue has room (only the caller pushes, so try_submit would succeed).
  [[nodiscard]] bool has_room() const { return queue_.size() < queue_.capacity(); }
  // Readable after a worker took a connection from the queue (so there may be room now).
  // drain_eventfd it before looking at has_room(), so no wake-up is lost.
  [[nodiscard]] fdio::BorrowedFd room_fd() const noexcept { return room_fd_; }

  // Graceful end: no more connections; the workers serve those queued, then end. Does not wait:
  // finish_threads(workers(), ...) does.
  void close() { queue_.close(); }
  [[nodiscard]] ThreadGroup& workers() noexcept { return workers_; }

 private:
  // One worker's life: pop a connection, serve it, repeat until the queue is closed and empty
  // or the worker is told to stop.
  void work(std::stop_token stop);

  BoundedQueue<net::Socket> queue_;
  fdio::UniqueFd room_fd_;
  ConnectionHandler handler_;
  ThreadGroup workers_;  // declared last, destroyed first: workers end before the queue goes
};

}  // namespace tmodels
