// Lab 12: the HTTP/1.1 request codec, sans-I/O: bytes in (whatever one read gave: half a header
// name, or three pipelined requests), complete requests out, or the status to refuse them with.
// No socket in sight, so it is tested with byte strings, fed whole, byte by byte and in random
// pieces. llhttp does the parsing; this class collects what it reports, applies the limits and
// the rules llhttp leaves to its user (http1_rules.hpp), and stops at each event.
// Try: printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' | http-parse
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http1_rules.hpp"
#include "request.hpp"

namespace http {

// One per connection: it keeps the state of a request between reads.
class Http1Parser {
 public:
  enum class Event {
    kNeedMore,        // every byte is used, no request is complete: read more
    kRequest,         // a request is complete: take_request(); then answer it
    kExpectContinue,  // a head that waits for "100 Continue" (head()): answer 100 and feed on,
                      // or answer with a final status without reading the body, and close
    kError,           // a request is refused: error() says with which status; answer, then close
  };
  struct Result {
    Event event;
    std::size_t consumed;  // bytes of the input used; feed the rest (pipelined requests) again
  };

  explicit Http1Parser(Limits limits = {});
  // llhttp holds a pointer to this object: it cannot move.
  Http1Parser(const Http1Parser&) = delete;
  Http1Parser& operator=(const Http1Parser&) = delete;

  // Parses bytes until the next event. After kRequest or kExpectContinue, feed the bytes after
  // `consumed` (maybe none) to go on. After kError, every call returns kError. After a request
  // that does not keep the connection open, further bytes are ignored (consumed, kNeedMore).
  [[nodiscard]] Result feed(std::string_view bytes);

  // The request that kRequest announced; moves it out.
  [[nodiscard]] Request take_request() { return std::move(request_); }
  // The head (line and fields, no body yet) that kExpectContinue announced.
  [[nodiscard]] const Request& head() const noexcept { return request_; }
  // After kRequest: whether the connection stays open for another request (RFC 9112 §9.3).
  [[nodiscard]] bool keep_alive() const noexcept { return keep_alive_; }
  // After kError: the status and why.
  [[nodiscard]] const ParseError& error() const noexcept { return *error_; }
  // True between requests: the peer may close here without losing anything.
  [[nodiscard]] bool idle() const noexcept { return !in_message_; }
  [[nodiscard]] const Limits& limits() const noexcept { return limits_; }

 private:
  friend struct Callbacks;  // llhttp's C callbacks, which forward to the members below
  enum class Pause { kNone, kHead, kMessage };

  // ---- llhttp callbacks: 0 to go on, HPE_PAUSED to stop at an event, HPE_USER after fail() ----
  int on_message_begin();
  int on_method(std::string_view part);
  int on_url(std::string_view part);
  int on_version(std::string_view part);
  int on_version_complete();
  int on_header_field(std::string_view part);
  int on_header_field_complete();
  int on_header_value(std::string_view part);
  int on_header_value_complete();
  int on_headers_complete();
  int on_body(std::string_view part);
  int on_chunk_header();
  int on_message_complete();

  // Counts bytes of the request line and of the head against the limits.
  int count_line_bytes(std::size_t n);
  int count_head_bytes(std::size_t n);
  // Records the error; returns HPE_USER for a callback to return.
  int fail(int status, std::string reason);
  // The status for an error that llhttp found itself; at is where it stopped.
  ParseError error_from_llhttp(llhttp_errno_t code, const char* at) const;
  // Runs the LineChecker over the bytes llhttp used, content excepted.
  std::optional<ParseError> check_line_endings(const char* begin, const char* end);
  // What llhttp stopping with code at stop means: an event for the caller, or nullopt to go on.
  using Step = std::optional<Event>;
  Step event_after(llhttp_errno_t code, const char* at);
  Step after_head();
  Event after_message();
  // Records the error for good; kError.
  Event refuse(ParseError error);

  llhttp_t parser_{};
  const Limits limits_;
  Request request_;
  std::string field_;  // the field being read: llhttp may report its name and value in pieces
  std::string value_;
  std::string version_;  // "1.1", as read
  bool version_done_ = false;
  bool in_trailers_ = false;
  bool in_message_ = false;
  std::size_t line_bytes_ = 0;
  std::size_t head_bytes_ = 0;
  std::size_t fields_ = 0;
  std::uint64_t body_bytes_ = 0;
  Pause paused_ = Pause::kNone;
  bool keep_alive_ = true;
  bool done_ = false;  // a request that closes the connection was complete
  std::optional<ParseError> error_;
  LineChecker lines_;
  struct Span {  // content bytes llhttp reported during the current llhttp_execute, in order
    const char* begin;
    const char* end;
  };
  std::vector<Span> content_spans_;
};

}  // namespace http
