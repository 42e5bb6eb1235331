// Lab 12 tests: valid requests. Each one of a corpus is fed whole, byte by byte, and in random
// pieces (the seed is printed: SYSLAB_SEED=N repeats it), and every way must give the same
// request: a connection's reads cut the bytes anywhere, even inside a field name or a CRLF.
// Then several requests in one read (pipelining), keep-alive, and Expect: 100-continue.
#include <string>
#include <vector>

#include "parse_util.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace http_test;
using http::Headers;
using http::Request;

namespace {

struct Case {
  std::string name;
  std::string bytes;
  Request expected;
  bool keep_alive = true;
  int continues = 0;
};

Headers headers(std::initializer_list<std::pair<std::string, std::string>> fields) {
  Headers h;
  for (const auto& [name, value] : fields) h.add(name, value);
  return h;
}

Request request(std::string method, std::string target, std::string path, std::string query,
                Headers fields, std::string body = {}, http::Version version = {1, 1},
                Headers trailers = {}) {
  Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.path = std::move(path);
  r.query = std::move(query);
  r.version = version;
  r.headers = std::move(fields);
  r.body = std::move(body);
  r.trailers = std::move(trailers);
  return r;
}

bool same(const Request& a, const Request& b) {
  return a.method == b.method && a.target == b.target && a.path == b.path && a.query == b.query &&
         a.version == b.version && a.headers == b.headers && a.body == b.body &&
         a.trailers == b.trailers;
}

const std::vector<Case>& corpus() {
  static const std::vector<Case> cases = {
      {"simple GET", "GET / HTTP/1.1\r\nHost: example.test\r\n\r\n",
       request("GET", "/", "/", "", headers({{"Host", "example.test"}}))},
      {"query, repeated fields, case kept, empty and padded values",
       "GET /search?q=a%20b&n=1 HTTP/1.1\r\nHost: a\r\nAccept: text/html\r\naccept: text/plain\r\n"
       "X-Empty:\r\nX-Padded:   padded value \t\r\n\r\n",
       request("GET", "/search?q=a%20b&n=1", "/search", "q=a%20b&n=1",
               headers({{"Host", "a"},
                        {"Accept", "text/html"},
                        {"accept", "text/plain"},
                        {"X-Empty", ""},
                        {"X-Padded", "padded value"}}))},
      {"POST with Content-Length",
       "POST /form HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n"
       "hello world",
       request("POST", "/form", "/form", "",
               headers({{"Host", "a"}, {"Content-Type", "text/plain"}, {"Content-Length", "11"}}),
               "hello world")},
      {"chunked, with extensions and trailers",
       "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5;name=value\r\nhello\r\nA;ext\r\n, chunked!\r\n0\r\nChecksum: abc\r\nX-Count: 2\r\n\r\n",
       request("POST", "/upload", "/upload", "",
               headers({{"Host", "a"}, {"Transfer-Encoding", "chunked"}}), "hello, chunked!",
               {1, 1}, headers({{"Checksum", "abc"}, {"X-Count", "2"}}))},
      {"chunked, CRLF inside the data, Chunked in capitals",
       "PUT /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
       "4\r\na\r\nb\r\n1\r\n\n\r\n0\r\n\r\n",
       request("PUT", "/f", "/f", "", headers({{"Host", "a"}, {"Transfer-Encoding", "Chunked"}}),
               "a\r\nb\n")},
      {"HTTP/1.0 with keep-alive", "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
       request("GET", "/old", "/old", "", headers({{"Connection", "keep-alive"}}), "", {1, 0})},
      {"HTTP/1.0 without keep-alive", "GET /old HTTP/1.0\r\n\r\n",
       request("GET", "/old", "/old", "", {}, "", {1, 0}), false},
      {"Connection: close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
       request("GET", "/", "/", "", headers({{"Host", "a"}, {"Connection", "close"}})), false},
      {"absolute-form target", "GET http://a.test/x/y?z=1 HTTP/1.1\r\nHost: a.test\r\n\r\n",
       request("GET", "http://a.test/x/y?z=1", "/x/y", "z=1", headers({{"Host", "a.test"}}))},
      {"asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
       request("OPTIONS", "*", "*", "", headers({{"Host", "a"}}))},
      {"an empty line before the request line (RFC 9112 §2.2)",
       "\r\nDELETE /x HTTP/1.1\r\nHost: a\r\n\r\n",
       request("DELETE", "/x", "/x", "", headers({{"Host", "a"}}))},
      {"Content-Length: 0", "POST /empty HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
       request("POST", "/empty", "/empty", "", headers({{"Host", "a"}, {"Content-Length", "0"}}))},
      {"obs-text in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9\r\n\r\n",
       request("GET", "/", "/", "", headers({{"Host", "a"}, {"X-Name", "caf\xc3\xa9"}}))},
      {"Expect: 100-continue",
       "POST /big HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
       request("POST", "/big", "/big", "",
               headers({{"Host", "a"}, {"Expect", "100-continue"}, {"Content-Length", "3"}}),
               "abc"),
       true, 1},
  };
  return cases;
}

// Checks one way of feeding every corpus case.
template <typename Feed>
void check_corpus(const std::string& how, Feed feed) {
  for (const Case& c : corpus()) {
    SCOPED_TRACE("corpus case \"" + c.name + "\", fed " + how);
    const Outcome outcome = feed(c.bytes);
    ASSERT_FALSE(outcome.error) << "refused with " << outcome.error->status << ": "
                                << outcome.error->reason;
    ASSERT_EQ(outcome.requests.size(), 1u) << describe(outcome);
    EXPECT_TRUE(same(outcome.requests[0], c.expected))
        << "got:      " << describe(outcome.requests[0]) << "\nexpected: " << describe(c.expected);
    EXPECT_EQ(outcome.keep_alive[0], c.keep_alive) << "keep-alive";
    EXPECT_EQ(outcome.continues, c.continues) << "100-continue events";
    EXPECT_TRUE(outcome.idle) << "the parser should be between requests at the end";
  }
}

}  // namespace

