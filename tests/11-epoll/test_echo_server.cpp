// Lab 11 tests: echo-server --model=epoll|epoll-threads as a program. The shared echo suite on
// both models (and on level triggering), and on lab 10's back-ends (--poller=poll|select), what
// /proc says about each model and back-end, the idle timeout, flow control, EMFILE without a
// busy loop, and select's FD_SETSIZE wall kept by the fd limit.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "epoll_test_util.hpp"
#include "syslab/echo_suite.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace epoll_test;
namespace echo = syslab::test::echo;

namespace {

std::vector<std::string> server(std::vector<std::string> extra) {
  std::vector<std::string> argv{program_path("echo-server"), "--host", "127.0.0.1"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}
std::vector<std::string> epoll_server() { return server({"--model=epoll"}); }
std::vector<std::string> threads_server() {
  return server({"--model=epoll-threads", "--threads", "3"});
}

// The same reactor on lab 10's back-ends.
std::vector<std::string> poll_server() { return server({"--model=epoll", "--poller=poll"}); }
std::vector<std::string> select_server() { return server({"--model=epoll", "--poller=select"}); }

std::vector<std::string> on_port_zero(std::vector<std::string> argv) {
  argv.insert(argv.end(), {"--port", "0"});
  return argv;
}

// The sockets among a process's fds ("socket:[inode]").
std::vector<int> socket_fds(pid_t pid) {
  std::vector<int> sockets;
  for (const auto& [fd, target] : fds_of(pid)) {
    if (target.rfind("socket:", 0) == 0) sockets.push_back(fd);
  }
  return sockets;
}

// How many of the fds an epoll instance watches are in `fds`.
int watched_among(pid_t pid, int epoll_fd, const std::vector<int>& fds) {
  int count = 0;
  for (const WatchedFd& w : epoll_watch_list(epoll_fd, pid)) {
    count += static_cast<int>(std::count(fds.begin(), fds.end(), w.fd));
  }
  return count;
}

}  // namespace

// ---- the shared echo suite, on both models -----------------------------------------------------

#define ECHO_SUITE_TEST(Suite, argv)                                                               \
  SYSLAB_TEST(Suite, EchoesBytesExactly, 3,                                                        \
              "every byte read goes back: Connection::handle_readable appends to input and calls " \
              "the message callback, which sends",                                                 \
              "16 MiB and odd pieces: read until EAGAIN, and what the socket does not take now "   \
              "waits in the output buffer with kWrite watched",                                    \
              "handle_writable: write_some the output buffer until empty or EAGAIN; then stop "    \
              "watching kWrite") {                                                                 \
    echo::check_echo_exact(argv);                                                                  \
  }                                                                                                \
  SYSLAB_TIMEOUT(Suite, EchoesBytesExactly, 40);                                                   \
  SYSLAB_TEST(Suite, ServesConnectionsConcurrently, 3,                                             \
              "every connection is a Channel in the loop: none waits for another",                 \
              "accept every pending connection (until EAGAIN) and watch each for reading",         \
              "Server::new_connection: make the Connection, keep it, run established() on its "    \
              "loop") {                                                                            \
    echo::check_concurrent_reverse_order(argv, 16);                                                \
  }                                                                                                \
  SYSLAB_TIMEOUT(Suite, ServesConnectionsConcurrently, 30);                                        \
  SYSLAB_TEST(Suite, StalledClientDoesNotBlockOthers, 3,                                           \
              "a write that would block must not block the loop: the socket is non-blocking and "  \
              "the rest waits in the output buffer",                                               \
              "accept4 with SOCK_NONBLOCK; write_some, never write_all, on the loop",              \
              "flow control: above the high-water mark stop reading that client (pause_reading) "  \
              "until its output drains") {                                                         \
    echo::check_stalled_client_does_not_block_others(argv);                                        \
  }                                                                                                \
  SYSLAB_TIMEOUT(Suite, StalledClientDoesNotBlockOthers, 30);                                      \
  SYSLAB_TEST(Suite, SurvivesResetsAndDisconnects, 3,                                              \
              "a reset or a close mid-stream ends that connection only, and its fd is closed",     \
              "kPeerClosed from read_some or write_some: handle_close; EOF: close once the "       \
              "output is out",                                                                     \
              "handle_close calls the close callback; the server erases the connection and "       \
              "queues destroyed() on its loop; the last shared_ptr closes the fd") {               \
    echo::check_reset_and_disconnect_mid_stream(argv);                                             \
  }                                                                                                \
  SYSLAB_TIMEOUT(Suite, SurvivesResetsAndDisconnects, 30);                                         \
  SYSLAB_TEST(Suite, StopsGracefullyOnSigterm, 3,                                                  \
              "SIGTERM (a signalfd in the base loop): stop accepting, finish the open "            \
              "connections, join the loops, exit 0",                                               \
              "stop_gracefully: acceptor.stop() closes the listener; quit the base loop when "     \
              "the last connection is removed",                                                    \
              "~LoopThread quits its loop and joins; run() runs the tasks still queued") {         \
    echo::check_graceful_stop(argv);                                                               \
  }                                                                                                \
  SYSLAB_TIMEOUT(Suite, StopsGracefullyOnSigterm, 30);                                             \
  SYSLAB_TEST(Suite, HalfCloseGetsEveryByteBack, 2,                                                \
              "a client that fills the buffers, shuts down its sending side and only then "        \
              "reads: the connection reads EOF while tens of KiB wait in its output buffer",       \
              "EOF ends the input only: stop reading, and close once the output buffer is empty "  \
              "(handle_writable closes when it drains after EOF)",                                 \
              "handle_readable at EOF: if nothing is owed, close now; else mark it and let "       \
              "handle_writable close after the last byte") {                                       \
    echo::check_half_close_returns_every_byte(argv);                                               \
  }                                                                                                \
  SYSLAB_TIMEOUT(Suite, HalfCloseGetsEveryByteBack, 40)

ECHO_SUITE_TEST(EpollModel, epoll_server());
ECHO_SUITE_TEST(EpollThreadsModel, threads_server());
// The same suite on the same reactor with another back-end: only the Poller changes.
ECHO_SUITE_TEST(PollBackend, poll_server());
ECHO_SUITE_TEST(SelectBackend, select_server());

SYSLAB_TEST(LevelTriggered, EchoesAndDoesNotSpinOnAStalledClient, 3,
            "--trigger=level: the same server on level-triggered epoll",
            "level-triggered, an fd watched for kWrite with nothing to write is reported on every "
            "wait: watch kWrite only while output is pending",
            "at EOF the socket stays readable: stop watching kRead there (or close)") {
  echo::check_echo_exact(server({"--model=epoll", "--trigger=level"}));
  echo::check_stalled_client_does_not_block_others(server({"--model=epoll", "--trigger=level"}));
  // A stalled client that then reads everything: the server's output drains, and a loop that
  // still watches kWrite is woken at once, forever. Its CPU time says so.
  echo::check_idle_after_a_stall_does_not_spin(server({"--model=epoll", "--trigger=level"}));
}
SYSLAB_TIMEOUT(LevelTriggered, EchoesAndDoesNotSpinOnAStalledClient, 40);

SYSLAB_TEST(EpollThreadsModel, DoesNotSpinAfterCrossThreadWakeUps, 3,
            "--model=epoll-threads --trigger=level: the acceptor hands each new connection to "
            "an I/O loop with queue_in_loop, whose eventfd wakes that loop. Once the clients are "
            "served and idle, every loop must sleep: the CPU time (/proc/PID/stat) stays near 0",
            "level-triggered, an eventfd whose counter is not read back to 0 stays readable: the "
            "loop it woke is woken again at once, forever",
            "EventLoop::drain_wakeups: read the eventfd's 8-byte counter on every wake-up "
            "(EAGAIN: nothing was pending)") {
  for (const auto& argv : {server({"--model=epoll-threads", "--threads", "3", "--trigger=level"}),
                           server({"--model=epoll-threads", "--threads", "3", "--poller=poll"})}) {
    echo::ServerProcess srv(on_port_zero(argv));
    const Deadline deadline(10s);
    std::vector<OwnedFd> conns;
    for (int i = 0; i < 6; ++i) {  // two for each I/O loop: each a cross-thread wake-up
      conns.push_back(echo::connect_loopback(srv.port(), deadline));
      ASSERT_EQ(echo::exchange(conns.back().get(), "handed over", deadline), "handed over");
    }
    if (!echo::expect_idle_cpu(srv.pid(),
                               "with 6 idle clients, after the acceptor woke each I/O "
                               "loop to hand it its connections (" +
                                   argv.back() + ")")) {
      return;
    }
    for (const OwnedFd& conn : conns) {
      EXPECT_EQ(echo::exchange(conn.get(), "still served", deadline), "still served");
    }
  }
}
SYSLAB_TIMEOUT(EpollThreadsModel, DoesNotSpinAfterCrossThreadWakeUps, 30);

// ---- the models as /proc sees them -------------------------------------------------------------

SYSLAB_TEST(EpollModel, IsOneThreadWithOneEpollFdWatchingEveryConnection, 2,
            "--model=epoll: one thread, one loop: /proc/PID/status says Threads: 1, and "
            "/proc/PID/fd has one anon_inode:[eventpoll]",
            "each connection's fd is in the kernel's interest list: /proc/PID/fdinfo/EPFD has a "
            "tfd line for it",
            "threads = 0: Server::next_io_loop returns the base loop") {
  const ProgramResult help = run_program({program_path("echo-server"), "--help"});
  EXPECT_TRUE(help.status.success()) << help.status;
  EXPECT_NE(help.out.find("epoll-threads"), std::string::npos) << help.out;
  echo::ServerProcess srv(on_port_zero(epoll_server()));
  const Deadline deadline(5s);
  std::vector<OwnedFd> conns;
  for (int i = 0; i < 3; ++i) {
    conns.push_back(echo::connect_loopback(srv.port(), deadline));
    ASSERT_EQ(echo::exchange(conns.back().get(), "served", deadline), "served");
  }
  EXPECT_EQ(own_threads(srv.pid()), 1);
  const std::vector<int> epoll_fds = fds_pointing_to(srv.pid(), "anon_inode:[eventpoll]");
  ASSERT_EQ(epoll_fds.size(), 1U);
  // The listener and the three connections.
  EXPECT_EQ(watched_among(srv.pid(), epoll_fds[0], socket_fds(srv.pid())), 4);
}

SYSLAB_TEST(EpollThreadsModel, IsNPlusOneThreadsEachLoopWithItsOwnEpollFd, 3,
            "--model=epoll-threads --threads 3: an acceptor loop on the main thread and 3 I/O "
            "loops, each on its own thread with its own epoll fd: Threads: 4, 4 eventpoll fds",
            "new connections go round robin: 6 connections, 2 in each I/O loop's epoll set "
            "(/proc/PID/fdinfo/EPFD), the listener in the acceptor's",
            "LoopThread makes its EventLoop (and so its epoll fd) on its own thread; "
            "Server::next_io_loop cycles through them") {
  const ProgramResult bad = run_program(server({"--model=epoll-threads", "--threads=-1"}));
  EXPECT_EQ(bad.status.code, 2) << "--threads=-1 is a usage error: " << bad.status;
  EXPECT_NE(bad.err.find("--threads: expected a number from 0 to 1000000, got '-1'"),
            std::string::npos)
      << bad.err;
  echo::ServerProcess srv(on_port_zero(threads_server()));
  const Deadline deadline(5s);
  std::vector<OwnedFd> conns;
  for (int i = 0; i < 6; ++i) {
    conns.push_back(echo::connect_loopback(srv.port(), deadline));
    ASSERT_EQ(echo::exchange(conns.back().get(), "served", deadline), "served");
  }
  EXPECT_EQ(own_threads(srv.pid()), 4);
  const std::vector<int> epoll_fds = fds_pointing_to(srv.pid(), "anon_inode:[eventpoll]");
  ASSERT_EQ(epoll_fds.size(), 4U) << "one epoll fd per loop";
  std::vector<int> sockets_per_loop;
  for (const int epfd : epoll_fds) {
    sockets_per_loop.push_back(watched_among(srv.pid(), epfd, socket_fds(srv.pid())));
  }
  std::sort(sockets_per_loop.begin(), sockets_per_loop.end());
  EXPECT_EQ(sockets_per_loop, (std::vector<int>{1, 2, 2, 2}))
      << "the listener in one loop, two connections in each of the three others";
}

SYSLAB_TEST(PollBackend, HoldsNoEpollFdAndRefusesEdgeTriggering, 2,
            "--poller=poll: every loop's Poller is lab 10's poll back-end, so the process has no "
            "anon_inode:[eventpoll] among its fds, even with I/O threads; --trigger=edge has no "
            "meaning there and is refused (exit status 2)",
            "serve_echo makes each loop's poller with reactor::make_poller(options.poller, "
            "trigger): the base loop's and, through ServerOptions::make_poller, the I/O loops'",
            "a loop that calls make_epoll_poller() directly, or an EpollPoller made 'just in "
            "case', shows up in /proc/PID/fd") {
  const ProgramResult edge =
      run_program({program_path("echo-server"), "--poller=poll", "--trigger=edge"});
  EXPECT_TRUE(edge.status.exited && edge.status.code == 2) << edge.status << "\n" << edge.err;
  EXPECT_NE(edge.err.find("edge"), std::string::npos) << edge.err;
  for (const auto& argv :
       {poll_server(), server({"--model=epoll-threads", "--threads", "2", "--poller=poll"})}) {
    echo::ServerProcess srv(on_port_zero(argv));
    const Deadline deadline(5s);
    std::vector<OwnedFd> conns;
    for (int i = 0; i < 3; ++i) {
      conns.push_back(echo::connect_loopback(srv.port(), deadline));
      ASSERT_EQ(echo::exchange(conns.back().get(), "served", deadline), "served");
    }
    EXPECT_EQ(fds_pointing_to(srv.pid(), "anon_inode:[eventpoll]").size(), 0U)
        << "the server on poll holds an epoll fd: " << argv.back();
    EXPECT_EQ(fds_pointing_to(srv.pid(), "anon_inode:[eventfd]").size(),
              static_cast<std::size_t>(own_threads(srv.pid())))
        << "one loop per thread, each with its eventfd";
  }
}

// ---- idle timeout, flow control -----------------------------------------------------------------

SYSLAB_TEST(Connection, IdleTimeoutClosesAQuietConnectionNotABusyOne, 3,
            "--idle-timeout MS: a connection with no bytes read or written for MS is closed; one "
            "that keeps talking stays open",
            "one timer per connection (run_after); when it fires, close if quiet for the whole "
            "timeout, else set it again for the time still to go",
            "touch() (last activity = now) on every read and write; cancel the timer in "
            "handle_close") {
  echo::ServerProcess srv(on_port_zero(server({"--model=epoll", "--idle-timeout", "400"})));
  const Deadline deadline(10s);
  OwnedFd quiet = echo::connect_loopback(srv.port(), deadline);
  OwnedFd busy = echo::connect_loopback(srv.port(), deadline);
  const auto start = std::chrono::steady_clock::now();
  // The busy one talks every 60 ms for 1.2 s, three times the timeout.
  while (std::chrono::steady_clock::now() - start < 1200ms) {
    ASSERT_EQ(echo::exchange(busy.get(), "tick", deadline), "tick")
        << "a connection that talks every 60 ms was closed (idle timeout 400 ms)";
    (void)echo::recv_until(busy.get(), 1, Deadline(60ms));  // a pause; nothing comes
  }
  EXPECT_TRUE(echo::wait_for_close(quiet.get(), Deadline(2s)))
      << "the quiet connection is still open 1.2 s + 2 s after it went quiet (idle timeout 400 ms)";
  EXPECT_EQ(echo::exchange(busy.get(), "still open", deadline), "still open");
  EXPECT_TRUE(echo::wait_for_close(busy.get(), Deadline(3s)))
      << "once quiet, the busy one must be closed too";
}
SYSLAB_TIMEOUT(Connection, IdleTimeoutClosesAQuietConnectionNotABusyOne, 20);

SYSLAB_TEST(Connection, FlowControlStopsReadingFromAClientThatDoesNotRead, 2,
            "a client that sends without reading its echo: the server must not buffer "
            "everything it sends (memory), but stop reading it until the output drains",
            "in handle_readable, before each read: output above the high-water mark (1 MiB) -> "
            "disable reading; the kernel's buffers fill and the client's send blocks",
            "in handle_writable: once the output is below half the mark, enable reading again "
            "and read what waited") {
  echo::ServerProcess srv(on_port_zero(epoll_server()));
  const Deadline deadline(20s);
  OwnedFd conn = echo::connect_loopback(srv.port(), deadline);
  constexpr std::size_t kLimit = 256 << 20;
  const std::size_t sent = echo::send_until_full(conn.get(), 300ms, kLimit);
  EXPECT_LT(sent, kLimit / 2) << "the server took " << sent
                              << " bytes from a client that reads nothing: no flow control";
  // Reading the echo lets the server go on: everything comes back, nothing lost.
  const std::string got = echo::recv_exact(conn.get(), sent, deadline);
  EXPECT_EQ(got.size(), sent);
  EXPECT_EQ(got.find_first_not_of('s'), std::string::npos);
  EXPECT_EQ(echo::exchange(conn.get(), "and more", deadline), "and more");
}
SYSLAB_TIMEOUT(Connection, FlowControlStopsReadingFromAClientThatDoesNotRead, 40);

// ---- EMFILE ------------------------------------------------------------------------------------

SYSLAB_TEST(Acceptor, EmfileNeitherSpinsNorStopsTheServer, 4,
            "with every fd taken, accept4 fails with EMFILE and the connection stays queued: "
            "the listener stays readable, and a level-triggered loop wakes for it again at once, "
            "forever (100% CPU); throwing ends the server",
            "keep a spare fd (open /dev/null at start): on EMFILE close it, accept the connection "
            "and close it at once (the client sees EOF), open the spare again",
            "or stop watching the listener until a connection closes; either way, no busy loop "
            "and the server goes on") {
  // 32 fds: 0-2, the epoll fd, eventfd, timerfd, signalfd, listener, spare: ~23 connections.
  echo::ServerProcess srv(
      on_port_zero(server({"--model=epoll", "--trigger=level", "--max-fds", "32"})));
  const Deadline deadline(15s);
  std::vector<OwnedFd> conns;
  for (int i = 0; i < 40; ++i) conns.push_back(echo::connect_loopback(srv.port(), deadline));
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(echo::exchange(conns[i].get(), "first ones", deadline), "first ones")
        << "connection " << i << " of 40 (the server can take ~23) was not served";
  }
  // The busy-loop check. A server that spins on EMFILE is runnable all the time: over a window of
  // a second its CPU time (utime + stime in /proc/PID/stat, in clock ticks) grows by about a
  // second, or by what the scheduler gives it on a loaded machine, still far above 10%. A server
  // that sheds the extra connections (or stops watching the listener) sleeps in epoll_wait: its
  // CPU time barely moves. The window is a measurement, not a wait for an event.
  const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  const long long cpu_before = cpu_ticks(srv.pid());
  (void)echo::recv_until(conns[0].get(), 1, Deadline(1s));  // one second, nothing comes
  const long long used = cpu_ticks(srv.pid()) - cpu_before;
  EXPECT_LT(used, ticks_per_second / 10)
      << "the server used " << used << " of " << ticks_per_second
      << " clock ticks in a second while connections waited that it had no fd for: a busy loop";
  ASSERT_TRUE(srv.running()) << "the server died at EMFILE: " << srv.stop().describe();
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(echo::exchange(conns[i].get(), "still served", deadline), "still served")
        << "connection " << i << " is no longer served after EMFILE";
  }
  conns.clear();  // fds free again on the server's side once it sees these close
  bool served = false;
  EXPECT_TRUE(poll_until(Deadline(5s), [&] {
    OwnedFd again;
    if (echo::try_connect(srv.port(), deadline, again) != 0) return false;
    echo::send_all(again.get(), "after", deadline);
    served = echo::recv_until(again.get(), 5, Deadline(500ms)) == "after";
    return served;
  })) << "once the other clients left, a new connection must be served again";
}
SYSLAB_TIMEOUT(Acceptor, EmfileNeitherSpinsNorStopsTheServer, 30);

