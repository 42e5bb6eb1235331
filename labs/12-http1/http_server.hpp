// Lab 12: the HTTP/1.1 server: lab 11's reactor::Server with an Http1Connection in each
// connection's context slot, one handler for every request, an access log, and the graceful stop:
// no new connections, idle ones closed at once, busy ones closed once they have answered the
// requests they had (the last response says "Connection: close"), and after a grace period
// whatever is left.
// Look at: httpd --threads 2, then ls /proc/PID/task (3 threads: the acceptor loop and 2 I/O
// loops).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "http1_connection.hpp"
#include "socket.hpp"
#include "tcp_server.hpp"
#include "unique_fd.hpp"

namespace http {

struct HttpServerOptions {
  int threads = 0;  // I/O loops on their own threads (lab 11); 0: all on the caller's loop
  Http1Options http;
  reactor::ConnectionOptions connection;   // the high-water mark a never-reading client hits
  std::chrono::milliseconds grace{5'000};  // after a stop: how long busy connections may finish
};

// Access log lines to an fd (stdout, or a file opened for appending), one write(2) per line,
// from any thread: a mutex keeps lines whole and in one piece each.
class AccessLogWriter {
 public:
  explicit AccessLogWriter(fdio::UniqueFd file) : file_(std::move(file)) {}
  AccessLogWriter() = default;  // stdout
  void write(const AccessRecord& record);

 private:
  fdio::UniqueFd file_;  // not open: stdout
  std::mutex mutex_;
};

// The connections a server has open, over all its I/O threads: each is added and removed on its
// own thread, and the base thread visits them all (a stop, the end of the grace period).
class OpenConnections {
 public:
  void add(const reactor::Connection::Ptr& conn);
  void remove(const reactor::Connection& conn);
  // step(conn) for each open connection, run on that connection's own loop thread.
  void for_each(const std::function<void(reactor::Connection&)>& step);

 private:
  std::mutex mutex_;  // guards open_: the I/O threads add and remove, the base thread reads
  std::unordered_map<std::uint64_t, std::weak_ptr<reactor::Connection>> open_;
};

// Lives on base_loop's thread, like the reactor::Server it holds.
class HttpServer {
 public:
  HttpServer(reactor::EventLoop& base_loop, net::Listener listener, Handler handler,
             HttpServerOptions options, AccessLog log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void start();
  // Graceful (base loop thread): see the top of this file. The base loop quits once the last
  // connection has closed.
  void stop_gracefully();

 private:
  using ConnectionPtr = reactor::Connection::Ptr;
  void connection_changed(const ConnectionPtr& conn);  // on the connection's I/O thread

  reactor::EventLoop& base_loop_;
  // Declared before server_: the connections refer to them, and server_ closes them first.
  const Handler handler_;
  const HttpServerOptions options_;
  const AccessLog log_;
  std::atomic<bool> stopping_{false};
  OpenConnections open_;
  reactor::TimerId grace_timer_ = 0;
  reactor::Server server_;
};

// Serves handler on listener until the stop fd (a signalfd for SIGTERM/SIGINT) is readable, then
// stops gracefully and returns once every connection has closed. on_ready runs once the server
// accepts (it prints the "listening on" line).
void serve_http(net::Listener listener, fdio::BorrowedFd stop, Handler handler,
                const HttpServerOptions& options, AccessLog log,
                const std::function<void()>& on_ready);

}  // namespace http
