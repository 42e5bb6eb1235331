// Lab 12: one HTTP response, as a handler returns it, whatever protocol carries it: a status,
// header fields, and a body of one of three kinds: bytes in memory, a region of an open file
// (sent with sendfile by the server), or a stream produced while it is sent. The framing fields
// (Content-Length, Transfer-Encoding, Connection) are the codec's: a handler does not set them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "headers.hpp"
#include "unique_fd.hpp"

namespace http {

// Part of an open file: length bytes from offset. The fd is shared, so that one open file can
// serve several responses, and it stays open for as long as a response that sends it lives.
struct FileRegion {
  std::shared_ptr<const fdio::UniqueFd> file;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// A body made while it is sent, whose length is not known in advance (HTTP/1.1 sends it chunked,
// HTTP/1.0 until the connection closes, HTTP/2 as DATA frames). The contract, for any connection:
//  - next() is called on the connection's thread: first once the head is sent, then each time
//    the bytes of the last piece have all been written to the socket (so a slow reader slows the
//    producer down), or once the wait that piece asked for has passed.
//  - Each call returns a Piece: bytes to send now (maybe none) and what follows: kMore (call
//    again once they are out), kWait (call again after `wait`, e.g. a clock that ticks) or kEnd
//    (the body is complete; next() is not called again).
//  - If the connection closes first, the stream is destroyed without a word: it must not own
//    anything the connection needs, and needs no cancel call.
class BodyStream {
 public:
  struct Piece {
    enum class Then { kMore, kWait, kEnd };
    std::string bytes;
    Then then = Then::kMore;
    std::chrono::milliseconds wait{0};  // kWait only

    static Piece more(std::string bytes) { return {std::move(bytes), Then::kMore, {}}; }
    static Piece after(std::chrono::milliseconds wait, std::string bytes = {}) {
      return {std::move(bytes), Then::kWait, wait};
    }
    static Piece end(std::string bytes = {}) { return {std::move(bytes), Then::kEnd, {}}; }
  };

  virtual ~BodyStream() = default;
  [[nodiscard]] virtual Piece next() = 0;
};

// The body of a response: bytes, a file region, or a stream.
using Body = std::variant<std::string, FileRegion, std::unique_ptr<BodyStream>>;

// The body's length when it is known before it is sent (bytes, file region); nullopt for a stream.
[[nodiscard]] std::optional<std::uint64_t> known_length(const Body& body);

struct Response {
  int status = 200;
  Headers headers;
  Body body;

  // A response whose body is text: status, Content-Type and the text.
  static Response text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
};

}  // namespace http
