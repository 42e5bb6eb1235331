// Lab 08: fork per connection, the oldest concurrent server (inetd, early Apache, sshd today). The
// master only accepts: each connection gets a child of its own, forked with lab 04's fork_child,
// which echoes it with lab 07's echo_connection and exits. The master closes its copy of the
// connection, the child its copy of the listener, and SIGCHLD (read from lab 06's signalfd) tells
// the master to reap, so no zombie is left when a connection ends.
// Look at: echo-server --model=fork, two echo-clients, and ps --ppid MASTER -o pid,stat,comm.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>

#include "child_process.hpp"
#include "graceful_shutdown.hpp"
#include "model_log.hpp"
#include "signal_fd.hpp"
#include "socket.hpp"

namespace models {

struct ForkOptions {
  std::chrono::milliseconds grace = kDefaultGrace;  // after a stop, before open ones are killed
  EventLog log;  // "child 1234 serves a connection", "child 1234 exited 0", ...
};

// A fork-per-connection server on one listener. Not movable: the signalfd and the children are
// its own. Make it on the main thread before any thread starts (it blocks signals).
class ForkServer {
 public:
  // Blocks SIGCHLD, SIGTERM and SIGINT and reads them from a signalfd; makes the listener
  // non-blocking (an accept that would wait is EAGAIN, never a hang). Throws on failure.
  ForkServer(net::Listener listener, ForkOptions options);
  ForkServer(const ForkServer&) = delete;
  ForkServer& operator=(const ForkServer&) = delete;
  // Children still running (only after an exception in run) are killed and reaped.
  ~ForkServer() = default;

  // Serves until SIGTERM or SIGINT, then stops gracefully: closes the listener at once (new
  // connects are refused), lets each child finish its connection, reaps them all and returns 0.
  // A second stop request, or the grace period running out, kills the children: returns 1.
  int run();

 private:
  bool wait_for_event();
  void handle_signals();
  void reap();
  void accept_and_fork();
  int serve_in_child(net::Socket& conn);
  void on_stop_request(int signal);
  void kill_children(const char* why);

  ForkOptions options_;
  sig::SignalFd signals_;                  // first: the signals are blocked before any child exists
  std::optional<net::Listener> listener_;  // empty once a stop request has closed it
  sig::GracefulShutdown shutdown_;
  std::map<pid_t, proc::ChildProcess> children_;  // one per open connection
};

}  // namespace models
