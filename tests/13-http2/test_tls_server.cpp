// Lab 13 tests: lab 12's HTTP/1.1 server behind TlsTransport, met by real peers: curl, openssl
// s_client (ALPN, the protocol floor), a raw socket that never says hello or says the wrong thing,
// and a TLS client that reads a large body slowly. After each, the server's fds are back where
// they were: every connection was closed, whatever its end.
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "syslab/echo_suite.hpp"
#include "syslab/test.hpp"
#include "tls_test_peer.hpp"
#include "tls_test_server.hpp"

using namespace syslab::test;
using tls_test::TlsServer;

namespace {

// A web root with index.html ("hello\n") and, when asked, big.bin (1 MiB).
struct WebRoot {
  explicit WebRoot(const std::string& big = "") {
    write_file(dir / "index.html", "hello\n");
    if (!big.empty()) write_file(dir / "big.bin", big);
  }
  TempDir dir;
};

// The ALPN line of an s_client report.
std::string alpn_line(const ProgramResult& result) {
  for (const std::string_view line :
       {std::string_view("ALPN protocol: h2"), std::string_view("ALPN protocol: http/1.1"),
        std::string_view("No ALPN negotiated")}) {
    if (result.out.find(line) != std::string::npos) return std::string(line);
  }
  return "(no ALPN line; stderr: " + result.err + ")";
}

// A handshake s_client completed: it printed the session with a cipher.
bool handshake_done(const ProgramResult& result) {
  return result.status.success() && result.out.find("Cipher is (NONE)") == std::string::npos &&
         result.out.find("Cipher is ") != std::string::npos;
}

void expect_answered(std::uint16_t port) {
  const ProgramResult got = tls_test::curl(port, "/");
  EXPECT_TRUE(got.status.success()) << "curl: " << got.status << ": " << got.err;
  EXPECT_EQ(got.out, "hello\n");
}

}  // namespace

