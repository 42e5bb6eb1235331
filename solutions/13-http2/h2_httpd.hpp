// Lab 13: what httpd adds to lab 12's: the TLS options (--tls-port, --cert, --key, --no-h2) and
// a page's preloads (--preload, --early-hints, --push) on lab 12's command line, the listening
// sockets they ask for, and the whole serving of one process. Lab 13's httpd is these in a row; lab
// 14's workers each run serve_httpd on the sockets their master gives them. Given code, not an
// exercise.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "h2_server.hpp"
#include "httpd_options.hpp"
#include "tls_context.hpp"
#include "unique_fd.hpp"

namespace h2 {

struct TlsOptions {
  std::optional<std::uint16_t> port;  // with cert and key, or none of the three
  std::string cert;
  std::string key;
  tls::AlpnChoice alpn = tls::AlpnChoice::h2_then_http1;  // --no-h2: http1_only
};

// What lab 13 adds to lab 12's options: the TLS port, and a page's preloads.
struct HttpdExtras {
  TlsOptions tls;
  Preloads preloads;
};

// The synopsis and the lines of --help for HttpdExtras.
extern const std::string_view kExtraOptionsSynopsis;
extern const std::string_view kExtraOptionsHelp;

// Adds lab 13's options to command_line, filling extras.
void add_extra_options(http::HttpdCommandLine& command_line, HttpdExtras& extras);

// Throws std::invalid_argument for options that do not go together: TLS needs all three of
// --tls-port, --cert and --key (and --no-h2 needs TLS), naming the ones missing; --preload names
// absolute paths and goes with --early-hints or --push, and they with it.
void check_extra_options(const HttpdExtras& extras);

// The certificate and key loaded now (a bad one stops the start, not the first client); null
// without TLS.
[[nodiscard]] std::shared_ptr<const tls::TlsContext> load_tls_context(const TlsOptions& tls);

// The listeners: the clear-text port, and the TLS port when there is a context. addresses: for
// the line "listening on ADDRESS:PORT and ADDRESS:TLSPORT (TLS)".
[[nodiscard]] std::vector<Endpoint> make_endpoints(
    const http::HttpdOptions& options, const TlsOptions& tls,
    const std::shared_ptr<const tls::TlsContext>& context, std::string& addresses);

// "ADDRESS:PORT", and " and ADDRESS:TLSPORT (TLS)" when there is a second listener.
[[nodiscard]] std::string listening_addresses(fdio::BorrowedFd clear,
                                              std::optional<fdio::BorrowedFd> tls);

// Serves lab 12's application on endpoints, as options say (a page with its preloads), until stop
// (a signalfd for SIGTERM and SIGINT) is readable; then stops gracefully and returns once every
// connection has closed. on_ready runs once it accepts.
void serve_httpd(std::vector<Endpoint> endpoints, fdio::BorrowedFd stop,
                 const http::HttpdOptions& options, const Preloads& preloads,
                 const std::function<void()>& on_ready);

// Lab 13's httpd in one process: the endpoints, "listening on ..." on stdout once it accepts,
// serve_httpd until SIGTERM or SIGINT, "httpd: stopped" on stderr; 0.
int run_httpd(const http::HttpdOptions& options, const HttpdExtras& extras);

}  // namespace h2
