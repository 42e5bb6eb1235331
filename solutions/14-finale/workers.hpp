// Lab 14: httpd in production shape, the whole kit in one process tree. Lab 08's master (the
// Arbiter) keeps N worker processes; each worker is lab 13's httpd on M event loops of lab 11,
// serving lab 12's application over HTTP/1.1 and HTTP/2, in clear text and over TLS.
//   SIGHUP   a new generation of workers first, then SIGTERM to the old ones, which finish what
//            is in flight (HTTP/1.1: Connection: close; HTTP/2: GOAWAY) and exit: a reload that
//            refuses nobody, since the listening sockets stay open in the master all along
//            (with --reuseport too: one socket per worker slot, which outlives its workers)
//   SIGTERM  every worker stops gracefully, then the master exits
//   a worker killed: only its connections are lost; the master starts another
// Look at: httpd --workers 2 --threads 2; pstree -p MASTER (2 workers, 3 threads each);
// kill -HUP MASTER and watch the pids change while curl goes on being answered.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "h2_httpd.hpp"
#include "httpd_options.hpp"
#include "socket.hpp"
#include "tls_context.hpp"
#include "unique_fd.hpp"

namespace finale {

struct WorkersOptions {
  std::size_t workers = 0;  // 0: no master, one process (lab 13's httpd)
  bool reuseport = false;   // each worker its own SO_REUSEPORT sockets
};

// The listening sockets of one worker slot (shared: of every worker).
struct SlotSockets {
  // Empty in the master's WorkerSetup for the first slot: that socket is the Arbiter's listener.
  std::optional<net::Listener> clear;
  std::optional<net::Listener> tls;  // with --tls-port
};

// The master's listening sockets on options.host, options.port and tls.port, open from before the
// first fork to the master's exit, so that they outlive every worker. Shared: one SlotSockets
// (lab 07's listen_tcp), every worker's. With reuseport: one per slot, `slots` of them, each its
// own SO_REUSEPORT socket on the same port (the first's), the kernel choosing one for each new
// connection; the workers of a slot (one, but two in a reload) accept from its sockets only.
[[nodiscard]] std::vector<SlotSockets> open_master_sockets(const http::HttpdOptions& options,
                                                           const h2::TlsOptions& tls,
                                                           std::size_t slots, bool reuseport);

// In a worker: the endpoints it serves, its slot's sockets (the TLS one with TLS transports).
[[nodiscard]] std::vector<h2::Endpoint> worker_endpoints(
    SlotSockets own, const std::shared_ptr<const tls::TlsContext>& context);

// What every worker needs, made by the master before the first fork (a worker gets its copy).
struct WorkerSetup {
  http::HttpdOptions options;
  h2::Preloads preloads;
  std::shared_ptr<const tls::TlsContext> context;  // null without TLS
  // open_master_sockets' sockets but the first clear-text one, which the Arbiter holds. A
  // worker's copy of the other slots' sockets is closed as it starts.
  std::vector<SlotSockets> slots;
  bool reuseport = false;
  pid_t master = -1;
  fdio::UniqueFd ready_read;   // the master's end: one byte per worker that accepts
  fdio::UniqueFd ready_write;  // every worker's end
};

// The body of a worker of `slot`, in the child forked by the Arbiter (first_clear: its copy of
// the Arbiter's listener, the first slot's clear-text socket): dies with the master, serves its
// slot's sockets until SIGTERM, says on ready_write when it accepts. Returns its exit code.
int run_worker(WorkerSetup& setup, net::Listener& first_clear, std::size_t slot);

// In a worker of `slot`: its slot's sockets, out of setup's; the copies of every other slot's
// close here, so that a socket is held by the master and its slot's workers only.
[[nodiscard]] SlotSockets take_slot_sockets(WorkerSetup& setup, net::Listener& first_clear,
                                            std::size_t slot);

// Waits until `count` workers have written their byte on ready; throws syslab::SystemError when
// they have not within `within` (a worker that cannot start).
void wait_for_workers(fdio::BorrowedFd ready, std::size_t count, std::chrono::milliseconds within);

// httpd --workers N: opens the sockets, starts the master and its first generation, prints
// "listening on ..." once every worker accepts, and manages the workers until a stop has ended
// them all. Returns the master's exit code (0: a graceful stop; 1: workers had to be killed).
int serve_with_workers(const http::HttpdOptions& options, const h2::HttpdExtras& extras,
                       const WorkersOptions& workers);

}  // namespace finale
