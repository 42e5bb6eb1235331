// Lab 13: a response body as DATA frames: nghttp2 pulls it, a frame at a time, through a data
// provider's read callback, only when the stream's flow-control window and our output allow it.
// BodyReader is that callback's logic, sans-I/O: it copies the next bytes of any lab 12 body
// (bytes, a file region read with pread(2), a stream made while it is sent) into the frame
// nghttp2 offers, and says when the body has ended or must wait (a stream that has nothing yet:
// nghttp2's NGHTTP2_ERR_DEFERRED, resumed later with nghttp2_session_resume_data).
// Why pread rather than sendfile: the session's output is one stream of frames that mem_send
// hands us; a file's bytes must sit between a DATA frame's 9-byte header and the next frame, and
// with TLS they must pass through this process anyway. A frame is at most 16 KiB: the copy costs
// little next to the framing (nghttp2's NO_COPY path needs its send callbacks, not mem_send).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "response.hpp"

namespace h2 {

class BodyReader {
 public:
  struct Result {
    std::size_t count = 0;  // bytes copied into the frame
    bool end = false;       // the body is complete after these bytes (END_STREAM)
    // Nothing to send now (count is 0): the body waits. With a value: call resume() after this
    // wait, then read again; without: it is already waiting for an earlier wait to pass.
    bool deferred = false;
    std::optional<std::chrono::milliseconds> wait;
  };

  explicit BodyReader(http::Body body);

  // Copies up to frame.size() bytes of the body into frame. Throws std::system_error when a
  // file cannot be read (pread fails, or the file is shorter than the region).
  Result read(std::span<std::uint8_t> frame);
  // The wait a stream asked for has passed: the next read asks it for its next piece.
  void resume() noexcept;

  // Bytes handed out so far, for the access log.
  [[nodiscard]] std::uint64_t sent() const noexcept { return sent_; }

 private:
  std::size_t read_bytes(std::span<std::uint8_t> frame, bool& end);
  std::size_t read_file(std::span<std::uint8_t> frame, bool& end);
  Result read_stream(std::span<std::uint8_t> frame);
  void pull_piece();  // the stream's next piece into pending_

  // What a stream does once pending_ is out.
  enum class After { kCallAgain, kWait, kWaiting, kEnd };

  http::Body body_;
  std::uint64_t offset_ = 0;  // bytes: into the string; file: already sent of the region
  std::string pending_;       // stream: the piece not yet sent
  std::size_t pending_at_ = 0;
  After after_ = After::kCallAgain;
  std::chrono::milliseconds wait_{0};
  std::uint64_t sent_ = 0;
};

}  // namespace h2
