// Lab 13: one port, HTTP/1.1 and HTTP/2, on lab 11's reactor (see h2_server.hpp).
#include "h2_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <vector>

#include "channel.hpp"
#include "event_loop.hpp"
#include "h2c_upgrade.hpp"
#include "poller_choice.hpp"
#include "tls_transport.hpp"

namespace h2 {

namespace {

// What TLS decided before the first byte (RFC 9113 §3.2): ALPN "h2" is HTTP/2; "http/1.1" or no
// ALPN at all is HTTP/1.1, and then the first bytes have no say: a client that agreed on
// http/1.1 and sends the preface anyway gets HTTP/1.1's answer to it (505), not HTTP/2.
// kUndecided on a clear-text connection: there the sniffer decides.
// [slide:protocol_chosen_by_tls]
Protocol protocol_chosen_by_tls(const reactor::Transport& transport) {
  if (dynamic_cast<const tls::TlsTransport*>(&transport) == nullptr) return Protocol::kUndecided;
  return transport.selected_protocol() == "h2" ? Protocol::kHttp2 : Protocol::kHttp1;
}
// [/slide]

}  // namespace

Server::Server(reactor::EventLoop& base_loop, Endpoint endpoint, http::Handler handler,
               ServerOptions options, http::AccessLog log)
    : base_loop_(base_loop),
      handler_(std::move(handler)),
      options_(std::move(options)),
      log_(std::move(log)),
      server_(base_loop, std::move(endpoint.listener), [this, &endpoint] {
        reactor::ServerOptions server_options;
        server_options.threads = options_.threads;
        server_options.make_poller = [] {
          return reactor::make_poller("epoll", reactor::Trigger::kEdge);
        };
        server_options.connection = options_.connection;
        server_options.make_transport = std::move(endpoint.make_transport);
        return server_options;
      }()) {
  // A never-reading client: responses (HTTP/1.1) and frames (HTTP/2) stop above the mark where
  // its reading stops.
  const std::size_t mark = options_.connection.high_water_mark;
  options_.http1.output_limit = std::max(options_.http1.output_limit, mark);
  options_.http2.output_limit = mark;
  options_.http2.max_body = options_.http1.limits.max_body;
  options_.http2.idle_timeout = options_.http1.keepalive_timeout;
  options_.http2.server_name = options_.http1.server_name;
  options_.http2.preloads = options_.preloads;
  if (options_.preloads.early_hints) {  // over HTTP/1.1, lab 12's connection sends the 103
    options_.http1.early_hints = [this](const http::Request& request) {
      return early_hint_fields(request, options_.preloads);
    };
  }
  if (options_.h2c_upgrade) {
    options_.http1.upgrade = [this](reactor::Connection& conn, const http::Request& request,
                                    std::string_view rest) { return upgrade(conn, request, rest); };
  }
  server_.on_message(h2::on_message);
  server_.on_connection([this](const ConnectionPtr& conn) { connection_changed(conn); });
}

Server::~Server() {
  if (grace_timer_ != 0) base_loop_.cancel(grace_timer_);
}

void Server::add_endpoint(Endpoint endpoint) {
  server_.add_listener(std::move(endpoint.listener), std::move(endpoint.make_transport));
}

void Server::start() { server_.start(); }

void Server::connection_changed(const ConnectionPtr& conn) {
  if (!conn->connected()) {
    open_.remove(*conn);
    return;
  }
  // As in lab 12: HEADERS and DATA often leave in two writes, and Nagle's algorithm would hold
  // the second until the client's delayed ACK: 40 ms a request on a connection with one stream.
  const int on = 1;
  (void)::setsockopt(conn->fd().get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  // Until its first bytes say which protocol, a connection has only the sniffer; it has as long
  // as HTTP/1.1 gives a request head.
  auto sniffer = std::make_shared<ProtocolSniffer>(
      *conn,
      [this](reactor::Connection& c, Protocol protocol, reactor::IoBuffer& bytes) {
        install(c, protocol, bytes);
      },
      options_.http1.header_timeout);
  conn->set_context(sniffer);
  conn->on_drained(h2::on_drained);
  open_.add(conn);
  // A connection that came in while the stop was on its way (accepted on the base loop, handed
  // to this thread) is not closed: its request may be on its way too. install() tells its codec
  // to stop as soon as there is one; the grace timer closes it if nothing comes.
  if (const Protocol chosen = protocol_chosen_by_tls(conn->transport());
      chosen != Protocol::kUndecided) {  // TLS: no sniffing, the codec at once
    reactor::IoBuffer nothing_yet;
    install(*conn, chosen, nothing_yet);
    return;
  }
  sniffer->start();
}

void Server::install(reactor::Connection& conn, Protocol protocol, reactor::IoBuffer& bytes) {
  // BEGIN SOLUTION: HTTP/2: a new Http2Connection as the context, started, given the bytes; HTTP/1.1: a new Http1Connection (with options_.http1, which carries the upgrade hook), started, given the bytes; either is told to stop at once if the server is stopping
  if (protocol == Protocol::kHttp2) {
    auto h2 = std::make_shared<Http2Connection>(conn, handler_, options_.http2, log_);
    conn.set_context(h2);
    h2->start();
    h2->on_input(bytes.readable());
    bytes.clear();
    if (stopping_) h2->stop();
  } else {
    auto http = std::make_shared<http::Http1Connection>(conn, handler_, options_.http1, log_);
    conn.set_context(http);
    http->start();
    http->on_input(bytes);
    if (stopping_) http->stop();
  }
  // END SOLUTION
}

bool Server::upgrade(reactor::Connection& conn, const http::Request& request,
                     std::string_view rest) {
  // Over TLS only ALPN leads to HTTP/2: "Upgrade: h2c" is ignored there (RFC 9113 §3.1).
  if (protocol_chosen_by_tls(conn.transport()) != Protocol::kUndecided) return false;
  // BEGIN SOLUTION: the settings of a request that may upgrade (h2c_upgrade_settings), else false; a new Http2Connection that starts from it (start_upgraded: the 101, our SETTINGS, stream 1), else false; it becomes the context and gets the bytes that came after the request
  const auto settings = h2c_upgrade_settings(request);
  if (!settings) return false;
  auto h2 = std::make_shared<Http2Connection>(conn, handler_, options_.http2, log_);
  if (!h2->start_upgraded(request, *settings)) return false;
  conn.set_context(h2);  // the Http1Connection stays alive until its caller returns
  if (!rest.empty()) h2->on_input(rest);
  if (stopping_) h2->stop();
  return true;
  // END SOLUTION
}

void on_message(reactor::Connection& conn, reactor::IoBuffer& input) {
  // Each holds a shared_ptr while it runs: a codec that replaces itself stays alive until it
  // returns.
  if (auto h2 = conn.context<Http2Connection>()) {
    h2->on_input(input.readable());
    input.clear();
  } else if (auto http = conn.context<http::Http1Connection>()) {
    http->on_input(input);
  } else if (auto sniffer = conn.context<ProtocolSniffer>()) {
    sniffer->on_input(input);
  } else {
    input.clear();
  }
}

void on_drained(reactor::Connection& conn) {
  if (auto h2 = conn.context<Http2Connection>()) {
    h2->on_drained();
  } else if (auto http = conn.context<http::Http1Connection>()) {
    http->on_drained();
  }
}

void Server::stop_gracefully() {
  base_loop_.assert_in_loop_thread("Server::stop_gracefully");
  stopping_ = true;
  server_.stop_gracefully();
  open_.for_each([](reactor::Connection& conn) {
    if (auto h2 = conn.context<Http2Connection>()) {
      h2->stop();
    } else if (auto http = conn.context<http::Http1Connection>()) {
      http->stop();
    }
    // Undecided: accepted just before the stop, its request may be on its way (the client cannot
    // know we stop; closing now would fail it, as in a reload of lab 14's workers). install()
    // answers it with the stop on (Connection: close, GOAWAY); the grace timer closes it if
    // nothing comes.
  });
  grace_timer_ = base_loop_.run_after(options_.grace, [this] {
    grace_timer_ = 0;
    open_.for_each([](reactor::Connection& conn) { conn.close(); });
  });
}

void serve(std::vector<Endpoint> endpoints, fdio::BorrowedFd stop, http::Handler handler,
           const ServerOptions& options, http::AccessLog log,
           const std::function<void()>& on_ready) {
  reactor::EventLoop loop(reactor::make_poller("epoll", reactor::Trigger::kEdge));
  Server server(loop, std::move(endpoints.at(0)), std::move(handler), options, std::move(log));
  for (std::size_t i = 1; i < endpoints.size(); ++i) server.add_endpoint(std::move(endpoints[i]));
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

}  // namespace h2
