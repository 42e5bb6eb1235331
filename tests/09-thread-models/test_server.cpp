// Lab 09 tests: echo-server --model=threads and --model=pool as programs. The shared echo suite
// on both models, then what only threads show: the kernel's thread count (/proc/PID/status),
// the back-pressure of a full pool (bytes on sockets and the listener's backlog in
// /proc/net/tcp), and a stop that joins every thread.
#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "syslab/echo_suite.hpp"
#include "syslab/proc.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
namespace echo = syslab::test::echo;

namespace {

const std::string kBusyLine = "busy: every worker is taken, try again later\n";

std::vector<std::string> threads_server() {
  return {program_path("echo-server"), "--host", "127.0.0.1", "--model=threads"};
}

std::vector<std::string> pool_server(int threads, int queue,
                                     const std::string& when_full = "wait") {
  return {program_path("echo-server"),
          "--host",
          "127.0.0.1",
          "--model=pool",
          "--threads",
          std::to_string(threads),
          "--queue",
          std::to_string(queue),
          "--when-full=" + when_full};
}

std::vector<std::string> on_port_zero(std::vector<std::string> argv) {
  argv.insert(argv.end(), {"--port", "0"});
  return argv;
}

// The kernel's view of a listening socket on 127.0.0.1:port: how many connections it has
// completed that nobody accepted yet (rx_queue of a LISTEN entry in /proc/net/tcp), or -1.
int listen_backlog(std::uint16_t port) {
  const std::optional<TcpSocket> listener = loopback_listener(port);
  return listener ? static_cast<int>(listener->rx_queue) : -1;
}

// Waits until the listener's backlog holds exactly n connections.
bool backlog_becomes(std::uint16_t port, int n) {
  return poll_until(Deadline(5s), [&] { return listen_backlog(port) == n; });
}

// The server's own threads (Threads: in its /proc/PID/status, less a sanitizer's) become n.
bool threads_become(echo::ServerProcess& server, int n, int& seen) {
  return poll_until(Deadline(5s),
                    [&] { return (seen = syslab::test::own_threads(server.pid())) == n; });
}

int own_threads(echo::ServerProcess& server) { return syslab::test::own_threads(server.pid()); }

// Nothing comes back on conn for 300 ms. That wait asserts order, not speed (as
// check_serialises): a server that would answer does so in well under a millisecond.
void expect_not_served(int conn, const std::string& who) {
  EXPECT_EQ(echo::recv_until(conn, 64, Deadline(300ms)), "")
      << who << " was answered although every worker was taken";
}

}  // namespace

// ---- the shared suite, thread per connection
// -----------------------------------------------------

SYSLAB_TEST(
    ThreadPerConnection, EchoesBytesExactly, 3,
    "serve_threads: accept, start a thread for the connection (ThreadGroup::start) that runs "
    "lab 07's echo_connection",
    "the connection must move into the thread (capture it by move): a copy cannot be made "
    "and a reference dangles once the loop goes on",
    "threads.start([conn = std::move(conn)](std::stop_token stop) mutable { ... })") {
  echo::check_echo_exact(threads_server());
}
SYSLAB_TIMEOUT(ThreadPerConnection, EchoesBytesExactly, 30);

SYSLAB_TEST(ThreadPerConnection, ServesConnectionsConcurrently, 2,
            "8 connections opened first, then written last-first: each is echoed at once",
            "the acceptor must go back to poll/accept right after starting a thread",
            "never join a connection's thread in the accept loop unless finished_fd() says it "
            "ended") {
  echo::check_concurrent_reverse_order(threads_server());
}
SYSLAB_TIMEOUT(ThreadPerConnection, ServesConnectionsConcurrently, 20);

SYSLAB_TEST(ThreadPerConnection, StalledClientDoesNotBlockOthers, 2,
            "a client that never reads blocks its own thread in write, and no other",
            "each connection's echo_connection runs in its own thread, blocking I/O is fine there",
            "the acceptor must not wait for any connection") {
  echo::check_stalled_client_does_not_block_others(threads_server());
}
SYSLAB_TIMEOUT(ThreadPerConnection, StalledClientDoesNotBlockOthers, 20);

