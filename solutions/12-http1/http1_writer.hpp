// Lab 12: the HTTP/1.1 side of a response, sans-I/O: a Response in, the bytes to send out. The
// writer owns the framing: the status line with its reason phrase, Date, Server, and then either
// Content-Length, chunked Transfer-Encoding, or nothing (HEAD, 204, 304, or an HTTP/1.0 client
// that reads until the connection closes), and Connection when it must be said.
#pragma once

#include <string>
#include <string_view>

#include "http1_rules.hpp"
#include "request.hpp"
#include "response.hpp"

namespace http {

// What a response's framing depends on in the request it answers.
struct ResponseContext {
  std::string_view method = "GET";
  Version version;
  bool keep_alive = true;  // the codec's decision for the request (Http1Parser::keep_alive)

  static ResponseContext of(const Request& request, bool keep_alive) {
    return {request.method, request.version, keep_alive};
  }
};

// How the body follows the head on the wire.
enum class Framing {
  kNone,           // no body at all: HEAD, 204, 304
  kContentLength,  // exactly Content-Length bytes, as they are
  kChunked,        // chunks (write_chunk), then last_chunk()
  kUntilClose,     // as they are, and the connection closes at the end (HTTP/1.0, length unknown)
};

struct ResponseHead {
  std::string bytes;  // the status line, the fields and the blank line
  Framing framing = Framing::kNone;
  bool keep_alive = true;  // false: close the connection once the body is sent
};

// The head of a response: "HTTP/1.1 200 OK", Date (the value given, see DateCache), Server, the
// handler's fields (minus the ones the writer owns: Content-Length, Transfer-Encoding,
// Connection, Date, Server), the framing field, and Connection: close when the connection ends
// (Connection: keep-alive to an HTTP/1.0 client that asked for it). Throws std::invalid_argument
// for a status outside 200-599 (100 Continue is continue_head()).
[[nodiscard]] ResponseHead write_head(const Response& response, const ResponseContext& ctx,
                                      std::string_view date, std::string_view server);

// One chunk of a chunked body: size in hex, CRLF, the bytes, CRLF (RFC 9112 §7.1). Empty bytes
// give an empty string: a chunk of size 0 would end the body.
[[nodiscard]] std::string write_chunk(std::string_view bytes);
// The end of a chunked body: the last chunk and an empty trailer section.
[[nodiscard]] constexpr std::string_view last_chunk() noexcept { return "0\r\n\r\n"; }
// The interim response a client with "Expect: 100-continue" waits for (RFC 9110 §15.2.1).
[[nodiscard]] constexpr std::string_view continue_head() noexcept {
  return "HTTP/1.1 100 Continue\r\n\r\n";
}

// An interim response (1xx) with fields, such as lab 13's 103 Early Hints: "HTTP/1.1 103 Early
// Hints", the fields, the blank line. The final response follows on the same connection.
[[nodiscard]] std::string write_interim(int status, const Headers& fields);

// A whole response whose body is bytes: head and body, as write_head frames it.
[[nodiscard]] std::string write_response(const Response& response, const ResponseContext& context,
                                         std::string_view date, std::string_view server);
// The answer to a refused request: its status, the reason as text, and Connection: close.
[[nodiscard]] std::string write_error(const ParseError& error, std::string_view date,
                                      std::string_view server);

}  // namespace http
