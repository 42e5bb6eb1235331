// Lab 07 tests: echo-server and echo-client as programs. The shared echo suite (the same checks
// run on every model of labs 07-11) on --model=iterative, plus what /proc says about the server
// and the client's two modes.
#include <signal.h>

#include <string>
#include <vector>

#include "syslab/echo_suite.hpp"
#include "syslab/proc.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
namespace echo = syslab::test::echo;

namespace {

std::vector<std::string> iterative_server() {
  return {program_path("echo-server"), "--host", "127.0.0.1", "--model=iterative"};
}

}  // namespace

SYSLAB_TEST(IterativeServer, EchoesBytesExactly, 4,
            "serve_iterative: accept a connection, echo_connection it to the end, accept the next",
            "16 MiB passes only if every short read is written back whole: write_all, not write",
            "main: listen_tcp, print \"listening on \" + local_address, flush, serve_iterative") {
  echo::check_echo_exact(iterative_server());
}
SYSLAB_TIMEOUT(IterativeServer, EchoesBytesExactly, 30);

SYSLAB_TEST(
    IterativeServer, SurvivesResetsAndDisconnects, 3,
    "a client that resets or leaves mid-stream ends its connection, not the server",
    "write to a peer that is gone: EPIPE (SIGPIPE ignored in main) or ECONNRESET, both "
    "kPeerClosed from lab 02; read from it: ECONNRESET, kPeerClosed too",
    "echo_connection returns kPeerReset for them; serve_iterative goes on to accept the next; "
    "the Socket's destructor closes the fd") {
  echo::check_reset_and_disconnect_mid_stream(iterative_server());
}
SYSLAB_TIMEOUT(IterativeServer, SurvivesResetsAndDisconnects, 30);

SYSLAB_TEST(IterativeServer, StopsGracefullyOnSigterm, 3,
            "graceful: stop accepting, finish the connection being served, exit 0",
            "poll the stop fd with the listener and with the connection; on stop, close the "
            "listener (connects are refused from then on) but keep echoing the client until EOF",
            "echo_connection(conn, stop) says kStopRequested: destroy the Listener, then "
            "echo_connection(conn) without stop, then return from serve_iterative") {
  echo::check_graceful_stop(iterative_server());
}
SYSLAB_TIMEOUT(IterativeServer, StopsGracefullyOnSigterm, 30);

SYSLAB_TEST(IterativeServer, SerialisesClients, 2,
            "an iterative server serves one client at a time: a second one waits in the listen "
            "backlog (its connect succeeds: the kernel does the handshake) until the first leaves",
            "accept only after echo_connection returned; nothing else",
            "do not accept in a loop before serving: one accept, one echo_connection, repeat") {
  echo::check_serialises(iterative_server());
}
SYSLAB_TIMEOUT(IterativeServer, SerialisesClients, 20);

SYSLAB_TEST(IterativeServer, IsOneThreadWithNoChildrenAndCloexecFds, 2,
            "the iterative model is one process with one thread; /proc/PID/status says Threads: 1",
            "no fork, no std::thread: serve the connection in the loop that accepts it",
            "every fd beyond 0-2 is close-on-exec (flags in /proc/PID/fdinfo have 02000000): "
            "SOCK_CLOEXEC in socket and accept4, SFD_CLOEXEC for the signalfd") {
  echo::ServerProcess server(
      {program_path("echo-server"), "--host", "127.0.0.1", "--port", "0", "--model=iterative"});
  const Deadline deadline(5s);
  OwnedFd conn = echo::connect_loopback(server.port(), deadline);
  ASSERT_EQ(echo::exchange(conn.get(), "served", deadline), "served");  // accepted, being served
  EXPECT_EQ(own_threads(server.pid()), 1);
  EXPECT_TRUE(server.children().empty()) << server.children().size() << " child processes";
  for (const auto& [fd, target] : fds_of(server.pid())) {
    // Its own: sockets, and the signalfd (ServerProcess passes it no other fd but stdout).
    if (fd <= 2) continue;
    EXPECT_NE(kernel_flags(fd, server.pid()) & 02000000, 0)
        << "fd " << fd << " (" << target << ") of the server is not close-on-exec";
  }
}

SYSLAB_TEST(EchoClient, BytesModeVerifiesTheEcho, 2,
            "echo-client --bytes N sends while it reads: a client that writes 16 MiB before "
            "reading deadlocks with the server, both blocked in write",
            "echo_and_verify: non-blocking socket, poll for POLLIN always and POLLOUT while bytes "
            "are left; shutdown(SHUT_WR) once everything is sent",
            "compare each byte read with payload[received + i]; stop at EOF") {
  echo::ServerProcess server({program_path("echo-server"), "--host", "127.0.0.1", "--port", "0"});
  const std::string port = std::to_string(server.port());
  RunOptions options;
  options.timeout = 20s;
  const ProgramResult ok =
      run_program({program_path("echo-client"), "--bytes", "4194304", "127.0.0.1", port}, options);
  EXPECT_TRUE(ok.status.success()) << ok.status << "\n" << ok.out << ok.err;
  EXPECT_NE(ok.out.find("all 4194304 bytes match"), std::string::npos) << ok.out;

  options.input = "hello\n\nworld, again\n";
  const ProgramResult lines =
      run_program({program_path("echo-client"), "127.0.0.1", port}, options);
  EXPECT_TRUE(lines.status.success()) << lines.status << "\n" << lines.err;
  EXPECT_EQ(lines.out, "hello\n\nworld, again\n");
}
SYSLAB_TIMEOUT(EchoClient, BytesModeVerifiesTheEcho, 30);