SYSLAB_TEST(ThreadPerConnection, SurvivesResetsAndDisconnects, 2,
            "a reset or a client gone mid-stream ends that connection's thread, not the server",
            "an exception escaping a thread's function calls std::terminate: serve_connection "
            "catches and prints",
            "the Socket is closed when the thread's function returns; the thread is joined") {
  echo::check_reset_and_disconnect_mid_stream(threads_server());
}
SYSLAB_TIMEOUT(ThreadPerConnection, SurvivesResetsAndDisconnects, 30);

SYSLAB_TEST(ThreadPerConnection, StopsGracefullyOnSigterm, 2,
            "SIGTERM: close the listener, let every connection finish, join every thread, exit 0",
            "after the accept loop: destroy the Listener, then finish_threads(threads, stop)",
            "finish_threads: poll finished_fd() and join until size() is 0") {
  echo::check_graceful_stop(threads_server());
}
SYSLAB_TIMEOUT(ThreadPerConnection, StopsGracefullyOnSigterm, 30);

// ---- the shared suite, pool ---------------------------------------------------------------------

SYSLAB_TEST(Pool, EchoesBytesExactly, 3,
            "serve_pool: a ConnectionPool of serve_connection; the acceptor try_submits each "
            "connection; a worker pops it and echoes it",
            "ConnectionPool's constructor starts the workers; each runs work(stop)",
            "work: while (auto conn = queue_.pop(stop)) handler_(std::move(*conn), stop fd)") {
  echo::check_echo_exact(pool_server(2, 4));
}
SYSLAB_TIMEOUT(Pool, EchoesBytesExactly, 30);

SYSLAB_TEST(Pool, ServesAsManyConnectionsAsItHasWorkers, 2,
            "4 workers: 4 connections opened first, written last-first, are each echoed at once",
            "each worker serves one connection at a time: N workers, N at once",
            "the acceptor hands connections over and goes back to accept; it never serves one") {
  echo::check_concurrent_reverse_order(pool_server(4, 4), 4);
}
SYSLAB_TIMEOUT(Pool, ServesAsManyConnectionsAsItHasWorkers, 20);

SYSLAB_TEST(Pool, StalledClientDoesNotBlockOthers, 2,
            "2 workers: a stalled client holds one of them; the other serves everyone else",
            "one worker blocked in write is one worker fewer, not a stopped server",
            "workers take the next connection from the queue as soon as theirs ends") {
  echo::check_stalled_client_does_not_block_others(pool_server(2, 4));
}
SYSLAB_TIMEOUT(Pool, StalledClientDoesNotBlockOthers, 20);

SYSLAB_TEST(Pool, SurvivesResetsAndDisconnects, 2,
            "a reset or a client gone mid-stream frees its worker for the next connection",
            "serve_connection catches what echo_connection throws: the worker lives on",
            "the socket closes when the worker's handler returns") {
  echo::check_reset_and_disconnect_mid_stream(pool_server(2, 4));
}
SYSLAB_TIMEOUT(Pool, SurvivesResetsAndDisconnects, 30);

SYSLAB_TEST(Pool, StopsGracefullyOnSigterm, 2,
            "SIGTERM: close the listener, close the queue, let the workers finish, join them, "
            "exit 0",
            "pool.close(): pop returns nullopt once the queue is closed and empty, the worker's "
            "loop ends",
            "finish_threads(pool.workers(), stop) joins each worker as it ends") {
  echo::check_graceful_stop(pool_server(2, 4));
}
SYSLAB_TIMEOUT(Pool, StopsGracefullyOnSigterm, 30);

// ---- threads seen by the kernel ----------------------------------------------------------------

