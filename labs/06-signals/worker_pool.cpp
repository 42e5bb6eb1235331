// Lab 06: a pool of worker processes with a graceful shutdown. One thread, one loop: poll the
// self-pipe, read which signals came, reap whoever ended, start what may start.
#include "worker_pool.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <map>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "child_process.hpp"
#include "graceful_shutdown.hpp"
#include "reap_children.hpp"
#include "scoped_signals.hpp"
#include "self_pipe.hpp"
#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace sig {

int PoolReport::exit_code() const {
  if (escalated) return 1;
  for (const JobResult& result : finished) {
    if (!result.status.success()) return 1;
  }
  return 0;
}

namespace {

// The signals the pool handles. SIGCHLD says only "some child ended": reap to learn which.
constexpr int kPoolSignals[] = {SIGCHLD, SIGTERM, SIGINT};

}  // namespace

namespace detail {

struct Worker {
  std::size_t job = 0;
  proc::ChildProcess process;  // killed and reaped on destruction, if the pool ends by an exception
};

// One run of the pool: the loop's state, and one small function per kind of event.
class PoolRun {
 public:
  PoolRun(const std::vector<Job>& jobs, const PoolOptions& options)
      : jobs_(jobs),
        options_(options),
        // SA_RESTART: a read or waitpid elsewhere carries on; our poll is interrupted anyway.
        wakeups_({SIGCHLD, SIGTERM, SIGINT}, Restart::kYes),
        shutdown_(options.grace) {}

  PoolReport run();

 private:
  using Clock = GracefulShutdown::Clock;

  void start_jobs();
  void start_job(std::size_t index);
  void wait_for_wakeup();
  void handle_stop_requests();
  void reap_workers();
  void act(GracefulShutdown::Action action, std::string_view why);
  static int run_job_in_child(const Job& job, const sigset_t& mask);
  void log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  const std::vector<Job>& jobs_;
  const PoolOptions& options_;
  SelfPipe wakeups_;  // made before the first fork, so that no SIGCHLD can be missed
  GracefulShutdown shutdown_;
  std::map<pid_t, Worker> workers_;  // the running jobs, by pid; destroyed before wakeups_
  std::size_t next_job_ = 0;
  PoolReport report_;
};

PoolReport PoolRun::run() {
  SYSLAB_TODO("loop until no worker runs: start_jobs, wait_for_wakeup, handle_stop_requests, reap_workers, act on check_deadline");
  report_.not_started = jobs_.size() - next_job_;
  report_.stopped = shutdown_.phase() != GracefulShutdown::Phase::kRunning;
  return report_;
}

void PoolRun::start_jobs() {
  SYSLAB_TODO("while work is accepted, jobs remain and fewer than options_.workers run: start_job(next_job_++)");
}

void PoolRun::start_job(std::size_t index) {
  SYSLAB_TODO("fork_child with every signal blocked across the fork, the child running run_job_in_child with the old mask; keep the worker by pid");
}

// In a job's child, before the job: a forked child inherits our handlers, which write to OUR
// self-pipe, so a SIGTERM sent to this job alone would not end it but wake the pool. Default
// actions first, then the mask the pool had before it blocked everything for the fork.
int PoolRun::run_job_in_child(const Job& job, const sigset_t& mask) {
  SYSLAB_TODO("put SIGCHLD, SIGTERM and SIGINT back to their default action, set the thread's mask to mask, then run the job");
}

void PoolRun::wait_for_wakeup() {
  SYSLAB_TODO("poll the self-pipe for POLLIN with the shutdown's timeout; EINTR is a wake-up too; throw on any other error");
}

void PoolRun::handle_stop_requests() {
  SYSLAB_TODO("read_signals from the self-pipe; skip SIGCHLD (reap_workers handles it); act on request_stop for the others");
}

void PoolRun::reap_workers() {
  SYSLAB_TODO("reap_children(); for each worker reaped: release its ChildProcess, record a JobResult, log, forget it");
}

void PoolRun::act(GracefulShutdown::Action action, std::string_view why) {
  switch (action) {
    case GracefulShutdown::Action::kNothing: return;
    case GracefulShutdown::Action::kStopAccepting:
      // Nothing to send: the running jobs are left alone to finish their work.
      log(fmt::format("{}: stopping: {} running, {} not started; waiting up to {} ms", why,
                      workers_.size(), jobs_.size() - next_job_, shutdown_.grace().count()));
      return;
    case GracefulShutdown::Action::kKillWorkers:
      log(fmt::format("{}: killing {} workers", why, workers_.size()));
      for (auto& [pid, worker] : workers_) worker.process.kill(SIGKILL);  // reaped on SIGCHLD
      report_.escalated = report_.escalated || !workers_.empty();
      return;
  }
}

}  // namespace detail

PoolReport run_worker_pool(const std::vector<Job>& jobs, const PoolOptions& options) {
  if (options.workers == 0) {
    throw std::invalid_argument("run_worker_pool: workers must be at least 1");
  }
  detail::PoolRun run(jobs, options);
  return run.run();
}

}  // namespace sig
