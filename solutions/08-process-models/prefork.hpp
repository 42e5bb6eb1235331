// Lab 08: prefork, the design of Gunicorn's arbiter. The master listens, forks N workers that
// accept on the shared listening socket, and then never accepts itself: it only manages workers,
// from signals read on a signalfd.
//   SIGCHLD          reap; a worker that died unexpectedly is replaced in its slot (with a
//                    back-off when workers keep crashing at start)
//   SIGHUP           a new generation of N workers first, then SIGTERM to the old ones, which
//                    finish their open connections (a reload without refusing anyone)
//   SIGTERM, SIGINT  close the listener, SIGTERM every worker, wait for them all; a second
//                    request, or the grace period running out, SIGKILLs them
// Look at: echo-server --model=prefork --workers 3, ps --ppid MASTER, kill -HUP MASTER.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>

#include "child_process.hpp"
#include "graceful_shutdown.hpp"
#include "model_log.hpp"
#include "signal_fd.hpp"
#include "socket.hpp"

namespace models {

struct PreforkOptions {
  std::size_t workers = 4;                          // how many accept at once (>= 1)
  std::chrono::milliseconds grace = kDefaultGrace;  // after a stop, before workers are killed
  EventLog
      log;  // "worker 1234 started (generation 1, slot 0)", "worker 1234 killed by SIGKILL; ..."
  // What a worker runs, in the child, with its copy of the listener and its slot; its exit code.
  // Empty: serve_worker (an echo server). Tests put a worker that crashes at start here.
  // The slot (0 to workers - 1) is the place a worker fills: its replacement after a death takes
  // the same slot, and so does the worker of the same slot in a reload's new generation. Lab 14
  // gives each slot a listening socket of its own, which thus outlives every worker.
  std::function<int(net::Listener&, std::size_t slot)> worker;
};

// The master of a prefork server. Not movable: the signalfd and the workers are its own. Make it
// on the main thread before any thread starts (it blocks signals).
class Arbiter {
 public:
  // Blocks SIGCHLD, SIGHUP, SIGTERM and SIGINT (read from a signalfd), makes the listener
  // non-blocking and starts options.workers workers: when it returns, they exist. Throws
  // std::invalid_argument for 0 workers, syslab::SystemError when a call fails.
  Arbiter(net::Listener listener, PreforkOptions options);
  Arbiter(const Arbiter&) = delete;
  Arbiter& operator=(const Arbiter&) = delete;
  // Workers still running (only after an exception in run) are killed and reaped.
  ~Arbiter() = default;

  // Manages the workers until a stop request has ended them all: 0 when they stopped within the
  // grace period, 1 when they had to be killed.
  int run();

 private:
  struct Worker {
    proc::ChildProcess process;
    int generation = 0;
    std::size_t slot = 0;  // 0 to options_.workers - 1
    Clock::time_point started;
    bool retiring = false;  // sent SIGTERM: its exit is expected, it is not replaced
  };

  void wait_for_event();
  void handle_signals();
  void reap();
  void on_worker_exit(pid_t pid, const Worker& worker, const proc::WaitStatus& status);
  void start_missing_workers();
  void start_worker(std::size_t slot);
  int worker_main(pid_t master, std::size_t slot);
  void reload();
  void on_stop_request(int signal);
  void retire(Worker& worker);
  void kill_workers(const char* why);
  // Whether a worker of the current generation that has not been asked to stop fills slot.
  [[nodiscard]] bool slot_filled(std::size_t slot) const;

  PreforkOptions options_;
  sig::SignalFd signals_;  // first: the signals are blocked before the first worker exists
  std::optional<net::Listener> listener_;  // the master's copy; closed by a stop request
  sig::GracefulShutdown shutdown_;
  std::map<pid_t, Worker> workers_;
  int generation_ = 1;    // SIGHUP starts the next one
  int quick_deaths_ = 0;  // workers in a row that died within kSteadyUptime of their start
  std::optional<Clock::time_point> start_after_;  // replacements wait until then (back-off)
};

}  // namespace models
