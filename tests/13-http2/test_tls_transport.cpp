// Lab 13 tests: TlsTransport by itself, over a socket pair, against the tests' own non-blocking
// TLS client in the same thread: each side steps in turn, so every "would block" is seen, with
// the readiness it waits for. No reactor: what the reactor will be told, call by call.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>
#include <system_error>
#include <vector>

#include "fd_io.hpp"
#include "syslab/echo_suite.hpp"
#include "syslab/test.hpp"
#include "tls_context.hpp"
#include "tls_test_peer.hpp"
#include "tls_test_server.hpp"
#include "tls_transport.hpp"

using namespace syslab::test;
using reactor::Transport;

namespace {

// The client's end of the pair: a non-blocking TLS client that trusts the kit's certificate.
class Client {
 public:
  Client(int fd, std::string_view alpn_wire) : fd_(fd) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr ||
        SSL_CTX_load_verify_locations(ctx_, tls_test::cert_path().c_str(), nullptr) != 1) {
      throw std::runtime_error("client context: " + tls_test::openssl_errors());
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_.get());
    SSL_set1_host(ssl_, "localhost");
    if (!alpn_wire.empty()) {
      SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(alpn_wire.data()),
                          static_cast<unsigned int>(alpn_wire.size()));
    }
    SSL_set_connect_state(ssl_);
  }
  ~Client() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  [[nodiscard]] int fd() const { return fd_.get(); }
  // One step: true once the handshake is done; false when it waits for the server; throws.
  bool handshake_step() {
    const int result = SSL_do_handshake(ssl_);
    if (result == 1) return true;
    const int error = SSL_get_error(ssl_, result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return false;
    throw std::runtime_error("client handshake: " + tls_test::openssl_errors());
  }
  void send(std::string_view bytes) {
    std::size_t written = 0;
    ASSERT_EQ(SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written), 1)
        << tls_test::openssl_errors();
    ASSERT_EQ(written, bytes.size());
  }
  // Everything readable now (until the client would block).
  std::string read_available() {
    std::string all;
    std::array<char, 16384> piece{};
    std::size_t got = 0;
    while (SSL_read_ex(ssl_, piece.data(), piece.size(), &got) == 1) all.append(piece.data(), got);
    const int error = SSL_get_error(ssl_, 0);
    EXPECT_EQ(error, SSL_ERROR_WANT_READ)
        << "the client's read failed: " << tls_test::openssl_errors();
    ERR_clear_error();
    return all;
  }
  void close_notify() { (void)SSL_shutdown(ssl_); }
  void close_socket() { fd_.reset(); }

 private:
  OwnedFd fd_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

// A server TlsTransport and a client on the two ends of a non-blocking socket pair.
struct Pair {
  explicit Pair(std::string_view alpn_wire = "")
      : context(tls_test::cert_path(), tls_test::key_path()),
        server(context, fdio::UniqueFd(make_pair_fds()[0])),
        client(fds_[1], alpn_wire) {}

  std::array<int, 2>& make_pair_fds() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds_.data()) < 0) {
      throw std::system_error(errno, std::generic_category(), "socketpair");
    }
    return fds_;
  }

  // Steps the two handshakes in turn until both are done. Every server step that did not finish
  // must be kWouldBlock; the first one, before the client has said anything, too.
  void handshake() {
    for (int turn = 0; turn < 20; ++turn) {
      const bool client_done = client.handshake_step();
      const fdio::IoResult step = server.handshake();
      if (step.done() && client_done) return;
      ASSERT_TRUE(step.done() || step.would_block())
          << "a handshake step that neither finished nor would block: " << step;
      if (step.would_block()) {
        ASSERT_EQ(server.waits_for(Transport::Call::kHandshake), mux::Interest::kRead)
            << "the server's handshake waits for the client's bytes: readable";
      }
    }
    FAIL() << "the handshake did not finish in 20 turns";
  }

  std::array<int, 2> fds_{-1, -1};
  tls::TlsContext context;
  tls::TlsTransport server;
  Client client;
};

std::string read_all_available(tls::TlsTransport& server) {
  std::string all;
  std::array<char, 4096> buffer{};
  for (;;) {
    const fdio::IoResult got = server.read_some(buffer);
    if (!got.done()) {
      EXPECT_TRUE(got.would_block()) << got;
      return all;
    }
    all.append(buffer.data(), got.count);
  }
}

constexpr std::string_view kH2AndHttp11 = "\x08http/1.1\x02h2";

}  // namespace

SYSLAB_TEST(TlsTransport, HandshakeStepsWithoutBlocking, 3,
            "handshake() is one SSL_accept step on a non-blocking socket: SSL_ERROR_WANT_READ "
            "and SSL_ERROR_WANT_WRITE are kWouldBlock, and waits_for(kHandshake) says which",
            "outcome_of: SSL_get_error(ssl, result) sorts the result; remember the readiness "
            "in wait_for, per call (handshake, read, write)",
            "after the handshake, selected_protocol() is SSL_get0_alpn_selected: our order "
            "decides, so a client offering http/1.1 then h2 gets h2") {
  Pair pair(kH2AndHttp11);
  const fdio::IoResult first = pair.server.handshake();
  ASSERT_TRUE(first.would_block()) << "with no ClientHello yet, the handshake must wait: " << first;
  EXPECT_EQ(pair.server.waits_for(Transport::Call::kHandshake), mux::Interest::kRead);
  pair.handshake();
  EXPECT_EQ(pair.server.selected_protocol(), "h2");
  EXPECT_EQ(pair.server.waits_for(Transport::Call::kRead), mux::Interest::kRead);
  EXPECT_EQ(pair.server.waits_for(Transport::Call::kWrite), mux::Interest::kWrite);
}

