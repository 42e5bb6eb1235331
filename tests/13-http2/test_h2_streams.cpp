// Lab 13 tests: HTTP/2 frame by frame (a raw client, h2_client.hpp): the SETTINGS we announce,
// PING, streams multiplexed, flow control for a 1 MiB upload and a window that reopens only as
// the handler takes the body, the body limit, RST_STREAM, the idle GOAWAY, and the two-step
// GOAWAY of a graceful stop.
#include <signal.h>

#include <string>

#include "../12-http1/httpd_client.hpp"
#include "h2_client.hpp"
#include "syslab/echo_client.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace h2_test;
using httpd_test::start_httpd;

namespace {

// Reads until the server's SETTINGS and its connection WINDOW_UPDATE have both come.
void read_server_start(Client& client) {
  bool settings = false;
  bool window = false;
  while (!settings || !window) {
    const auto got = client.read_frame();
    ASSERT_TRUE(got) << "the server closed the connection at the start";
    client.take(*got);
    settings = settings || (got->type == kSettings && !got->has(kAck));
    window = window || (got->type == kWindowUpdate && got->stream == 0);
  }
}

}  // namespace

SYSLAB_TEST(Frames, ServerStartsWithItsSettings, 2,
            "h2_connection.cpp send_settings: SETTINGS first (RFC 9113 §3.4: the server's "
            "preface), then the connection's window raised with WINDOW_UPDATE on stream 0",
            "nghttp2_submit_settings with MAX_CONCURRENT_STREAMS, MAX_HEADER_LIST_SIZE, "
            "INITIAL_WINDOW_SIZE; nghttp2_session_set_local_window_size for the connection") {
  auto server = start_httpd();
  Client client(server->port());
  const auto first = client.read_frame();
  ASSERT_TRUE(first);
  ASSERT_EQ(first->type, kSettings) << "the first frame of the server";
  EXPECT_EQ(first->setting(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS), 100U);
  EXPECT_EQ(first->setting(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE), 65536U);
  ASSERT_TRUE(first->setting(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE));
  EXPECT_GT(*first->setting(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE), 1U << 20);
  const auto second = client.read_frame();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->type, kWindowUpdate);
  EXPECT_EQ(second->stream, 0);
}

SYSLAB_TEST(Frames, PingIsAnswered, 1,
            "nghttp2 answers PING itself once its bytes are fed in (mem_recv) and the ACK is "
            "pulled out (mem_send): both must happen on every read") {
  auto server = start_httpd();
  Client client(server->port());
  client.send(ping("syslab!!"));
  for (;;) {
    const auto got = client.read_frame();
    ASSERT_TRUE(got) << "closed before the PING ACK";
    if (got->type != kPing) continue;
    EXPECT_TRUE(got->has(kAck));
    EXPECT_EQ(got->payload, "syslab!!");
    break;
  }
}

SYSLAB_TEST(Frames, AFastStreamOvertakesASlowOne, 3,
            "Each stream is answered on its own: a /delay on stream 1 must not hold back "
            "stream 3 (no head-of-line blocking between streams, unlike HTTP/1.1 pipelining)",
            "read_body returns NGHTTP2_ERR_DEFERRED for the waiting stream; the loop goes on "
            "serving the others; a timer resumes it.") {
  auto server = start_httpd();
  Client client(server->port());
  client.get(1, "/delay?ms=1500");
  client.get(3, "/");
  const Response fast = client.response(3);
  EXPECT_EQ(fast.status, 200);
  EXPECT_EQ(fast.body, "hello\n");
  for (const Frame& frame : client.seen()) {
    EXPECT_FALSE(frame.stream == 1 && frame.has(kEndStream)) << "stream 1 ended first";
  }
  const Response slow = client.response(1);
  EXPECT_EQ(slow.body, "waited 1500 ms\n");
}

