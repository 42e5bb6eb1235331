// Lab 13: httpd, lab 12's server speaking HTTP/2 as well, on the same port: the first bytes
// decide (the HTTP/2 preface, or an HTTP/1.1 request, which may still ask to upgrade to h2c).
// Same options as lab 12's httpd, same handlers, same "listening on ADDRESS:PORT" line.
// Try: httpd --port 8080, then nghttp -nv http://127.0.0.1:8080/ (the frames),
// curl --http2-prior-knowledge -v http://127.0.0.1:8080/ and curl --http2 -v (the upgrade).
// TLS is a second port on the same loops (--tls-port, --cert, --key), where ALPN decides:
// curl -v --cacert build/solutions/13-http2/tls-cert.pem https://localhost:8443/.
#include <fcntl.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app.hpp"
#include "command_line.hpp"
#include "h2_server.hpp"
#include "http_server.hpp"
#include "rlimits.hpp"
#include "socket.hpp"
#include "stop_signal.hpp"
#include "syslab/error.hpp"
#include "tls_context.hpp"
#include "tls_transport.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: httpd [--root DIR] [--host HOST] [--port PORT] [--threads N] [--header-timeout MS]\n"
    "             [--keepalive-timeout MS] [--grace MS] [--max-body BYTES] [--access-log FILE]\n"
    "             [--quiet] [--tls-port PORT --cert FILE --key FILE [--no-h2]]\n"
    "             [--preload PATH ... [--early-hints] [--push]]\n"
    "  An HTTP/1.1 and HTTP/2 (h2c) server on the epoll reactor of lab 11: one port, the first\n"
    "  bytes decide (the HTTP/2 preface, else HTTP/1.1; \"Upgrade: h2c\" switches). With\n"
    "  --tls-port, a second port speaks TLS, on the same loops; there ALPN decides (\"h2\":\n"
    "  HTTP/2, else HTTP/1.1).\n"
    "  Prints \"listening on ADDRESS:PORT\" once it listens (with TLS: \"listening on\n"
    "  ADDRESS:PORT and ADDRESS:TLSPORT (TLS)\"). SIGTERM or SIGINT: stop accepting, finish the\n"
    "  requests in flight (HTTP/1.1: Connection: close; HTTP/2: GOAWAY; TLS: close_notify),\n"
    "  exit 0.\n"
    "  --root DIR               serve the files under DIR (GET and HEAD); without it, only the\n"
    "                           routes /echo, /headers, /stream, /delay and /status/NNN\n"
    "  --host HOST              the address to listen on (default 127.0.0.1)\n"
    "  --port PORT              the port (default 0: the kernel chooses)\n"
    "  --threads N              I/O loops on their own threads (default 0: one loop does all)\n"
    "  --header-timeout MS      a request must be complete MS ms after its first byte, else\n"
    "                           408 (default 10000)\n"
    "  --keepalive-timeout MS   close a connection idle between requests (HTTP/2: with no\n"
    "                           open stream; GOAWAY) after MS ms\n"
    "                           (default 5000; 0: never)\n"
    "  --grace MS               after a stop, close what is still busy after MS ms (default 5000)\n"
    "  --max-body BYTES         a request body above BYTES gets 413, unread (default 1 MiB)\n"
    "  --access-log FILE        the access log to FILE (appended) instead of stdout\n"
    "  --quiet                  no access log\n"
    "  --tls-port PORT          also listen on PORT for TLS (0: the kernel chooses); needs\n"
    "                           --cert and --key. The handshake must be done within the\n"
    "                           header timeout\n"
    "  --cert FILE              the certificate chain (PEM) for TLS\n"
    "  --key FILE               its private key (PEM)\n"
    "  --no-h2                  over TLS, agree on http/1.1 only, even with a client that offers\n"
    "                           h2 (a browser then opens up to six connections; the demo page\n"
    "                           shows the difference). The clear-text port is unchanged\n"
    "  --preload PATH           an asset of every page (a GET of a path ending in / or .html),\n"
    "                           such as /waterfall.js; repeat it for more. Needs one of:\n"
    "  --early-hints            before each page, a 103 Early Hints with \"Link: <PATH>;\n"
    "                           rel=preload\" (HTTP/1.1 and HTTP/2)\n"
    "  --push                   over HTTP/2, push each PATH with the page (PUSH_PROMISE), unless\n"
    "                           the client's SETTINGS_ENABLE_PUSH is 0\n";

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  http::AppOptions app;
  h2::ServerOptions server;
  std::string access_log;  // empty: stdout
  bool quiet = false;
  std::optional<std::uint16_t> tls_port;  // with cert and key, or none of the three
  std::string cert;
  std::string key;
  tls::AlpnChoice alpn = tls::AlpnChoice::h2_then_http1;  // --no-h2: http1_only
};

