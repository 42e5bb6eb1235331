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
#include "syslab/todo.hpp"

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

int ForkServer::run() {
  SYSLAB_TODO("until stopped with no child left: wait, read the signals, reap, kill at the deadline, accept when the listener is ready");
}

// Polls the signalfd and, while there is one, the listener, until the grace period's deadline:
// true when a client waits to be accepted.
bool ForkServer::wait_for_event() {
  SYSLAB_TODO("poll the signalfd and the listener (fd -1 once it is closed) with the shutdown's timeout; true when the listener is readable; EINTR is no error");
}

void ForkServer::handle_signals() {
  SYSLAB_TODO("read every pending signal; SIGCHLD needs nothing here (reap follows), the others are stop requests");
}

void ForkServer::reap() {
  SYSLAB_TODO("reap_children(); for each child of ours: release its ChildProcess (the pid is reaped already), forget it, log how it ended");
}

void ForkServer::accept_and_fork() {
  SYSLAB_TODO("try_accept; fork_child running serve_in_child; keep the child by its pid; the parent's copy of the connection closes on return");
}

// In the child, after fork: it has a copy of every fd the master had.
int ForkServer::serve_in_child(net::Socket& conn) {
  SYSLAB_TODO("close the child's copy of the listener; echo_connection to the end; exit 0");
}

void ForkServer::on_stop_request(int signal) {
  SYSLAB_TODO("first request: close the listener and let the children finish; second: kill them");
}

void ForkServer::kill_children(const char* why) {
  log_event(options_.log, "{}; killing {} children", why, children_.size());
  for (auto& [pid, child] : children_) child.kill(SIGKILL);  // reaped on their SIGCHLD
}

}  // namespace models
