// Lab 12 tests: invalid requests, one test per class, so that a failure names the rule. Each
// input is fed whole and byte by byte (a check that only works when the bytes come in one read
// is no check), and must give its status. Several of these llhttp refuses itself (with lenient
// flags off); the others are the codec's own checks: see the handout's table.
#include <string>
#include <vector>

#include "parse_util.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace http_test;

namespace {

// Feeds bytes whole and byte by byte: both must be refused with status, with no request before.
void expect_refused(const std::string& bytes, int status, const http::Limits& limits = {}) {
  for (const auto& [how, outcome] : {std::pair{"whole", parse_whole(bytes, limits)},
                                     std::pair{"byte by byte", parse_bytewise(bytes, limits)}}) {
    SCOPED_TRACE(std::string("fed ") + how + ": " + describe_bytes(bytes));
    ASSERT_TRUE(outcome.error) << "accepted, but must be refused with " << status << ":\n"
                               << describe(outcome);
    EXPECT_EQ(outcome.error->status, status) << "reason given: " << outcome.error->reason;
    EXPECT_TRUE(outcome.requests.empty()) << describe(outcome);
  }
}

void expect_accepted(const std::string& bytes, const http::Limits& limits = {}) {
  const Outcome outcome = parse_whole(bytes, limits);
  EXPECT_FALSE(outcome.error) << describe_bytes(bytes) << "\n" << describe(outcome);
  EXPECT_EQ(outcome.requests.size(), 1u) << describe_bytes(bytes) << "\n" << describe(outcome);
}

std::string post(std::string_view fields, std::string_view body = "") {
  return "POST /p HTTP/1.1\r\nHost: a\r\n" + std::string(fields) + "\r\n" + std::string(body);
}

}  // namespace