SYSLAB_TEST(ThreadPerConnection, ThreadCountFollowsConnections, 3,
            "one thread per open connection, joined when it ends: /proc/PID/status says Threads: "
            "1 + open connections, going up and down with them",
            "a thread that returned leaves /proc/PID/task at once, joined or not: this count "
            "shows threads that are still serving. Join them anyway (its stack and std::thread "
            "stay until then): poll the group's finished_fd() in the accept loop, join_finished()",
            "ThreadGroup::mark_finished notifies the eventfd; serve_threads polls it next to the "
            "listener and the stop fd") {
  echo::ServerProcess server(on_port_zero(threads_server()));
  const Deadline deadline(10s);
  int seen = 0;
  EXPECT_TRUE(threads_become(server, 1, seen)) << "idle: " << seen << " threads, expected 1";
  std::vector<OwnedFd> conns;
  for (int i = 0; i < 5; ++i) {
    conns.push_back(echo::connect_loopback(server.port(), deadline));
    ASSERT_EQ(echo::exchange(conns.back().get(), "up", deadline), "up");
  }
  EXPECT_TRUE(threads_become(server, 6, seen))
      << "5 connections open: " << seen << " threads, expected 6 (main + one each)";
  conns.resize(2);  // three clients leave
  EXPECT_TRUE(threads_become(server, 3, seen))
      << "3 of 5 clients left: " << seen << " threads, expected 3 (their threads joined)";
  conns.clear();
  EXPECT_TRUE(threads_become(server, 1, seen)) << "all left: " << seen << " threads, expected 1";
  OwnedFd again = echo::connect_loopback(server.port(), deadline);
  EXPECT_EQ(echo::exchange(again.get(), "still serving", deadline), "still serving");
}
SYSLAB_TIMEOUT(ThreadPerConnection, ThreadCountFollowsConnections, 30);

SYSLAB_TEST(Pool, ThreadCountStaysFixedUnderLoad, 3,
            "--threads 3: Threads: 4 (main + 3 workers) in /proc/PID/status, idle or with 10 "
            "clients; the clients beyond 3 wait in the queue until a worker is free",
            "start every worker in ConnectionPool's constructor, and no thread anywhere else",
            "a worker that served a connection pops the next: its loop ends only when pop "
            "returns nullopt") {
  const ProgramResult bad =
      run_program({program_path("echo-server"), "--model=pool", "--threads", "x"});
  EXPECT_EQ(bad.status.code, 2) << "--threads x is a usage error: " << bad.status;
  EXPECT_NE(bad.err.find("--threads: expected a number from 1 to 100000, got 'x'"),
            std::string::npos)
      << bad.err;
  echo::ServerProcess server(on_port_zero(pool_server(3, 20)));
  const Deadline deadline(15s);
  int seen = 0;
  EXPECT_TRUE(threads_become(server, 4, seen)) << "idle: " << seen << " threads, expected 4";
  std::vector<OwnedFd> conns;
  for (int i = 0; i < 10; ++i) {
    conns.push_back(echo::connect_loopback(server.port(), deadline));
    echo::send_all(conns.back().get(), "load", deadline);
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(echo::recv_exact(conns[i].get(), 4, deadline), "load") << "client " << i;
  }
  ASSERT_TRUE(backlog_becomes(server.port(), 0)) << "the server did not accept all 10 clients";
  EXPECT_EQ(own_threads(server), 4) << "10 clients, 3 served, 7 queued";
  expect_not_served(conns[3].get(), "the 4th client");
  for (int i = 0; i < 3; ++i) conns[i].reset();  // the first three leave: the next three are served
  for (int i = 3; i < 6; ++i) {
    EXPECT_EQ(echo::recv_until(conns[i].get(), 4, deadline), "load") << "queued client " << i;
  }
  EXPECT_EQ(own_threads(server), 4) << "as workers changed clients";
  conns.clear();
  OwnedFd last = echo::connect_loopback(server.port(), deadline);
  EXPECT_EQ(echo::exchange(last.get(), "after the load", deadline), "after the load");
  EXPECT_EQ(own_threads(server), 4) << "after the load";
}
SYSLAB_TIMEOUT(Pool, ThreadCountStaysFixedUnderLoad, 30);

// ---- back-pressure: one worker, a queue of one --------------------------------------------------

