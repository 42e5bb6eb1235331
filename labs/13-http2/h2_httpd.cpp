// Lab 13: httpd's TLS options, its listeners and one process's serving, shared with lab 14.
#include "h2_httpd.hpp"

#include <signal.h>

#include <iostream>
#include <stdexcept>
#include <utility>

#include "app.hpp"
#include "command_line.hpp"
#include "socket.hpp"
#include "stop_signal.hpp"
#include "tls_transport.hpp"

namespace h2 {

const std::string_view kExtraOptionsSynopsis =
    "[--tls-port PORT --cert FILE --key FILE [--no-h2]]\n"
    "             [--preload PATH ... [--early-hints] [--push]]";

const std::string_view kExtraOptionsHelp =
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

namespace {

void add_tls_options(http::HttpdCommandLine& command_line, TlsOptions& tls) {
  command_line.add_flag("--no-h2", [&tls] { tls.alpn = tls::AlpnChoice::http1_only; });
  command_line.add_value("--tls-port",
                         [&tls](std::string_view v) { tls.port = net::parse_port(v); });
  command_line.add_value("--cert", [&tls](std::string_view v) { tls.cert = v; });
  command_line.add_value("--key", [&tls](std::string_view v) { tls.key = v; });
}

void check_tls_options(const TlsOptions& tls) {
  const bool port = tls.port.has_value();
  const bool cert = !tls.cert.empty();
  const bool key = !tls.key.empty();
  if (tls.alpn == tls::AlpnChoice::http1_only && !port) {
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

void add_preload_options(http::HttpdCommandLine& command_line, Preloads& preloads) {
  command_line.add_flag("--early-hints", [&preloads] { preloads.early_hints = true; });
  command_line.add_flag("--push", [&preloads] { preloads.push = true; });
  command_line.add_value("--preload",
                         [&preloads](std::string_view v) { preloads.assets.emplace_back(v); });
}

void check_preload_options(const Preloads& preloads) {
  for (const std::string& asset : preloads.assets) {
    if (!asset.starts_with('/')) throw std::invalid_argument("--preload " + asset + ": not a path");
  }
  if (preloads.assets.empty() == (preloads.early_hints || preloads.push)) {
    throw std::invalid_argument("--preload goes with --early-hints or --push, and they with it");
  }
}

}  // namespace

void add_extra_options(http::HttpdCommandLine& command_line, HttpdExtras& extras) {
  add_tls_options(command_line, extras.tls);
  add_preload_options(command_line, extras.preloads);
}

void check_extra_options(const HttpdExtras& extras) {
  check_tls_options(extras.tls);
  check_preload_options(extras.preloads);
}

std::shared_ptr<const tls::TlsContext> load_tls_context(const TlsOptions& tls) {
  if (!tls.port) return nullptr;
  return std::make_shared<const tls::TlsContext>(tls.cert, tls.key, tls.alpn);
}

std::string listening_addresses(fdio::BorrowedFd clear, std::optional<fdio::BorrowedFd> tls) {
  std::string addresses = net::local_address(clear);
  if (tls) addresses += " and " + net::local_address(*tls) + " (TLS)";
  return addresses;
}

std::vector<Endpoint> make_endpoints(const http::HttpdOptions& options, const TlsOptions& tls,
                                     const std::shared_ptr<const tls::TlsContext>& context,
                                     std::string& addresses) {
  std::vector<Endpoint> endpoints;
  endpoints.push_back({net::listen_tcp(options.host, options.port, {}), {}});
  std::optional<fdio::BorrowedFd> tls_fd;
  if (context) {
    endpoints.push_back(
        {net::listen_tcp(options.host, *tls.port, {}), tls::tls_transports(context)});
    tls_fd = endpoints.back().listener.fd();
  }
  addresses = listening_addresses(endpoints.front().listener.fd(), tls_fd);
  return endpoints;
}

void serve_httpd(std::vector<Endpoint> endpoints, fdio::BorrowedFd stop,
                 const http::HttpdOptions& options, const Preloads& preloads,
                 const std::function<void()>& on_ready) {
  ServerOptions server;
  server.threads = options.threads;
  server.http1 = options.http1;
  server.grace = options.grace;
  server.preloads = preloads;
  // A TLS client must finish its handshake as soon as an HTTP/1.1 client its request head.
  server.connection.handshake_timeout = options.http1.header_timeout;
  serve(std::move(endpoints), stop, http::make_app(options.app), server,
        http::make_access_log(options), on_ready);
}

int run_httpd(const http::HttpdOptions& options, const HttpdExtras& extras) {
  // Before any thread starts: the I/O threads inherit the blocked mask.
  const fdio::UniqueFd stop = net::stop_signal_fd({SIGTERM, SIGINT});
  std::string addresses;
  std::vector<Endpoint> endpoints =
      make_endpoints(options, extras.tls, load_tls_context(extras.tls), addresses);
  serve_httpd(std::move(endpoints), stop, options, extras.preloads,
              [&addresses] { std::cout << "listening on " << addresses << std::endl; });
  std::cerr << "httpd: stopped\n";
  return 0;
}

}  // namespace h2
