// Lab 12: httpd, an HTTP/1.1 server on lab 11's reactor: persistent connections, pipelining,
// Content-Length or chunked framing, 100-continue, timeouts, an access log and a graceful stop.
// Same interface as the echo servers: "listening on ADDRESS:PORT"; SIGTERM/SIGINT stop it, exit 0.
// Try: httpd --port 8080, then curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/ (one
// connection, two requests) and ls /proc/$(pidof httpd)/task.
#include <signal.h>

#include <iostream>
#include <string>
#include <string_view>

#include "http_server.hpp"
#include "httpd_options.hpp"
#include "socket.hpp"
#include "stop_signal.hpp"

namespace {

const std::string kUsage = http::httpd_usage(
    {},
    "  An HTTP/1.1 server on the epoll reactor of lab 11.\n"
    "  Prints \"listening on ADDRESS:PORT\" once it listens. SIGTERM or SIGINT: stop accepting,\n"
    "  finish the requests in flight (their responses say Connection: close), exit 0.\n",
    "");

// Serves until SIGTERM or SIGINT, then stops gracefully; 0.
int run(const http::HttpdOptions& options) {
  // Before any thread starts: the I/O threads inherit the blocked mask.
  const fdio::UniqueFd stop = net::stop_signal_fd({SIGTERM, SIGINT});
  http::HttpServerOptions server;
  server.threads = options.threads;
  server.http = options.http1;
  server.grace = options.grace;
  net::Listener listener = net::listen_tcp(options.host, options.port, {});
  const std::string address = net::local_address(listener.fd());
  http::serve_http(std::move(listener), stop, http::make_app(options.app), server,
                   http::make_access_log(options),
                   [&address] { std::cout << "listening on " << address << std::endl; });
  std::cerr << "httpd: stopped\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  http::HttpdOptions options;
  const http::HttpdCommandLine command_line(options);
  return http::httpd_main(
      kUsage, [&] { command_line.parse(argc, argv, kUsage); }, [&] { return run(options); });
}
