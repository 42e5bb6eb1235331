// Lab 08 tests: echo-server --model=fork. The shared echo suite (the same checks run on every
// model of labs 07-11), then what /proc says: a child per open connection, reaped when its
// connection ends; the child holds its connection and not the listener, the master the listener
// and no connection.
#include <signal.h>

#include <cerrno>
#include <string>
#include <vector>

#include "process_models_test_util.hpp"
#include "syslab/echo_suite.hpp"
#include "syslab/test.hpp"

using namespace models_test;
namespace echo = syslab::test::echo;

SYSLAB_TEST(ForkServer, EchoesBytesExactly, 3,
            "ForkServer::run: poll the signalfd and the listener; accept_and_fork when a client "
            "waits; the child echoes with lab 07's echo_connection",
            "the client that shuts down without a byte must see the server close: the master "
            "must close its copy of the connection, or the child's close never reaches the client",
            "accept_and_fork: try_accept, proc::fork_child([&] { return serve_in_child(*conn); }), "
            "keep the ChildProcess in children_ by pid; conn closes when the function returns") {
  echo::check_echo_exact(fork_server());
}
SYSLAB_TIMEOUT(ForkServer, EchoesBytesExactly, 30);

SYSLAB_TEST(ForkServer, ServesClientsConcurrently, 3,
            "eight connections are opened first, then written last first: each needs its own child "
            "at once, while the others are still open",
            "the master goes back to poll right after the fork: it never waits for a child",
            "run(): wait_for_event, handle_signals, reap, then accept_and_fork if a client waits; "
            "nothing in the master blocks on a connection") {
  echo::check_concurrent_reverse_order(fork_server());
}
SYSLAB_TIMEOUT(ForkServer, ServesClientsConcurrently, 20);

SYSLAB_TEST(
    ForkServer, StalledClientDoesNotBlockOthers, 2,
    "a client that never reads blocks only its own child, in write",
    "the master must not touch connections: it accepts, forks and closes its copy",
    "serve_in_child: echo_connection(conn.fd()) to the end, then return 0 (the child exits)") {
  echo::check_stalled_client_does_not_block_others(fork_server());
}
SYSLAB_TIMEOUT(ForkServer, StalledClientDoesNotBlockOthers, 20);

SYSLAB_TEST(ForkServer, SurvivesResetsAndDisconnects, 2,
            "a client that resets or leaves ends its child, not the master; the master's fd count "
            "comes back to where it was",
            "the master's copy of each connection must be closed after the fork (Socket's "
            "destructor: let conn go out of scope in accept_and_fork)",
            "SIGPIPE is ignored in main and the children inherit that: a write to a vanished peer "
            "is EPIPE, which echo_connection reports as kPeerReset") {
  echo::check_reset_and_disconnect_mid_stream(fork_server());
}
SYSLAB_TIMEOUT(ForkServer, SurvivesResetsAndDisconnects, 30);

SYSLAB_TEST(ForkServer, StopsGracefullyOnSigterm, 3,
            "SIGTERM: the master closes the listener at once (connects are refused), the children "
            "finish their connections, the master reaps them all and exits 0",
            "connects are refused only when no process holds the listener: the child must close "
            "its copy (serve_in_child), the master its own on the stop request",
            "on_stop_request: kStopAccepting -> listener_.reset(); run() loops while "
            "accepting_work() or children_ is not empty, then returns 0") {
  echo::check_graceful_stop(fork_server());
}
SYSLAB_TIMEOUT(ForkServer, StopsGracefullyOnSigterm, 30);

SYSLAB_TEST(ForkServer, OneChildPerConnectionReapedWhenItEnds, 3,
            "each open connection has a child of its own; when the connection ends, the child "
            "exits and the master reaps it at once: no zombie (state Z) is left",
            "a child that has exited stays a zombie until its parent waits for it; SIGCHLD on the "
            "signalfd says that some child has ended",
            "reap(): sig::reap_children(), and for each pid of ours release() its ChildProcess "
            "(the kernel has reaped it already) and erase it from children_") {
  echo::ServerProcess server(on_port_zero(fork_server()));
  const Deadline deadline(10s);
  EXPECT_TRUE(server.children().empty())
      << "children before any client: " << with_states(server.children());
  std::vector<OwnedFd> conns;
  for (int i = 0; i < 3; ++i) {
    conns.push_back(echo::connect_loopback(server.port(), deadline));
    const std::string message = "connection " + std::to_string(i);
    ASSERT_EQ(echo::exchange(conns.back().get(), message, deadline), message);
  }
  const std::vector<pid_t> serving = server.children();
  ASSERT_EQ(serving.size(), 3U) << "three open connections, children: " << with_states(serving);
  for (const pid_t child : serving) EXPECT_NE(process_state(child), 'Z') << with_states(serving);

  conns[1].reset();
  std::vector<pid_t> now;
  ASSERT_TRUE(poll_until(Deadline(5s), [&] { return (now = server.children()).size() == 2; }))
      << "one connection closed: its child should exit and be reaped; children now: "
      << with_states(now) << " (Z: exited, not reaped)";
  for (const pid_t child : serving) {
    if (!contains(now, child)) {
      EXPECT_EQ(process_state(child), '?') << "pid " << child;
    }
  }
  EXPECT_EQ(echo::exchange(conns[0].get(), "first still", deadline), "first still");
  EXPECT_EQ(echo::exchange(conns[2].get(), "third still", deadline), "third still");

  conns.clear();
  EXPECT_TRUE(poll_until(Deadline(5s), [&] { return (now = server.children()).empty(); }))
      << "every connection closed, children left: " << with_states(now);
}
SYSLAB_TIMEOUT(ForkServer, OneChildPerConnectionReapedWhenItEnds, 20);

