// Lab 13: httpd, lab 12's server speaking HTTP/2 as well, on the same port: the first bytes
// decide (the HTTP/2 preface, or an HTTP/1.1 request, which may still ask to upgrade to h2c).
// Same options as lab 12's httpd, same handlers, same "listening on ADDRESS:PORT" line.
// Try: httpd --port 8080, then nghttp -nv http://127.0.0.1:8080/ (the frames),
// curl --http2-prior-knowledge -v http://127.0.0.1:8080/ and curl --http2 -v (the upgrade).
// TLS is a second port on the same loops (--tls-port, --cert, --key), where ALPN decides:
// curl -v --cacert build/solutions/13-http2/tls-cert.pem https://localhost:8443/.
#include <string>
#include <string_view>

#include "h2_httpd.hpp"
#include "httpd_options.hpp"

namespace {

const std::string kUsage = http::httpd_usage(
    {h2::kExtraOptionsSynopsis},
    "  An HTTP/1.1 and HTTP/2 (h2c) server on the epoll reactor of lab 11: one port, the first\n"
    "  bytes decide (the HTTP/2 preface, else HTTP/1.1; \"Upgrade: h2c\" switches). With\n"
    "  --tls-port, a second port speaks TLS, on the same loops; there ALPN decides (\"h2\":\n"
    "  HTTP/2, else HTTP/1.1).\n"
    "  Prints \"listening on ADDRESS:PORT\" once it listens (with TLS: \"listening on\n"
    "  ADDRESS:PORT and ADDRESS:TLSPORT (TLS)\"). SIGTERM or SIGINT: stop accepting, finish the\n"
    "  requests in flight (HTTP/1.1: Connection: close; HTTP/2: GOAWAY; TLS: close_notify),\n"
    "  exit 0.\n",
    h2::kExtraOptionsHelp);

}  // namespace

int main(int argc, char** argv) {
  http::HttpdOptions options;
  h2::HttpdExtras extras;
  http::HttpdCommandLine command_line(options);
  h2::add_extra_options(command_line, extras);
  return http::httpd_main(
      kUsage,
      [&] {
        command_line.parse(argc, argv, kUsage);
        h2::check_extra_options(extras);
      },
      [&] { return h2::run_httpd(options, extras); });
}