SYSLAB_TEST(TlsTransport, ReadsWritesAndTellsACleanEndFromACut, 3,
            "read_some is SSL_read_ex, write_some SSL_write_ex; nothing more to read is "
            "kWouldBlock waiting for readable",
            "SSL_ERROR_ZERO_RETURN is the peer's close_notify: a clean end, kEof for a read",
            "a TCP end without close_notify could be an attacker cutting the stream: OpenSSL 3 "
            "says SSL_ERROR_SSL with SSL_R_UNEXPECTED_EOF_WHILE_READING; make it kPeerClosed") {
  Pair pair;  // no ALPN offered
  pair.handshake();
  EXPECT_EQ(pair.server.selected_protocol(), "") << "no ALPN from the client: none agreed";
  pair.client.send("ping");
  EXPECT_EQ(read_all_available(pair.server), "ping");
  EXPECT_EQ(pair.server.waits_for(Transport::Call::kRead), mux::Interest::kRead);
  const fdio::IoResult sent = pair.server.write_some("pong");
  EXPECT_EQ(sent, (fdio::IoResult{fdio::IoStatus::kDone, 4, 0}));
  EXPECT_EQ(pair.client.read_available(), "pong");
  pair.client.close_notify();
  std::array<char, 64> buffer{};
  EXPECT_EQ(pair.server.read_some(buffer).status, fdio::IoStatus::kEof)
      << "close_notify is the clean end of the peer's stream";

  // OpenSSL answers a cut with an alert: written to a closed socket, that would be SIGPIPE.
  const ScopedIgnoreSigpipe no_sigpipe;
  Pair cut;
  cut.handshake();
  EXPECT_EQ(cut.client.read_available(), "");  // the session tickets: or the close is a reset
  cut.client.close_socket();
  EXPECT_EQ(cut.server.read_some(buffer).status, fdio::IoStatus::kPeerClosed)
      << "a TCP end without close_notify is not a clean end";
}

SYSLAB_TEST(TlsTransport, WriteThatWouldBlockWaitsForWritableAndResumes, 3,
            "SSL_ERROR_WANT_WRITE from SSL_write_ex: kWouldBlock, waits_for(kWrite) writable; "
            "the retry offers the same bytes again, and may come from another address",
            "the context's modes: SSL_MODE_ENABLE_PARTIAL_WRITE (a write returns what went, as "
            "write(2) does) and SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER ('bad write retry' without)",
            "write_some: SSL_write_ex's count is what went, even when it is short") {
  Pair pair;
  pair.handshake();
  const std::string payload = echo::payload(1 << 20, 13);
  std::string received;
  std::size_t sent = 0;
  bool blocked = false;
  bool short_write = false;
  for (int turn = 0; sent < payload.size() && turn < 10000; ++turn) {
    // A fresh copy of the rest each time: the retry's buffer is never where the first try's was.
    const std::string rest = payload.substr(sent);
    const fdio::IoResult step = pair.server.write_some(rest);
    if (step.done()) {
      ASSERT_GT(step.count, 0U);
      short_write = short_write || step.count < rest.size();
      sent += step.count;
      continue;
    }
    ASSERT_TRUE(step.would_block()) << step;
    blocked = true;
    ASSERT_EQ(pair.server.waits_for(Transport::Call::kWrite), mux::Interest::kWrite)
        << "a write that cannot go on waits for the socket to be writable";
    received += pair.client.read_available();
  }
  received += pair.client.read_available();
  EXPECT_TRUE(blocked) << "1 MiB into a socket pair never blocked: the test proves nothing";
  EXPECT_TRUE(short_write) << "no write returned short: partial writes are off";
  EXPECT_EQ(sent, payload.size());
  EXPECT_EQ(received.size(), payload.size());
  EXPECT_TRUE(received == payload) << "the bytes came out in another order or changed";
}

SYSLAB_TEST(TlsTransport, GarbageInsteadOfAClientHelloThrowsOpenSslsReason, 2,
            "a protocol error is not an outcome to expect: throw std::system_error with "
            "OpenSSL's text (throw_openssl_error), which closes this connection only",
            "SSL_ERROR_SSL: the reason is in the thread's error queue (ERR_get_error)",
            "clear the queue before each call (ERR_clear_error), or an old error is taken for "
            "this call's") {
  Pair pair;
  const std::string request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  ASSERT_EQ(::write(pair.client.fd(), request.data(), request.size()),
            static_cast<ssize_t>(request.size()));
  try {
    const fdio::IoResult step = pair.server.handshake();
    ADD_FAILURE() << "plain HTTP instead of a ClientHello gave " << step << ", not an error";
  } catch (const std::system_error& error) {
    EXPECT_EQ(std::string(error.code().category().name()), "openssl") << error.what();
    EXPECT_NE(std::string(error.what()).find("http request"), std::string::npos)
        << "OpenSSL's reason must be in the message: " << error.what();
  }
}
