// Lab 12: the HTTP/1.1 server on lab 11's reactor, and its graceful stop.
#include "http_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "channel.hpp"
#include "event_loop.hpp"
#include "fd_io.hpp"
#include "poller_choice.hpp"
#include "syslab/todo.hpp"

namespace http {

void AccessLogWriter::write(const AccessRecord& record) {
  const std::string line = format_access_line(record, std::time(nullptr));
  const std::lock_guard lock(mutex_);
  const fdio::BorrowedFd to = file_.ok() ? fdio::BorrowedFd(file_) : fdio::BorrowedFd(1);
  (void)fdio::write_all(to, line);  // a log that cannot be written does not stop the server
}

void OpenConnections::add(const reactor::Connection::Ptr& conn) {
  const std::lock_guard lock(mutex_);
  open_[conn->id()] = conn;
}

void OpenConnections::remove(const reactor::Connection& conn) {
  const std::lock_guard lock(mutex_);
  open_.erase(conn.id());
}

void OpenConnections::for_each(const std::function<void(reactor::Connection&)>& step) {
  std::vector<reactor::Connection::Ptr> open;
  {
    const std::lock_guard lock(mutex_);
    for (const auto& [id, weak] : open_) {
      if (auto conn = weak.lock()) open.push_back(std::move(conn));
    }
  }
  for (const reactor::Connection::Ptr& conn : open) {
    conn->loop().run_in_loop([conn, step] { step(*conn); });  // on the connection's own thread
  }
}

HttpServer::HttpServer(reactor::EventLoop& base_loop, net::Listener listener, Handler handler,
                       HttpServerOptions options, AccessLog log)
    : base_loop_(base_loop),
      handler_(std::move(handler)),
      options_([&options] {
        // A never-reading client: responses stop above the mark where its reading stops.
        options.http.output_limit =
            std::max(options.http.output_limit, options.connection.high_water_mark);
        return std::move(options);
      }()),
      log_(std::move(log)),
      server_(base_loop, std::move(listener), [this] {
        reactor::ServerOptions server_options;
        server_options.threads = options_.threads;
        server_options.make_poller = [] {
          return reactor::make_poller("epoll", reactor::Trigger::kEdge);
        };
        server_options.connection = options_.connection;
        return server_options;
      }()) {
  server_.on_message(on_http1_message);
  server_.on_connection([this](const ConnectionPtr& conn) { connection_changed(conn); });
}

HttpServer::~HttpServer() {
  if (grace_timer_ != 0) base_loop_.cancel(grace_timer_);
}

void HttpServer::start() { server_.start(); }

void HttpServer::connection_changed(const ConnectionPtr& conn) {
  if (!conn->connected()) {
    open_.remove(*conn);
    return;
  }
  // A response often goes out in two writes (the head, then a file by sendfile): Nagle's algorithm
  // would hold a small second one until the client acknowledges the first, and a client that
  // delays its ACK (they all do) makes that 40 ms per request.
  const int on = 1;
  (void)::setsockopt(conn->fd().get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  auto http = std::make_shared<Http1Connection>(*conn, handler_, options_.http, log_);
  conn->set_context(http);
  conn->on_drained(on_http1_drained);
  open_.add(conn);
  http->start();
  if (stopping_) http->stop();  // it came in while the stop was on its way
}

void HttpServer::stop_gracefully() {
  base_loop_.assert_in_loop_thread("HttpServer::stop_gracefully");
  SYSLAB_TODO("mark the server stopping; stop the reactor server gracefully (no more accepts); tell every open connection to stop (its Http1Connection::stop, on its own loop); after options_.grace, close what is still open");
}

void serve_http(net::Listener listener, fdio::BorrowedFd stop, Handler handler,
                const HttpServerOptions& options, AccessLog log,
                const std::function<void()>& on_ready) {
  reactor::EventLoop loop(reactor::make_poller("epoll", reactor::Trigger::kEdge));
  HttpServer server(loop, std::move(listener), std::move(handler), options, std::move(log));
  reactor::Channel stop_channel(loop, stop);
  stop_channel.on_readable([&] {
    stop_channel.disable_all();  // a signalfd stays readable
    server.stop_gracefully();
  });
  stop_channel.enable_reading();
  server.start();
  on_ready();
  loop.run();  // until the stop and the last connection's close
}

}  // namespace http