SYSLAB_TEST(Corpus, WholeRequests, 3,
            "Each request of the corpus arrives in one read. Start with the llhttp callbacks in "
            "http1_parser.cpp: on_header_field, on_header_value and their *_complete.",
            "A field is whole at on_header_value_complete: add it (headers, or trailers after the "
            "last chunk), then clear field_ and value_ for the next one.",
            "The value ends with its optional whitespace: strip the SP and HT at its end.") {
  check_corpus("whole", [](const std::string& bytes) { return parse_whole(bytes); });
}

SYSLAB_TEST(Corpus, ByteByByte, 3,
            "Every byte is a read of its own: llhttp reports a name or a value in several pieces.",
            "Append each piece to field_ / value_; never assign, and never assume a callback "
            "brings a whole name.",
            "The field is complete only at on_header_value_complete.") {
  check_corpus("byte by byte", [](const std::string& bytes) { return parse_bytewise(bytes); });
}

SYSLAB_TEST(Corpus, RandomSplits, 3,
            "Random cuts, as a real network gives: the seed is in the failure message; run again "
            "with SYSLAB_SEED=<seed> to get the same cuts.",
            "If whole and byte-by-byte pass but this fails, look for state kept across reads.") {
  const std::uint32_t seed = test_seed();
  for (std::uint32_t round = 0; round < 50; ++round) {
    const std::uint32_t s = seed + round;
    check_corpus(
        "in random pieces, seed " + std::to_string(s) + " (SYSLAB_SEED=" + std::to_string(s) + ")",
        [s](const std::string& bytes) { return parse_random(bytes, s); });
    if (HasFailure()) return;
  }
}

SYSLAB_TEST(Pipelining, SeveralRequestsInOneRead, 3,
            "Three requests in one read: feed returns at the end of the first with `consumed`; "
            "the rest is fed again.",
            "Does a new request start with empty fields and body? on_message_begin resets them; "
            "your field_ and value_ must be empty after each field.",
            "One read is not one request: never drop the bytes after the first one.") {
  const std::string bytes = get_request("/one") +
                            "POST /two HTTP/1.1\r\nHost: test.example\r\nContent-Length: 5\r\n\r\n"
                            "hello" +
                            get_request("/three", "Connection: close\r\n");
  for (const auto& [how, outcome] :
       {std::pair{"whole", parse_whole(bytes)}, std::pair{"byte by byte", parse_bytewise(bytes)}}) {
    SCOPED_TRACE(how);
    ASSERT_FALSE(outcome.error) << describe(outcome);
    ASSERT_EQ(outcome.requests.size(), 3u) << describe(outcome);
    EXPECT_EQ(outcome.requests[0].path, "/one");
    EXPECT_EQ(outcome.requests[0].body, "");
    EXPECT_EQ(outcome.requests[1].path, "/two");
    EXPECT_EQ(outcome.requests[1].body, "hello");
    EXPECT_EQ(outcome.requests[2].path, "/three");
    EXPECT_EQ(outcome.requests[2].headers.size(), 2u) << describe(outcome.requests[2]);
    EXPECT_EQ(outcome.keep_alive, (std::vector<bool>{true, true, false}));
  }
}

