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

namespace tmodels {

// BEGIN SOLUTION
namespace {

// poll(2) for input on up to three fds (a negative one is left out); which of them are ready.
// Readable includes EOF and errors: the call that follows says which.
std::array<bool, 3> wait_readable(std::array<int, 3> fds) {
  std::array<pollfd, 3> entries{};
  for (std::size_t i = 0; i < fds.size(); ++i) entries[i] = {fds[i], POLLIN, 0};
  while (::poll(entries.data(), entries.size(), -1) < 0) {
    if (errno != EINTR) syslab::throw_errno("poll");
  }
  std::array<bool, 3> ready{};
  for (std::size_t i = 0; i < fds.size(); ++i) ready[i] = entries[i].revents != 0;
  return ready;
}

// Reads one stop request (a signalfd_siginfo is 128 bytes; an eventfd gives 8, a pipe what it
// has), so that the fd is readable again only on the next request. Call it only when readable.
// A read interrupted by a signal took nothing: read again, or the request left behind would be
// taken for a second one (stop now) at the next poll.
void consume_stop_request(fdio::BorrowedFd stop) {
  std::array<char, 128> request;
  ssize_t n = 0;
  do {
    n = ::read(stop.get(), request.data(), request.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN) syslab::throw_errno("read stop fd");
}

// Starts conn's own thread; when no thread can be made (EAGAIN: a limit of threads or memory)
// the connection is closed, and the server goes on.
void start_connection_thread(ThreadGroup& threads, net::Socket conn) {
  try {
    threads.start([conn = std::move(conn)](std::stop_token stop) mutable {
      serve_connection(std::move(conn), std::move(stop));
    });
  } catch (const std::system_error& error) {
    std::cerr << "echo-server: no thread for a new connection (it is closed): " << error.what()
              << "\n";
  }
}

// The pool's acceptor: until `stop` is readable, accept and queue. When the queue is full,
// kWait does not accept (clients wait in the listen backlog) until a worker makes room;
// kReject accepts and answers busy.
void accept_into_pool(net::Listener& listener, fdio::BorrowedFd stop, ConnectionPool& pool,
                      WhenFull when_full) {
  for (;;) {
    drain_eventfd(pool.room_fd());  // before has_room(): a worker that pops later notifies again
    const bool accepting = when_full == WhenFull::kReject || pool.has_room();
    const auto [incoming, stopped, room] =
        wait_readable({accepting ? listener.fd().get() : -1, stop.get(), pool.room_fd().get()});
    if (stopped) return;
    if (!incoming) continue;  // room, perhaps: look again
    std::optional<net::Socket> conn = listener.try_accept();
    if (conn && pool.try_submit(*conn) == PushResult::kFull) reject_busy(std::move(*conn));
  }
}

}  // namespace
// END SOLUTION

// [slide:serve_connection]
void serve_connection(net::Socket conn, std::stop_token stop) noexcept {
  try {
    // BEGIN SOLUTION: echo_connection with a StopEventFd of stop as its stop fd; print (do not throw) an error
    const StopEventFd stop_fd(std::move(stop));  // readable when this thread is told to stop
    // kStopRequested: told to stop now; kEof or kPeerReset: the client is done. Either way the
    // socket closes when conn goes out of scope.
    (void)net::echo_connection(conn.fd(), stop_fd.fd());
    // END SOLUTION
  } catch (const std::exception& error) {
    std::cerr << "echo-server: connection: " << error.what() << "\n";
  }
}
// [/slide]

// [slide:reject_busy]
void reject_busy(net::Socket conn) {
  // BEGIN SOLUTION: write kBusyLine (a peer gone early is no error), shut down the sending side, close
  // The line fits in any send buffer: this write does not block the acceptor.
  (void)fdio::write_all(conn.fd(), kBusyLine);
  // FIN after the line. (Bytes the client sent and we never read make close(2) send a reset,
  // which may overtake the line: a client should read the answer before it talks.)
  (void)::shutdown(conn.fd().get(), SHUT_WR);
  // END SOLUTION
}
// [/slide]

// [slide:serve_threads]
void serve_threads(net::Listener listener, fdio::BorrowedFd stop, ThreadGroup& threads) {
  // BEGIN SOLUTION: poll listener, stop and the group's finished fd: accept -> a thread per connection; join finished threads; on stop close the listener, finish_threads
  for (;;) {
    const auto [incoming, stopped, finished] =
        wait_readable({listener.fd().get(), stop.get(), threads.finished_fd().get()});
    if (stopped) break;
    if (finished) (void)threads.join_finished();  // finished threads do not wait until exit
    if (!incoming) continue;
    if (std::optional<net::Socket> conn = listener.try_accept()) {
      start_connection_thread(threads, std::move(*conn));
    }
  }
  { const net::Listener closing = std::move(listener); }  // new connects are refused from now
  finish_threads(threads, stop);
  // END SOLUTION
}
// [/slide]

// [slide:serve_pool]
void serve_pool(net::Listener listener, fdio::BorrowedFd stop, ConnectionPool& pool,
                WhenFull when_full) {
  // BEGIN SOLUTION: accept into the pool (when full: wait or reject); on stop close the listener, close the pool, finish_threads on its workers
  accept_into_pool(listener, stop, pool, when_full);
  { const net::Listener closing = std::move(listener); }  // new connects are refused from now
  pool.close();  // the queued connections are still served; then each worker ends
  finish_threads(pool.workers(), stop);
  // END SOLUTION
}
// [/slide]

// [slide:finish_threads]
void finish_threads(ThreadGroup& threads, fdio::BorrowedFd stop) {
  // BEGIN SOLUTION: consume the stop request; until the group is empty: poll stop and the finished fd, join the finished; a second stop request -> request_stop
  consume_stop_request(stop);
  (void)threads.join_finished();
  while (threads.size() > 0) {
    const auto [stopped_again, finished, unused] =
        wait_readable({stop.get(), threads.finished_fd().get(), -1});
    if (stopped_again) {
      consume_stop_request(stop);
      threads.request_stop();  // each thread's StopEventFd wakes its echo_connection
    }
    if (finished) (void)threads.join_finished();
  }
  // END SOLUTION
}
// [/slide]

}  // namespace tmodels
