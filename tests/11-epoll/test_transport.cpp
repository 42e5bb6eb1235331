// Lab 11 tests: the transport seam. A Connection reads, writes, sends files and shuts down only
// through its Transport, and waits for the transport's handshake before it is open: lab 13 puts
// TLS there. The stand-in here is a toy: a handshake ("HELLO\n" from the peer) and rot13 on every
// byte, so a byte that bypassed the transport shows. And the plain transport's sendfile(2).
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "connection_harness.hpp"
#include "socket.hpp"
#include "syslab/echo_suite.hpp"
#include "syslab/test.hpp"
#include "tcp_server.hpp"

using namespace syslab::test;
using namespace connection_test;

namespace {

std::string rot13(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>('a' + (c - 'a' + 13) % 26);
    if (c >= 'A' && c <= 'Z') c = static_cast<char>('A' + (c - 'A' + 13) % 26);
  }
  return text;
}

constexpr std::string_view kHello = "HELLO\n";

// A transport with a handshake (the peer's "HELLO\n", read byte-exact so that what follows stays
// in the socket) and rot13 both ways. It does not override send_file: the default one reads the
// file and writes it through write_some, as TLS will.
class Rot13Transport final : public reactor::Transport {
 public:
  explicit Rot13Transport(fdio::UniqueFd socket) : socket_(std::move(socket)) {}

  [[nodiscard]] fdio::BorrowedFd fd() const noexcept override { return socket_; }
  fdio::IoResult handshake() override {
    while (hello_ < kHello.size()) {
      char byte = 0;
      const fdio::IoResult got = fdio::read_some(socket_, std::span(&byte, 1));
      if (!got.done()) return got;
      if (byte != kHello[hello_]) return {fdio::IoStatus::kPeerClosed, 0, 0};
      ++hello_;
    }
    return {};
  }
  fdio::IoResult read_some(std::span<char> buffer) override {
    const fdio::IoResult got = fdio::read_some(socket_, buffer);
    const std::string plain = rot13(std::string(buffer.data(), got.count));
    std::copy(plain.begin(), plain.end(), buffer.begin());
    return got;
  }
  fdio::IoResult write_some(std::string_view bytes) override {
    return fdio::write_some(socket_, rot13(std::string(bytes)));
  }
  fdio::IoResult shutdown_write() override {
    ++shutdown_calls;
    // As TLS does when the socket has no room for close_notify: not yet, call again when writable.
    if (shutdown_blocks_once && shutdown_calls == 1)
      return {fdio::IoStatus::kWouldBlock, 0, EAGAIN};
    (void)::shutdown(socket_.get(), SHUT_WR);
    return {};
  }
  [[nodiscard]] mux::Interest waits_for(Call call) const noexcept override {
    return call == Call::kHandshake ? mux::Interest::kRead : Transport::waits_for(call);
  }

  bool shutdown_blocks_once = false;  // the first shutdown_write would block
  int shutdown_calls = 0;

 private:
  fdio::UniqueFd socket_;
  std::size_t hello_ = 0;
};

std::unique_ptr<reactor::Transport> rot13_transport(fdio::UniqueFd socket) {
  return std::make_unique<Rot13Transport>(std::move(socket));
}

}  // namespace

SYSLAB_TEST(Transport, ConnectionGoesThroughItsTransportAfterTheHandshake, 3,
            "the connection is open only once its transport's handshake is done; then every "
            "read, write, file and shutdown goes through the transport (lab 13: TLS)",
            "established(): state kHandshaking, continue_handshake(); a handshake that would "
            "block watches what transport_->waits_for(kHandshake) says, and goes on at that event",
            "read with transport_->read_some, write with transport_->write_some, files with "
            "transport_->send_file (its default: pread + write_some), shut down with "
            "transport_->shutdown_write; never the socket itself") {
  TempDir dir;
  Harness h({}, rot13_transport);
  std::vector<std::string> events;
  h.conn->on_connection([&](const reactor::Connection::Ptr& conn) {
    events.push_back(conn->connected() ? "open" : "closed");
  });
  h.conn->on_message([&](reactor::Connection& conn, reactor::IoBuffer& input) {
    events.push_back("message: " + std::string(input.readable()));
    input.clear();
    conn.send("pong, ");
    conn.send_file(open_file(dir, "file", "and a file"), 0, 10);
    conn.close_after_output();
  });
  h.conn->established();
  EXPECT_TRUE(events.empty()) << "the connection opened before the handshake was done";
  epoll_test::put(h.peer.get(), std::string(kHello) + rot13("ping"));
  PeerReader reader(h.peer.get(), std::string::npos);
  h.loop.run();
  h.finish();
  reader.join();
  EXPECT_FALSE(h.timed_out)
      << "no close within 8 s: a handshake not resumed, or bytes left unread when it opened?";
  EXPECT_EQ(events, (std::vector<std::string>{"open", "message: ping", "closed"}));
  EXPECT_EQ(reader.received(), rot13("pong, and a file"))
      << "bytes that bypassed the transport come out without rot13";
  EXPECT_TRUE(reader.saw_eof());
}

