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
#include "syslab/todo.hpp"

namespace finale {

MasterSockets open_master_sockets(const http::HttpdOptions& options, const h2::TlsOptions& tls,
                                  bool reuseport) {
  SYSLAB_TODO("shared: lab 07's listen_tcp for the port (and the TLS port); reuseport: reserve_port for each");
}

std::vector<h2::Endpoint> worker_endpoints(MasterSockets sockets, bool reuseport,
                                           const std::shared_ptr<const tls::TlsContext>& context) {
  SYSLAB_TODO("shared: the sockets as they are; reuseport: listen_beside each (the master's copy closed); the TLS one gets tls_transports");
}

int run_worker(WorkerSetup& setup, net::Listener& clear) {
  SYSLAB_TODO("die with the master; close the master's ready end; a stop fd for SIGTERM and SIGINT; serve_httpd on worker_endpoints, telling the master when ready; 0");
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
  SYSLAB_TODO("the master's sockets; a WorkerSetup with the ready pipe; lab 08's Arbiter running run_worker; wait for the first generation, say \"listening on\", run the Arbiter");
}

}  // namespace finale
