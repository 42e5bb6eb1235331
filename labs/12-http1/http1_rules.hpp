// Lab 12: the rules an HTTP/1.1 server applies to a request head once llhttp has parsed it: the
// limits, the framing checks that stop request smuggling, Expect: 100-continue, and whether the
// connection stays open. Pure functions of the request: no parser, no socket, easy to test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "request.hpp"

namespace http {

// What the codec accepts. The defaults are the lab's: --max-body and friends change them.
struct Limits {
  std::size_t max_request_line = 8 * 1024;  // method + target + version; 414 above (RFC 9112 §3)
  std::size_t max_head_bytes = 64 * 1024;   // request line, names and values; 431 above
  std::size_t max_fields = 100;             // header and trailer fields; 431 above
  std::uint64_t max_body = 1 << 20;         // content bytes; 413 above, refused before reading
};

// A request the server refuses: the status to answer and why (for the log and http-parse).
struct ParseError {
  int status = 400;
  std::string reason;
};

// A check's outcome: the error, or nullopt when the request passes.
using Verdict = std::optional<ParseError>;

// Checks a complete request head (line and fields, no body yet) against RFC 9112's framing rules
// and the limits: the version (505), Host (400), Transfer-Encoding (400 when it cannot frame the
// body safely, 501 for a coding other than chunked), Content-Length (400 when it is ambiguous,
// 413 above max_body) and Expect (417 for anything but 100-continue). nullopt: acceptable.
[[nodiscard]] Verdict check_head(const Request& head, const Limits& limits);

// True when the client waits for "100 Continue" before it sends the body (RFC 9110 §10.1.1): an
// HTTP/1.1 request with "Expect: 100-continue" that has a body to send.
[[nodiscard]] bool expects_continue(const Request& head);

// True when the connection stays open after this request's response (RFC 9112 §9.3): HTTP/1.1
// unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive".
[[nodiscard]] bool keep_alive(const Request& head);

// Watches the bytes of a message outside its content, one at a time, for the two line faults
// llhttp lets through in places: a LF without its CR (bare LF: RFC 9112 §2.2 allows accepting it;
// this server does not, anywhere) and a line that starts with SP or HT (obs-fold, RFC 9112 §5.2).
class LineChecker {
 public:
  // The error that byte c makes, given the bytes before it; nullopt when it is fine.
  [[nodiscard]] Verdict next(char c);
  // Content came in between: the next byte follows no line.
  void restart() noexcept { previous_ = '\0'; }

 private:
  char previous_ = '\0';
};

}  // namespace http