SYSLAB_TEST(Malformed, BadSyntaxIs400, 2,
            "Most syntax errors are llhttp's to find: error_from_llhttp maps its error to 400.",
            "Look at llhttp_errno_name(code) in the reason: which check fired?") {
  expect_refused("GET / HTTP/1.1\r\nHost a\r\n\r\n", 400);                // no colon
  expect_refused("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400);            // space in the target
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\nX(: 1\r\n\r\n", 400);      // not a token
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n", 400);  // control character
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400);
  expect_refused(post("Transfer-Encoding: chunked\r\n", "zz\r\nhello\r\n0\r\n\r\n"), 400);
  expect_refused("\x01GET / HTTP/1.1\r\n\r\n", 400);  // not a method at all
}

SYSLAB_TEST(Malformed, MissingOrDoubleHostIs400, 2,
            "RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host field.",
            "count(\"Host\") in check_head; HTTP/1.0 may leave it out.") {
  expect_refused("GET / HTTP/1.1\r\n\r\n", 400);
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
  expect_accepted("GET / HTTP/1.0\r\n\r\n");
}

SYSLAB_TEST(Limits, LongRequestLineIs414, 2,
            "count_line_bytes: method, target and version together, at most max_request_line.",
            "414 as soon as the line is too long: before it ends, so no one can send a gigabyte "
            "of target.") {
  http::Limits limits;
  limits.max_request_line = 100;
  expect_refused(get_request("/" + std::string(120, 'a')), 414, limits);
  expect_accepted(get_request("/" + std::string(80, 'a')), limits);
  expect_refused(get_request("/" + std::string(9000, 'a')), 414);  // the default: 8 KiB
  // Refused before the line ends: the parser must not wait for the rest of it.
  http::Http1Parser parser(limits);
  EXPECT_EQ(parser.feed("GET /" + std::string(200, 'a')).event, http::Http1Parser::Event::kError);
}

SYSLAB_TEST(Limits, TooManyFieldsIs431, 2,
            "on_header_field_complete counts fields: more than max_fields is 431.",
            "Exactly max_fields is fine: refuse the one after it.") {
  std::string fields;
  for (int i = 1; i < 100; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  expect_accepted(get_request("/", fields));  // Host + 99 = 100 fields
  expect_refused(get_request("/", fields + "X-Last: v\r\n"), 431);
}

SYSLAB_TEST(Limits, LargeHeaderBlockIs431, 2,
            "count_head_bytes: the request line, names and values together, at most "
            "max_head_bytes (64 KiB by default).",
            "Check while the bytes come, not at the end: a client must not make the server hold "
            "a megabyte of header.") {
  expect_refused(get_request("/", "X-Big: " + std::string(70 * 1024, 'v') + "\r\n"), 431);
  expect_accepted(get_request("/", "X-Big: " + std::string(60 * 1024, 'v') + "\r\n"));
  http::Limits limits;
  limits.max_head_bytes = 1000;
  std::string fields;
  for (int i = 0; i < 30; ++i)
    fields += "X-Field-" + std::to_string(i) + ": " + std::string(30, 'v') + "\r\n";
  expect_refused(get_request("/", fields), 431, limits);
  // The request line counts too: 1,500 bytes of target are within max_request_line (8 KiB).
  expect_refused(get_request("/" + std::string(1500, 'a')), 431, limits);
  http::Http1Parser parser(limits);
  EXPECT_EQ(parser.feed("GET / HTTP/1.1\r\nX: " + std::string(2000, 'v')).event,
            http::Http1Parser::Event::kError)
      << "a value larger than the limit is refused before it ends";
}

SYSLAB_TEST(Limits, LargeBodyIs413WithoutReadingIt, 3,
            "A Content-Length above max_body is refused at the end of the head: check_head.",
            "A chunked body's size is known chunk by chunk: on_chunk_header adds each chunk's "
            "size and refuses before the chunk is read.",
            "The error must come before the body: feed the head alone and expect kError.") {
  http::Limits limits;
  limits.max_body = 10;
  expect_refused(post("Content-Length: 11\r\n", "0123456789a"), 413, limits);
  expect_accepted(post("Content-Length: 10\r\n", "0123456789"), limits);
  expect_refused(post("Transfer-Encoding: chunked\r\n", "6\r\n012345\r\n5\r\n6789a\r\n0\r\n\r\n"),
                 413, limits);
  expect_accepted(post("Transfer-Encoding: chunked\r\n", "6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n"),
                  limits);
  http::Http1Parser parser;  // default 1 MiB
  const auto head = parser.feed(post("Content-Length: 2000000\r\n"));
  EXPECT_EQ(head.event, http::Http1Parser::Event::kError)
      << "refused on the head alone, before a byte of the body";
  if (head.event == http::Http1Parser::Event::kError) {
    EXPECT_EQ(parser.error().status, 413);
  }
}

SYSLAB_TEST(Framing, UnknownTransferCodingIs501, 2,
            "RFC 9112 §6.1: a transfer coding the server does not know gets 501; chunked is the "
            "only one this server knows.",
            "\"gzip, chunked\": chunked is last (the body can be framed) but gzip is unknown.") {
  expect_refused(post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), 501);
  expect_refused(post("Transfer-Encoding: br\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 501);
}

SYSLAB_TEST(
    Framing, UnsupportedVersionIs505, 2,
    "HTTP/1.0 and HTTP/1.1 only: 2.0 and 0.9 are parsed by llhttp, 1.2 and 3.0 refused by it; "
    "all of them are 505.",
    "on_version_complete sees 2.0; llhttp refuses 1.2 before it: error_from_llhttp must "
    "tell a well-formed version it refused from a malformed one (400).") {
  expect_refused("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
  expect_refused("GET / HTTP/0.9\r\n\r\n", 505);
  expect_refused("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505);
  expect_refused("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505);
  expect_refused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);  // the HTTP/2 preface
  expect_refused("GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400);
}

SYSLAB_TEST(Framing, UnknownMethodIs501, 1,
            "RFC 9110 §9.1: a method the server does not know is 501; methods are case-sensitive.",
            "llhttp knows the registered methods only: HPE_INVALID_METHOD on a token character.") {
  expect_refused("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", 501);
  expect_refused("get / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
}

SYSLAB_TEST(Framing, OtherExpectationIs417, 1,
            "RFC 9110 §10.1.1: 100-continue is the only expectation; anything else may get 417.",
            "check_expect: HTTP/1.0 ignores Expect altogether.") {
  expect_refused(post("Expect: 200-ok\r\nContent-Length: 1\r\n", "x"), 417);
  expect_accepted("POST / HTTP/1.0\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx");
}

SYSLAB_TEST(Smuggling, ContentLengthWithTransferEncodingIs400, 2,
            "RFC 9112 §6.3: with both, a proxy and a server may disagree on where the body ends: "
            "refuse.",
            "llhttp refuses this itself unless a lenient flag is set: leave them off.") {
  expect_refused(post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 400);
  expect_refused(post("Transfer-Encoding: chunked\r\nContent-Length: 6\r\n", "0\r\n\r\n"), 400);
}

SYSLAB_TEST(Smuggling, TwoContentLengthsAre400, 2,
            "RFC 9112 §6.3 item 5: different lengths (or a list) cannot be trusted.",
            "One Content-Length field, one decimal number.") {
  expect_refused(post("Content-Length: 3\r\nContent-Length: 5\r\n", "abcde"), 400);
  expect_refused(post("Content-Length: 3, 3\r\n", "abc"), 400);
  expect_refused(post("Content-Length: 3\r\ncontent-length: 3\r\n", "abc"), 400);
}

SYSLAB_TEST(Smuggling, ChunkedNotLastIs400, 2,
            "RFC 9112 §6.3 item 4: when chunked is not the last coding, a request's end cannot "
            "be found: 400.",
            "Join every Transfer-Encoding field into one list (two fields count as one list).",
            "chunked twice is refused too (RFC 9112 §6.1), and an empty list.") {
  expect_refused(post("Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"), 400);
  expect_refused(post("Transfer-Encoding: gzip\r\n", "abc"), 400);
  expect_refused(post("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", "0\r\n\r\n"),
                 400);
  expect_refused(post("Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n"), 400);
  expect_refused(post("Transfer-Encoding: \r\n", ""), 400);
}

SYSLAB_TEST(Smuggling, TransferEncodingInHttp10Is400, 1,
            "RFC 9112 §6.1: HTTP/1.0 has no Transfer-Encoding; a 1.0 message with one has "
            "faulty framing. llhttp accepts it.",
            "check_transfer_encoding: look at the version first.") {
  expect_refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
}

SYSLAB_TEST(Smuggling, ObsFoldIs400, 2,
            "RFC 9112 §5.2: a field line that starts with SP or HT continues the one before "
            "(obs-fold). llhttp accepts it; this server refuses it.",
            "LineChecker::next: a SP or HT right after a LF.",
            "It must work when the LF and the SP come in different reads: the checker keeps the "
            "previous byte.") {
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\nX: one\r\n two\r\n\r\n", 400);
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\nX: one\r\n\ttwo\r\n\r\n", 400);
  expect_refused(post("Transfer-Encoding: chunked\r\n", "0\r\nT: one\r\n two\r\n\r\n"), 400);
}

SYSLAB_TEST(
    Smuggling, WhitespaceBeforeColonIs400, 2,
    "RFC 9112 §5.1: \"Host : a\" MUST be refused with 400. llhttp passes the name \"Host \".",
    "on_header_field_complete: look at the last character of the name.") {
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\nX-Name : v\r\n\r\n", 400);
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 0\r\n\r\n", 400);
}

SYSLAB_TEST(Smuggling, BareLineFeedIs400, 2,
            "This server's choice (RFC 9112 §2.2 allows either): a line ends with CRLF; a LF alone "
            "is refused everywhere, even where llhttp accepts it.",
            "LineChecker::next: a '\\n' whose previous byte is not '\\r'.",
            "llhttp accepts a bare LF after the request line and in the empty lines that end the "
            "head and the trailers: those are the cases your check must catch.") {
  expect_refused("GET / HTTP/1.1\nHost: a\r\n\r\n", 400);
  expect_refused("GET / HTTP/1.1\r\nHost: a\r\n\n", 400);
  expect_refused("GET / HTTP/1.1\r\nHost: a\n\r\n", 400);
  expect_refused(post("Transfer-Encoding: chunked\r\n", "1\r\nx\r\n0\r\n\n"), 400);
  // A LF inside content is just a byte.
  expect_accepted(post("Content-Length: 3\r\n", "a\nb"));
}

SYSLAB_TEST(Rules, CheckHeadRefusesAmbiguousFraming, 2,
            "check_head is the codec's own line of defence: llhttp refuses some of these first, "
            "but a parser with a lenient flag on (or another parser) would not.",
            "Content-Length with Transfer-Encoding, two Content-Lengths, a Content-Length that is "
            "not a number: 400 from check_head itself.") {
  const auto status_of = [](std::initializer_list<std::pair<std::string, std::string>> fields) {
    http::Request head;
    head.method = "POST";
    head.target = head.path = "/";
    head.headers.add("Host", "a");
    for (const auto& [name, value] : fields) head.headers.add(name, value);
    const auto error = http::check_head(head, http::Limits{});
    return error ? error->status : 0;
  };
  EXPECT_EQ(status_of({{"Content-Length", "3"}, {"Transfer-Encoding", "chunked"}}), 400);
  EXPECT_EQ(status_of({{"Transfer-Encoding", "chunked"}, {"content-length", "3"}}), 400);
  EXPECT_EQ(status_of({{"Content-Length", "3"}, {"Content-Length", "3"}}), 400);
  EXPECT_EQ(status_of({{"Content-Length", "3, 3"}}), 400);
  EXPECT_EQ(status_of({{"Content-Length", "+3"}}), 400);
  EXPECT_EQ(status_of({{"Transfer-Encoding", "chunked, gzip"}}), 400);
  EXPECT_EQ(status_of({{"Content-Length", "3"}}), 0) << "one Content-Length is fine";
  EXPECT_EQ(status_of({{"Transfer-Encoding", "chunked"}}), 0) << "chunked alone is fine";
}

SYSLAB_TEST(Errors, RefusedForGood, 1,
            "After an error the connection is answered and closed: feed keeps returning kError.",
            "error_ is set once and never cleared.") {
  http::Http1Parser parser;
  EXPECT_EQ(parser.feed("GET / HTTP/1.1\r\nHost : a\r\n\r\n").event,
            http::Http1Parser::Event::kError);
  EXPECT_EQ(parser.feed(get_request("/")).event, http::Http1Parser::Event::kError);
  EXPECT_EQ(parser.error().status, 400);
}
