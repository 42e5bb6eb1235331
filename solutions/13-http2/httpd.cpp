// Lab 13: httpd, lab 12's server speaking HTTP/2 as well, on the same port: the first bytes
// decide (the HTTP/2 preface, or an HTTP/1.1 request, which may still ask to upgrade to h2c).
// Same options as lab 12's httpd, same handlers, same "listening on ADDRESS:PORT" line.
// Try: httpd --port 8080, then nghttp -nv http://127.0.0.1:8080/ (the frames),
// curl --http2-prior-knowledge -v http://127.0.0.1:8080/ and curl --http2 -v (the upgrade).
// TLS is a second port on the same loops (--tls-port, --cert, --key), where ALPN decides:
// curl -v --cacert build/solutions/13-http2/tls-cert.pem https://localhost:8443/.
#include <signal.h>

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "h2_httpd.hpp"
#include "httpd_options.hpp"
#include "stop_signal.hpp"

namespace {

const std::string kUsage =
    std::string(
        "usage: httpd [--root DIR] [--host HOST] [--port PORT] [--threads N] [--header-timeout "
        "MS]\n"
        "             [--keepalive-timeout MS] [--grace MS] [--max-body BYTES] [--access-log "
        "FILE]\n"
        "             [--quiet] [--tls-port PORT --cert FILE --key FILE [--no-h2]]\n"
        "  An HTTP/1.1 and HTTP/2 (h2c) server on the epoll reactor of lab 11: one port, the "
        "first\n"
        "  bytes decide (the HTTP/2 preface, else HTTP/1.1; \"Upgrade: h2c\" switches). With\n"
        "  --tls-port, a second port speaks TLS, on the same loops; there ALPN decides (\"h2\":\n"
        "  HTTP/2, else HTTP/1.1).\n"
        "  Prints \"listening on ADDRESS:PORT\" once it listens (with TLS: \"listening on\n"
        "  ADDRESS:PORT and ADDRESS:TLSPORT (TLS)\"). SIGTERM or SIGINT: stop accepting, finish "
        "the\n"
        "  requests in flight (HTTP/1.1: Connection: close; HTTP/2: GOAWAY; TLS: close_notify),\n"
        "  exit 0.\n") +
    std::string(http::kHttpdOptionsHelp) + std::string(h2::kTlsOptionsHelp);

// Serves until SIGTERM or SIGINT, then stops gracefully; 0.
int run(const http::HttpdOptions& options, const h2::TlsOptions& tls) {
  // Before any thread starts: the I/O threads inherit the blocked mask.
  const fdio::UniqueFd stop = net::stop_signal_fd({SIGTERM, SIGINT});
  std::string addresses;
  std::vector<h2::Endpoint> endpoints =
      h2::make_endpoints(options, tls, h2::load_tls_context(tls), addresses);
  h2::serve_httpd(std::move(endpoints), stop, options,
                  [&addresses] { std::cout << "listening on " << addresses << std::endl; });
  std::cerr << "httpd: stopped\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  http::HttpdOptions options;
  h2::TlsOptions tls;
  http::HttpdCommandLine command_line(options);
  h2::add_tls_options(command_line, tls);
  return http::httpd_main(
      kUsage,
      [&] {
        command_line.parse(argc, argv, kUsage);
        h2::check_tls_options(tls);
      },
      [&] { return run(options, tls); });
}