SYSLAB_TEST(Transport, ShutdownThatWouldBlockIsDoneOnceWritable, 2,
            "a transport's shutdown_write may say kWouldBlock (TLS: the socket has no room for "
            "close_notify yet): the connection watches what waits_for(kWrite) says and calls it "
            "again there, before it lingers for the peer's EOF",
            "shut_down_write: remember that the shutdown is pending (update_interest then wants "
            "writable even with no output) and return; handle_event calls it again once writable",
            "a FIN sent before close_notify, or no retry at all, ends a TLS stream the way an "
            "attacker's cut would: the peer sees a truncation") {
  Rot13Transport* transport = nullptr;
  reactor::ConnectionOptions options;
  options.linger_timeout = std::chrono::seconds(60);  // only the retried shutdown ends this test
  Harness h(options, [&transport](fdio::UniqueFd socket) {
    auto made = std::make_unique<Rot13Transport>(std::move(socket));
    made->shutdown_blocks_once = true;
    transport = made.get();
    return made;
  });
  h.conn->on_message([](reactor::Connection& conn, reactor::IoBuffer& input) {
    input.clear();
    conn.send("bye");
    conn.close_after_output();
  });
  h.conn->established();
  epoll_test::put(h.peer.get(), std::string(kHello) + rot13("ping"));
  PeerReader reader(h.peer.get(), std::string::npos);
  h.loop.run();
  const int calls = transport->shutdown_calls;
  h.finish();
  reader.join();
  EXPECT_FALSE(h.timed_out) << "no close within 8 s: the shutdown that would block was never "
                               "called again, so the peer never saw the end";
  EXPECT_EQ(calls, 2) << "shutdown_write: once (would block), then once more when writable";
  EXPECT_EQ(reader.received(), rot13("bye"));
  EXPECT_TRUE(reader.saw_eof());
}

SYSLAB_TEST(Transport, PlainSendFileSendsTheRegionAndLeavesTheFileOffset, 2,
            "PlainTransport::send_file is one sendfile(2) (man 2 sendfile): the kernel copies "
            "the file's pages to the socket; with an offset pointer the file's own offset stays",
            "sendfile(socket, file, &offset, count): EAGAIN, EINTR, EPIPE/ECONNRESET are "
            "outcomes; 0 bytes means the region is past the end of the file: throw",
            "Transport::send_file (the default, for TLS) does the same with pread(2) and "
            "write_some") {
  TempDir dir;
  const std::string body = echo::payload(100000, 21);
  const auto file = open_file(dir, "body", body);
  epoll_test::SocketPair pair = epoll_test::make_socket_pair();
  reactor::PlainTransport plain(fdio::UniqueFd(pair.a.release()));
  const fdio::IoResult sent = plain.send_file(*file, 1000, 5000);
  ASSERT_TRUE(sent.done()) << sent;
  EXPECT_EQ(sent.count, 5000U);
  EXPECT_EQ(epoll_test::drain(pair.b.get()), body.substr(1000, 5000));
  EXPECT_EQ(::lseek(file->get(), 0, SEEK_CUR), 0) << "send_file moved the file's own offset";
  EXPECT_THROW((void)plain.send_file(*file, body.size(), 10), std::system_error)
      << "a region past the end of the file must throw";

  epoll_test::SocketPair other = epoll_test::make_socket_pair();
  Rot13Transport rot(fdio::UniqueFd(other.a.release()));
  const fdio::IoResult copied = rot.send_file(*file, 10, 20);  // Transport's default
  ASSERT_TRUE(copied.done()) << copied;
  EXPECT_EQ(epoll_test::drain(other.b.get()), rot13(body.substr(10, copied.count)));
  EXPECT_EQ(::lseek(file->get(), 0, SEEK_CUR), 0) << "send_file moved the file's own offset";

  EXPECT_TRUE(plain.shutdown_write().done()) << "a FIN never waits for room: kDone";
  EXPECT_EQ(::read(pair.b.get(), nullptr, 0), 0);
  char byte = 0;
  EXPECT_EQ(::read(pair.b.get(), &byte, 1), 0) << "no EOF after shutdown_write";
}

SYSLAB_TEST(Transport, ServerWrapsEachSocketAndReportsItsConnections, 2,
            "Server: each accepted socket goes into options.make_transport (lab 13: TLS), and "
            "on_connection reaches every connection, on its own loop",
            "new_connection: the transport from make_transport, or a PlainTransport when it is "
            "empty; conn->on_connection(on_connection_) with the other callbacks",
            "the connection callback is set before established() runs on the I/O loop") {
  reactor::EventLoop loop(reactor::make_epoll_poller());
  bool timed_out = false;
  (void)loop.run_after(8s, [&] {
    timed_out = true;
    loop.quit();
  });
  reactor::ServerOptions options;
  options.threads = 1;
  options.make_poller = [] { return reactor::make_epoll_poller(); };
  options.make_transport = rot13_transport;
  net::Listener listener = net::listen_tcp("127.0.0.1", 0);
  const std::uint16_t port = listener.local_port();
  reactor::Server server(loop, std::move(listener), std::move(options));
  std::atomic<int> opened = 0;
  std::atomic<int> closed = 0;
  server.on_connection(
      [&](const reactor::Connection::Ptr& conn) { ++(conn->connected() ? opened : closed); });
  server.on_message([](reactor::Connection& conn, reactor::IoBuffer& input) {
    conn.send(input.readable());  // echo, through the transport both ways
    input.clear();
  });
  server.start();
  std::string reply;
  std::string failure;
  std::thread client([&] {
    try {
      const Deadline deadline(5s);
      OwnedFd fd = echo::connect_loopback(port, deadline);
      echo::send_all(fd.get(), std::string(kHello) + rot13("echo me"), deadline);
      reply = echo::recv_exact(fd.get(), 7, deadline);
    } catch (const std::exception& error) {
      failure = error.what();
    }
    // The client has closed: stop once its connection is gone.
    loop.queue_in_loop([&] { server.stop_gracefully(); });
  });
  loop.run();
  client.join();
  EXPECT_FALSE(timed_out) << "the server did not stop within 8 s";
  EXPECT_EQ(failure, "");
  EXPECT_EQ(reply, rot13("echo me")) << "the echo did not go through the transport both ways";
  EXPECT_EQ(opened.load(), 1);
  EXPECT_EQ(closed.load(), 1);
}
