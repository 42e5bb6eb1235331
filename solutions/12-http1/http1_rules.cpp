// Lab 12: the rules applied to a request head (see http1_rules.hpp). Each rule names the section
// of RFC 9112 (HTTP/1.1) or RFC 9110 (HTTP semantics) that asks for it.
#include "http1_rules.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <vector>

namespace http {

namespace {

// BEGIN SOLUTION
// Every value of every field of that name, as one list: "a, b" and "c" give a, b, c.
std::vector<std::string_view> all_items(const Headers& headers, std::string_view name) {
  std::vector<std::string_view> items;
  for (const std::string_view value : headers.get_all(name)) {
    const auto more = list_items(value);
    items.insert(items.end(), more.begin(), more.end());
  }
  return items;
}

// Transfer-Encoding (RFC 9112 §6.1, §6.3): the codings, in the order they were applied.
Verdict check_transfer_encoding(const Request& head) {
  if (head.version == Version{1, 0}) {
    // §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
    return ParseError{400, "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)"};
  }
  if (head.headers.contains("Content-Length")) {
    // §6.1, §6.3 item 3: both framings at once is how requests are smuggled past a proxy.
    return ParseError{400, "both Content-Length and Transfer-Encoding (RFC 9112 §6.3)"};
  }
  const auto codings = all_items(head.headers, "Transfer-Encoding");
  if (codings.empty() || !iequals(codings.back(), "chunked")) {
    // §6.3 item 4: without chunked last, the body's end cannot be found.
    return ParseError{400, "Transfer-Encoding does not end with chunked (RFC 9112 §6.3)"};
  }
  const auto chunked = std::count_if(codings.begin(), codings.end(),
                                     [](std::string_view c) { return iequals(c, "chunked"); });
  if (chunked > 1) {
    return ParseError{400, "chunked applied more than once (RFC 9112 §6.1)"};
  }
  if (codings.size() > 1) {
    // §6.1: a coding the server does not know (gzip, ...) under the chunked one.
    return ParseError{501, "a transfer coding other than chunked (RFC 9112 §6.1)"};
  }
  return std::nullopt;
}

// Content-Length (RFC 9112 §6.2, §6.3 item 5): one decimal number, within the limit.
Verdict check_content_length(const Request& head, const Limits& limits) {
  const auto values = head.headers.get_all("Content-Length");
  if (values.empty()) return std::nullopt;
  if (values.size() > 1) {
    return ParseError{400, "more than one Content-Length (RFC 9112 §6.3)"};
  }
  const std::string_view text = values.front();
  std::uint64_t length = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return ParseError{400, "Content-Length is not a number (RFC 9112 §6.3)"};
  }
  if (length > limits.max_body) {
    // RFC 9110 §15.5.14: refused before a byte of it is read.
    return ParseError{
        413, "Content-Length above the limit of " + std::to_string(limits.max_body) + " bytes"};
  }
  return std::nullopt;
}

// Expect (RFC 9110 §10.1.1): 100-continue is the only expectation there is; HTTP/1.0 ignores it.
Verdict check_expect(const Request& head) {
  const auto expect = head.headers.get("Expect");
  if (!expect || head.version == Version{1, 0} || iequals(*expect, "100-continue")) {
    return std::nullopt;
  }
  return ParseError{417, "an expectation other than 100-continue (RFC 9110 §10.1.1)"};
}
// END SOLUTION

}  // namespace

// [slide:check_head]
Verdict check_head(const Request& head, const Limits& limits) {
  // BEGIN SOLUTION: 505 for a version other than 1.0/1.1; 400 for a 1.1 request without exactly one Host; then Transfer-Encoding (400 if it cannot frame the body: HTTP/1.0, with Content-Length, chunked not last or twice; 501 for another coding), Content-Length (400 unless exactly one number; 413 above max_body) and Expect (417 unless 100-continue)
  if (head.version != Version{1, 1} && head.version != Version{1, 0}) {
    return ParseError{505, "not HTTP/1.0 or 1.1 (RFC 9110 §15.6.6)"};
  }
  const std::size_t hosts = head.headers.count("Host");
  if (hosts > 1 || (hosts == 0 && head.version == Version{1, 1})) {
    return ParseError{400, "not exactly one Host (RFC 9112 §3.2)"};
  }
  if (head.headers.contains("Transfer-Encoding")) {
    if (auto error = check_transfer_encoding(head)) return error;
  }
  if (auto error = check_content_length(head, limits)) return error;
  return check_expect(head);
  // END SOLUTION
}
// [/slide]

bool expects_continue(const Request& head) {
  // BEGIN SOLUTION: HTTP/1.1, "Expect: 100-continue" (any case), and a body: Content-Length above 0 or Transfer-Encoding
  if (head.version != Version{1, 1}) return false;
  const auto expect = head.headers.get("Expect");
  if (!expect || !iequals(*expect, "100-continue")) return false;
  const auto length = head.headers.get("Content-Length");
  return head.headers.contains("Transfer-Encoding") || (length && *length != "0");
  // END SOLUTION
}

// [slide:keep_alive]
bool keep_alive(const Request& head) {
  // BEGIN SOLUTION: RFC 9112 §9.3: a "close" token in any Connection field closes; else HTTP/1.1 stays open, HTTP/1.0 only with a "keep-alive" token
  const auto has = [&head](std::string_view token) {
    for (const std::string_view value : head.headers.get_all("Connection")) {
      if (has_token(value, token)) return true;
    }
    return false;
  };
  if (has("close")) return false;
  if (head.version == Version{1, 1}) return true;
  return head.version == Version{1, 0} && has("keep-alive");
  // END SOLUTION
}
// [/slide]

// [slide:line_checker]
Verdict LineChecker::next(char c) {
  // BEGIN SOLUTION: a '\n' whose previous byte is not '\r' is a bare LF (400); a ' ' or '\t' right after a '\n' starts a folded line (obs-fold, 400); remember c
  const char previous = previous_;
  previous_ = c;
  if (c == '\n' && previous != '\r') {
    return ParseError{400, "a bare LF: lines end in CRLF (RFC 9112 §2.2)"};
  }
  if ((c == ' ' || c == '\t') && previous == '\n') {
    return ParseError{400, "a folded header line, obs-fold (RFC 9112 §5.2)"};
  }
  return std::nullopt;
  // END SOLUTION
}
// [/slide]

}  // namespace http
