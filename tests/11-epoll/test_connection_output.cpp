// Lab 11 tests: what HTTP needs from a connection's output. File regions sent with sendfile(2),
// in order with buffered bytes; close after the output (every byte, then EOF); the drained
// callback that keeps a producer's pending output bounded, for a client that reads slowly and
// for one that never reads. Each test runs one Connection over a socket pair on the test's loop.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "connection_harness.hpp"
#include "syslab/echo_suite.hpp"
#include "syslab/faults.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace connection_test;
using syslab::test::echo::payload;

namespace {

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * kKiB;

bool fd_is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

// Where two long byte strings first differ, for a readable failure.
std::string first_difference_text(const std::string& got, const std::string& expected) {
  const auto at = echo::first_difference(got, expected);
  return at ? "first difference at byte " + std::to_string(*at) : "equal";
}

}  // namespace

SYSLAB_TEST(ConnectionOutput, SendFileGoesOutInOrderWithBufferedBytes, 3,
            "the output is a queue of pieces: bytes, a file region, bytes ... each sent only when "
            "the one before it is all out; a region keeps its file open until it is sent",
            "OutputQueue::write_to: write_some for a bytes piece, Transport::send_file for a "
            "region (sendfile(2) with an offset pointer), consume what went, stop at EAGAIN",
            "send_file queues the region; when nothing was pending it flushes at once; "
            "handle_writable flushes the queue through the transport") {
  TempDir dir;
  const std::string body = payload(3 * kMiB, 11);
  auto file = open_file(dir, "body", body);
  const int file_fd = file->get();
  Harness h;
  h.conn->established();
  h.conn->send("HEAD\r\n");
  h.conn->send_file(file, 1000, 2 * kMiB);
  h.conn->send("MIDDLE");
  h.conn->send_file(file, 0, 100);
  h.conn->send("TAIL");
  const std::string expected =
      "HEAD\r\n" + body.substr(1000, 2 * kMiB) + "MIDDLE" + body.substr(0, 100) + "TAIL";
  file.reset();  // the queued regions still own the file
  ASSERT_TRUE(fd_is_open(file_fd)) << "the file was closed while its regions were still queued";
  PeerReader reader(h.peer.get(), expected.size());
  h.loop.run();  // until the peer, having read it all, shuts down its side
  h.finish();
  reader.join();
  EXPECT_FALSE(h.timed_out) << "the connection did not close within 8 s";
  ASSERT_EQ(reader.received().size(), expected.size());
  EXPECT_TRUE(reader.received() == expected)
      << "bytes out of order: " << first_difference_text(reader.received(), expected);
  EXPECT_FALSE(fd_is_open(file_fd)) << "the file is still open after its regions were sent";
}
SYSLAB_TIMEOUT(ConnectionOutput, SendFileGoesOutInOrderWithBufferedBytes, 20);

SYSLAB_TEST(ConnectionOutput, CloseAfterOutputSendsEveryByteThenEof, 3,
            "a response with 'Connection: close': the connection closes once its last byte is "
            "out, never before: the peer reads all of it, then EOF",
            "close_after_output only remembers the request when output is pending; the write "
            "that empties the queue does shutdown(SHUT_WR) (shutdown(2)), so the peer reads EOF",
            "after the shutdown keep reading (and dropping) until the peer's EOF: then close. "
            "Closing at once would drop the queued bytes") {
  TempDir dir;
  const std::string body = payload(6 * kMiB, 12);
  const std::string tail = payload(2 * kMiB, 13);
  const std::string head = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
  Harness h;
  h.conn->established();
  h.conn->send(head);
  h.conn->send(body);
  h.conn->send_file(open_file(dir, "tail", tail), 0, tail.size());
  ASSERT_GT(h.conn->pending_output(), 4 * kMiB)
      << "more than the socket holds must be pending, or this test proves nothing";
  h.conn->close_after_output();
  h.conn->send("not sent: after close_after_output");
  PeerReader reader(h.peer.get(), std::string::npos);  // to EOF
  h.loop.run();
  h.finish();
  reader.join();
  const std::string expected = head + body + tail;
  EXPECT_FALSE(h.timed_out) << "the connection did not close within 8 s";
  EXPECT_TRUE(reader.saw_eof()) << "the peer never read EOF";
  ASSERT_EQ(reader.received().size(), expected.size())
      << "queued bytes were dropped (or extra bytes sent) by close_after_output";
  EXPECT_TRUE(reader.received() == expected) << first_difference_text(reader.received(), expected);
  EXPECT_EQ(h.closes, 1);
}
SYSLAB_TIMEOUT(ConnectionOutput, CloseAfterOutputSendsEveryByteThenEof, 20);