// A time in milliseconds: 1 ms to 1 hour (0 too where allowed, as "never").
std::chrono::milliseconds milliseconds_option(std::string_view option, std::string_view text,
                                              long long min) {
  return std::chrono::milliseconds(net::parse_number(option, text, min, 3'600'000));
}

// Puts one argument into options; false when it is not one of ours.
bool take_argument(Options& options, int argc, char** argv, int& i) {
  if (std::string_view(argv[i]) == "--quiet") {
    options.quiet = true;
  } else if (std::string_view(argv[i]) == "--no-h2") {
    options.alpn = tls::AlpnChoice::http1_only;
  } else if (std::string_view(argv[i]) == "--early-hints") {
    options.server.preloads.early_hints = true;
  } else if (std::string_view(argv[i]) == "--push") {
    options.server.preloads.push = true;
  } else if (auto v = net::take_option_value("--preload", argc, argv, i)) {
    options.server.preloads.assets.emplace_back(*v);
  } else if (auto v = net::take_option_value("--root", argc, argv, i)) {
    options.app.root = *v;
  } else if (auto v = net::take_option_value("--host", argc, argv, i)) {
    options.host = *v;
  } else if (auto v = net::take_option_value("--port", argc, argv, i)) {
    options.port = net::parse_port(*v);
  } else if (auto v = net::take_option_value("--threads", argc, argv, i)) {
    options.server.threads = static_cast<int>(net::parse_number("--threads", *v, 0, 256));
  } else if (auto v = net::take_option_value("--header-timeout", argc, argv, i)) {
    options.server.http1.header_timeout = milliseconds_option("--header-timeout", *v, 1);
  } else if (auto v = net::take_option_value("--keepalive-timeout", argc, argv, i)) {
    options.server.http1.keepalive_timeout = milliseconds_option("--keepalive-timeout", *v, 0);
  } else if (auto v = net::take_option_value("--grace", argc, argv, i)) {
    options.server.grace = milliseconds_option("--grace", *v, 0);
  } else if (auto v = net::take_option_value("--max-body", argc, argv, i)) {
    options.server.http1.limits.max_body =
        static_cast<std::uint64_t>(net::parse_number("--max-body", *v, 0, 1LL << 30));
  } else if (auto v = net::take_option_value("--access-log", argc, argv, i)) {
    options.access_log = *v;
  } else if (auto v = net::take_option_value("--tls-port", argc, argv, i)) {
    options.tls_port = net::parse_port(*v);
  } else if (auto v = net::take_option_value("--cert", argc, argv, i)) {
    options.cert = *v;
  } else if (auto v = net::take_option_value("--key", argc, argv, i)) {
    options.key = *v;
  } else {
    return false;
  }
  return true;
}

