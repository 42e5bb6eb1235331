// Lab 13: a response body, a frame at a time (see h2_body.hpp).
#include "h2_body.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "fd_io.hpp"
#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace h2 {

BodyReader::BodyReader(http::Body body) : body_(std::move(body)) {}

BodyReader::Result BodyReader::read(std::span<std::uint8_t> frame) {
  Result result;
  if (std::holds_alternative<std::string>(body_)) {
    result.count = read_bytes(frame, result.end);
  } else if (std::holds_alternative<http::FileRegion>(body_)) {
    result.count = read_file(frame, result.end);
  } else {
    result = read_stream(frame);
  }
  sent_ += result.count;
  return result;
}

std::size_t BodyReader::read_bytes(std::span<std::uint8_t> frame, bool& end) {
  const std::string& bytes = std::get<std::string>(body_);
  const std::size_t n = std::min(frame.size(), bytes.size() - offset_);
  std::memcpy(frame.data(), bytes.data() + offset_, n);
  offset_ += n;
  end = offset_ == bytes.size();
  return n;
}

std::size_t BodyReader::read_file(std::span<std::uint8_t> frame, bool& end) {
  SYSLAB_TODO("pread(2) the next min(frame, what is left of the region) bytes at region.offset + offset_ (again on EINTR); a failure throws (syslab::throw_errno), 0 bytes before the region's end throws too (the file shrank); end once the whole region is out");
}

BodyReader::Result BodyReader::read_stream(std::span<std::uint8_t> frame) {
  SYSLAB_TODO("with nothing pending and the stream to be called again, pull_piece; copy what is pending; once it is all out: kEnd ends the body, kWait defers with the wait (once: then kWaiting, which defers without one until resume); nothing copied and not ended: deferred");
}

void BodyReader::pull_piece() {
  auto& stream = std::get<std::unique_ptr<http::BodyStream>>(body_);
  http::BodyStream::Piece piece = stream->next();
  pending_ = std::move(piece.bytes);
  pending_at_ = 0;
  switch (piece.then) {
    case http::BodyStream::Piece::Then::kEnd: after_ = After::kEnd; break;
    case http::BodyStream::Piece::Then::kWait:
      after_ = After::kWait;
      wait_ = piece.wait;
      break;
    case http::BodyStream::Piece::Then::kMore:
      // Called again once these bytes are out; with none, after a turn of the loop (0 ms), so
      // that a stream with nothing to say cannot spin inside one callback.
      after_ = pending_.empty() ? After::kWait : After::kCallAgain;
      wait_ = std::chrono::milliseconds(0);
      break;
  }
}

void BodyReader::resume() noexcept {
  if (after_ == After::kWaiting || after_ == After::kWait) after_ = After::kCallAgain;
}

}  // namespace h2