SYSLAB_TEST(ForkServer, ChildHoldsItsConnectionNotTheListener, 2,
            "after fork both processes hold every fd: each must close what is not its own. The "
            "child keeps its connection only, the master the listener only",
            "a child holding the listener keeps the port open after the master's stop (clients "
            "then wait in a backlog that nobody accepts from); a master holding a connection "
            "leaks one fd per client, and the client never sees the connection end",
            "in serve_in_child: { const net::Listener closing = std::move(*listener_); } closes "
            "the child's copy; in the master, conn closes at the end of accept_and_fork") {
  echo::ServerProcess server(on_port_zero(fork_server()));
  const Deadline deadline(10s);
  const std::string listener = listening_socket(server.port());
  ASSERT_NE(listener, "") << "no socket in LISTEN on port " << server.port() << " in /proc/net/tcp";
  OwnedFd conn = echo::connect_loopback(server.port(), deadline);
  ASSERT_EQ(echo::exchange(conn.get(), "who holds what", deadline), "who holds what");
  const std::vector<pid_t> children = server.children();
  ASSERT_EQ(children.size(), 1U) << with_states(children);

  const std::multiset<std::string> child_sockets = sockets_of(children[0]);
  EXPECT_EQ(child_sockets.count(listener), 0U)
      << "the child " << children[0] << " still holds the listener " << listener;
  EXPECT_EQ(child_sockets.size() - child_sockets.count(listener), 1U)
      << "the child should hold exactly one socket, its connection";
  std::multiset<std::string> master_sockets;
  EXPECT_TRUE(poll_until(Deadline(3s),
                         [&] {
                           master_sockets = sockets_of(server.pid());
                           return master_sockets == std::multiset<std::string>{listener};
                         }))
      << "the master should hold the listener " << listener << " and nothing else; it holds "
      << master_sockets.size() << " sockets";
}

SYSLAB_TEST(ForkServer, SecondStopRequestKillsTheChildren, 2,
            "a first SIGTERM drains (open connections may finish); a second one ends them now: "
            "the master SIGKILLs its children, reaps them and exits 1",
            "lab 06's GracefulShutdown says kKillWorkers for the second request",
            "on_stop_request: case kKillWorkers -> kill_children(...); run() still waits for the "
            "SIGCHLDs and reaps before it returns, and returns 1 once escalated") {
  echo::ServerProcess server(on_port_zero(fork_server()));
  const Deadline deadline(10s);
  OwnedFd conn = echo::connect_loopback(server.port(), deadline);
  ASSERT_EQ(echo::exchange(conn.get(), "about to be cut", deadline), "about to be cut");
  const std::vector<pid_t> children = server.children();
  ASSERT_EQ(children.size(), 1U) << with_states(children);

  server.signal(SIGTERM);
  // The first request has been read once the port refuses connects; a second SIGTERM sent
  // before that could merge with the first (standard signals do not queue).
  ASSERT_TRUE(poll_until(Deadline(5s), [&] {
    OwnedFd probe;
    return echo::try_connect(server.port(), Deadline(1s), probe) == ECONNREFUSED;
  })) << "the first SIGTERM should close the listener";
  server.signal(SIGTERM);
  EXPECT_TRUE(echo::wait_for_close(conn.get(), Deadline(5s)))
      << "after the second SIGTERM the open connection should be cut";
  const std::optional<ExitStatus> status = server.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value()) << "the master did not exit after the second SIGTERM";
  EXPECT_TRUE(status->exited && status->code == 1) << "escalated: exit 1; it " << *status;
  EXPECT_TRUE(::kill(children[0], 0) < 0 && errno == ESRCH) << "child " << children[0];
}
SYSLAB_TIMEOUT(ForkServer, SecondStopRequestKillsTheChildren, 20);

