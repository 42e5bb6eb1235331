// Lab 11: the Server: an Acceptor on the base loop, and `threads` I/O loops on their own threads;
// each new connection goes to the next I/O loop, round robin. threads = 0: everything on the base
// loop, one thread (--model=epoll); threads = N: N + 1 threads (--model=epoll-threads).
// Which thread owns what: the connection table, the acceptor and the stop state belong to the
// base loop's thread; a Connection belongs to its I/O loop's thread from established() on. They
// meet only through run_in_loop/queue_in_loop (a mutex and an eventfd), so there is no data race.
// Look at: echo-server --model=epoll-threads --threads 2; ls /proc/PID/task; ls -l /proc/PID/fd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "acceptor.hpp"
#include "loop_thread.hpp"
#include "socket.hpp"
#include "tcp_connection.hpp"
#include "transport.hpp"

namespace reactor {

class EventLoop;

// What each accepted socket is wrapped in (lab 13: TLS); empty: the plain socket.
using TransportFactory = std::function<std::unique_ptr<Transport>(fdio::UniqueFd socket)>;

struct ServerOptions {
  int threads = 0;            // I/O loops on their own threads; 0: the base loop does it all
  PollerFactory make_poller;  // for the I/O loops (the base loop's poller is the caller's)
  ConnectionOptions connection;
  TransportFactory make_transport;  // for the listener given to the constructor
};

class Server {
 public:
  // Lives on base_loop's thread, and is made, started, stopped and destroyed there.
  Server(EventLoop& base_loop, net::Listener listener, ServerOptions options);
  // Closes what is still open, then quits and joins the I/O threads.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Called on the connection's I/O thread for every connection's bytes.
  void on_message(Connection::MessageCallback callback) { on_message_ = std::move(callback); }
  // Called on the connection's I/O thread when a connection opens and when it closes (the
  // protocol sets its codec, as the connection's context, and its drained callback there).
  void on_connection(Connection::ConnectionCallback callback) {
    on_connection_ = std::move(callback);
  }

  // One more listening socket (before start), its connections on make_transport's transport and
  // on the same I/O loops (lab 13: a TLS port beside the clear-text one).
  void add_listener(net::Listener listener, TransportFactory make_transport);

  // Starts the I/O threads, then accepting (on every listener).
  void start();
  // Graceful: stops accepting (connects are refused from now on), lets the open connections
  // finish, and quits the base loop once the last one has closed.
  void stop_gracefully();

  [[nodiscard]] std::size_t connection_count() const noexcept { return connections_.size(); }
  [[nodiscard]] std::size_t shed_count() const noexcept { return acceptor_.shed_count(); }

 private:
  // base loop; make_transport: the listener's (empty: the plain socket)
  void new_connection(fdio::UniqueFd socket, const TransportFactory& make_transport);
  void remove_connection(const Connection::Ptr& conn);  // any loop: hops to the base loop
  EventLoop& next_io_loop();                            // round robin

  EventLoop& base_loop_;
  ServerOptions options_;
  Acceptor acceptor_;
  std::vector<std::unique_ptr<Acceptor>> more_acceptors_;  // add_listener's
  std::vector<std::unique_ptr<LoopThread>> io_threads_;
  std::size_t next_ = 0;
  std::unordered_map<std::uint64_t, Connection::Ptr> connections_;  // base loop thread only
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  Connection::MessageCallback on_message_;
  Connection::ConnectionCallback on_connection_;
};

}  // namespace reactor
