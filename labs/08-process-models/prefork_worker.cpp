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
#include "syslab/todo.hpp"

namespace models {

int serve_worker(net::Listener listener, pid_t master) {
  SYSLAB_TODO("PR_SET_PDEATHSIG SIGTERM, give up if the master is gone already; a stop fd for SIGTERM and SIGINT; serve_iterative; return 0");
}

std::chrono::milliseconds replacement_delay(int quick_deaths) {
  SYSLAB_TODO("0 for up to one crash in a row; then lab 06's backoff_delay from 100 ms, doubling, at most 5 s");
}

}  // namespace models