SYSLAB_TEST(
    BackPressure, RejectAnswersBusyWhenTheQueueIsFull, 3,
    "--threads 1 --queue 1 --when-full=reject: the 1st client is served, the 2nd waits "
    "in the queue (accepted, not answered), the 3rd gets the busy line and is closed; the "
    "2nd is served when the 1st leaves",
    "try_submit returns kFull and leaves the socket with the acceptor: reject_busy it",
    "reject_busy: write_all(kBusyLine), shutdown(SHUT_WR); the Socket closes when it goes") {
  const ProgramResult help = run_program({program_path("echo-server"), "--help"});
  EXPECT_TRUE(help.status.success()) << help.status;
  EXPECT_NE(help.out.find("--when-full"), std::string::npos) << "--help does not tell the policy";
  const ProgramResult bad =
      run_program({program_path("echo-server"), "--model=pool", "--when-full=drop"});
  EXPECT_EQ(bad.status.code, 2) << "an unknown policy is a usage error: " << bad.status;

  echo::ServerProcess server(on_port_zero(pool_server(1, 1, "reject")));
  const Deadline deadline(10s);
  OwnedFd first = echo::connect_loopback(server.port(), deadline);
  ASSERT_EQ(echo::exchange(first.get(), "first", deadline), "first");
  OwnedFd second = echo::connect_loopback(server.port(), deadline);
  echo::send_all(second.get(), "second", deadline);
  ASSERT_TRUE(backlog_becomes(server.port(), 0)) << "the 2nd client was not accepted";
  OwnedFd third = echo::connect_loopback(server.port(), deadline);
  EXPECT_EQ(echo::recv_until(third.get(), kBusyLine.size(), deadline), kBusyLine)
      << "the 3rd client (worker busy, queue full) should get the busy line";
  EXPECT_TRUE(echo::wait_for_close(third.get(), deadline)) << "and then be closed";
  expect_not_served(second.get(), "the queued 2nd client");
  EXPECT_EQ(own_threads(server), 2) << "one worker and main";
  first.reset();
  EXPECT_EQ(echo::recv_until(second.get(), 6, deadline), "second")
      << "once the 1st client left, the queued 2nd one must be served";
}
SYSLAB_TIMEOUT(BackPressure, RejectAnswersBusyWhenTheQueueIsFull, 30);

SYSLAB_TEST(BackPressure, WaitLeavesClientsInTheListenBacklog, 3,
            "--threads 1 --queue 1 --when-full=wait: the 1st client is served, the 2nd is "
            "accepted into the queue, the 3rd is not accepted: it waits in the kernel's listen "
            "backlog (Recv-Q of the listener in ss -ltn) until the queue has room",
            "while the queue is full, leave the listener out of poll; poll the pool's room_fd() "
            "instead, which a worker notifies after each pop",
            "drain room_fd, then has_room(): poll {has_room ? listener : -1, stop, room_fd}") {
  echo::ServerProcess server(on_port_zero(pool_server(1, 1, "wait")));
  const Deadline deadline(10s);
  OwnedFd first = echo::connect_loopback(server.port(), deadline);
  ASSERT_EQ(echo::exchange(first.get(), "first", deadline), "first");
  OwnedFd second = echo::connect_loopback(server.port(), deadline);
  echo::send_all(second.get(), "second", deadline);
  ASSERT_TRUE(backlog_becomes(server.port(), 0)) << "the 2nd client was not accepted";
  OwnedFd third = echo::connect_loopback(server.port(), deadline);
  echo::send_all(third.get(), "third", deadline);
  EXPECT_TRUE(backlog_becomes(server.port(), 1))
      << "the 3rd client should wait in the listen backlog; the backlog holds "
      << listen_backlog(server.port());
  expect_not_served(second.get(), "the queued 2nd client");
  expect_not_served(third.get(), "the 3rd client");
  EXPECT_EQ(listen_backlog(server.port()), 1)
      << "the 3rd client was accepted although the queue was full (with wait, do not accept)";
  first.reset();
  EXPECT_EQ(echo::recv_until(second.get(), 6, deadline), "second")
      << "once the 1st client left, the queued 2nd one must be served";
  EXPECT_TRUE(backlog_becomes(server.port(), 0))
      << "a worker took the 2nd client, so the queue has room: accept the 3rd";
  expect_not_served(third.get(), "the 3rd client (queued behind the 2nd)");
  second.reset();
  EXPECT_EQ(echo::recv_until(third.get(), 5, deadline), "third")
      << "once the 2nd client left, the 3rd must be served";
}
SYSLAB_TIMEOUT(BackPressure, WaitLeavesClientsInTheListenBacklog, 30);