SYSLAB_TEST(Pipelining, ConsumedEndsAtTheFirstRequest, 2,
            "feed() stops at the end of a request and says how many bytes it used.",
            "The consumed count is where llhttp paused: everything after it is the next request.") {
  const std::string first = get_request("/a");
  const std::string second = get_request("/b");
  http::Http1Parser parser;
  const auto result = parser.feed(first + second);
  ASSERT_EQ(result.event, http::Http1Parser::Event::kRequest);
  EXPECT_EQ(result.consumed, first.size());
  EXPECT_EQ(parser.take_request().path, "/a");
  const auto next = parser.feed(std::string_view(second));
  ASSERT_EQ(next.event, http::Http1Parser::Event::kRequest);
  EXPECT_EQ(next.consumed, second.size());
  EXPECT_EQ(parser.take_request().path, "/b");
}

SYSLAB_TEST(KeepAlive, DecidedPerRequest, 2,
            "RFC 9112 §9.3: HTTP/1.1 stays open unless a Connection field has the token close; "
            "HTTP/1.0 closes unless it has keep-alive.",
            "Connection is a list, compared without case: \"Keep-Alive, Upgrade\", \"CLOSE\"; "
            "there may be several Connection fields.") {
  const auto keeps = [](const std::string& bytes) {
    const Outcome outcome = parse_whole(bytes);
    if (outcome.requests.size() != 1) throw std::runtime_error("not parsed: " + describe(outcome));
    return static_cast<bool>(outcome.keep_alive[0]);
  };
  EXPECT_TRUE(keeps("GET / HTTP/1.1\r\nHost: a\r\n\r\n")) << "HTTP/1.1 keeps by default";
  EXPECT_FALSE(keeps("GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n"));
  EXPECT_FALSE(keeps("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n"));
  EXPECT_FALSE(keeps("GET / HTTP/1.1\r\nHost: a\r\nConnection: te\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(keeps("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n"))
      << "\"closed\" is not the token close";
  EXPECT_FALSE(keeps("GET / HTTP/1.0\r\n\r\n")) << "HTTP/1.0 closes by default";
  EXPECT_TRUE(keeps("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
}

SYSLAB_TEST(ExpectContinue, ReportedBeforeTheBody, 2,
            "With \"Expect: 100-continue\" the client sends the head and waits: the codec must "
            "report the head (kExpectContinue) before any body byte arrives.",
            "expects_continue: HTTP/1.1, the expectation (any case), and a body to come "
            "(Content-Length above 0, or Transfer-Encoding).",
            "HTTP/1.0 ignores the expectation (RFC 9110 §10.1.1), and so does a request without "
            "a body.") {
  const std::string head =
      "PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n";
  http::Http1Parser parser;
  const auto first = parser.feed(head);
  ASSERT_EQ(first.event, http::Http1Parser::Event::kExpectContinue);
  EXPECT_EQ(first.consumed, head.size());
  EXPECT_EQ(parser.head().path, "/f");
  EXPECT_EQ(parser.feed("").event, http::Http1Parser::Event::kNeedMore);
  const auto second = parser.feed("data");
  ASSERT_EQ(second.event, http::Http1Parser::Event::kRequest);
  EXPECT_EQ(parser.take_request().body, "data");

  EXPECT_EQ(parse_whole("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n").continues, 0)
      << "no body, nothing to wait for";
  EXPECT_EQ(
      parse_whole("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx").continues,
      0)
      << "HTTP/1.0 ignores Expect";
}
