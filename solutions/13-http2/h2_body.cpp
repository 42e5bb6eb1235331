// Lab 13: a response body, a frame at a time (see h2_body.hpp).
#include "h2_body.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "fd_io.hpp"
#include "syslab/error.hpp"

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
  // BEGIN SOLUTION: pread(2) the next min(frame, what is left of the region) bytes at region.offset + offset_ (again on EINTR); a failure throws (syslab::throw_errno), 0 bytes before the region's end throws too (the file shrank); end once the whole region is out
  const auto& region = std::get<http::FileRegion>(body_);
  const std::uint64_t left = region.length - offset_;
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(frame.size(), left));
  if (want == 0) {
    end = true;
    return 0;
  }
  ssize_t got = 0;
  do {
    got = ::pread(region.file->get(), frame.data(), want,
                  static_cast<off_t>(region.offset + offset_));
  } while (got < 0 && errno == EINTR);
  if (got < 0) syslab::throw_errno("pread");
  if (got == 0) throw std::system_error(EIO, std::generic_category(), "pread: the file shrank");
  offset_ += static_cast<std::uint64_t>(got);
  end = offset_ == region.length;
  return static_cast<std::size_t>(got);
  // END SOLUTION
}

BodyReader::Result BodyReader::read_stream(std::span<std::uint8_t> frame) {
  // BEGIN SOLUTION: with nothing pending and the stream to be called again, pull_piece; copy what is pending; once it is all out: kEnd ends the body, kWait defers with the wait (once: then kWaiting, which defers without one until resume); nothing copied and not ended: deferred
  Result result;
  if (pending_at_ == pending_.size() && after_ == After::kCallAgain) pull_piece();
  const std::size_t n = std::min(frame.size(), pending_.size() - pending_at_);
  std::memcpy(frame.data(), pending_.data() + pending_at_, n);
  pending_at_ += n;
  result.count = n;
  if (pending_at_ < pending_.size()) return result;  // more of this piece in the next frame
  if (after_ == After::kEnd) {
    result.end = true;
  } else if (n == 0) {
    result.deferred = true;
    if (after_ == After::kWait) {
      result.wait = wait_;
      after_ = After::kWaiting;  // until resume(): a second read must not set a second timer
    }
  }
  return result;
  // END SOLUTION
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
