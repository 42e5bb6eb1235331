// Lab 10 tests: echo-server --model=select and --model=poll as programs. The shared echo suite
// (the checks every concurrent model passes), what the kernel says about the model (one thread,
// no child, no epoll fd, blocked in select or poll), the FD_SETSIZE wall met by the running
// server, flow control for a client that never reads, and EMFILE without a busy loop.
#include <poll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "rlimits.hpp"
#include "syslab/echo_suite.hpp"
#include "syslab/faults.hpp"
#include "syslab/proc.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
namespace echo = syslab::test::echo;

namespace {

std::vector<std::string> server_argv(const std::string& model) {
  return {program_path("echo-server"), "--host", "127.0.0.1", "--model=" + model};
}
std::vector<std::string> select_server() { return server_argv("select"); }
std::vector<std::string> poll_server() { return server_argv("poll"); }

// Sends one byte and waits for its echo: true when it came back, false when the server closed
// the connection instead (EOF or a reset). Throws at the deadline.
bool echoes_one_byte(int fd, const Deadline& deadline) {
  const FaultsPaused probe;  // the test's own one-byte probe: faults are for the server
  if (::send(fd, "x", 1, MSG_NOSIGNAL) != 1 && errno != EPIPE && errno != ECONNRESET) {
    throw std::runtime_error("send failed");
  }
  if (!wait_readable(fd, deadline)) throw std::runtime_error("no echo and no close in time");
  char byte = 0;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_DONTWAIT);
  if (n == 1) return byte == 'x';
  if (n == 0 || errno == ECONNRESET) return false;
  throw std::runtime_error("recv failed");
}

// Room for FD_SETSIZE + 512 fds in this process (and the server it starts) for the scope.
rlim::ScopedLimit room_for_many_connections() {
  const rlim::Limit now = rlim::get_limit(RLIMIT_NOFILE);
  const rlim_t wanted = FD_SETSIZE + 512;
  if (now.hard < wanted)
    throw std::runtime_error("the hard RLIMIT_NOFILE is below FD_SETSIZE + 512");
  return rlim::scoped_soft_limit(RLIMIT_NOFILE, std::max(now.soft, wanted));
}

// The model is what it claims: one thread, no child, no epoll instance among its fds, and
// (when idle) blocked in one of `calls`.
void check_single_threaded_model(const std::vector<std::string>& argv, const SystemCall& call) {
  echo::ServerProcess server(argv);
  const Deadline deadline(5s);
  std::vector<OwnedFd> conns;
  for (int i = 0; i < 4; ++i) conns.push_back(echo::connect_loopback(server.port(), deadline));
  for (const OwnedFd& conn : conns) ASSERT_EQ(echo::exchange(conn.get(), "hi", deadline), "hi");
  EXPECT_EQ(own_threads(server.pid()), 1) << "/proc/PID/status: Threads";
  EXPECT_TRUE(server.children().empty()) << server.children().size() << " child processes";
  for (const auto& [fd, target] : fds_of(server.pid())) {
    EXPECT_EQ(target.find("eventpoll"), std::string::npos)
        << "fd " << fd << " is " << target << ": an epoll instance in the " << call.name
        << " model";
  }
  // /proc/PID/syscall names the call; where a container refuses it, wchan or stat say less
  // (activity_of falls back), and the message says which one was read.
  const bool waits_in_call = poll_until(deadline, [&] { return blocked_in(server.pid(), call); });
  EXPECT_TRUE(waits_in_call) << "idle, the server is not blocked in " << call.name << ": "
                             << activity_of(server.pid()).describe();
}

}  // namespace

// The shared echo suite on both models: ECHO_SUITE_TEST(Name, points, check, hints...) defines
// SelectServer.Name and PollServer.Name.
// clang-format off
#define ECHO_SUITE_TEST(name, points, check, ...)                                      \
  SYSLAB_TEST(SelectServer, name, points, __VA_ARGS__) { echo::check(select_server()); } \
  SYSLAB_TIMEOUT(SelectServer, name, 40);                                              \
  SYSLAB_TEST(PollServer, name, points, __VA_ARGS__) { echo::check(poll_server()); }     \
  SYSLAB_TIMEOUT(PollServer, name, 40)
// clang-format on

ECHO_SUITE_TEST(EchoesBytesExactly, 2, check_echo_exact,
                "serve_events: wait, then for each ready fd do what will not block; every byte "
                "read goes into the connection's output, and out again when the socket takes it",
                "16 MiB in one go: write_some may take part of it; keep the rest and watch kWrite",
                "after a read, try write_to at once; on kWrite write the rest; stop watching "
                "kWrite when nothing is owed");

ECHO_SUITE_TEST(ServesClientsConcurrently, 2, check_concurrent_reverse_order,
                "eight connections are opened first, then written to in reverse order: one "
                "thread must serve them all at once",
                "accept every pending connection and add it to the poller for kRead",
                "never block: listener and connections non-blocking (fdio::set_nonblocking), "
                "read_some and write_some only after the poller said so");