// ---- select's FD_SETSIZE wall
// --------------------------------------------------------------------

SYSLAB_TEST(SelectBackend, KeepsItsFdsBelowFdSetsizeAndShedsTheRest, 3,
            "select(2) cannot watch an fd >= FD_SETSIZE (1024): on --poller=select the server "
            "keeps its soft RLIMIT_NOFILE at FD_SETSIZE, whatever it inherited, so that accept4 "
            "says EMFILE before a connection could get an fd select cannot watch",
            "set_fd_limit in echo_server.cpp: on select, the soft limit is min(hard, FD_SETSIZE); "
            "on the other back-ends, as high as allowed (raise_nofile_soft_limit)",
            "past the limit the Acceptor sheds (or pauses) as at any EMFILE: the first clients "
            "are still served, and a new one once others have left") {
  const RaisedFdLimit raised;  // the server inherits a soft limit far above FD_SETSIZE
  ASSERT_GE(raised.hard(), static_cast<rlim_t>(FD_SETSIZE + 256))
      << "the hard RLIMIT_NOFILE (ulimit -Hn) is too low for this test";
  echo::ServerProcess srv(on_port_zero(select_server()));
  rlimit limit{};
  ASSERT_EQ(::prlimit(srv.pid(), RLIMIT_NOFILE, nullptr, &limit), 0) << "prlimit";
  ASSERT_LE(limit.rlim_cur, static_cast<rlim_t>(FD_SETSIZE))
      << "the soft RLIMIT_NOFILE of the select server (it inherited " << raised.hard()
      << "): an fd at FD_SETSIZE or above would be accepted, and select cannot watch it";

  const Deadline deadline(30s);
  std::vector<OwnedFd> conns;
  for (int i = 0; i < FD_SETSIZE + 16; ++i) {
    conns.push_back(echo::connect_loopback(srv.port(), deadline));
  }
  // Its fd table fills up (less one: the spare, or the fd a shed connection briefly takes).
  std::size_t server_fds = 0;
  EXPECT_TRUE(poll_until(deadline,
                         [&] {
                           server_fds = fds_of(srv.pid()).size();
                           return server_fds + 1 >= limit.rlim_cur;
                         }))
      << "the server holds " << server_fds << " fds of its " << limit.rlim_cur;
  ASSERT_TRUE(srv.running()) << "the server died with its fd table full: " << srv.stop();
  EXPECT_LT(fds_of(srv.pid()).rbegin()->first, FD_SETSIZE) << "an fd select cannot watch";
  EXPECT_EQ(echo::exchange(conns.front().get(), "first", deadline), "first")
      << "the first client is no longer served";

  // The last client was shed (EOF) or waits; once others leave, it is served or stays closed,
  // and a new client is served: either way, nothing hangs.
  conns.erase(conns.begin(), conns.begin() + 32);
  (void)::send(conns.back().get(), "x", 1, MSG_NOSIGNAL);  // a shed one says EPIPE: no matter
  ASSERT_TRUE(wait_readable(conns.back().get(), deadline)) << "the last client is in limbo";
  EXPECT_TRUE(poll_until(deadline, [&] {
    OwnedFd again;
    if (echo::try_connect(srv.port(), deadline, again) != 0) return false;
    (void)::send(again.get(), "after", 5, MSG_NOSIGNAL);  // shed while the server was still full?
    return echo::recv_until(again.get(), 5, Deadline(500ms)) == "after";
  })) << "once other clients left, a new connection must be served again";
}
SYSLAB_TIMEOUT(SelectBackend, KeepsItsFdsBelowFdSetsizeAndShedsTheRest, 60);
