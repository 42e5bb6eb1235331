// Lab 13 tests: a page's assets before the page. httpd --preload /app.js names an asset of every
// page; --early-hints sends a 103 with "Link: </app.js>; rel=preload" before the page's 200 (curl
// -v sees both, over HTTP/1.1 and HTTP/2); --push, over HTTP/2, promises /app.js on the page's
// stream (PUSH_PROMISE) and sends its response on the promised stream (nghttp -v sees the
// promise, the pushed stream's head and its bytes), unless the client said SETTINGS_ENABLE_PUSH 0.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "../12-http1/httpd_client.hpp"
#include "h2_client.hpp"
#include "peers.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace h2_test;
using httpd_test::start_httpd;

namespace {

// The asset the page preloads: its bytes are what the pushed stream must carry.
constexpr std::string_view kAsset = "console.log('pushed with the page');\n";

// httpd serving web_root() with /app.js in it, and the options given.
// With --access-log in options, the log goes there (else none: --quiet).
std::unique_ptr<httpd_test::ServerProcess> start_with_asset(std::vector<std::string> options) {
  write_file(httpd_test::web_root() + "/app.js", std::string(kAsset));
  const bool logged = std::find(options.begin(), options.end(), "--access-log") != options.end();
  return start_httpd(std::move(options), !logged);
}

bool contains(const std::string& text, std::string_view needle) {
  return text.find(needle) != std::string::npos;
}

// curl -v on wire: its stderr (the heads it received, "< " lines) and stdout (the body).
ProgramResult curl_verbose(const std::string& wire, std::uint16_t port, const std::string& path) {
  return run_program({tool("curl"), "-sv", "--max-time", "8", wire,
                      "http://127.0.0.1:" + std::to_string(port) + path});
}

// The "< " lines of curl -v, lowercased: the heads in the order they came.
std::string received_heads(const ProgramResult& run) {
  std::string heads;
  std::size_t at = 0;
  while (at < run.err.size()) {
    std::size_t end = run.err.find('\n', at);
    if (end == std::string::npos) end = run.err.size();
    const std::string line = run.err.substr(at, end - at);
    if (line.starts_with("< ")) {
      for (const char c : line)
        heads += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      heads += '\n';
    }
    at = end + 1;
  }
  return heads;
}

void expect_103_then_200(const std::string& heads, std::string_view interim,
                         std::string_view final) {
  const std::size_t hints = heads.find(interim);
  const std::size_t link = heads.find("< link: </app.js>; rel=preload; as=script");
  const std::size_t page = heads.find(final);
  ASSERT_NE(hints, std::string::npos) << "no 103 Early Hints; curl saw:\n" << heads;
  ASSERT_NE(link, std::string::npos) << "no Link preload field; curl saw:\n" << heads;
  ASSERT_NE(page, std::string::npos) << "no 200; curl saw:\n" << heads;
  EXPECT_LT(hints, link) << heads;
  EXPECT_LT(link, page) << "the Link belongs to the 103, before the 200; curl saw:\n" << heads;
}

}  // namespace

SYSLAB_TEST(Preloads, PushPromisesTheAssetAndSendsItsBytes, 3,
            "h2_connection.cpp push_preloads: for each asset of the page (preloads_for), "
            "nghttp2_submit_push_promise on the page's stream with the promised request's "
            ":method, :scheme, :authority and :path; the id it returns is a new stream",
            "the promised stream needs its own Stream (request: promised_request) and a response "
            "from the handler (respond), as if the client had asked for /app.js",
            "try it: httpd --root DIR --preload /app.js --push, then nghttp -v -a "
            "http://127.0.0.1:PORT/ shows PUSH_PROMISE, then HEADERS and DATA on stream 2") {
  auto server = start_with_asset({"--preload", "/app.js", "--push"});
  const auto run = nghttp(server->port(), {"-v", "-a"}, {"/"});
  ASSERT_TRUE(run.status.success()) << run.status << "\n" << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "recv PUSH_PROMISE frame <length=")) << run.out;
  EXPECT_TRUE(contains(run.out, "promised_stream_id=2")) << run.out;
  EXPECT_TRUE(contains(run.out, "(stream_id=13) :path: /app.js"))
      << "the promise names the asset: its :path; nghttp said:\n"
      << run.out;
  EXPECT_TRUE(contains(run.out, "(stream_id=2) :status: 200")) << run.out;
  EXPECT_TRUE(contains(run.out, "recv DATA frame <length=" + std::to_string(kAsset.size()) +
                                    ", flags=0x01, stream_id=2>"))
      << "the pushed stream carries the asset's bytes, all of them; nghttp said:\n"
      << run.out;
  EXPECT_TRUE(contains(run.out, kAsset)) << "the asset itself, as nghttp wrote it:\n" << run.out;
  EXPECT_TRUE(contains(run.out, "(stream_id=13) :status: 200")) << "and the page as usual";
  EXPECT_EQ(server->stop().describe(), "exited 0");
}