ECHO_SUITE_TEST(StalledClientDoesNotBlockOthers, 2, check_stalled_client_does_not_block_others,
                "a client that never reads: the server's writes to it would block; it must not "
                "wait for it",
                "write_some returns kWouldBlock: keep the bytes and go back to the loop",
                "and stop reading from it once kOutputCap bytes are owed (flow control)");

ECHO_SUITE_TEST(SurvivesResetsAndDisconnects, 2, check_reset_and_disconnect_mid_stream,
                "a reset or a hang-up ends one connection, never the server",
                "kPeerClosed from read_some or write_some: close that connection; "
                "hangup_or_error: try the read or the write, it says which",
                "close_connection: poller.remove(fd) first, then erase the connection (its Socket "
                "closes the fd)");

ECHO_SUITE_TEST(StopsGracefullyOnSigterm, 2, check_graceful_stop,
                "the stop fd is watched like the listener: when it is readable, stop accepting",
                "begin_stop: remove the stop fd from the poller (level-triggered, it would be "
                "reported on every wait), remove and close the listener",
                "the loop runs while the listener is open or a connection is left; then return");

ECHO_SUITE_TEST(HalfCloseGetsEveryByteBack, 2, check_half_close_returns_every_byte,
                "a client that fills the buffers, shuts down its sending side and only then "
                "reads: the server reads EOF while tens of KiB of echo wait in its output",
                "EOF ends the input only: set input_closed, stop watching kRead, and go on "
                "writing what is owed",
                "close the connection at EOF only once owed() is 0 (in handle_ready, after the "
                "write)");

ECHO_SUITE_TEST(DoesNotSpinOnceAStalledClientDrained, 2, check_idle_after_a_stall_does_not_spin,
                "select and poll are level-triggered: a fd watched for kWrite is reported on "
                "every wait while its socket has room, which is nearly always",
                "watch kWrite only while bytes are owed: once a stalled client has read "
                "everything, the server must stop watching it for writing, or it wakes at once, "
                "forever (its CPU time in /proc/PID/stat climbs)",
                "update_interest after every read and write: kWrite while owed() > 0, kRead "
                "while the input is open and less than kOutputCap is owed");

SYSLAB_TEST(SelectServer, IsOneThreadBlockedInSelect, 2,
            "the select model is one thread with no child, and waits in select(2)",
            "no std::thread, no fork: the event loop serves every connection",
            "make_poller(\"select\") for --model=select; /proc/PID/syscall shows the call it waits "
            "in (select or pselect6), and no fd may be an epoll instance") {
  check_single_threaded_model(select_server(), select_call());
}

SYSLAB_TEST(PollServer, IsOneThreadBlockedInPoll, 2,
            "the poll model is one thread with no child, and waits in poll(2)",
            "no std::thread, no fork: the event loop serves every connection",
            "make_poller(\"poll\") for --model=poll; /proc/PID/syscall shows the call it waits in "
            "(poll or ppoll), and no fd may be an epoll instance") {
  check_single_threaded_model(poll_server(), poll_call());
}

SYSLAB_TEST(SelectServer, RefusesConnectionsAtFdSetsizeAndServesTheOthers, 3,
            "with more than FD_SETSIZE connections the accepted fd reaches 1024: select cannot "
            "watch it; that one client is closed, every other one is still served",
            "add_connection: catch mux::FdNotWatchable from poller.add, write one line to stderr, "
            "let the Socket close the fd, return",
            "main raises the soft RLIMIT_NOFILE (rlim::raise_nofile_soft_limit), so the wall met "
            "is FD_SETSIZE, not EMFILE") {
  const rlim::ScopedLimit room = room_for_many_connections();
  echo::ServerProcess server(select_server());
  const Deadline deadline(50s);
  std::vector<OwnedFd> served;
  int refused = 0;
  for (int i = 0; i < FD_SETSIZE + 8 && refused < 4; ++i) {
    OwnedFd conn = echo::connect_loopback(server.port(), deadline);
    if (echoes_one_byte(conn.get(), deadline)) {
      ASSERT_EQ(refused, 0) << "connection " << i << " served after a refusal: fds were free?";
      served.push_back(std::move(conn));
    } else {
      ++refused;
    }
  }
  ASSERT_GT(refused, 0) << served.size() << " connections, none refused";
  EXPECT_GT(served.size(), FD_SETSIZE - 32U) << "refused long before fd " << FD_SETSIZE;
  EXPECT_LT(served.size(), static_cast<std::size_t>(FD_SETSIZE)) << "fds >= FD_SETSIZE served";
  ASSERT_TRUE(server.running()) << "the server died at the wall";
  EXPECT_EQ(echo::exchange(served.front().get(), "first", deadline), "first");
  EXPECT_EQ(echo::exchange(served.back().get(), "last", deadline), "last");
  // Fds below the wall come free when clients leave: the next client is served again.
  for (int i = 0; i < 8; ++i) served.pop_back();
  bool served_again = false;
  while (!served_again && !deadline.expired()) {
    OwnedFd conn = echo::connect_loopback(server.port(), deadline);
    served_again = echoes_one_byte(conn.get(), deadline);  // until the server saw the closes
  }
  EXPECT_TRUE(served_again) << "no client served after eight left";
}
SYSLAB_TIMEOUT(SelectServer, RefusesConnectionsAtFdSetsizeAndServesTheOthers, 60);

