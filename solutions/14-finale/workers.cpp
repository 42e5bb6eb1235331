// Lab 14: the master and its workers. The master is lab 08's Arbiter: what is new is the worker
// it runs (lab 13's serving) and the sockets it holds for every generation.
// Look at: ls -l /proc/WORKER/fd (shared: the master's socket:[inode] in every worker;
// --reuseport: each worker one of the master's, its slot's; ss -ltnpe).
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

// "127.0.0.1:8080" (with TLS: "... and 127.0.0.1:8443 (TLS)"), for the line "listening on".
std::string listening_addresses(const SlotSockets& sockets) {
  return h2::listening_addresses(sockets.clear->fd(),
                                 sockets.tls ? std::optional(sockets.tls->fd()) : std::nullopt);
}

// One byte on the ready pipe. Once the master stopped listening to it (every worker after the
// first generation), the write fails with EPIPE, which is no error here: SIGPIPE is ignored.
void tell_master_ready(fdio::BorrowedFd ready) { (void)fdio::write_all(ready, "r"); }

}  // namespace
// END SOLUTION

std::vector<SlotSockets> open_master_sockets(const http::HttpdOptions& options,
                                             const h2::TlsOptions& tls, std::size_t slots,
                                             bool reuseport) {
  // BEGIN SOLUTION: shared: lab 07's listen_tcp for the port (and the TLS port), one SlotSockets; reuseport: listen_reuseport, then listen_beside it for every further slot
  auto first = [&](std::uint16_t port) -> net::Listener {
    return reuseport ? listen_reuseport(options.host, port) : net::listen_tcp(options.host, port);
  };
  std::vector<SlotSockets> sockets;
  sockets.push_back(
      {first(options.port), tls.port ? std::optional(first(*tls.port)) : std::nullopt});
  if (!reuseport) return sockets;
  // Port 0 is the kernel's choice: every further socket binds to the first's address and port.
  // (Borrowed fds, not a reference to the first element: push_back may move it.)
  const fdio::BorrowedFd clear = sockets.front().clear->fd();
  const std::optional<fdio::BorrowedFd> secure =
      tls.port ? std::optional(sockets.front().tls->fd()) : std::nullopt;
  while (sockets.size() < slots) {
    sockets.push_back(
        {listen_beside(clear), secure ? std::optional(listen_beside(*secure)) : std::nullopt});
  }
  return sockets;
  // END SOLUTION
}

std::vector<h2::Endpoint> worker_endpoints(SlotSockets own,
                                           const std::shared_ptr<const tls::TlsContext>& context) {
  // BEGIN SOLUTION: the clear-text socket as it is; the TLS one with tls::tls_transports(context)
  std::vector<h2::Endpoint> endpoints;
  endpoints.push_back({std::move(*own.clear), {}});
  if (own.tls) endpoints.push_back({std::move(*own.tls), tls::tls_transports(context)});
  return endpoints;
  // END SOLUTION
}

// [slide:take_slot_sockets]
SlotSockets take_slot_sockets(WorkerSetup& setup, net::Listener& first_clear, std::size_t slot) {
  // BEGIN SOLUTION: setup.slots[slot] (shared: [0]); drop every other slot's copies; the first slot's clear-text socket is first_clear, else first_clear closes
  SlotSockets own = std::move(setup.slots.at(setup.reuseport ? slot : 0));
  setup.slots.clear();  // the copies of every other slot's sockets close
  net::Listener first = std::move(first_clear);
  if (!own.clear) own.clear = std::move(first);  // the first slot: the Arbiter's socket is ours
  return own;                                    // any other: `first` is not ours, and closes
  // END SOLUTION
}
// [/slide]

// [slide:run_worker]
int run_worker(WorkerSetup& setup, net::Listener& first_clear, std::size_t slot) {
  // BEGIN SOLUTION: die with the master; close the master's ready end; a stop fd for SIGTERM and SIGINT; serve_httpd on the slot's worker_endpoints, telling the master when ready; 0
  if (!die_with_master(setup.master)) return 1;
  setup.ready_read.reset();  // the master's end: only the master reads it
  // The master's mask is inherited: SIGTERM is blocked, so it waits, pending, for this signalfd.
  // Made before the I/O threads start, which inherit the mask.
  const fdio::UniqueFd stop = net::stop_signal_fd({SIGTERM, SIGINT});
  SlotSockets own = take_slot_sockets(setup, first_clear, slot);
  h2::serve_httpd(worker_endpoints(std::move(own), setup.context), stop, setup.options,
                  setup.preloads, [&setup] { tell_master_ready(setup.ready_write); });
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
  // BEGIN SOLUTION: the master's sockets; a WorkerSetup with the ready pipe; lab 08's Arbiter (the first clear-text socket) running run_worker; wait for the first generation, say "listening on", run the Arbiter
  std::vector<SlotSockets> sockets =
      open_master_sockets(options, extras.tls, workers.workers, workers.reuseport);
  const std::string addresses = listening_addresses(sockets.front());
  // The first clear-text socket is the Arbiter's listener (lab 08): its slot keeps none.
  net::Listener first_clear = *std::exchange(sockets.front().clear, std::nullopt);
  fdio::Pipe ready = fdio::make_pipe();
  WorkerSetup setup{.options = options,
                    .preloads = extras.preloads,
                    .context = h2::load_tls_context(extras.tls),
                    .slots = std::move(sockets),
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
  prefork.worker = [&setup](net::Listener& clear, std::size_t slot) {
    return run_worker(setup, clear, slot);
  };
  models::Arbiter arbiter(std::move(first_clear), std::move(prefork));  // forks the workers
  wait_for_workers(setup.ready_read, workers.workers, kStartupDeadline);
  // Later generations are not waited for: every listening socket stays open in the master all
  // along, and a connection that arrives while a slot's worker changes waits in its queue.
  setup.ready_read.reset();
  std::cout << "listening on " << addresses << std::endl;
  return arbiter.run();
  // END SOLUTION
}
// [/slide]

}  // namespace finale