// ---- stopping ---------------------------------------------------------------------------------

namespace {

// SIGTERM with `open` clients connected: the listener closes, the threads stay while their
// clients do, each is joined when its client leaves (Threads: goes down), and the server exits 0.
void check_stop_joins_every_thread(const std::vector<std::string>& argv) {
  echo::ServerProcess server(on_port_zero(argv));
  const Deadline deadline(15s);
  std::vector<OwnedFd> conns;
  for (int i = 0; i < 3; ++i) {
    conns.push_back(echo::connect_loopback(server.port(), deadline));
    ASSERT_EQ(echo::exchange(conns.back().get(), "before", deadline), "before");
  }
  server.signal(SIGTERM);
  OwnedFd probe;
  ASSERT_TRUE(poll_until(deadline, [&] {
    return echo::try_connect(server.port(), Deadline(1s), probe) == ECONNREFUSED;
  })) << "the listener was not closed after SIGTERM";
  int seen = 0;
  EXPECT_TRUE(threads_become(server, 4, seen))
      << seen << " threads while 3 clients are still served after SIGTERM, expected 4 (main and "
      << "one for each; an idle pool worker ends at once)";
  for (std::size_t i = 0; i < conns.size(); ++i) {
    EXPECT_EQ(echo::exchange(conns[i].get(), "after", deadline), "after") << "client " << i;
  }
  conns.resize(1);
  EXPECT_TRUE(threads_become(server, 2, seen))
      << seen << " threads after 2 of 3 clients left during the stop, expected 2: each thread "
      << "must be joined as it ends";
  EXPECT_TRUE(server.running()) << "the server exited with a client still connected";
  conns.clear();
  const std::optional<ExitStatus> status = server.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value()) << "the server did not exit once its last client left";
  EXPECT_TRUE(status->success()) << status->describe();
}

// A second stop request (SIGINT after SIGTERM, as Ctrl-C twice) ends the open connections now:
// each thread's stop token wakes its echo_connection.
void check_second_stop_ends_connections(const std::vector<std::string>& argv) {
  echo::ServerProcess server(on_port_zero(argv));
  const Deadline deadline(15s);
  OwnedFd idle = echo::connect_loopback(server.port(), deadline);
  ASSERT_EQ(echo::exchange(idle.get(), "before", deadline), "before");
  server.signal(SIGTERM);
  OwnedFd probe;
  ASSERT_TRUE(poll_until(deadline, [&] {
    return echo::try_connect(server.port(), Deadline(1s), probe) == ECONNREFUSED;
  })) << "the listener was not closed after SIGTERM";
  ASSERT_EQ(echo::exchange(idle.get(), "graceful", deadline), "graceful");
  server.signal(SIGINT);
  EXPECT_TRUE(echo::wait_for_close(idle.get(), Deadline(5s)))
      << "after a second stop request the server should close the idle connection";
  const std::optional<ExitStatus> status = server.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value()) << "the server did not exit after a second stop request";
  EXPECT_TRUE(status->success()) << status->describe();
}

}  // namespace

SYSLAB_TEST(ThreadPerConnection, StopJoinsEveryThread, 3,
            "after SIGTERM the connection threads finish with their clients and are joined one "
            "by one (Threads: 4, 2, then exit 0), none detached, none left",
            "finish_threads polls the group's finished_fd() (and stop) until size() is 0",
            "join_finished after each wake-up; return when no thread is left") {
  check_stop_joins_every_thread(threads_server());
}
SYSLAB_TIMEOUT(ThreadPerConnection, StopJoinsEveryThread, 30);

SYSLAB_TEST(Pool, StopJoinsEveryWorker, 2,
            "after SIGTERM the 4 workers (3 with a client) finish their clients, find the queue "
            "closed and end, each joined as it ends (Threads: 4, 2, then exit 0)",
            "pool.close() then finish_threads(pool.workers(), stop)",
            "a worker blocked in pop must wake on close: notify_all in BoundedQueue::close") {
  check_stop_joins_every_thread(pool_server(4, 4));
}
SYSLAB_TIMEOUT(Pool, StopJoinsEveryWorker, 30);