SYSLAB_TEST(TlsServer, CurlIsAnsweredOverHttp11, 3,
            "the reactor's Server wraps every accepted socket in make_transport's TlsTransport; "
            "the connection opens once handshake() says kDone, and lab 12's HTTP/1.1 runs on it",
            "curl verifies the certificate for localhost: the kit's pair must load "
            "(TlsContext) and SSL_accept must be stepped until it is done",
            "curl -v --http1.1 --cacert build/solutions/13-http2/tls-cert.pem "
            "https://localhost:PORT/ shows each step of the handshake") {
  WebRoot root;
  TlsServer server(tls_test::ServerSetup::serving(root.dir.path()));
  const std::size_t baseline = server.open_fd_count();
  const ProgramResult got = tls_test::curl(server.port(), "/", {"--write-out", " %{http_version}"});
  EXPECT_TRUE(got.status.success()) << "curl: " << got.status << ": " << got.err;
  EXPECT_EQ(got.out, "hello\n 1.1");
  EXPECT_TRUE(tls_test::fds_back_to(server, baseline));
  EXPECT_EQ(server.stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsServer, AlpnAgreesOnH2ThenHttp11, 3,
            "ALPN (RFC 7301): the client offers protocols in the ClientHello, the server's "
            "callback (SSL_CTX_set_alpn_select_cb) picks one: h2 first, then http/1.1",
            "no ALPN from the client: nothing is agreed, and the server speaks HTTP/1.1",
            "nothing we speak offered: RFC 7301 §3.2 says the fatal alert "
            "no_application_protocol: the callback returns SSL_TLSEXT_ERR_ALERT_FATAL") {
  TempDir dir;
  tls_test::ServerSetup setup;
  setup.protocol_log = dir / "protocols";
  TlsServer server(setup);
  const std::size_t baseline = server.open_fd_count();
  EXPECT_EQ(alpn_line(tls_test::s_client(server.port(), {"-alpn", "h2"})), "ALPN protocol: h2");
  EXPECT_EQ(alpn_line(tls_test::s_client(server.port(), {"-alpn", "http/1.1"})),
            "ALPN protocol: http/1.1");
  EXPECT_EQ(alpn_line(tls_test::s_client(server.port(), {"-alpn", "http/1.1,h2"})),
            "ALPN protocol: h2")
      << "the server's preference decides";
  const ProgramResult none = tls_test::s_client(server.port(), {});
  EXPECT_TRUE(handshake_done(none)) << none.out << none.err;
  EXPECT_EQ(alpn_line(none), "No ALPN negotiated");
  const ProgramResult unknown = tls_test::s_client(server.port(), {"-alpn", "spdy/3.1,h2c"});
  EXPECT_FALSE(handshake_done(unknown)) << "a client offering neither h2 nor http/1.1 was let in";
  EXPECT_NE(unknown.err.find("no application protocol"), std::string::npos)
      << "the alert must be no_application_protocol: " << unknown.err;
  EXPECT_TRUE(tls_test::fds_back_to(server, baseline));
  // The server's side of it: what each open connection's transport says (the codec's choice).
  EXPECT_EQ(read_file(dir / "protocols"), "h2\nhttp/1.1\nh2\n\n")
      << "TlsTransport::selected_protocol() is SSL_get0_alpn_selected, empty without ALPN";
  EXPECT_EQ(server.stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsServer, RefusesOldTlsAndCiphersH2Forbids, 2,
            "TLS 1.2 at least (SSL_CTX_set_min_proto_version): TLS 1.0 and 1.1 are deprecated "
            "(RFC 8996)",
            "h2 over TLS 1.2 needs an ephemeral key exchange and an AEAD cipher (RFC 9113 "
            "§9.2.2): SSL_CTX_set_cipher_list with ECDHE and AES-GCM or ChaCha20 only",
            "TLS 1.2 itself must still work: the floor is 1.2, not 1.3") {
  TlsServer server;
  const std::size_t baseline = server.open_fd_count();
  // SECLEVEL=0: the client's own library would refuse to offer TLS 1.1 otherwise.
  const ProgramResult old =
      tls_test::s_client(server.port(), {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"});
  EXPECT_FALSE(handshake_done(old)) << "a TLS 1.1 client was let in:\n" << old.out;
  const ProgramResult weak =
      tls_test::s_client(server.port(), {"-tls1_2", "-cipher", "AES128-SHA"});
  EXPECT_FALSE(handshake_done(weak)) << "a TLS 1.2 client with RSA key exchange and CBC was let in";
  const ProgramResult tls12 = tls_test::s_client(server.port(), {"-tls1_2", "-alpn", "h2"});
  EXPECT_TRUE(handshake_done(tls12)) << "TLS 1.2 with a good cipher was refused: " << tls12.err;
  EXPECT_NE(tls12.out.find("TLSv1.2"), std::string::npos);
  EXPECT_TRUE(tls_test::fds_back_to(server, baseline));
  EXPECT_EQ(server.stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsServer, SilentClientsDoNotStopTheOthers, 3,
            "the handshake runs on the non-blocking loop: a client that connects and sends "
            "nothing, or half a ClientHello, must not keep another client waiting",
            "handshake() returns kWouldBlock on SSL_ERROR_WANT_READ: the loop goes on with the "
            "others and comes back when the socket is readable",
            "never loop on SSL_accept until it is done, and never make the socket blocking") {
  WebRoot root;
  TlsServer server(tls_test::ServerSetup::serving(root.dir.path()));
  const std::size_t baseline = server.open_fd_count();
  OwnedFd silent = tls_test::connect_tcp(server.port());
  OwnedFd half = tls_test::connect_tcp(server.port());
  write_text(half.get(), std::string("\x16\x03\x01\x02\x00\x01", 6));  // a record header, 1 byte
  // Both are accepted and handshaking: the loop has taken them before curl comes.
  ASSERT_TRUE(poll_until(Deadline(5s), [&] { return server.open_fd_count() >= baseline + 2; }))
      << "the server did not accept two clients: is it stuck in the first one's handshake?";
  expect_answered(server.port());
  expect_answered(server.port());
  silent.reset();
  half.reset();
  EXPECT_TRUE(tls_test::fds_back_to(server, baseline));
  EXPECT_EQ(server.stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsServer, HandshakeTimeoutClosesASilentClient, 2,
            "a client that never finishes its handshake must not hold a connection (and an fd) "
            "for ever: ConnectionOptions::handshake_timeout closes it",
            "the reactor arms it when the connection is established, before the handshake; the "
            "TLS server sets it",
            "the transport must say kWouldBlock (not an error, not kDone) while it waits") {
  WebRoot root;
  tls_test::ServerSetup setup = tls_test::ServerSetup::serving(root.dir.path());
  setup.handshake_timeout = std::chrono::milliseconds(200);
  TlsServer server(setup);
  const std::size_t baseline = server.open_fd_count();
  OwnedFd silent = tls_test::connect_tcp(server.port());
  EXPECT_TRUE(tls_test::closed_within_5s(silent.get()))
      << "a client silent for 200 ms past the handshake timeout is still connected";
  expect_answered(server.port());
  silent.reset();
  EXPECT_TRUE(tls_test::fds_back_to(server, baseline));
  EXPECT_EQ(server.stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsServer, GarbageInsteadOfAClientHelloClosesThatConnectionOnly, 2,
            "plain HTTP sent to the TLS port (a common mistake) is a handshake error: that "
            "connection closes, the server goes on",
            "an error from SSL_accept is thrown as std::system_error: the reactor's guard logs "
            "it and closes that connection",
            "a std::logic_error or an abort would take the whole server down") {
  WebRoot root;
  TlsServer server(tls_test::ServerSetup::serving(root.dir.path()));
  const std::size_t baseline = server.open_fd_count();
  for (const std::string_view garbage :
       {std::string_view("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        std::string_view("\x16\x03\x01\x00\x05hello", 10)}) {
    OwnedFd client = tls_test::connect_tcp(server.port());
    write_text(client.get(), garbage);
    EXPECT_TRUE(tls_test::closed_within_5s(client.get()))
        << "the server kept a connection that sent " << garbage.size() << " bytes of garbage";
  }
  expect_answered(server.port());
  EXPECT_TRUE(server.running());
  EXPECT_TRUE(tls_test::fds_back_to(server, baseline));
  EXPECT_EQ(server.stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsServer, LargeBodiesArriveWholeBothWays, 3,
            "1 MiB each way through TLS: a file sent to a client that reads slowly (the socket "
            "fills: SSL_ERROR_WANT_WRITE, partial writes), and an upload echoed back",
            "send_file on TLS is Transport's default: pread a piece, write_some it; a retry "
            "offers the same piece again",
            "waits_for(kWrite) after WANT_WRITE is writable; after WANT_READ (a write that must "
            "read first) readable") {
  const std::string big = echo::payload(1 << 20, 7);
  WebRoot root(big);
  tls_test::ServerSetup setup = tls_test::ServerSetup::serving(root.dir.path());
  setup.send_buffer = 8192;  // and the client's receive buffer is 4 KiB: the server's writes block
  setup.threads = 2;         // each SSL made on the acceptor's thread, used on an I/O loop's
  TlsServer server(setup);
  const std::size_t baseline = server.open_fd_count();
  {
    tls_test::TlsClient slow(server.port(), 4096);
    slow.send("GET /big.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    const std::string response = slow.read_to_end(1000);
    const std::size_t body = response.find("\r\n\r\n");
    ASSERT_NE(body, std::string::npos) << response.substr(0, 200);
    EXPECT_EQ(response.substr(0, 15), "HTTP/1.1 200 OK");
    EXPECT_EQ(response.size() - body - 4, big.size());
    EXPECT_TRUE(response.compare(body + 4, std::string::npos, big) == 0)
        << "the file's bytes came out changed";
  }
  write_file(root.dir / "upload.bin", big);
  const ProgramResult echoed = tls_test::curl(
      server.port(), "/echo",
      {"--data-binary", "@" + (root.dir / "upload.bin"), "--header",
       "Content-Type: application/octet-stream", "--output", root.dir / "echoed.bin"});
  EXPECT_TRUE(echoed.status.success()) << "curl: " << echoed.status << ": " << echoed.err;
  EXPECT_TRUE(read_file(root.dir / "echoed.bin") == big) << "the upload came back changed";
  EXPECT_TRUE(tls_test::fds_back_to(server, baseline));
  EXPECT_EQ(server.stop().describe(), "exited 0");
}
SYSLAB_TIMEOUT(TlsServer, LargeBodiesArriveWholeBothWays, 30);