SYSLAB_TEST(PollServer, ServesMoreThanFdSetsizeConnections, 2,
            "poll has no FD_SETSIZE: FD_SETSIZE + 64 connections are all served",
            "the poll back-end must not refuse fds >= 1024",
            "main raises the soft RLIMIT_NOFILE to the hard limit before serving") {
  const rlim::ScopedLimit room = room_for_many_connections();
  echo::ServerProcess server(poll_server());
  const Deadline deadline(50s);
  std::vector<OwnedFd> conns;
  for (int i = 0; i < FD_SETSIZE + 64; ++i) {
    conns.push_back(echo::connect_loopback(server.port(), deadline));
    ASSERT_TRUE(echoes_one_byte(conns.back().get(), deadline)) << "connection " << i << " refused";
  }
  EXPECT_GT(server.open_fd_count(), static_cast<std::size_t>(FD_SETSIZE + 64));
  EXPECT_EQ(echo::exchange(conns.front().get(), "first", deadline), "first");
}
SYSLAB_TIMEOUT(PollServer, ServesMoreThanFdSetsizeConnections, 60);

SYSLAB_TEST(PollServer, StopsReadingFromAClientThatNeverReads, 3,
            "flow control: a client that sends and never reads must not grow the server's memory "
            "without bound: once it owes kOutputCap bytes, the server stops reading from it",
            "update_interest: kRead only while owed() < kOutputCap; kWrite while owed() > 0",
            "when the client reads again, writes drain the output and kRead comes back: nothing "
            "is lost") {
  echo::ServerProcess server(poll_server());
  const Deadline deadline(40s);
  OwnedFd hog = echo::connect_loopback(server.port(), deadline);
  constexpr std::size_t kLimit = 256u << 20;
  // Kernel buffers on both sides hold tens of MiB at most; a server that reads on regardless
  // takes all 256 MiB.
  const std::size_t sent = echo::send_until_full(hog.get(), 500ms, kLimit);
  EXPECT_LT(sent, kLimit) << "the server read 256 MiB from a client that reads nothing";
  const std::string back = echo::recv_exact(hog.get(), sent, deadline);
  EXPECT_EQ(back, std::string(sent, 's')) << "the echo after the stall is not what was sent";
  EXPECT_EQ(echo::exchange(hog.get(), "and on", deadline), "and on");
}
SYSLAB_TIMEOUT(PollServer, StopsReadingFromAClientThatNeverReads, 60);

SYSLAB_TEST(PollServer, PausesAcceptingOnEmfileWithoutSpinning, 3,
            "out of fds, accept4 fails with EMFILE and the listener stays readable: accepting "
            "again at once is a busy loop",
            "catch the SystemError whose code() is EMFILE or ENFILE: stop watching the listener "
            "(modify to kNone) for kAcceptPause, with that as the wait's timeout",
            "resume_accepting_if_due after each wait: the pending client is accepted once an fd "
            "is free") {
  echo::ServerProcess server(poll_server());
  const Deadline deadline(20s);
  const auto fds = fds_of(server.pid());
  const rlim_t room = static_cast<rlim_t>(fds.rbegin()->first) + 3;  // two fds free above the top
  const rlimit few{room, room};
  ASSERT_EQ(::prlimit(server.pid(), RLIMIT_NOFILE, &few, nullptr), 0) << "prlimit";
  OwnedFd a = echo::connect_loopback(server.port(), deadline);
  ASSERT_EQ(echo::exchange(a.get(), "a", deadline), "a");
  OwnedFd b = echo::connect_loopback(server.port(), deadline);
  ASSERT_EQ(echo::exchange(b.get(), "b", deadline), "b");
  OwnedFd c = echo::connect_loopback(server.port(), deadline);  // the backlog takes it
  echo::send_all(c.get(), "c", deadline);
  const long long ticks_before = cpu_ticks(server.pid());
  EXPECT_EQ(echo::recv_until(c.get(), 1, Deadline(600ms)), "") << "served with no fd free?";
  const long long spent = cpu_ticks(server.pid()) - ticks_before;
  EXPECT_LT(spent * 1000 / ::sysconf(_SC_CLK_TCK), 100)
      << "the server used " << spent << " ticks of CPU in 600 ms while out of fds: a busy loop";
  ASSERT_TRUE(server.running()) << "EMFILE ended the server";
  EXPECT_EQ(echo::exchange(b.get(), "still", deadline), "still") << "others not served meanwhile";
  a.reset();  // an fd comes free in the server
  EXPECT_EQ(echo::recv_until(c.get(), 1, Deadline(5s)), "c") << "not accepted once an fd was free";
}
SYSLAB_TIMEOUT(PollServer, PausesAcceptingOnEmfileWithoutSpinning, 30);
