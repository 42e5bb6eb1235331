// Lab 14: the master and its workers. The master is lab 08's Arbiter unchanged: what is new is the
// worker it runs (lab 13's serving) and the sockets it holds for every generation.
// Look at: ls -l /proc/WORKER/fd (shared: the master's socket:[inode] in every worker;
// --reuseport: a LISTEN socket of each worker's own, ss -ltnpe).
#include "workers.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <iostream>
#include <string>
#include <utility>

#include "fd_io.hpp"
#include "prefork.hpp"
#include "reuseport.hpp"
#include "stop_signal.hpp"
#include "syslab/error.hpp"
#include "tls_transport.hpp"

namespace finale {
// BEGIN SOLUTION
namespace {

// The master waits this long for the first generation to accept before it gives up.
constexpr std::chrono::milliseconds kStartupDeadline{10'000};
// A worker closes busy connections after --grace; the master kills it only this much later.
constexpr std::chrono::milliseconds kWorkerExitMargin{2'000};

void log_to_stderr(const std::string& line) { std::cerr << "httpd: " << line << "\n"; }

// The kernel sends us SIGTERM (a graceful stop) when the master dies, even by SIGKILL: no worker
// outlives it, still accepting. False when it died before the prctl: nobody would tell us.
bool die_with_master(pid_t master) {
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) syslab::throw_errno("prctl PR_SET_PDEATHSIG");
  return ::getppid() == master;
}

// One byte on the ready pipe. Once the master stopped listening to it (every worker after the
// first generation), the write fails with EPIPE, which is no error here: SIGPIPE is ignored.
void tell_master_ready(fdio::BorrowedFd ready) { (void)fdio::write_all(ready, "r"); }

}  // namespace
// END SOLUTION

MasterSockets open_master_sockets(const http::HttpdOptions& options, const h2::TlsOptions& tls,
                                  bool reuseport) {
  // BEGIN SOLUTION: shared: lab 07's listen_tcp for the port (and the TLS port); reuseport: reserve_port for each
  auto open = [&](std::uint16_t port) {
    return reuseport ? reserve_port(options.host, port) : net::listen_tcp(options.host, port, {});
  };
  MasterSockets sockets{open(options.port), std::nullopt};
  if (tls.port) sockets.tls = open(*tls.port);
  return sockets;
  // END SOLUTION
}

// [slide:worker_endpoints]
std::vector<h2::Endpoint> worker_endpoints(MasterSockets sockets, bool reuseport,
                                           const std::shared_ptr<const tls::TlsContext>& context) {
  // BEGIN SOLUTION: shared: the sockets as they are; reuseport: listen_beside each (the master's copy closed); the TLS one gets tls_transports
  auto own = [reuseport](net::Listener socket) {
    return reuseport ? listen_beside(socket.fd()) : std::move(socket);  // the copy closes here
  };
  std::vector<h2::Endpoint> endpoints;
  endpoints.push_back({own(std::move(sockets.clear)), {}});
  if (sockets.tls)
    endpoints.push_back({own(std::move(*sockets.tls)), tls::tls_transports(context)});
  return endpoints;
  // END SOLUTION
}
// [/slide]

// [slide:run_worker]
int run_worker(WorkerSetup& setup, net::Listener& clear) {
  // BEGIN SOLUTION: die with the master; close the master's ready end; a stop fd for SIGTERM and SIGINT; serve_httpd on worker_endpoints, telling the master when ready; 0
  if (!die_with_master(setup.master)) return 1;
  setup.ready_read.reset();  // the master's end: only the master reads it
  // The master's mask is inherited: SIGTERM is blocked, so it waits, pending, for this signalfd.
  // Made before the I/O threads start, which inherit the mask.
  const fdio::UniqueFd stop = net::stop_signal_fd({SIGTERM, SIGINT});
  MasterSockets sockets{std::move(clear), std::move(setup.tls)};
  h2::serve_httpd(worker_endpoints(std::move(sockets), setup.reuseport, setup.context), stop,
                  setup.options, setup.preloads,
                  [&setup] { tell_master_ready(setup.ready_write); });
  return 0;
  // END SOLUTION
}
// [/slide]

void wait_for_workers(fdio::BorrowedFd ready, std::size_t count, std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  std::size_t said = 0;
  while (said < count) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd entry{ready.get(), POLLIN, 0};
    const int n = ::poll(&entry, 1, static_cast<int>(std::max<long long>(left.count(), 0)));
    if (n < 0 && errno != EINTR) syslab::throw_errno("poll", "the workers' ready pipe");
    if (n == 0) {
      throw syslab::SystemError(ETIMEDOUT, std::to_string(count - said) + " of " +
                                               std::to_string(count) + " workers not accepting");
    }
    std::array<char, 64> bytes{};
    const fdio::IoResult got = fdio::read_some(ready, std::span<char>(bytes));
    if (got.done()) said += got.count;
  }
}

// [slide:serve_with_workers-1]
int serve_with_workers(const http::HttpdOptions& options, const h2::HttpdExtras& extras,
                       const WorkersOptions& workers) {
  // BEGIN SOLUTION: the master's sockets; a WorkerSetup with the ready pipe; lab 08's Arbiter running run_worker; wait for the first generation, say "listening on", run the Arbiter
  MasterSockets sockets = open_master_sockets(options, extras.tls, workers.reuseport);
  const std::string addresses = h2::listening_addresses(
      sockets.clear.fd(),
      sockets.tls ? std::optional<fdio::BorrowedFd>(sockets.tls->fd()) : std::nullopt);
  fdio::Pipe ready = fdio::make_pipe();
  WorkerSetup setup{.options = options,
                    .preloads = extras.preloads,
                    .context = h2::load_tls_context(extras.tls),
                    .tls = std::move(sockets.tls),
                    .reuseport = workers.reuseport,
                    .master = ::getpid(),
                    .ready_read = std::move(ready.read_end),
                    .ready_write = std::move(ready.write_end)};
  // [/slide]
  // [slide:serve_with_workers-2]
  models::PreforkOptions prefork;
  prefork.workers = workers.workers;
  prefork.grace = options.grace + kWorkerExitMargin;
  prefork.log = log_to_stderr;
  prefork.worker = [&setup](net::Listener& clear) { return run_worker(setup, clear); };
  models::Arbiter arbiter(std::move(sockets.clear), std::move(prefork));  // forks the workers
  wait_for_workers(setup.ready_read, workers.workers, kStartupDeadline);
  // Later generations are not waited for: a shared socket stays open in the master all along
  // (with --reuseport, that is the gap the handout describes).
  setup.ready_read.reset();
  std::cout << "listening on " << addresses << std::endl;
  return arbiter.run();
  // END SOLUTION
}
// [/slide]

}  // namespace finale
