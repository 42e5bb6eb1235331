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
  // BEGIN SOLUTION: loop until no worker runs: start_jobs, wait_for_wakeup, handle_stop_requests, reap_workers, act on check_deadline
  for (;;) {
    start_jobs();
    if (workers_.empty()) break;  // nothing runs, and nothing more may start
    wait_for_wakeup();
    handle_stop_requests();
    reap_workers();  // on every wake-up: SIGCHLDs coalesce, so count nothing, just reap
    if (!workers_.empty()) act(shutdown_.check_deadline(Clock::now()), "the grace period is over");
  }
  // END SOLUTION
  report_.not_started = jobs_.size() - next_job_;
  report_.stopped = shutdown_.phase() != GracefulShutdown::Phase::kRunning;
  return report_;
}

void PoolRun::start_jobs() {
  // BEGIN SOLUTION: while work is accepted, jobs remain and fewer than options_.workers run: start_job(next_job_++)
  while (shutdown_.accepting_work() && next_job_ < jobs_.size() &&
         workers_.size() < options_.workers) {
    start_job(next_job_++);
  }
  // END SOLUTION
}

// [slide:start_job]
void PoolRun::start_job(std::size_t index) {
  // BEGIN SOLUTION: fork_child with every signal blocked across the fork, the child running run_job_in_child with the old mask; keep the worker by pid
  const Job& job = jobs_[index];
  proc::ChildProcess child;
  {
    // Blocked across fork, so that no handler of ours can run in the child before it has put
    // the defaults back (spawn in lab 04 does the same).
    const ScopedSignalMask quiet(all_signals());
    child = proc::fork_child([&job, &quiet] { return run_job_in_child(job, quiet.previous()); });
  }
  const pid_t pid = child.pid();
  log(fmt::format("job {} started: pid {}", index, pid));
  workers_.emplace(pid, Worker{index, std::move(child)});
  // END SOLUTION
}
// [/slide]

// In a job's child, before the job: a forked child inherits our handlers, which write to OUR
// self-pipe, so a SIGTERM sent to this job alone would not end it but wake the pool. Default
// actions first, then the mask the pool had before it blocked everything for the fork.
int PoolRun::run_job_in_child(const Job& job, const sigset_t& mask) {
  // BEGIN SOLUTION: put SIGCHLD, SIGTERM and SIGINT back to their default action, set the thread's mask to mask, then run the job
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  ::sigemptyset(&default_action.sa_mask);
  for (const int signal : kPoolSignals) {
    if (::sigaction(signal, &default_action, nullptr) != 0) syslab::throw_errno("sigaction");
  }
  if (const int error = ::pthread_sigmask(SIG_SETMASK, &mask, nullptr); error != 0) {
    syslab::throw_error(error, "pthread_sigmask");
  }
  return job();
  // END SOLUTION
}

void PoolRun::wait_for_wakeup() {
  // BEGIN SOLUTION: poll the self-pipe for POLLIN with the shutdown's timeout; EINTR is a wake-up too; throw on any other error
  pollfd entry{wakeups_.fd().get(), POLLIN, 0};
  // poll is never restarted after a handler, SA_RESTART or not: EINTR means "a signal came",
  // and its byte is waiting in the pipe for handle_stop_requests.
  if (::poll(&entry, 1, shutdown_.poll_timeout_ms(Clock::now())) < 0 && errno != EINTR) {
    syslab::throw_errno("poll", "self-pipe");
  }
  // END SOLUTION
}

void PoolRun::handle_stop_requests() {
  // BEGIN SOLUTION: read_signals from the self-pipe; skip SIGCHLD (reap_workers handles it); act on request_stop for the others
  for (const int signal : wakeups_.read_signals()) {
    if (signal == SIGCHLD) continue;
    act(shutdown_.request_stop(Clock::now()), "got " + proc::signal_name(signal));
  }
  // END SOLUTION
}

void PoolRun::reap_workers() {
  // BEGIN SOLUTION: reap_children(); for each worker reaped: release its ChildProcess, record a JobResult, log, forget it
  for (const Reaped& ended : reap_children()) {
    const auto found = workers_.find(ended.pid);
    if (found == workers_.end()) {
      log(fmt::format("reaped pid {}, which is not a worker: {}", ended.pid,
                      ended.status.describe()));
      continue;
    }
    // Reaped already: the ChildProcess must forget the pid, which the kernel may now reuse.
    [[maybe_unused]] const pid_t reaped = found->second.process.release();
    report_.finished.push_back({found->second.job, ended.pid, ended.status});
    log(fmt::format("job {} (pid {}) {}", found->second.job, ended.pid, ended.status.describe()));
    workers_.erase(found);
  }
  // END SOLUTION
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