SYSLAB_TEST(ThreadPerConnection, SecondStopEndsConnectionsNow, 2,
            "a second stop request (SIGINT after SIGTERM) asks every thread to stop: an idle "
            "client is closed at once and the server exits 0",
            "finish_threads consumes the first request (read the stop fd), so the fd is readable "
            "again only for a second one; then threads.request_stop()",
            "each connection thread echoes with a StopEventFd(stop token) as echo_connection's "
            "stop fd") {
  check_second_stop_ends_connections(threads_server());
}
SYSLAB_TIMEOUT(ThreadPerConnection, SecondStopEndsConnectionsNow, 30);

SYSLAB_TEST(Pool, SecondStopEndsConnectionsNow, 2,
            "a second stop request stops the workers through their stop tokens: a worker serving "
            "an idle client closes it, and the server exits 0",
            "each worker makes one StopEventFd from its stop token and passes it to every "
            "connection it serves",
            "request_stop() on the workers also wakes those waiting in pop(stop)") {
  check_second_stop_ends_connections(pool_server(2, 4));
}
SYSLAB_TIMEOUT(Pool, SecondStopEndsConnectionsNow, 30);

SYSLAB_TEST(ThreadPerConnection, DoesNotSpinAfterClientsLeave, 3,
            "5 clients come and go; then the server has nothing to do and must sleep in poll: "
            "its CPU time (utime + stime in /proc/PID/stat) over a second of idleness stays near "
            "zero",
            "each finished thread writes to the group's eventfd; poll reports it readable until "
            "it is read. Polled and never joined (join_finished reads it), it wakes the accept "
            "loop again at once, forever",
            "serve_threads: when finished_fd() is readable, threads.join_finished() (it drains "
            "the eventfd and joins the finished threads)") {
  echo::ServerProcess server(on_port_zero(threads_server()));
  const Deadline deadline(10s);
  {
    std::vector<OwnedFd> conns;
    for (int i = 0; i < 5; ++i) {
      conns.push_back(echo::connect_loopback(server.port(), deadline));
      ASSERT_EQ(echo::exchange(conns.back().get(), "come and go", deadline), "come and go");
    }
  }
  int seen = 0;
  ASSERT_TRUE(threads_become(server, 1, seen))
      << "5 clients left: " << seen << " threads, expected 1 (main)";
  if (!echo::expect_idle_cpu(server.pid(), "after its 5 clients left, with none connected")) return;
  OwnedFd again = echo::connect_loopback(server.port(), deadline);
  EXPECT_EQ(echo::exchange(again.get(), "still serving", deadline), "still serving");
}
SYSLAB_TIMEOUT(ThreadPerConnection, DoesNotSpinAfterClientsLeave, 20);

SYSLAB_TEST(ThreadPerConnection, HalfCloseGetsEveryByteBack, 2,
            "a client that fills the buffers, shuts down its sending side and only then reads: "
            "its thread reads EOF while it still owes bytes, and must echo every one",
            "echo_connection writes each piece with write_all before it reads again: at EOF "
            "nothing is owed",
            "let the Socket close when the thread's function returns, not at the first EOF") {
  echo::check_half_close_returns_every_byte(threads_server());
}
SYSLAB_TIMEOUT(ThreadPerConnection, HalfCloseGetsEveryByteBack, 40);

SYSLAB_TEST(Pool, HalfCloseGetsEveryByteBack, 2,
            "a client that fills the buffers, shuts down its sending side and only then reads: "
            "its worker reads EOF while it still owes bytes, and must echo every one",
            "echo_connection writes each piece with write_all before it reads again: at EOF "
            "nothing is owed",
            "the worker's Socket closes when serve_connection returns, then it pops the next") {
  echo::check_half_close_returns_every_byte(pool_server(2, 4));
}
SYSLAB_TIMEOUT(Pool, HalfCloseGetsEveryByteBack, 40);