SYSLAB_TEST(
    Frames, OneMibUploadIsNotStalledByTheWindow, 3,
    "send_settings: SETTINGS_INITIAL_WINDOW_SIZE above the body limit (initial_window_for), "
    "and the connection's window raised: 1 MiB may be sent at once",
    "With the default 65 535 bytes, a client sending 1 MiB without waiting breaks flow "
    "control: nghttp2 answers FLOW_CONTROL_ERROR.") {
  auto server = start_httpd();
  Client client(server->port());
  read_server_start(client);
  const std::string body = echo::payload(1 << 20, 3);
  client.headers(1, request("POST", "/echo"), false);
  client.data(1, body, true);
  const Response echoed = client.response(1, std::chrono::seconds(10));
  EXPECT_EQ(echoed.status, 200);
  EXPECT_FALSE(echoed.reset) << "error " << echoed.error_code;
  EXPECT_FALSE(echo::first_difference(echoed.body, body)) << "1 MiB there and back";
}

SYSLAB_TEST(Frames, AStreamsWindowReopensWhenTheHandlerTakesTheBody, 2,
            "the session is made with nghttp2_option_set_no_auto_window_update: a stream's "
            "window reopens when answer() hands the body to the handler "
            "(nghttp2_session_consume_stream), not as its DATA arrives",
            "nghttp2's automatic WINDOW_UPDATE goes out once half a window has arrived, taken "
            "or not: flow control then bounds nothing the application holds",
            "Here 600 KiB of an upload arrive (over half of the 1 MiB window) and the stream is "
            "not ended: no WINDOW_UPDATE for it may come until it is.") {
  auto server = start_httpd();
  Client client(server->port());
  read_server_start(client);
  const std::string body = echo::payload(600 << 10, 5);
  client.headers(1, request("POST", "/echo"), false);
  client.data(1, body, false);
  // Two PING round trips: what the server sent on reading the DATA is in before the second ACK
  // (the first ACK may overtake a WINDOW_UPDATE queued with it: PING ACKs go out first).
  for (const std::string_view opaque : {"window01", "window02"}) {
    client.send(ping(opaque));
    for (;;) {
      const auto got = client.read_frame();
      ASSERT_TRUE(got) << "the server closed the connection";
      client.take(*got);
      if (got->type == kPing && got->has(kAck) && got->payload == opaque) break;
    }
  }
  for (const Frame& frame : client.seen()) {
    EXPECT_FALSE(frame.type == kWindowUpdate && frame.stream == 1)
        << "a WINDOW_UPDATE for stream 1 while its body is still waiting for the handler";
  }
  client.data(1, "", true);
  const Response echoed = client.response(1, std::chrono::seconds(10));
  EXPECT_EQ(echoed.status, 200);
  EXPECT_FALSE(echo::first_difference(echoed.body, body)) << "600 KiB there and back";
}

SYSLAB_TEST(Frames, ABodyOverTheLimitIs413, 2,
            "h2_connection.cpp take_data: past max_body (--max-body), answer 413 and stop "
            "taking the stream's DATA",
            "The window is one byte above the limit: the byte past it arrives and says so.") {
  auto server = start_httpd({"--max-body", "1000"});
  Client client(server->port());
  read_server_start(client);
  client.headers(1, request("POST", "/echo"), false);
  client.data(1, std::string(1001, 'x'), false);
  const Response refused = client.response(1);
  EXPECT_EQ(refused.status, 413);
  client.headers(3, request("POST", "/echo"), false);
  client.data(3, std::string(1000, 'y'), true);
  const Response taken = client.response(3);
  EXPECT_EQ(taken.status, 200) << "a body at the limit is taken";
  EXPECT_EQ(taken.body.size(), 1000U);
}

SYSLAB_TEST(Frames, HeadersOverTheListLimitResetTheStream, 2,
            "take_field: count field_size against max_header_list_size (64 KiB); over it, "
            "NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE resets that stream only",
            "The connection goes on: the next stream on it is answered.") {
  auto server = start_httpd();
  Client client(server->port());
  Fields big;
  for (int i = 0; i < 20; ++i)
    big.emplace_back("x-big-" + std::to_string(i), std::string(4000, 'a'));
  // One HEADERS of at most 16 384 bytes, then CONTINUATIONs (our encoder does not index them).
  Hpack hpack;
  const std::string block = hpack.encode(request("GET", "/", big));
  std::string frames = frame(kHeaders, kEndStream, 1, block.substr(0, 16384));
  for (std::size_t at = 16384; at < block.size(); at += 16384) {
    const bool last = at + 16384 >= block.size();
    frames += frame(kContinuation, last ? kEndHeaders : 0, 1, block.substr(at, 16384));
  }
  client.send(frames);
  const Response refused = client.response(1);
  EXPECT_TRUE(refused.reset) << "status " << refused.status;
  Client other(server->port());
  other.get(1, "/");
  EXPECT_EQ(other.response(1).status, 200);
}

