// Lab 07 tests: echo-server and echo-client as programs. The shared echo suite (the same checks
// run on every model of labs 07-11) on --model=iterative, plus what /proc says about the server
// and the client's two modes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <vector>

#include "client.hpp"
#include "syslab/echo_suite.hpp"
#include "syslab/proc.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
namespace echo = syslab::test::echo;

namespace {

std::vector<std::string> iterative_server() {
  return {program_path("echo-server"), "--host", "127.0.0.1", "--model=iterative"};
}

// A blocking TCP socket connected to 127.0.0.1:port whose own buffers are small (64 KiB asked,
// set before connect so that the window is agreed with them): what the kernel can hold for a
// client that does not read is then mostly the server's buffers, a few MiB at most.
OwnedFd connect_with_small_buffers(std::uint16_t port) {
  OwnedFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) echo::fail("socket", errno);
  const int size = 64 << 10;
  for (const int option : {SO_SNDBUF, SO_RCVBUF}) {
    if (::setsockopt(sock.get(), SOL_SOCKET, option, &size, sizeof size) < 0) {
      echo::fail("setsockopt", errno);
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
    echo::fail("connect", errno);
  }
  return sock;
}

}  // namespace

SYSLAB_TEST(IterativeServer, EchoesBytesExactly, 4,
            "serve_iterative: accept a connection, echo_connection it to the end, accept the next",
            "write back every byte each read gave with write_all: a plain write may write less. "
            "(On an idle loopback a short write is rare, so this test may pass with write: the "
            "fault-injection run makes writes short on purpose)",
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
            "echo-client --bytes N sends while it reads and compares every byte of the echo; "
            "line mode echoes each line of its input",
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

SYSLAB_TEST(EchoClient, SendsAndReadsAtOnceSoABigEchoCannotDeadlock, 3,
            "echo_and_verify with 32 MiB, more than every buffer between client and server "
            "holds: a client that writes everything before it reads blocks in write while the "
            "server blocks writing the echo nobody reads. Both wait for ever (HANG)",
            "one loop, one poll: POLLIN always, POLLOUT while bytes are left to send; write_some "
            "what the socket takes now, read_some what has come",
            "set the socket non-blocking first, so that neither write_some nor read_some can "
            "block; shutdown(SHUT_WR) once the last byte is sent") {
  echo::ServerProcess server({program_path("echo-server"), "--host", "127.0.0.1", "--port", "0"});
  OwnedFd sock = connect_with_small_buffers(server.port());
  constexpr std::size_t kBytes = 32 << 20;
  const net::VerifyResult result = net::echo_and_verify(fdio::BorrowedFd(sock.get()), kBytes, 7);
  EXPECT_EQ(result.sent, kBytes);
  EXPECT_EQ(result.received, kBytes);
  EXPECT_FALSE(result.first_mismatch.has_value())
      << "the echo differs first at byte " << result.first_mismatch.value_or(0);
  EXPECT_TRUE(result.all_match(kBytes));
}
SYSLAB_TIMEOUT(EchoClient, SendsAndReadsAtOnceSoABigEchoCannotDeadlock, 20);

SYSLAB_TEST(IterativeServer, HalfCloseGetsEveryByteBack, 2,
            "a client that fills the buffers, shuts down its sending side and only then reads: "
            "the server reads EOF while it still owes bytes, and must echo every one",
            "echo_connection writes each piece it read with write_all before it reads again, so "
            "at EOF nothing is owed: return kEof, and the Socket closes",
            "EOF means the client will send nothing more, not that it reads nothing more: do not "
            "close or shut down the connection while an echo is still unwritten") {
  echo::check_half_close_returns_every_byte(iterative_server());
}
SYSLAB_TIMEOUT(IterativeServer, HalfCloseGetsEveryByteBack, 40);