SYSLAB_TEST(Preloads, NoPushWhenTheClientDisablesIt, 2,
            "a client that sends SETTINGS_ENABLE_PUSH = 0 (nghttp --no-push; every browser "
            "today) must get no PUSH_PROMISE (RFC 9113 §6.5.2): read it with "
            "nghttp2_session_get_remote_settings before promising",
            "the page itself is answered as usual: a refused push is not an error of the page",
            "nghttp2 drops a PUSH_PROMISE the client refused when it comes to send it, but by "
            "then the handler has made the asset's response for nothing: the access log shows "
            "it. Look before you promise") {
  const TempDir logs;
  auto server =
      start_with_asset({"--preload", "/app.js", "--push", "--access-log", logs / "access.log"});
  const auto run = nghttp(server->port(), {"-v", "--no-push"}, {"/"});
  ASSERT_TRUE(run.status.success()) << run.status << "\n" << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "SETTINGS_ENABLE_PUSH(0x02):0")) << run.out;
  EXPECT_FALSE(contains(run.out, "recv PUSH_PROMISE")) << run.out;
  EXPECT_TRUE(contains(run.out, "(stream_id=13) :status: 200")) << run.out;
  EXPECT_TRUE(contains(run.out, "hello\n")) << "the page's body; nghttp said:\n" << run.out;
  EXPECT_EQ(server->stop().describe(), "exited 0");
  const std::string log = read_file(logs / "access.log");  // complete: the server has exited
  EXPECT_TRUE(contains(log, "\"GET / HTTP/2.0\" 200")) << log;
  EXPECT_FALSE(contains(log, "/app.js")) << "no push, no response made for one; the log:\n" << log;
}

SYSLAB_TEST(Preloads, EarlyHintsAloneDoNotPush, 2,
            "without --push nothing is pushed, even to a client that allows it: --early-hints "
            "only announces the asset (a 103 on the page's stream), the client fetches it if it "
            "wants",
            "h2_connection.cpp send_early_hints: nghttp2_submit_headers, not a push") {
  auto server = start_with_asset({"--preload", "/app.js", "--early-hints"});
  const auto run = nghttp(server->port(), {"-v"}, {"/"});
  ASSERT_TRUE(run.status.success()) << run.status << "\n" << run.out << run.err;
  EXPECT_FALSE(contains(run.out, "recv PUSH_PROMISE")) << run.out;
  EXPECT_TRUE(contains(run.out, "(stream_id=13) :status: 103")) << run.out;
  EXPECT_TRUE(contains(run.out, "(stream_id=13) :status: 200")) << run.out;
  EXPECT_EQ(server->stop().describe(), "exited 0");
}

SYSLAB_TEST(Preloads, OnlyPagesComeWithTheirAssets, 1,
            "preloads.cpp preloads_for: a page is a GET of a path ending in / or .html; an "
            "asset asked for itself comes alone (else each push would push again)",
            "HEAD renders nothing: no preload either") {
  auto server = start_with_asset({"--preload", "/app.js", "--push", "--early-hints"});
  const auto asset = nghttp(server->port(), {"-v"}, {"/app.js"});
  ASSERT_TRUE(asset.status.success()) << asset.status << "\n" << asset.out << asset.err;
  EXPECT_FALSE(contains(asset.out, "recv PUSH_PROMISE")) << asset.out;
  EXPECT_FALSE(contains(asset.out, ":status: 103")) << asset.out;
  const auto page = nghttp(server->port(), {"-v"}, {"/index.html"});
  ASSERT_TRUE(page.status.success()) << page.status << "\n" << page.out << page.err;
  EXPECT_TRUE(contains(page.out, "(stream_id=13) :path: /app.js")) << page.out;
  EXPECT_TRUE(contains(page.out, "(stream_id=13) :status: 103")) << page.out;
}

SYSLAB_TEST(EarlyHints, CurlSees103Then200OverHttp1, 2,
            "lab 12's Http1Connection sends the 103 its early_hints hook gives before it calls "
            "the handler; lab 13's server sets the hook (early_hint_fields) with --early-hints",
            "preloads.cpp early_hint_fields: one Link field per asset, preload_link's value",
            "no 103 to an HTTP/1.0 client: it would take the 103 for the answer") {
  auto server = start_with_asset({"--preload", "/app.js", "--early-hints"});
  const auto run = curl_verbose("--http1.1", server->port(), "/");
  ASSERT_TRUE(run.status.success()) << run.status << "\n" << run.err;
  expect_103_then_200(received_heads(run), "< http/1.1 103 early hints", "< http/1.1 200 ok");
  EXPECT_EQ(run.out, "hello\n");
  const auto old = curl_verbose("--http1.0", server->port(), "/");
  ASSERT_TRUE(old.status.success()) << old.status << "\n" << old.err;
  EXPECT_FALSE(contains(received_heads(old), " 103")) << received_heads(old);
  EXPECT_EQ(server->stop().describe(), "exited 0");
}

SYSLAB_TEST(EarlyHints, CurlSees103Then200OverHttp2, 2,
            "h2_connection.cpp send_early_hints: a HEADERS frame with :status 103 and the link "
            "fields, without END_STREAM (nghttp2_submit_headers), before the response",
            "nghttp2 knows a 1xx is not final: the response's HEADERS may follow on the stream") {
  auto server = start_with_asset({"--preload", "/app.js", "--early-hints"});
  const auto run = curl_verbose("--http2-prior-knowledge", server->port(), "/");
  ASSERT_TRUE(run.status.success()) << run.status << "\n" << run.err;
  expect_103_then_200(received_heads(run), "< http/2 103", "< http/2 200");
  EXPECT_EQ(run.out, "hello\n");
  EXPECT_EQ(server->stop().describe(), "exited 0");
}
