// Lab 13 tests: lab 12's application, unchanged, over every way in: HTTP/1.1, HTTP/2 with prior
// knowledge, HTTP/2 by Upgrade, and over TLS both HTTP/1.1 and HTTP/2 as ALPN chose them. One
// check per behaviour, run once per wire by curl: the same handler answers the same way whatever
// carries the request; only the framing (and the encryption) differs.
#include <string>

#include "../12-http1/httpd_client.hpp"
#include "peers.hpp"
#include "syslab/echo_client.hpp"
#include "syslab/test.hpp"
#include "tls_test_server.hpp"

using namespace syslab::test;
using namespace h2_test;
using httpd_test::web_root;

namespace {

// httpd serving the web root, with a TLS port (the kit's certificate) when the wire needs one;
// port is where a client on the wire connects.
struct Site {
  explicit Site(Wire wire) {
    if (over_tls(wire)) {
      server = httpd_test::start_httpd(
          {"--tls-port", "0", "--cert", tls_test::cert_path(), "--key", tls_test::key_path()});
      port = httpd_test::tls_port(*server);
    } else {
      server = httpd_test::start_httpd();
      port = server->port();
    }
  }
  std::unique_ptr<httpd_test::ServerProcess> server;
  std::uint16_t port = 0;
};

std::string expected_version(Wire wire) {
  return wire == Wire::kHttp1 || wire == Wire::kHttp1OverTls ? "1.1" : "2";
}

void check_files(Wire wire) {
  const Site site(wire);
  const Fetched index = curl(wire, site.port, "GET", "/");
  EXPECT_EQ(index.version, expected_version(wire)) << index.head;
  EXPECT_EQ(index.status, 200) << index.head;
  EXPECT_EQ(index.body, "hello\n");
  EXPECT_TRUE(index.has("content-length: 6")) << index.head;
  const Fetched head = curl(wire, site.port, "HEAD", "/");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.has("content-length: 6")) << head.head;
  EXPECT_EQ(curl(wire, site.port, "GET", "/missing").status, 404);
  const Fetched refused = curl(wire, site.port, "DELETE", "/");
  EXPECT_EQ(refused.status, 405);
  EXPECT_NE(refused.head.find("\r\nallow: "), std::string::npos) << refused.head;
}

