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
#include "syslab/todo.hpp"

namespace finale {

std::vector<SlotSockets> open_master_sockets(const http::HttpdOptions& options,
                                             const h2::TlsOptions& tls, std::size_t slots,
                                             bool reuseport) {
  SYSLAB_TODO("shared: lab 07's listen_tcp for the port (and the TLS port), one SlotSockets; reuseport: listen_reuseport, then listen_beside it for every further slot");
}

std::vector<h2::Endpoint> worker_endpoints(SlotSockets own,
                                           const std::shared_ptr<const tls::TlsContext>& context) {
  SYSLAB_TODO("the clear-text socket as it is; the TLS one with tls::tls_transports(context)");
}

SlotSockets take_slot_sockets(WorkerSetup& setup, net::Listener& first_clear, std::size_t slot) {
  SYSLAB_TODO("setup.slots[slot] (shared: [0]); drop every other slot's copies; the first slot's clear-text socket is first_clear, else first_clear closes");
}

int run_worker(WorkerSetup& setup, net::Listener& first_clear, std::size_t slot) {
  SYSLAB_TODO("die with the master; close the master's ready end; a stop fd for SIGTERM and SIGINT; serve_httpd on the slot's worker_endpoints, telling the master when ready; 0");
}

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

int serve_with_workers(const http::HttpdOptions& options, const h2::HttpdExtras& extras,
                       const WorkersOptions& workers) {
  SYSLAB_TODO("the master's sockets; a WorkerSetup with the ready pipe; lab 08's Arbiter (the first clear-text socket) running run_worker; wait for the first generation, say \"listening on\", run the Arbiter");
}

}  // namespace finale