// TLS needs all three of --tls-port, --cert and --key (and --no-h2 needs TLS); throws naming the
// ones missing.
void check_tls_options(const Options& options) {
  const bool port = options.tls_port.has_value();
  const bool cert = !options.cert.empty();
  const bool key = !options.key.empty();
  if (options.alpn == tls::AlpnChoice::http1_only && !port) {
    throw std::invalid_argument("--no-h2 is about ALPN: it needs --tls-port");  // not a no-op
  }
  if (port == cert && cert == key) return;  // all three, or none
  std::string missing;
  for (const auto& [given, name] :
       {std::pair{port, "--tls-port"}, std::pair{cert, "--cert"}, std::pair{key, "--key"}}) {
    if (!given) missing += std::string(missing.empty() ? "" : " and ") + name;
  }
  throw std::invalid_argument("TLS needs --tls-port, --cert and --key together: " + missing +
                              " missing");
}

// --preload names absolute paths, and is for --early-hints or --push; either needs a --preload.
void check_preload_options(const h2::Preloads& preloads) {
  for (const std::string& asset : preloads.assets) {
    if (!asset.starts_with('/')) throw std::invalid_argument("--preload " + asset + ": not a path");
  }
  if (preloads.assets.empty() == (preloads.early_hints || preloads.push)) {
    throw std::invalid_argument("--preload goes with --early-hints or --push, and they with it");
  }
}

// Parses the command line; --help prints the usage and exits 0, a bad argument throws.
Options parse_arguments(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (!take_argument(options, argc, argv, i)) {
      throw std::invalid_argument("unknown argument \"" + std::string(arg) + "\"");
    }
  }
  check_tls_options(options);
  check_preload_options(options.server.preloads);
  // A TLS client must finish its handshake as soon as an HTTP/1.1 client its request head.
  options.server.connection.handshake_timeout = options.server.http1.header_timeout;
  return options;
}

// The access log the options ask for: none, stdout, or a file opened for appending.
http::AccessLog make_access_log(const Options& options) {
  if (options.quiet) return {};
  auto writer = options.access_log.empty()
                    ? std::make_shared<http::AccessLogWriter>()
                    : std::make_shared<http::AccessLogWriter>(fdio::open_file(
                          options.access_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC));
  return [writer](const http::AccessRecord& record) { writer->write(record); };
}

// The listeners: the clear-text port, and the TLS port when asked for, with its certificate and
// key loaded now (a bad one stops the start, not the first client). addresses: for the line
// "listening on ADDRESS:PORT and ADDRESS:TLSPORT (TLS)".
std::vector<h2::Endpoint> make_endpoints(const Options& options, std::string& addresses) {
  std::vector<h2::Endpoint> endpoints;
  endpoints.push_back({net::listen_tcp(options.host, options.port, {}), {}});
  addresses = net::local_address(endpoints.back().listener.fd());
  if (options.tls_port) {
    auto context = std::make_shared<const tls::TlsContext>(options.cert, options.key, options.alpn);
    endpoints.push_back({net::listen_tcp(options.host, *options.tls_port, {}),
                         tls::tls_transports(std::move(context))});
    addresses += " and " + net::local_address(endpoints.back().listener.fd()) + " (TLS)";
  }
  return endpoints;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse_arguments(argc, argv);
  } catch (const std::exception& error) {  // invalid_argument: a usage error
    std::cerr << "httpd: " << error.what() << "\n" << kUsage;
    return 2;
  }
  try {
    if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) syslab::throw_errno("signal SIGPIPE");
    // Before any thread starts: the I/O threads inherit the blocked mask.
    const fdio::UniqueFd stop = net::stop_signal_fd({SIGTERM, SIGINT});
    (void)rlim::raise_nofile_soft_limit();
    http::AccessLog log = make_access_log(options);
    std::string addresses;
    std::vector<h2::Endpoint> endpoints = make_endpoints(options, addresses);
    h2::serve(std::move(endpoints), stop, http::make_app(options.app), options.server,
              std::move(log),
              [&addresses] { std::cout << "listening on " << addresses << std::endl; });
    std::cerr << "httpd: stopped\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "httpd: " << error.what() << "\n";
    return 1;
  }
}