SYSLAB_TEST(ForkServer, GracePeriodEndsWithSigkill, 2,
            "a child whose client does not leave is killed when the grace period (--grace-ms) "
            "after SIGTERM ends; the master reaps it and exits 1",
            "the master sleeps in poll: nothing wakes it at the deadline unless poll's timeout is "
            "the time left (GracefulShutdown::poll_timeout_ms), not -1",
            "wait_for_event: poll(..., shutdown_.poll_timeout_ms(Clock::now())); run(): "
            "check_deadline says kKillWorkers -> kill_children") {
  std::vector<std::string> argv = on_port_zero(fork_server());
  argv.insert(argv.end(), {"--grace-ms", "300"});
  echo::ServerProcess server(argv);
  const Deadline deadline(10s);
  OwnedFd conn = echo::connect_loopback(server.port(), deadline);
  ASSERT_EQ(echo::exchange(conn.get(), "staying", deadline), "staying");
  const std::vector<pid_t> children = server.children();
  ASSERT_EQ(children.size(), 1U) << with_states(children);
  server.signal(SIGTERM);
  const std::optional<ExitStatus> status = server.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value())
      << "the master did not exit 5 s after SIGTERM with a 300 ms grace and a client that stays";
  EXPECT_TRUE(status->exited && status->code == 1) << "children killed: exit 1; it " << *status;
  EXPECT_TRUE(echo::wait_for_close(conn.get(), Deadline(2s))) << "the client was not cut off";
  EXPECT_TRUE(::kill(children[0], 0) < 0 && errno == ESRCH)
      << "child " << children[0] << " (" << process_state(children[0]) << ")";
}
SYSLAB_TIMEOUT(ForkServer, GracePeriodEndsWithSigkill, 20);

SYSLAB_TEST(ForkServer, TwentyChildrenEndingTogetherAreAllReaped, 3,
            "20 connections closed at once: 20 children exit at nearly the same moment and every "
            "one must be reaped (no state Z left), then the server still serves and stops cleanly",
            "signals do not queue: 20 SIGCHLDs arriving together may be read from the signalfd as "
            "one. One waitpid per SIGCHLD leaves zombies",
            "reap(): sig::reap_children() loops waitpid(-1, WNOHANG) until it says no more; call "
            "it on every wake-up, whatever the signalfd said") {
  echo::ServerProcess server(on_port_zero(fork_server()));
  const Deadline deadline(15s);
  std::vector<OwnedFd> conns;
  for (int i = 0; i < 20; ++i) {
    conns.push_back(echo::connect_loopback(server.port(), deadline));
    const std::string message = "connection " + std::to_string(i);
    ASSERT_EQ(echo::exchange(conns.back().get(), message, deadline), message);
  }
  const std::vector<pid_t> serving = server.children();
  ASSERT_EQ(serving.size(), 20U) << with_states(serving);
  conns.clear();  // 20 clients leave together
  std::vector<pid_t> now;
  ASSERT_TRUE(poll_until(Deadline(5s), [&] { return (now = server.children()).empty(); }))
      << "5 s after 20 connections closed together, children left: " << with_states(now)
      << " (Z: exited, never reaped)";
  OwnedFd after = echo::connect_loopback(server.port(), deadline);
  EXPECT_EQ(echo::exchange(after.get(), "after the twenty", deadline), "after the twenty");
  after.reset();
  EXPECT_TRUE(poll_until(Deadline(5s), [&] { return (now = server.children()).empty(); }))
      << "children left: " << with_states(now);
  server.signal(SIGTERM);
  const std::optional<ExitStatus> status = server.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value()) << "the master did not exit within 5 s of SIGTERM, with no "
                                     "client left (is it waiting for a child it never reaped?)";
  EXPECT_TRUE(status->success()) << "a clean stop exits 0; it " << *status;
}
SYSLAB_TIMEOUT(ForkServer, TwentyChildrenEndingTogetherAreAllReaped, 30);

SYSLAB_TEST(ForkServer, HalfCloseGetsEveryByteBack, 2,
            "a client that fills the buffers, shuts down its sending side and only then reads: "
            "the child reads EOF while it still owes bytes, and must echo every one of them",
            "echo_connection writes each piece it read with write_all before it reads again, so "
            "at EOF nothing is owed: return, and the child's exit closes the connection",
            "do not shut the connection down (or close it) when the client's EOF comes: the "
            "client's side that is closed is its sending side only") {
  echo::check_half_close_returns_every_byte(fork_server());
}
SYSLAB_TIMEOUT(ForkServer, HalfCloseGetsEveryByteBack, 40);
