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
#include "syslab/todo.hpp"

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

int Arbiter::run() {
  SYSLAB_TODO("until stopped with no worker left: wait, read the signals, reap, kill at the deadline, start missing workers");
}

void Arbiter::wait_for_event() {
  SYSLAB_TODO("poll the signalfd until the earlier of the back-off's end and the grace period's end; EINTR is no error");
}

void Arbiter::handle_signals() {
  SYSLAB_TODO("read every pending signal: SIGHUP reloads, SIGTERM and SIGINT stop, SIGCHLD needs nothing (reap follows)");
}

void Arbiter::reap() {
  SYSLAB_TODO("reap_children(); a worker of ours: release its ChildProcess, on_worker_exit, forget it");
}

void Arbiter::on_worker_exit(pid_t pid, const Worker& worker, const proc::WaitStatus& status) {
  SYSLAB_TODO("a retired worker (or any, once stopping) just ended; otherwise count a crash at start, set the back-off, log that it is replaced");
}

void Arbiter::start_missing_workers() {
  SYSLAB_TODO("unless stopping or backing off: a worker for every slot the current generation leaves empty");
}

void Arbiter::start_worker(std::size_t slot) {
  SYSLAB_TODO("fork_child running worker_main (pass the master's pid and the slot); keep the Worker (generation, slot, start time) by pid; log it");
}

// In the worker, after fork: this object is the worker's own copy of the master's, and is never
// destroyed there (fork_child _exits), so its ChildProcesses kill nobody.
int Arbiter::worker_main(pid_t master, std::size_t slot) {
  if (options_.worker) return options_.worker(*listener_, slot);
  return serve_worker(std::move(*listener_), master);
}

void Arbiter::reload() {
  SYSLAB_TODO("(not while stopping) next generation: start its workers first, then retire every worker of an older one");
}

void Arbiter::on_stop_request(int signal) {
  SYSLAB_TODO("first request: close the listener, retire every worker; second: kill them");
}

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
