// Lab 13 tests: httpd against the real HTTP/2 peers a user would point at it: nghttp (the frames
// it sees, several requests on one connection, the Upgrade), curl's Upgrade declined for a body,
// and h2load (many streams on many connections: every answer 2xx).
#include <string>

#include "../12-http1/httpd_client.hpp"
#include "h2_client.hpp"
#include "peers.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace h2_test;
using httpd_test::start_httpd;

namespace {

int count(const std::string& text, std::string_view needle) {
  int n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

}  // namespace

SYSLAB_TEST(Peers, NghttpSeesOurSettingsAndTheResponse, 3,
            "h2_connection.cpp send_settings: SETTINGS_MAX_CONCURRENT_STREAMS 100, "
            "SETTINGS_MAX_HEADER_LIST_SIZE 65536 and the initial window, at the start",
            "flush: pull frames with nghttp2_session_mem_send and send them; on_input: the "
            "client's bytes into nghttp2_session_mem_recv") {
  auto server = start_httpd();
  const auto run = nghttp(server->port(), {"-nv"}, {"/"});
  ASSERT_TRUE(run.status.success()) << run.status << "\n" << run.out << run.err;
  EXPECT_NE(run.out.find("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("SETTINGS_MAX_HEADER_LIST_SIZE(0x06):65536"), std::string::npos);
  EXPECT_NE(run.out.find("SETTINGS_INITIAL_WINDOW_SIZE(0x04):1048577"), std::string::npos);
  EXPECT_NE(run.out.find(":status: 200"), std::string::npos);
  EXPECT_NE(run.out.find("recv DATA frame <length=6, flags=0x01"), std::string::npos)
      << "the 6 bytes of index.html in one DATA frame with END_STREAM";
}

SYSLAB_TEST(Peers, NghttpManyRequestsOnOneConnection, 3,
            "Streams are independent: each gets its own Stream, answered when its request "
            "ends; the streams' DATA interleave",
            "nghttp -m 20 sends the same request 20 times at once on one connection.") {
  auto server = start_httpd();
  const auto run =
      nghttp(server->port(), {"-ns", "-m", "20"}, {"/delay?ms=30", "/stream?n=2&ms=5"});
  ASSERT_TRUE(run.status.success()) << run.status << "\n" << run.out << run.err;
  EXPECT_EQ(count(run.out, " 200 "), 40) << run.out;
}

SYSLAB_TEST(Peers, NghttpUpgradesAndGoesOnInHttp2, 3,
            "h2_server.cpp upgrade: a request with Upgrade: h2c and a valid HTTP2-Settings "
            "becomes stream 1 (Http2Connection::start_upgraded: the 101, SETTINGS, the response)",
            "After the 101 the same connection is HTTP/2: the client's preface comes, then more "
            "streams (3, 5 ...).") {
  auto server = start_httpd();
  const auto run = nghttp(server->port(), {"-nuv"}, {"/", "/status/201"});
  ASSERT_TRUE(run.status.success()) << run.status << "\n" << run.out << run.err;
  EXPECT_NE(run.out.find("HTTP Upgrade response"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("HTTP Upgrade success"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("(stream_id=1) :status: 200"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(":status: 201"), std::string::npos) << run.out;
}

SYSLAB_TEST(Peers, UpgradeWithABodyStaysHttp1, 2,
            "h2c_upgrade_settings refuses a request with a body: it is answered in HTTP/1.1",
            "The Http1Connection answers it as any other request: no 101.") {
  auto server = start_httpd();
  const Fetched got = curl(Wire::kH2cUpgrade, server->port(), "POST", "/echo", "a body");
  EXPECT_EQ(got.version, "1.1") << got.head;
  EXPECT_EQ(got.body, "a body");
  // And without a body the same client does switch.
  EXPECT_EQ(curl(Wire::kH2cUpgrade, server->port(), "GET", "/").version, "2");
}

SYSLAB_TEST(Peers, InvalidHttp2SettingsStaysHttp1, 2,
            "h2c_upgrade_settings: HTTP2-Settings must be base64url of whole 6-byte settings; "
            "anything else: nullopt, and the request is answered in HTTP/1.1",
            "A 101 to a request whose settings cannot be read would leave the client talking "
            "HTTP/2 to a session that refused them.") {
  auto server = start_httpd();
  httpd_test::RawClient client(server->port());
  client.send(httpd_test::get("/",
                              "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                              "HTTP2-Settings: not*base64\r\n"));
  const auto response = client.read_response();
  EXPECT_EQ(response.status, 200) << response.head;
  EXPECT_EQ(response.head.substr(0, 8), "http/1.1");
  EXPECT_EQ(response.body, "hello\n");
}

SYSLAB_TEST(Peers, H2loadEveryResponse2xx, 3,
            "Many connections, many streams each: every stream is answered, none refused",
            "h2load -c 8 -m 10: 80 streams at once; each response must be 2xx.") {
  auto server = start_httpd();
  RunOptions options;
  options.timeout = std::chrono::seconds(30);
  const auto run =
      run_program({tool("h2load"), "-n", "2000", "-c", "8", "-m", "10", "-T", "8",
                   "http://127.0.0.1:" + std::to_string(server->port()) + "/status/200"},
                  options);
  ASSERT_TRUE(run.status.success()) << run.status << "\n" << run.out << run.err;
  EXPECT_NE(run.out.find("2000 succeeded, 0 failed, 0 errored, 0 timeout"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("status codes: 2000 2xx"), std::string::npos) << run.out;
}
SYSLAB_TIMEOUT(Peers, H2loadEveryResponse2xx, 40);

SYSLAB_TEST(Peers, H2loadOnIoThreads, 2,
            "httpd --threads 2: each connection's Http2Connection lives on its own I/O loop; the "
            "handler and the access log are shared by every loop",
            "Under ThreadSanitizer (make tsan LAB=13) this finds state shared without a lock.") {
  auto server = start_httpd({"--threads", "2"});
  RunOptions options;
  options.timeout = std::chrono::seconds(30);
  const auto run =
      run_program({tool("h2load"), "-n", "1000", "-c", "8", "-m", "10", "-T", "8",
                   "http://127.0.0.1:" + std::to_string(server->port()) + "/stream?n=2&ms=1"},
                  options);
  ASSERT_TRUE(run.status.success()) << run.status << "\n" << run.out << run.err;
  EXPECT_NE(run.out.find("status codes: 1000 2xx"), std::string::npos) << run.out;
}
SYSLAB_TIMEOUT(Peers, H2loadOnIoThreads, 40);
