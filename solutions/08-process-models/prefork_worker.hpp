// Lab 08: the worker side of prefork, and the master's rule for replacing workers that crash.
// A worker is lab 07's iterative server on a listener it shares with its siblings: the kernel
// hands each waiting connection to whichever worker's accept4 comes first. Gunicorn's "sync"
// worker is the same loop.
// Look at: ls -l /proc/WORKER/fd (the same socket:[inode] in every worker and in the master).
#pragma once

#include <sys/types.h>

#include <chrono>

#include "socket.hpp"

namespace models {

// Runs in a worker, forked by the master: asks the kernel for SIGTERM when the master dies
// (prctl PR_SET_PDEATHSIG), so that no worker outlives its master as an orphan that still
// accepts; then serves listener as an iterative echo server until SIGTERM or SIGINT, finishes its
// connection and returns 0. `master` is the master's pid, to catch a master that died before the
// prctl. The listener must be non-blocking: every idle worker wakes for each new client (the
// thundering herd), one of them gets it, the others' accept4 says EAGAIN and they wait again.
[[nodiscard]] int serve_worker(net::Listener listener, pid_t master);

// A worker that dies less than this after it started counts as a crash at start.
inline constexpr std::chrono::milliseconds kSteadyUptime{1000};

// How long the master waits before it replaces workers after `quick_deaths` crashes at start in
// a row: the first is replaced at once (0), then 100 ms, 200 ms, 400 ms ... up to 5 s. A worker
// that cannot start (a bad configuration, a missing file) thus costs a few forks a second, not a
// fork loop that takes the machine's whole CPU.
[[nodiscard]] std::chrono::milliseconds replacement_delay(int quick_deaths);

}  // namespace models