namespace {

// A producer of a long body: one 64 KiB piece per drained callback (and one to start).
struct Producer {
  std::string body;
  std::size_t produced = 0;
  std::size_t calls = 0;
  std::size_t max_pending = 0;

  void operator()(reactor::Connection& conn) {
    ++calls;
    if (produced == body.size()) return;
    const std::size_t piece = std::min<std::size_t>(64 * kKiB, body.size() - produced);
    conn.send(std::string_view(body).substr(produced, piece));
    produced += piece;
    max_pending = std::max(max_pending, conn.pending_output());
  }
};

}  // namespace

SYSLAB_TEST(ConnectionOutput, DrainedKeepsAProducerBoundedForASlowReader, 3,
            "a producer writes one piece per drained callback: pending output stays at most the "
            "low-water mark plus one piece, however long the body, and the body arrives whole",
            "on_drained is due after a send; it runs (queued, on a later turn) once pending "
            "output is at or below low_water_mark: at once, or when handle_writable brings it "
            "there",
            "check_drained after each send and after each flush; never call on_drained while "
            "more than the low-water mark is pending") {
  reactor::ConnectionOptions options;
  options.low_water_mark = 64 * kKiB;
  Harness h(options);
  Producer producer{payload(8 * kMiB, 14)};
  h.conn->on_drained([&](reactor::Connection& conn) { producer(conn); });
  h.conn->established();
  producer(*h.conn);
  // The client reads 32 KiB every millisecond: slower than the loop writes.
  std::string received;
  std::function<void()> read_a_little = [&] {
    received += epoll_test::read_some(h.peer.get(), 32 * kKiB);
    if (received.size() == producer.body.size()) {
      h.loop.quit();
    } else {
      (void)h.loop.run_after(1ms, read_a_little);
    }
  };
  (void)h.loop.run_after(1ms, read_a_little);
  h.loop.run();
  EXPECT_FALSE(h.timed_out) << "the body did not arrive within 8 s: on_drained stopped coming";
  ASSERT_EQ(received.size(), producer.body.size());
  EXPECT_TRUE(received == producer.body) << first_difference_text(received, producer.body);
  EXPECT_LE(producer.max_pending, options.low_water_mark + 64 * kKiB)
      << "the producer was called while more than the low-water mark was pending";
}
SYSLAB_TIMEOUT(ConnectionOutput, DrainedKeepsAProducerBoundedForASlowReader, 20);

SYSLAB_TEST(ConnectionOutput, DrainedStopsForAClientThatNeverReads, 2,
            "a client that never reads: once the socket is full and pending output is above the "
            "low-water mark, the producer is not called again; memory stays bounded",
            "on_drained must not come after every write or every turn of the loop: only when "
            "pending output is at or below low_water_mark",
            "a drained callback is due once per send: clear the flag when you queue it") {
  reactor::ConnectionOptions options;
  options.low_water_mark = 64 * kKiB;
  Harness h(options);
  Producer producer{payload(16 * kMiB, 15)};
  h.conn->on_drained([&](reactor::Connection& conn) { producer(conn); });
  h.conn->established();
  producer(*h.conn);
  (void)h.loop.run_after(300ms, [&] { h.loop.quit(); });  // a while, with nobody reading
  h.loop.run();
  const std::size_t calls = producer.calls;
  (void)h.loop.run_after(100ms, [&] { h.loop.quit(); });
  h.loop.run();
  EXPECT_EQ(producer.calls, calls) << "the producer is still called though nobody reads";
  EXPECT_LE(producer.max_pending, options.low_water_mark + 64 * kKiB);
  EXPECT_LT(producer.produced, 8 * kMiB) << "far more was produced than the socket could take";
}

