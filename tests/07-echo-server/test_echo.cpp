// Lab 07 tests: echo_connection on its own, in this process. Over a socketpair fed in odd pieces;
// over TCP with a peer that resets mid-stream; and with a stop fd that becomes readable.
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>

#include "echo.hpp"
#include "socket.hpp"
#include "syslab/echo_suite.hpp"
#include "syslab/faults.hpp"  // without_faults: the test's own stop request
#include "syslab/test.hpp"

using namespace syslab::test;
namespace echo = syslab::test::echo;

namespace {

// Runs echo_connection(conn, stop) on another thread; get() gives its result or its exception.
std::future<net::EchoResult> echo_in_background(int conn, int stop = -1) {
  return std::async(std::launch::async, [conn, stop] {
    return net::echo_connection(fdio::BorrowedFd(conn), fdio::BorrowedFd(stop));
  });
}

// The result, or a failure when echo_connection has not returned within the deadline (the
// future's destructor then still waits for it: close its fds first so that it can end).
std::optional<net::EchoResult> result_within(std::future<net::EchoResult>& result,
                                             std::chrono::milliseconds deadline) {
  if (result.wait_for(deadline) != std::future_status::ready) return std::nullopt;
  return result.get();
}

}  // namespace

SYSLAB_TEST(EchoConnection, EchoesBytesFedInOddPieces, 3,
            "read_some gives whatever has arrived: 1 byte, 4093, never 'one message'. Echo what "
            "each read gave, with write_all (lab 02), until read_some says EOF",
            "write back got.count bytes, not the buffer's size; loop until eof()",
            "for (;;) { r = read_some(conn, buf); if (r.eof()) return {kEof, total}; "
            "w = write_all(conn, {buf, r.count}); total += w.count; }") {
  std::future<net::EchoResult> result;  // declared first: destroyed after the fds are closed
  OwnedFd ends[2];
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  ends[0].reset(fds[0]);
  ends[1].reset(fds[1]);
  result = echo_in_background(ends[1].get());

  const std::string bytes = echo::payload(70001, 9);
  std::string got;
  std::size_t sent = 0;
  const Deadline deadline(5s);
  const std::size_t pieces[] = {1, 2, 3, 7, 13, 4093, 1, 65537, 333};
  for (std::size_t i = 0; sent < bytes.size(); ++i) {
    const std::size_t n = std::min(pieces[i % std::size(pieces)], bytes.size() - sent);
    echo::send_all(ends[0].get(), std::string_view(bytes).substr(sent, n), deadline);
    sent += n;
    got += echo::recv_exact(ends[0].get(), n, deadline);
  }
  EXPECT_FALSE(echo::first_difference(bytes, got).has_value()) << "the echo differs";
  ASSERT_EQ(::shutdown(ends[0].get(), SHUT_WR), 0);
  const std::optional<net::EchoResult> end = result_within(result, 5s);
  ASSERT_TRUE(end.has_value()) << "echo_connection did not return after the peer's EOF";
  EXPECT_EQ(end->end, net::EchoEnd::kEof);
  EXPECT_EQ(end->bytes, bytes.size());
}

SYSLAB_TEST(EchoConnection, PeerResetIsAnOrdinaryEnd, 2,
            "a client may vanish mid-stream: read gives ECONNRESET, write gives EPIPE or "
            "ECONNRESET. Lab 02's read_some/write_all return these as kPeerClosed",
            "a per-connection error ends that connection only: return kPeerReset, do not throw",
            "check r.peer_closed() after read_some and after write_all") {
  ScopedIgnoreSigpipe no_sigpipe;       // main ignores SIGPIPE in the real server
  std::future<net::EchoResult> result;  // declared first: destroyed after the sockets are closed
  net::Listener listener = net::listen_tcp("127.0.0.1", 0);
  OwnedFd client = echo::connect_loopback(listener.local_port(), Deadline(5s));
  std::optional<net::Socket> server;
  ASSERT_TRUE(
      poll_until(Deadline(5s), [&] { return (server = listener.try_accept()).has_value(); }));
  result = echo_in_background(server->fd().get());

  (void)echo::send_until_full(client.get(), 100ms, 1 << 20);  // we never read the echo
  (void)echo::recv_exact(client.get(), 1, Deadline(5s));      // the echo has started
  const linger reset{1, 0};
  ASSERT_EQ(::setsockopt(client.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
  client.reset();  // RST
  const std::optional<net::EchoResult> end = result_within(result, 5s);
  ASSERT_TRUE(end.has_value()) << "echo_connection did not return after the peer reset";
  EXPECT_EQ(end->end, net::EchoEnd::kPeerReset);
}

SYSLAB_TEST(EchoConnection, ReturnsWhenTheStopFdIsReadable, 2,
            "a server that is asked to stop must notice while it waits for a client's bytes: "
            "wait for the connection and the stop fd together with poll(2)",
            "when stop.ok(), poll both fds for POLLIN before each read; a readable stop wins",
            "return {EchoEnd::kStopRequested, bytes} when the stop fd's revents is not 0") {
  std::future<net::EchoResult> result;  // declared first: destroyed after the fds are closed
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  OwnedFd peer(fds[0]);
  OwnedFd conn(fds[1]);
  TestPipe stop = make_pipe();
  result = echo_in_background(conn.get(), stop.read_end.get());
  echo::send_all(peer.get(), "before", Deadline(5s));
  EXPECT_EQ(echo::recv_exact(peer.get(), 6, Deadline(5s)), "before");
  ASSERT_EQ(without_faults([&] { return ::write(stop.write_end.get(), "x", 1); }), 1);
  std::optional<net::EchoResult> end = result_within(result, 5s);
  ASSERT_TRUE(end.has_value())
      << "echo_connection did not return after the stop fd became readable";
  EXPECT_EQ(end->end, net::EchoEnd::kStopRequested);
  EXPECT_EQ(end->bytes, 6U);
}
