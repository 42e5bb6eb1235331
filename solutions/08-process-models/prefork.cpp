// Lab 08: the prefork master (the arbiter). Its loop is lab 06's supervisor loop with N children
// instead of one: poll the signalfd until the earlier of two deadlines (the end of a back-off, the
// end of the grace period), read the signals, reap, then bring the workers back to N.
// Look at: strace -f -e trace=clone,kill,wait4 echo-server --model=prefork --workers 2
#include "prefork.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <utility>

#include "prefork_worker.hpp"
#include "reap_children.hpp"
#include "syslab/error.hpp"
#include "unique_fd.hpp"

namespace models {

using sig::GracefulShutdown;

Arbiter::Arbiter(net::Listener listener, PreforkOptions options)
    : options_(std::move(options)),
      signals_({SIGCHLD, SIGHUP, SIGTERM, SIGINT}),
      listener_(std::move(listener)),
      shutdown_(options_.grace) {
  if (options_.workers == 0) throw std::invalid_argument("prefork: at least one worker is needed");
  // Shared by every worker (one open file description): an idle worker that lost the race for
  // a client gets EAGAIN from accept4 instead of sleeping in it, deaf to SIGTERM.
  fdio::set_nonblocking(listener_->fd());
  start_missing_workers();
}

// [slide:arbiter_run]
int Arbiter::run() {
  // BEGIN SOLUTION: until stopped with no worker left: wait, read the signals, reap, kill at the deadline, start missing workers
  while (shutdown_.accepting_work() || !workers_.empty()) {
    wait_for_event();
    handle_signals();
    reap();
    if (shutdown_.check_deadline(Clock::now()) == GracefulShutdown::Action::kKillWorkers) {
      kill_workers("the grace period is over");
    }
    start_missing_workers();
  }
  log_event(options_.log, "stopped");
  return shutdown_.phase() == GracefulShutdown::Phase::kEscalated ? 1 : 0;
  // END SOLUTION
}
// [/slide]

void Arbiter::wait_for_event() {
  // BEGIN SOLUTION: poll the signalfd until the earlier of the back-off's end and the grace period's end; EINTR is no error
  const Clock::time_point now = Clock::now();
  const int timeout = sig::earlier_timeout(sig::poll_timeout_until(start_after_, now),
                                           shutdown_.poll_timeout_ms(now));
  pollfd entry{signals_.fd().get(), POLLIN, 0};
  if (::poll(&entry, 1, timeout) < 0 && errno != EINTR) syslab::throw_errno("poll", "signalfd");
  // END SOLUTION
}

void Arbiter::handle_signals() {
  // BEGIN SOLUTION: read every pending signal: SIGHUP reloads, SIGTERM and SIGINT stop, SIGCHLD needs nothing (reap follows)
  while (const std::optional<sig::SignalInfo> info = signals_.read()) {
    if (info->signal == SIGHUP) {
      reload();
    } else if (info->signal != SIGCHLD) {
      on_stop_request(info->signal);
    }
  }
  // END SOLUTION
}

void Arbiter::reap() {
  // BEGIN SOLUTION: reap_children(); a worker of ours: release its ChildProcess, on_worker_exit, forget it
  for (const sig::Reaped& ended : sig::reap_children()) {
    const auto found = workers_.find(ended.pid);
    if (found == workers_.end()) {
      log_event(options_.log, "reaped process {}, not a worker", ended.pid);
      continue;
    }
    // Reaped already: the ChildProcess must forget the pid, which the kernel may reuse now.
    [[maybe_unused]] const pid_t reaped = found->second.process.release();
    on_worker_exit(ended.pid, found->second, ended.status);
    workers_.erase(found);
  }
  // END SOLUTION
}

// [slide:on_worker_exit]
void Arbiter::on_worker_exit(pid_t pid, const Worker& worker, const proc::WaitStatus& status) {
  // BEGIN SOLUTION: a retired worker (or any, once stopping) just ended; otherwise count a crash at start, set the back-off, log that it is replaced
  if (worker.retiring || !shutdown_.accepting_work()) {
    log_event(options_.log, "worker {} {} (generation {}, retired)", pid, status.describe(),
              worker.generation);
    return;
  }
  const Clock::time_point now = Clock::now();
  quick_deaths_ = now - worker.started < kSteadyUptime ? quick_deaths_ + 1 : 0;
  const std::chrono::milliseconds delay = replacement_delay(quick_deaths_);
  start_after_ = now + delay;  // start_missing_workers waits for it; poll's timeout wakes us
  log_event(options_.log, "worker {} {} unexpectedly; replacing it{}", pid, status.describe(),
            delay.count() == 0 ? "" : fmt::format(" in {} ms", delay.count()));
  // END SOLUTION
}
// [/slide]

// [slide:start_missing_workers]
void Arbiter::start_missing_workers() {
  // BEGIN SOLUTION: unless stopping or backing off: a worker for every slot the current generation leaves empty
  if (!shutdown_.accepting_work()) return;
  if (start_after_ && Clock::now() < *start_after_) return;  // backing off after crashes
  start_after_.reset();
  for (std::size_t slot = 0; slot < options_.workers; ++slot) {
    if (!slot_filled(slot)) start_worker(slot);
  }
  // END SOLUTION
}
// [/slide]

// [slide:start_worker]
void Arbiter::start_worker(std::size_t slot) {
  // BEGIN SOLUTION: fork_child running worker_main (pass the master's pid and the slot); keep the Worker (generation, slot, start time) by pid; log it
  const pid_t master = ::getpid();
  proc::ChildProcess child =
      proc::fork_child([this, master, slot] { return worker_main(master, slot); });
  const pid_t pid = child.pid();
  workers_.emplace(pid, Worker{std::move(child), generation_, slot, Clock::now(), false});
  log_event(options_.log, "worker {} started (generation {}, slot {})", pid, generation_, slot);
  // END SOLUTION
}
// [/slide]

// In the worker, after fork: this object is the worker's own copy of the master's, and is never
// destroyed there (fork_child _exits), so its ChildProcesses kill nobody.
int Arbiter::worker_main(pid_t master, std::size_t slot) {
  if (options_.worker) return options_.worker(*listener_, slot);
  return serve_worker(std::move(*listener_), master);
}

// [slide:reload]
void Arbiter::reload() {
  // BEGIN SOLUTION: (not while stopping) next generation: start its workers first, then retire every worker of an older one
  if (!shutdown_.accepting_work()) return;
  ++generation_;
  log_event(options_.log, "got SIGHUP; starting generation {}", generation_);
  start_after_.reset();     // an operator's reload does not wait for a back-off
  start_missing_workers();  // first the new ones: there is never a moment with nobody accepting
  for (auto& [pid, worker] : workers_) {
    if (worker.generation < generation_ && !worker.retiring) retire(worker);
  }
  // END SOLUTION
}
// [/slide]

// [slide:arbiter_stop]
void Arbiter::on_stop_request(int signal) {
  // BEGIN SOLUTION: first request: close the listener, retire every worker; second: kill them
  switch (shutdown_.request_stop(Clock::now())) {
    case GracefulShutdown::Action::kStopAccepting:
      log_event(options_.log, "got {}; stopping {} workers", proc::signal_name(signal),
                workers_.size());
      listener_.reset();  // ours; the workers close theirs on SIGTERM
      for (auto& [pid, worker] : workers_) {
        if (!worker.retiring) retire(worker);
      }
      return;
    case GracefulShutdown::Action::kKillWorkers: return kill_workers("a second stop request");
    case GracefulShutdown::Action::kNothing: return;
  }
  // END SOLUTION
}
// [/slide]

void Arbiter::retire(Worker& worker) {
  worker.process.kill(SIGTERM);  // it finishes its connection, then exits
  worker.retiring = true;
}

void Arbiter::kill_workers(const char* why) {
  log_event(options_.log, "{}; killing {} workers", why, workers_.size());
  for (auto& [pid, worker] : workers_) worker.process.kill(SIGKILL);  // reaped on SIGCHLD
}

bool Arbiter::slot_filled(std::size_t slot) const {
  for (const auto& [pid, worker] : workers_) {
    if (worker.generation == generation_ && !worker.retiring && worker.slot == slot) return true;
  }
  return false;
}

}  // namespace models
