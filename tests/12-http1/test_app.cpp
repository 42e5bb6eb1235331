// Lab 12 tests: the application's routes, called directly with Requests (no server): /echo,
// /headers as JSON, /stream and /delay driven by calling next() (no time passes: the tests read
// the waits each piece asks for), /status/NNN, and the static files behind every other GET.
#include <chrono>
#include <string>
#include <vector>

#include "app.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using http::BodyStream;
using http::Request;
using http::Response;
using Then = BodyStream::Piece::Then;
using std::chrono::milliseconds;

namespace {

Request request(std::string method, std::string target) {
  Request r;
  r.method = std::move(method);
  r.target = target;
  http::split_target(target, r.path, r.query);
  return r;
}

std::string text_of(const Response& response) {
  const auto* text = std::get_if<std::string>(&response.body);
  return text ? *text : "(not bytes)";
}

std::string header(const Response& response, std::string_view name) {
  return std::string(response.headers.get(name).value_or("(none)"));
}

// The stream of a response; fails the test (nullptr) when the body is not one.
BodyStream* stream_of(Response& response) {
  auto* stream = std::get_if<std::unique_ptr<BodyStream>>(&response.body);
  EXPECT_NE(stream, nullptr) << "the body must be a BodyStream";
  return stream != nullptr ? stream->get() : nullptr;
}

// Every piece of a stream, as the connection would ask for them (at most `limit`).
std::vector<BodyStream::Piece> drain(BodyStream& stream, int limit = 100) {
  std::vector<BodyStream::Piece> pieces;
  while (static_cast<int>(pieces.size()) < limit) {
    pieces.push_back(stream.next());
    if (pieces.back().then == Then::kEnd) break;
  }
  return pieces;
}

}  // namespace

SYSLAB_TEST(App, EchoSendsTheBodyBack, 1,
            "POST /echo: 200, the request's body and its Content-Type.",
            "No Content-Type in the request: application/octet-stream (RFC 9110 §8.3).") {
  const http::Router app = http::make_app({});
  Request post = request("POST", "/echo");
  post.body = std::string("a\0b{\"x\":1}", 10);
  post.headers.add("Content-Type", "application/json");
  const Response response = app(post);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(text_of(response), post.body);
  EXPECT_EQ(header(response, "Content-Type"), "application/json");
  post.headers = {};
  EXPECT_EQ(header(app(post), "Content-Type"), "application/octet-stream");
  EXPECT_EQ(app(request("GET", "/echo")).status, 405) << "without a root, GET /echo is 405";
}

SYSLAB_TEST(App, HeadersAsJsonInOrder, 2,
            "GET /headers: a JSON array of [name, value] pairs, in the order received, a "
            "repeated field kept as many times as it came.",
            "An object would merge the repeats and lose the order: use [[\"Host\",\"h\"],...].",
            "Exactly: [[\"Host\",\"h\"],[\"X-A\",\"1\"]] then a newline; Content-Type "
            "application/json.") {
  const http::Router app = http::make_app({});
  Request r = request("GET", "/headers");
  r.headers.add("Host", "example.test");
  r.headers.add("X-Twice", "1");
  r.headers.add("Accept", "*/*");
  r.headers.add("x-twice", "2");
  const Response response = app(r);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(header(response, "Content-Type"), "application/json");
  EXPECT_EQ(text_of(response),
            "[[\"Host\",\"example.test\"],[\"X-Twice\",\"1\"],[\"Accept\",\"*/*\"],"
            "[\"x-twice\",\"2\"]]\n");
  EXPECT_EQ(text_of(app(request("GET", "/headers"))), "[]\n");
}

