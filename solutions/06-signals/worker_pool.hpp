// Lab 06: graceful shutdown in practice. A pool runs jobs in child processes, at most N at once,
// from an event loop woken by a self-pipe (SIGCHLD: reap; SIGTERM, SIGINT: stop). The first stop
// request stops it taking jobs and lets the running ones finish; a second one, or the end of the
// grace period, kills them. This is how a server's master process (lab 08) shuts down.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "wait_status.hpp"

namespace sig {

// A job: runs in a child process of its own; its return value is the child's exit code.
using Job = std::function<int()>;

struct PoolOptions {
  std::size_t workers = 4;                      // at most this many jobs run at once (>= 1)
  std::chrono::milliseconds grace{5000};        // after the first stop request, before SIGKILL
  std::function<void(const std::string&)> log;  // each event as one line; empty: silent
};

// How one job ended.
struct JobResult {
  std::size_t job = 0;  // its index in the jobs vector
  pid_t pid = -1;
  proc::WaitStatus status;
};

struct PoolReport {
  std::vector<JobResult> finished;  // every job that was started, in the order they ended
  std::size_t not_started = 0;      // jobs left in the queue by a stop request
  bool stopped = false;             // a stop request (SIGTERM, SIGINT) came
  bool escalated = false;           // workers had to be killed

  // What a pool program exits with: 0 when every job that ran succeeded, which includes a
  // graceful stop (the jobs not started are not failures); 1 when a job failed or was killed.
  [[nodiscard]] int exit_code() const;
};

// Runs the jobs in order, at most options.workers at a time, each in a child made with
// proc::fork_child; returns when no job runs and none is to be started. Handles SIGCHLD, SIGTERM
// and SIGINT itself (through a SelfPipe, so no other SelfPipe may exist meanwhile) and puts their
// previous handlers back before it returns. Jobs start with the default action for those
// signals. Every child of the calling process is reaped by the pool: call it where the pool's
// workers are the only children. Throws std::invalid_argument for workers == 0, and whatever
// fork or the signal calls throw (the running workers are then killed and reaped).
[[nodiscard]] PoolReport run_worker_pool(const std::vector<Job>& jobs, const PoolOptions& options);

}  // namespace sig
