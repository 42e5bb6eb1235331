// Lab 08: the fork-per-connection master. One poll(2) on two fds: the listener (a client waits:
// accept and fork) and the signalfd (SIGCHLD: reap; SIGTERM, SIGINT: stop). The grace period of
// a stop is poll's timeout, never a sleep.
// Look at: strace -f -e trace=accept4,clone,close,wait4 echo-server --model=fork
#include "fork_server.hpp"

#include <poll.h>
#include <signal.h>

#include <array>
#include <cerrno>
#include <utility>

#include "echo.hpp"
#include "reap_children.hpp"
#include "syslab/error.hpp"
#include "unique_fd.hpp"

namespace models {

ForkServer::ForkServer(net::Listener listener, ForkOptions options)
    : options_(std::move(options)),
      signals_({SIGCHLD, SIGTERM, SIGINT}),
      listener_(std::move(listener)),
      shutdown_(options_.grace) {
  // Non-blocking: a client that gives up between poll and accept must not hang the master in
  // accept, where it would see neither SIGCHLD nor SIGTERM.
  fdio::set_nonblocking(listener_->fd());
}

// [slide:fork_run]
int ForkServer::run() {
  // BEGIN SOLUTION: until stopped with no child left: wait, read the signals, reap, kill at the deadline, accept when the listener is ready
  while (shutdown_.accepting_work() || !children_.empty()) {
    const bool client_waiting = wait_for_event();
    handle_signals();
    reap();  // on every wake-up: one SIGCHLD may stand for many exits
    if (shutdown_.check_deadline(Clock::now()) == sig::GracefulShutdown::Action::kKillWorkers) {
      kill_children("the grace period is over");
    }
    if (client_waiting && listener_) accept_and_fork();
  }
  log_event(options_.log, "stopped");
  return shutdown_.phase() == sig::GracefulShutdown::Phase::kEscalated ? 1 : 0;
  // END SOLUTION
}
// [/slide]

// Polls the signalfd and, while there is one, the listener, until the grace period's deadline:
// true when a client waits to be accepted.
bool ForkServer::wait_for_event() {
  // BEGIN SOLUTION: poll the signalfd and the listener (fd -1 once it is closed) with the shutdown's timeout; true when the listener is readable; EINTR is no error
  std::array<pollfd, 2> fds{{{signals_.fd().get(), POLLIN, 0}, {-1, POLLIN, 0}}};
  if (listener_) fds[1].fd = listener_->fd().get();
  if (::poll(fds.data(), fds.size(), shutdown_.poll_timeout_ms(Clock::now())) < 0) {
    if (errno != EINTR) syslab::throw_errno("poll", "signalfd and listener");
    return false;
  }
  return fds[1].revents != 0;
  // END SOLUTION
}

void ForkServer::handle_signals() {
  // BEGIN SOLUTION: read every pending signal; SIGCHLD needs nothing here (reap follows), the others are stop requests
  while (const std::optional<sig::SignalInfo> info = signals_.read()) {
    if (info->signal != SIGCHLD) on_stop_request(info->signal);
  }
  // END SOLUTION
}

// [slide:fork_reap]
void ForkServer::reap() {
  // BEGIN SOLUTION: reap_children(); for each child of ours: release its ChildProcess (the pid is reaped already), forget it, log how it ended
  for (const sig::Reaped& ended : sig::reap_children()) {
    const auto found = children_.find(ended.pid);
    if (found == children_.end()) {
      log_event(options_.log, "reaped process {}, not a connection's child", ended.pid);
      continue;
    }
    // Reaped already: the ChildProcess must forget the pid, which the kernel may reuse now.
    [[maybe_unused]] const pid_t reaped = found->second.release();
    children_.erase(found);
    log_event(options_.log, "child {} {}", ended.pid, ended.status.describe());
  }
  // END SOLUTION
}
// [/slide]

// [slide:accept_and_fork]
void ForkServer::accept_and_fork() {
  // BEGIN SOLUTION: try_accept; fork_child running serve_in_child; keep the child by its pid; the parent's copy of the connection closes on return
  std::optional<net::Socket> conn = listener_->try_accept();
  if (!conn) return;  // another wake-up's client, gone already (EAGAIN, ECONNABORTED)
  try {
    proc::ChildProcess child = proc::fork_child([&] { return serve_in_child(*conn); });
    const pid_t pid = child.pid();
    children_.emplace(pid, std::move(child));
    log_event(options_.log, "child {} serves a connection ({} open)", pid, children_.size());
  } catch (const syslab::SystemError& error) {  // fork: EAGAIN (too many processes), ENOMEM
    log_event(options_.log, "{}; connection dropped", error.what());
  }
  // conn goes out of scope here: the master's copy closes. The child's copy is the only one
  // left, so the client sees the end of the connection when the child closes it.
  // END SOLUTION
}
// [/slide]

// [slide:serve_in_child]
// In the child, after fork: it has a copy of every fd the master had.
int ForkServer::serve_in_child(net::Socket& conn) {
  // BEGIN SOLUTION: close the child's copy of the listener; echo_connection to the end; exit 0
  // Close our copy of the listener: the master's is then the only one, and a stop that closes
  // it refuses new clients at once instead of leaving them in a backlog nobody accepts from.
  { const net::Listener closing = std::move(*listener_); }
  // SIGTERM and SIGINT stay blocked here (the mask is inherited): a stop request to the
  // master lets this connection finish; only the master's SIGKILL ends it early.
  (void)net::echo_connection(conn.fd());
  return 0;
  // END SOLUTION
}
// [/slide]

// [slide:fork_stop]
void ForkServer::on_stop_request(int signal) {
  // BEGIN SOLUTION: first request: close the listener and let the children finish; second: kill them
  switch (shutdown_.request_stop(Clock::now())) {
    case sig::GracefulShutdown::Action::kStopAccepting:
      listener_.reset();  // new connects are refused from now on
      log_event(options_.log, "got {}; not accepting, waiting for {} connections",
                proc::signal_name(signal), children_.size());
      return;
    case sig::GracefulShutdown::Action::kKillWorkers: return kill_children("a second stop request");
    case sig::GracefulShutdown::Action::kNothing: return;
  }
  // END SOLUTION
}
// [/slide]

void ForkServer::kill_children(const char* why) {
  log_event(options_.log, "{}; killing {} children", why, children_.size());
  for (auto& [pid, child] : children_) child.kill(SIGKILL);  // reaped on their SIGCHLD
}

}  // namespace models