SYSLAB_TEST(App, HeadersJsonIsEscaped, 2,
            "Quotes, backslashes, control characters and bytes above 0x7F must be escaped "
            "(RFC 8259 §7), or the JSON is broken, or not UTF-8.",
            "\\\" \\\\ \\n \\t ..., \\u00XX for the other control bytes and for bytes from 0x7F "
            "up (obs-text, RFC 9110 §5.5, read as ISO-8859-1).") {
  const http::Router app = http::make_app({});
  Request r = request("GET", "/headers");
  r.headers.add("X-Q", "say \"hi\" \\ bye");
  r.headers.add("X-C", std::string("a\tb\x01\x7f\xe9", 6));
  EXPECT_EQ(text_of(app(r)),
            "[[\"X-Q\",\"say \\\"hi\\\" \\\\ bye\"],[\"X-C\",\"a\\tb\\u0001\\u007f\\u00e9\"]]\n");
  EXPECT_EQ(http::json_string("line\nfeed\r\b\f"), "\"line\\nfeed\\r\\b\\f\"");
  EXPECT_EQ(http::json_string(std::string(1, '\0')), "\"\\u0000\"");
}

SYSLAB_TEST(App, StreamSendsChunksOnATimer, 3,
            "/stream?n=3&ms=250: a BodyStream whose pieces are the chunks, each but the last "
            "asking to be called again after 250 ms (Piece::after); the last one ends it.",
            "Never sleep in next(): the connection's timer calls it again, and the loop serves "
            "other connections meanwhile.",
            "\"chunk 1 of 3\\n\" with Piece::after(250ms), \"chunk 2 of 3\\n\" likewise, then "
            "Piece::end(\"chunk 3 of 3\\n\").") {
  const http::Router app = http::make_app({});
  Response response = app(request("GET", "/stream?n=3&ms=250"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(header(response, "Content-Type"), "text/plain; charset=utf-8");
  BodyStream* stream = stream_of(response);
  ASSERT_NE(stream, nullptr);
  const auto pieces = drain(*stream);
  ASSERT_EQ(pieces.size(), 3U);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(pieces[i].bytes, "chunk " + std::to_string(i + 1) + " of 3\n");
  }
  EXPECT_EQ(pieces[0].then, Then::kWait);
  EXPECT_EQ(pieces[0].wait, milliseconds(250));
  EXPECT_EQ(pieces[1].then, Then::kWait);
  EXPECT_EQ(pieces[1].wait, milliseconds(250));
  EXPECT_EQ(pieces[2].then, Then::kEnd);
}

SYSLAB_TEST(App, StreamDefaultsAndEdges, 1,
            "No parameters: 5 chunks, 100 ms apart. n=0: a body that ends at once, empty.",
            "An absent parameter takes its default; only a present, bad one is an error.") {
  const http::Router app = http::make_app({});
  Response defaults = app(request("GET", "/stream"));
  BodyStream* stream = stream_of(defaults);
  ASSERT_NE(stream, nullptr);
  const auto pieces = drain(*stream);
  ASSERT_EQ(pieces.size(), 5U);
  EXPECT_EQ(pieces[0].wait, milliseconds(100));
  EXPECT_EQ(pieces[4].bytes, "chunk 5 of 5\n");
  Response none = app(request("GET", "/stream?ms=5&n=0"));
  BodyStream* empty = stream_of(none);
  ASSERT_NE(empty, nullptr);
  const auto nothing = drain(*empty);
  ASSERT_EQ(nothing.size(), 1U);
  EXPECT_EQ(nothing[0].then, Then::kEnd);
  EXPECT_EQ(nothing[0].bytes, "");
}

SYSLAB_TEST(App, StreamRefusesBadParameters, 2,
            "n and ms must be numbers within bounds (n <= 1000, ms <= 60000): anything else is "
            "400, before any stream starts.",
            "Digits only: no sign, not empty; mind an overflow while reading a long number.") {
  const http::Router app = http::make_app({});
  for (const char* target :
       {"/stream?n=-1", "/stream?n=abc", "/stream?n=", "/stream?n=1001", "/stream?ms=60001",
        "/stream?n=3&ms=99999999999999999999", "/stream?n=+3", "/stream?n=3x"}) {
    EXPECT_EQ(app(request("GET", target)).status, 400) << target;
  }
  EXPECT_EQ(app(request("GET", "/stream?n=1000&ms=60000")).status, 200);
  http::AppOptions tight;
  tight.max_stream_chunks = 2;
  EXPECT_EQ(http::make_app(tight)(request("GET", "/stream?n=3")).status, 400);
}

SYSLAB_TEST(App, DelayWaitsThenEnds, 2,
            "/delay?ms=1500: the first piece is empty and asks for a 1500 ms wait; the next "
            "ends the body with \"waited 1500 ms\\n\".",
            "The wait is the loop's timer (Piece::after), not a sleep.",
            "ms is bounded like /stream's: ms=60001 or ms=x is 400.") {
  const http::Router app = http::make_app({});
  Response response = app(request("GET", "/delay?ms=1500"));
  EXPECT_EQ(response.status, 200);
  BodyStream* stream = stream_of(response);
  ASSERT_NE(stream, nullptr);
  const auto pieces = drain(*stream);
  ASSERT_EQ(pieces.size(), 2U);
  EXPECT_EQ(pieces[0].then, Then::kWait);
  EXPECT_EQ(pieces[0].wait, milliseconds(1500));
  EXPECT_EQ(pieces[0].bytes, "");
  EXPECT_EQ(pieces[1].then, Then::kEnd);
  EXPECT_EQ(pieces[1].bytes, "waited 1500 ms\n");
  EXPECT_EQ(app(request("GET", "/delay?ms=60001")).status, 400);
  EXPECT_EQ(app(request("GET", "/delay?ms=x")).status, 400);
}

SYSLAB_TEST(App, StatusGivesThatStatus, 2,
            "/status/NNN answers with status NNN and a short text body.",
            "204 and 304 have no content (RFC 9110 §6.4.1): an empty body.",
            "Only 200-599 can be a final response: anything else (1xx, 600, not three digits) "
            "is 400.") {
  const http::Router app = http::make_app({});
  const Response teapot = app(request("GET", "/status/418"));
  EXPECT_EQ(teapot.status, 418);
  EXPECT_TRUE(text_of(teapot).starts_with("418")) << text_of(teapot);
  EXPECT_EQ(app(request("GET", "/status/503")).status, 503);
  for (const int empty : {204, 304}) {
    const Response response = app(request("GET", "/status/" + std::to_string(empty)));
    EXPECT_EQ(response.status, empty);
    EXPECT_EQ(text_of(response), "");
    EXPECT_FALSE(response.headers.contains("Content-Type")) << empty;
  }
  for (const char* bad : {"/status/100", "/status/199", "/status/600", "/status/20", "/status/2000",
                          "/status/abc", "/status/", "/status/-20"}) {
    EXPECT_EQ(app(request("GET", bad)).status, 400) << bad;
  }
}

SYSLAB_TEST(App, StaticFilesForEveryOtherGet, 2,
            "With a root, every GET or HEAD path that no route has is a file of the root.",
            "The static route comes last: /headers stays the route even if a file has that "
            "name; another method on a file is 405.") {
  const TempDir root;
  write_file(root / "page.html", "<h1>hi</h1>\n");
  write_file(root / "headers", "a file\n");
  http::AppOptions options;
  options.root = root.path();
  const http::Router app = http::make_app(options);
  const Response page = app(request("GET", "/page.html"));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(header(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(http::known_length(page.body), 12U);
  EXPECT_EQ(app(request("HEAD", "/page.html")).status, 200);
  EXPECT_EQ(app(request("GET", "/nothing")).status, 404);
  EXPECT_EQ(app(request("GET", "/%2e%2e/x")).status, 400);
  EXPECT_EQ(app(request("PUT", "/page.html")).status, 405);
  EXPECT_EQ(header(app(request("GET", "/headers")), "Content-Type"), "application/json");
  EXPECT_EQ(app(request("GET", "/page.html")).status, 200);
  EXPECT_EQ(http::make_app({})(request("GET", "/page.html")).status, 404) << "no root: no files";
  options.root = root / "missing";
  EXPECT_THROW((void)http::make_app(options), std::system_error);
}