namespace {

// A connected pair of TCP sockets on loopback: the server's end non-blocking, the client's with a
// fixed receive buffer (256 KiB asked), so that a few MiB cannot hide in it. Not smaller: with a
// window of about one loopback segment (64 KiB), TCP waits for its persist timer.
struct TcpPair {
  OwnedFd server;
  OwnedFd client;
};

TcpPair make_tcp_pair() {
  const int fixed = 256 * 1024;
  OwnedFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  EXPECT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
  EXPECT_EQ(::listen(listener.get(), 1), 0);
  EXPECT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  OwnedFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(::setsockopt(client.get(), SOL_SOCKET, SO_RCVBUF, &fixed, sizeof fixed), 0);
  EXPECT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
  OwnedFd server(without_faults(
      [&] { return ::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); }));
  return {std::move(server), std::move(client)};
}

}  // namespace

SYSLAB_TEST(ConnectionOutput, CloseAfterOutputWaitsForThePeerInsteadOfResettingIt, 3,
            "a client that pipelines a request behind one answered with 'Connection: close': "
            "its bytes arrive after we wrote our last one. Closing then, with them unread, sends "
            "a TCP reset (man 7 tcp), and the kernel drops what it had not sent yet",
            "after shutdown(SHUT_WR) the connection is not done: keep reading, drop what comes, "
            "and close at the peer's EOF (or after linger_timeout)",
            "handle_readable drops the bytes once close_after_output was asked; the close comes "
            "from peer_finished, not from the write that emptied the queue") {
  const ScopedIgnoreSigpipe no_sigpipe;
  TcpPair tcp = make_tcp_pair();
  const std::string response = payload(4 * kMiB, 16);
  Harness h(fdio::UniqueFd(tcp.server.release()), reactor::ConnectionOptions{});
  std::atomic<bool> all_handed_to_the_kernel = false;
  h.conn->on_message([&](reactor::Connection& conn, reactor::IoBuffer& input) {
    input.clear();
    conn.send(response);
    conn.close_after_output();
  });
  h.conn->on_close([&](const reactor::Connection::Ptr&) {
    all_handed_to_the_kernel = true;
    h.loop.quit();
  });
  std::function<void()> watch_output = [&] {
    if (h.conn->closing() && h.conn->pending_output() == 0) all_handed_to_the_kernel = true;
    (void)h.loop.run_after(1ms, watch_output);
  };
  (void)h.loop.run_after(1ms, watch_output);
  h.conn->established();
  std::string received;
  std::string failure;
  std::thread client([&] {
    const FaultsPaused client_side;  // its raw reads are the test's: faults are for the server
    const int fd = tcp.client.get();
    const Deadline deadline(8s);
    try {
      echo::send_all(fd, "GET /big HTTP/1.1\r\n\r\n", deadline);
      // Read until the server has written its last byte: much of the response is still in the
      // kernel's buffers. Only then does the pipelined request arrive.
      std::string chunk(16 * kKiB, '\0');
      bool sent_next = false;
      while (wait_readable(fd, deadline)) {
        const ssize_t got = ::read(fd, chunk.data(), chunk.size());
        if (got <= 0) {
          if (got < 0) failure = std::string("read: ") + std::strerror(errno);
          break;
        }
        received.append(chunk.data(), static_cast<std::size_t>(got));
        if (!sent_next && all_handed_to_the_kernel.load()) {
          echo::send_all(fd, "GET /next HTTP/1.1\r\n\r\n", deadline);
          sent_next = true;
        }
      }
    } catch (const std::exception& error) {
      failure = error.what();
    }
    tcp.client.reset();  // the client closes: the server reads EOF
  });
  h.loop.run();
  h.finish();
  client.join();
  EXPECT_FALSE(h.timed_out) << "the connection did not close within 8 s";
  EXPECT_EQ(failure, "") << "the client's connection was reset under it";
  EXPECT_EQ(received.size(), response.size()) << "the client lost the end of the response";
  EXPECT_TRUE(received == response) << first_difference_text(received, response);
}
SYSLAB_TIMEOUT(ConnectionOutput, CloseAfterOutputWaitsForThePeerInsteadOfResettingIt, 20);
