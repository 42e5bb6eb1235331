// Lab 14: httpd in production shape. With --workers N, a master (lab 08's Arbiter) keeps N worker
// processes, each lab 13's httpd on --threads M loops, on the master's listening sockets (with
// --reuseport, one per worker slot). Without --workers: lab 13's httpd, one process.
// Try: httpd --port 8080 --workers 2 --threads 2, then pstree -p $(pgrep -o httpd),
// kill -HUP MASTER (a new generation, zero downtime) and kill -9 WORKER (replaced).
#include <string>
#include <string_view>

#include "command_line.hpp"
#include "h2_httpd.hpp"
#include "httpd_options.hpp"
#include "workers.hpp"

namespace {

const std::string kUsage = http::httpd_usage(
    {h2::kExtraOptionsSynopsis, "[--workers N [--reuseport]]"},
    "  Lab 13's HTTP/1.1 and HTTP/2 server, in N worker processes kept by a master.\n"
    "  Prints \"listening on ADDRESS:PORT\" (with TLS: \"... and ADDRESS:TLSPORT (TLS)\") once\n"
    "  every worker accepts; the master logs each worker's start and end on stderr.\n"
    "  Signals to the master: SIGHUP starts a new generation of workers, then stops the old\n"
    "  ones gracefully (a reload with zero downtime); SIGTERM or SIGINT stops every worker\n"
    "  gracefully, then the master exits 0. A worker that dies is replaced.\n",
    std::string(
        "  --workers N              N worker processes (1 to 64; default 0: no master, one "
        "process,\n"
        "                           lab 13's httpd)\n"
        "  --reuseport              one SO_REUSEPORT listening socket per worker slot, and the\n"
        "                           kernel spreads the connections (default: one shared "
        "socket)\n") +
        std::string(h2::kExtraOptionsHelp));

int run(const http::HttpdOptions& options, const h2::HttpdExtras& extras,
        const finale::WorkersOptions& workers) {
  if (workers.workers == 0) return h2::run_httpd(options, extras);
  return finale::serve_with_workers(options, extras, workers);  // the master logs "stopped"
}

}  // namespace

int main(int argc, char** argv) {
  http::HttpdOptions options;
  h2::HttpdExtras extras;
  finale::WorkersOptions workers;
  http::HttpdCommandLine command_line(options);
  h2::add_extra_options(command_line, extras);
  command_line.add_value("--workers", [&workers](std::string_view v) {
    workers.workers = static_cast<std::size_t>(net::parse_number("--workers", v, 1, 64));
  });
  command_line.add_flag("--reuseport", [&workers] { workers.reuseport = true; });
  return http::httpd_main(
      kUsage,
      [&] {
        command_line.parse(argc, argv, kUsage);
        h2::check_extra_options(extras);
        if (workers.reuseport && workers.workers == 0) {
          throw std::invalid_argument("--reuseport is about workers: it needs --workers");
        }
      },
      [&] { return run(options, extras, workers); });
}
