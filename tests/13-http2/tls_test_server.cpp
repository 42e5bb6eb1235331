// Lab 13 tests: the TLS server in a forked child. See tls_test_server.hpp.
#include "tls_test_server.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "app.hpp"
#include "channel.hpp"
#include "event_loop.hpp"
#include "http1_connection.hpp"
#include "poller_choice.hpp"
#include "socket.hpp"
#include "syslab/test.hpp"
#include "tcp_server.hpp"
#include "tls_context.hpp"
#include "tls_transport.hpp"

namespace tls_test {

using namespace syslab::test;

std::string cert_path() { return program_path("tls-cert.pem"); }
std::string key_path() { return program_path("tls-key.pem"); }

namespace {

// Each connection, once its handshake is done, gets lab 12's HTTP/1.1 codec (whatever ALPN said:
// these tests are about the transport; lab 13's httpd chooses the codec from it).
void serve_http1(reactor::Server& server, const http::Handler& handler,
                 const http::Http1Options& options, const std::string& protocol_log) {
  server.on_message(http::on_http1_message);
  server.on_connection([&](const reactor::Connection::Ptr& conn) {
    if (!conn->connected()) return;
    if (!protocol_log.empty()) {
      const std::string line = std::string(conn->transport().selected_protocol()) + "\n";
      write_file(protocol_log, read_file(protocol_log) + line);
    }
    auto http = std::make_shared<http::Http1Connection>(*conn, handler, options, http::AccessLog{});
    conn->set_context(http);
    conn->on_drained(http::on_http1_drained);
    http->start();
  });
}

// The child: the server on 127.0.0.1, port 0; the port goes up the ready pipe; it runs until the
// stop pipe's write end is closed.
int run_server(const ServerSetup& setup, int ready_fd, int stop_fd) {
  // OpenSSL writes with write(2): a peer that has reset would kill us with SIGPIPE (httpd's main
  // ignores it the same way).
  if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) return 3;
  reactor::EventLoop loop(reactor::make_poller("epoll", reactor::Trigger::kEdge));
  net::Listener listener = net::listen_tcp("127.0.0.1", 0, {});
  const std::uint16_t port = listener.local_port();

  reactor::ServerOptions options;
  options.make_poller = [] { return reactor::make_poller("epoll", reactor::Trigger::kEdge); };
  options.threads = setup.threads;
  options.connection.handshake_timeout = setup.handshake_timeout;
  options.make_transport =
      [tls = tls::tls_transports(std::make_shared<const tls::TlsContext>(cert_path(), key_path())),
       size = setup.send_buffer](fdio::UniqueFd socket) {
        if (size > 0 && ::setsockopt(socket.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size) < 0) {
          throw std::system_error(errno, std::generic_category(), "setsockopt SO_SNDBUF");
        }
        return tls(std::move(socket));
      };
  reactor::Server server(loop, std::move(listener), options);
  http::AppOptions app;
  app.root = setup.root;
  const http::Handler handler = http::make_app(app);
  const http::Http1Options http_options;
  if (!setup.protocol_log.empty()) write_file(setup.protocol_log, "");
  serve_http1(server, handler, http_options, setup.protocol_log);

  reactor::Channel stop(loop, fdio::BorrowedFd(stop_fd));
  stop.on_readable([&] {
    stop.disable_all();
    loop.quit();
  });
  stop.enable_reading();
  server.start();
  write_text(ready_fd, std::to_string(port) + "\n");
  ::close(ready_fd);
  loop.run();
  return 0;
}

}  // namespace

TlsServer::TlsServer(ServerSetup setup) : stop_(make_pipe()) {
  TestPipe ready = make_pipe();
  child_ = std::make_unique<ForkedChild>([&] {
    ready.read_end.reset();
    stop_.write_end.reset();
    return run_server(setup, ready.write_end.release(), stop_.read_end.get());
  });
  ready.write_end.reset();
  stop_.read_end.reset();
  const std::optional<std::string> line = read_until_eof(ready.read_end.get(), Deadline(5s));
  if (!line || line->empty()) {
    throw std::runtime_error("the TLS server did not start (see its error above)");
  }
  port_ = static_cast<std::uint16_t>(std::stoi(*line));
}

std::size_t TlsServer::open_fd_count() const { return fds_of(pid()).size(); }

bool TlsServer::running() const {
  const char state = process_state(pid());
  return state != 'Z' && state != '?';
}

ExitStatus TlsServer::stop() {
  stop_.write_end.reset();
  const std::optional<ExitStatus> status = child_->wait(Deadline(5s));
  if (!status) {
    ExitStatus timed_out;
    timed_out.timed_out = true;
    return timed_out;
  }
  return *status;
}

bool fds_back_to(const TlsServer& server, std::size_t baseline) {
  const bool back = poll_until(Deadline(5s), [&] { return server.open_fd_count() == baseline; });
  EXPECT_TRUE(back) << "the server has " << server.open_fd_count() << " fds open, not " << baseline
                    << " as before: a connection was not closed";
  return back;
}

}  // namespace tls_test
