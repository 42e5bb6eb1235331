// Lab 08: a prefork worker. Everything it does is lab 07's serve_iterative; what is new is that
// it is one of several processes accepting on one listening socket, and that it must not outlive
// its master.
#include "prefork_worker.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <utility>

#include "echo.hpp"
#include "stop_signal.hpp"
#include "supervise.hpp"
#include "syslab/error.hpp"
#include "unique_fd.hpp"

namespace models {

// [slide:serve_worker]
int serve_worker(net::Listener listener, pid_t master) {
  // BEGIN SOLUTION: PR_SET_PDEATHSIG SIGTERM, give up if the master is gone already; a stop fd for SIGTERM and SIGINT; serve_iterative; return 0
  // When the master dies (even by SIGKILL), the kernel sends us SIGTERM: a graceful stop.
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) syslab::throw_errno("prctl PR_SET_PDEATHSIG");
  if (::getppid() != master) return 1;  // it died before the prctl: nobody would tell us
  // The master's mask is inherited: SIGTERM is blocked, so it waits, pending, for this signalfd.
  const fdio::UniqueFd stop = net::stop_signal_fd({SIGTERM, SIGINT});
  net::serve_iterative(std::move(listener), stop);
  return 0;
  // END SOLUTION
}
// [/slide]

// [slide:replacement_delay]
std::chrono::milliseconds replacement_delay(int quick_deaths) {
  // BEGIN SOLUTION: 0 for up to one crash in a row; then lab 06's backoff_delay from 100 ms, doubling, at most 5 s
  using std::chrono::milliseconds;
  if (quick_deaths <= 1) return milliseconds(0);
  return sig::backoff_delay(quick_deaths - 1, milliseconds(100), milliseconds(5000));
  // END SOLUTION
}
// [/slide]

}  // namespace models