SYSLAB_TEST(Frames, ResetStreamIsFreedAtOnce, 3,
            "h2_connection.cpp stream_closed: RST_STREAM closes the stream: cancel its timer and "
            "free it; with no stream left the connection is idle again",
            "Here the keep-alive timeout is 300 ms: once the reset /delay?ms=60000 is freed, the "
            "idle timer closes the connection with GOAWAY. A stream kept after its reset keeps "
            "the connection busy for a minute.") {
  auto server = start_httpd({"--keepalive-timeout", "300"});
  Client client(server->port());
  client.get(1, "/delay?ms=60000");
  for (;;) {  // the head comes at once; the body waits
    const auto got = client.read_frame();
    ASSERT_TRUE(got);
    client.take(*got);
    if (got->type == kHeaders && got->stream == 1) break;
  }
  client.send(rst_stream(1, NGHTTP2_CANCEL));
  ASSERT_TRUE(client.closed_by_server(std::chrono::seconds(5)))
      << "no GOAWAY and close after the idle timeout";
  const auto goaway = client.first(kGoaway);
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->error_code(), NGHTTP2_NO_ERROR);
  for (const Frame& frame : client.seen())
    EXPECT_NE(frame.type == kData && frame.stream == 1, true);
}

SYSLAB_TEST(Frames, IdleConnectionGetsGoawayAfterTheKeepAliveTimeout, 2,
            "arm_idle_timer when the last stream closes (and at the start); idle_timed_out: "
            "nghttp2_session_terminate_session(NO_ERROR), and close once the GOAWAY is out",
            "GOAWAY's last stream id is the last stream we processed (1 here).") {
  auto server = start_httpd({"--keepalive-timeout", "200"});
  Client client(server->port());
  client.get(1, "/");
  EXPECT_EQ(client.response(1).status, 200);
  ASSERT_TRUE(client.closed_by_server(std::chrono::seconds(5)));
  const auto goaway = client.first(kGoaway);
  ASSERT_TRUE(goaway) << "closed without a GOAWAY";
  EXPECT_EQ(goaway->error_code(), NGHTTP2_NO_ERROR);
  EXPECT_EQ(goaway->goaway_last_stream(), 1);
}

SYSLAB_TEST(Frames, GracefulStopSendsTwoGoawaysAndFinishesOpenStreams, 4,
            "h2_connection.cpp stop: GOAWAY with stream id 2^31-1 and a PING; at its ACK (or "
            "after goaway_wait) final_goaway: GOAWAY with the last stream id processed",
            "Streams up to that id finish (the /delay still gets its body); then the session "
            "wants neither to read nor to write, and flush closes the connection.",
            "RFC 9113 §6.8: the first GOAWAY says \"no new streams soon\", the second, one round "
            "trip later, names the last stream that will be answered.") {
  auto server = start_httpd();
  Client client(server->port());
  client.get(1, "/delay?ms=700");
  for (;;) {
    const auto got = client.read_frame();
    ASSERT_TRUE(got);
    client.take(*got);
    if (got->type == kHeaders && got->stream == 1) break;
  }
  server->signal(SIGTERM);
  std::vector<Frame> goaways;
  for (;;) {
    const auto got = client.read_frame(std::chrono::seconds(5));
    if (!got) break;    // closed
    client.take(*got);  // acks the PING
    if (got->type == kGoaway) goaways.push_back(*got);
  }
  ASSERT_EQ(goaways.size(), 2U) << "the notice, then the final GOAWAY";
  EXPECT_EQ(goaways[0].goaway_last_stream(), 0x7FFFFFFF);
  EXPECT_EQ(goaways[1].goaway_last_stream(), 1);
  EXPECT_EQ(goaways[1].error_code(), NGHTTP2_NO_ERROR);
  const Response finished = client.response(1, std::chrono::milliseconds(10));
  EXPECT_EQ(finished.body, "waited 700 ms\n") << "the open stream finished";
  EXPECT_TRUE(server->stop().success());
}