void check_large_file_and_range(Wire wire) {
  const std::string big = echo::payload(300'000, 13);
  write_file(web_root() + "/big.bin", big);
  const Site site(wire);
  const Fetched whole = curl(wire, site.port, "GET", "/big.bin");
  EXPECT_EQ(whole.status, 200);
  EXPECT_FALSE(echo::first_difference(whole.body, big)) << "the file, byte for byte";
  const Fetched part = curl(wire, site.port, "GET", "/big.bin", {}, {"Range: bytes=10-19"});
  EXPECT_EQ(part.status, 206) << part.head;
  EXPECT_EQ(part.body, big.substr(10, 10));
}

void check_echo(Wire wire) {
  const Site site(wire);
  const Fetched small =
      curl(wire, site.port, "POST", "/echo", "hello, echo", {"Content-Type: text/x-test"});
  EXPECT_EQ(small.status, 200);
  EXPECT_EQ(small.body, "hello, echo");
  EXPECT_TRUE(small.has("content-type: text/x-test")) << small.head;
  const std::string body = echo::payload(200'000, 7);
  const Fetched large = curl(wire, site.port, "POST", "/echo", body);
  EXPECT_EQ(large.status, 200);
  EXPECT_FALSE(echo::first_difference(large.body, body)) << "200 000 bytes there and back";
}

void check_headers(Wire wire) {
  const Site site(wire);
  const Fetched got = curl(wire, site.port, "GET", "/headers", {}, {"X-Test: yes"});
  EXPECT_EQ(got.status, 200);
  EXPECT_TRUE(got.has("content-type: application/json")) << got.head;
  // HTTP/2 names are lowercase on the wire (RFC 9113 §8.2.1); HTTP/1.1 keeps curl's case.
  const bool found = got.body.find("[\"X-Test\",\"yes\"]") != std::string::npos ||
                     got.body.find("[\"x-test\",\"yes\"]") != std::string::npos;
  EXPECT_TRUE(found) << got.body;
  EXPECT_NE(got.body.find(authority(wire, site.port)), std::string::npos)
      << "Host (or :authority): " << got.body;
}

void check_status(Wire wire) {
  const Site site(wire);
  const Fetched teapot = curl(wire, site.port, "GET", "/status/418");
  EXPECT_EQ(teapot.status, 418);
  EXPECT_EQ(teapot.body.substr(0, 4), "418 ") << teapot.body;
  const Fetched empty = curl(wire, site.port, "GET", "/status/204");
  EXPECT_EQ(empty.status, 204);
  EXPECT_EQ(empty.body, "");
  EXPECT_EQ(curl(wire, site.port, "GET", "/status/99").status, 400);
}

void check_streams(Wire wire) {
  const Site site(wire);
  const Fetched stream = curl(wire, site.port, "GET", "/stream?n=3&ms=20");
  EXPECT_EQ(stream.status, 200);
  EXPECT_EQ(stream.body, "chunk 1 of 3\nchunk 2 of 3\nchunk 3 of 3\n");
  const Fetched delay = curl(wire, site.port, "GET", "/delay?ms=50");
  EXPECT_EQ(delay.status, 200);
  EXPECT_EQ(delay.body, "waited 50 ms\n");
}

}  // namespace

// The second hint of the TLS wires: what differs there is the way in, not the handlers.
constexpr const char* kOverTls =
    "over TLS the handler is the same; the way in differs: the --tls-port listener wraps each "
    "socket in a TlsTransport and ALPN (not the first bytes) picks the codec: \"h2\" the "
    "Http2Connection, \"http/1.1\" or none lab 12's Http1Connection (TlsHttpd.* show it alone)";

// clang-format off
#define OVER_EVERY_WIRE(check, points, hint)                                                     \
  SYSLAB_TEST(HandlersOverH1, check, points, hint) { check_##check(Wire::kHttp1); }              \
  SYSLAB_TEST(HandlersOverH2c, check, points, hint) { check_##check(Wire::kH2cPriorKnowledge); } \
  SYSLAB_TEST(HandlersOverUpgrade, check, points, hint) { check_##check(Wire::kH2cUpgrade); }    \
  SYSLAB_TEST(HandlersOverH1Tls, check, points, hint, kOverTls) {                                \
    check_##check(Wire::kHttp1OverTls);                                                          \
  }                                                                                              \
  SYSLAB_TEST(HandlersOverH2Tls, check, points, hint, kOverTls) {                                \
    check_##check(Wire::kH2OverTls);                                                             \
  }
// clang-format on

OVER_EVERY_WIRE(files, 2,
                "h2_server.cpp install: the preface starts an Http2Connection, anything else "
                "lab 12's Http1Connection; HTTP/2: respond() submits response_fields and the "
                "body (none for HEAD)")
OVER_EVERY_WIRE(large_file_and_range, 2,
                "h2_body.cpp read_file: a file region goes out a frame at a time by pread(2), "
                "from the region's offset (a Range starts inside the file)")
OVER_EVERY_WIRE(echo, 2,
                "h2_connection.cpp take_data appends the DATA to the request's body; the "
                "handler is called at END_STREAM (frame_received)")
OVER_EVERY_WIRE(headers, 2,
                "h2_fields.cpp add_request_field: regular fields as they came, :authority as Host")
OVER_EVERY_WIRE(status, 2, "response_fields: :status; 204 has no DATA (response_has_no_body)")
OVER_EVERY_WIRE(streams, 3,
                "h2_connection.cpp read_body: a stream that waits returns NGHTTP2_ERR_DEFERRED "
                "and a connection timer resumes it (nghttp2_session_resume_data)")
