// Lab 13: httpd's server: lab 11's reactor::Server whose connections start undecided (a
// ProtocolSniffer in the context slot) and become lab 12's Http1Connection or an
// Http2Connection by their first bytes; an HTTP/1.1 connection may still become HTTP/2 by an
// h2c Upgrade. One handler for all. The graceful stop tells each connection in its own protocol:
// "Connection: close" on the last HTTP/1.1 response, the two GOAWAYs of HTTP/2.
// TLS: a second Endpoint whose make_transport wraps each accepted socket in a TlsTransport, on the
// same loops. There ALPN decides, not the first bytes: "h2" is HTTP/2, anything else HTTP/1.1.
// Look at: httpd --port 8080; curl --http2-prior-knowledge -v http://127.0.0.1:8080/ and
// curl --http1.1 -v http://127.0.0.1:8080/: one port, two protocols.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "h2_connection.hpp"
#include "http1_connection.hpp"
#include "http_server.hpp"
#include "protocol_sniffer.hpp"
#include "socket.hpp"
#include "tcp_server.hpp"
#include "transport.hpp"
#include "unique_fd.hpp"

namespace h2 {

// A listening socket and what its connections run on.
struct Endpoint {
  net::Listener listener;
  // Wraps each accepted socket (TLS: the transport that encrypts); empty: the plain socket.
  std::function<std::unique_ptr<reactor::Transport>(fdio::UniqueFd socket)> make_transport;
};

struct ServerOptions {
  int threads = 0;  // I/O loops on their own threads (lab 11); 0: all on the caller's loop
  http::Http1Options http1;
  Http2Options http2;
  reactor::ConnectionOptions connection;
  std::chrono::milliseconds grace{5'000};  // after a stop: how long busy connections may finish
  bool h2c_upgrade = true;                 // answer "Upgrade: h2c" (else it stays HTTP/1.1)
  Preloads preloads;  // a page's assets: its 103 over either protocol, its pushes over HTTP/2
};

// Lives on base_loop's thread, like the reactor::Server it holds.
class Server {
 public:
  Server(reactor::EventLoop& base_loop, Endpoint endpoint, http::Handler handler,
         ServerOptions options, http::AccessLog log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // One more listening socket (before start), on the same loops: httpd's TLS port.
  void add_endpoint(Endpoint endpoint);
  void start();
  // Graceful (base loop thread): no new connections; each open one is told to stop in its own
  // protocol; the base loop quits once the last has closed, or after the grace period.
  void stop_gracefully();

 private:
  using ConnectionPtr = reactor::Connection::Ptr;
  void connection_changed(const ConnectionPtr& conn);  // on the connection's I/O thread
  // The sniffer decided: the codec for protocol becomes the context and gets the bytes so far.
  void install(reactor::Connection& conn, Protocol protocol, reactor::IoBuffer& bytes);
  // Lab 12's upgrade hook: an h2c Upgrade request becomes stream 1 of a new Http2Connection.
  bool upgrade(reactor::Connection& conn, const http::Request& request, std::string_view rest);

  reactor::EventLoop& base_loop_;
  // Declared before server_: the connections refer to them, and server_ closes them first.
  const http::Handler handler_;
  ServerOptions options_;
  const http::AccessLog log_;
  std::atomic<bool> stopping_{false};
  http::OpenConnections open_;
  reactor::TimerId grace_timer_ = 0;
  reactor::Server server_;
};

// The reactor's callbacks: to whichever codec the connection has now.
void on_message(reactor::Connection& conn, reactor::IoBuffer& input);
void on_drained(reactor::Connection& conn);

// Serves handler on every endpoint until the stop fd (a signalfd for SIGTERM/SIGINT) is readable,
// then stops gracefully and returns once every connection has closed. on_ready runs once it
// accepts.
void serve(std::vector<Endpoint> endpoints, fdio::BorrowedFd stop, http::Handler handler,
           const ServerOptions& options, http::AccessLog log,
           const std::function<void()>& on_ready);

}  // namespace h2
