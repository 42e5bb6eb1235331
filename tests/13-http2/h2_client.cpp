// Lab 13 tests: the raw HTTP/2 client (see h2_client.hpp).
#include "h2_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>

#include "syslab/deadline.hpp"
#include "syslab/echo_client.hpp"
#include "syslab/proc.hpp"

namespace h2_test {

namespace echo = syslab::test::echo;
using Clock = std::chrono::steady_clock;

namespace {

std::string be32(std::uint32_t value) {
  return {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
          static_cast<char>(value >> 8), static_cast<char>(value)};
}

std::uint32_t read_be32(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes.at(at + i));
  }
  return value;
}

}  // namespace

std::int32_t Frame::goaway_last_stream() const {
  return static_cast<std::int32_t>(read_be32(payload, 0) & 0x7FFFFFFF);
}

std::uint32_t Frame::error_code() const { return read_be32(payload, type == kGoaway ? 4 : 0); }

std::optional<std::uint32_t> Frame::setting(std::uint16_t id) const {
  for (std::size_t at = 0; at + 6 <= payload.size(); at += 6) {
    const auto got = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[at]) << 8) |
                                                static_cast<unsigned char>(payload[at + 1]));
    if (got == id) return read_be32(payload, at + 2);
  }
  return std::nullopt;
}

std::string frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream,
                  std::string_view payload) {
  const auto length = static_cast<std::uint32_t>(payload.size());
  std::string bytes = {static_cast<char>(length >> 16), static_cast<char>(length >> 8),
                       static_cast<char>(length), static_cast<char>(type),
                       static_cast<char>(flags)};
  bytes += be32(static_cast<std::uint32_t>(stream) & 0x7FFFFFFF);
  bytes += payload;
  return bytes;
}

std::string settings_frame(const std::vector<std::pair<std::uint16_t, std::uint32_t>>& settings) {
  std::string payload;
  for (const auto& [id, value] : settings) {
    payload += static_cast<char>(id >> 8);
    payload += static_cast<char>(id);
    payload += be32(value);
  }
  return frame(kSettings, 0, 0, payload);
}

std::string window_update(std::int32_t stream, std::uint32_t increment) {
  return frame(kWindowUpdate, 0, stream, be32(increment));
}

std::string rst_stream(std::int32_t stream, std::uint32_t error_code) {
  return frame(kRstStream, 0, stream, be32(error_code));
}

std::string ping(std::string_view opaque8, bool ack) {
  return frame(kPing, ack ? kAck : 0, 0, opaque8.substr(0, 8));
}

std::string client_start(const std::vector<std::pair<std::uint16_t, std::uint32_t>>& settings) {
  return std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + settings_frame(settings);
}

Fields request(std::string_view method, std::string_view path, const Fields& extra) {
  Fields fields = {{":method", std::string(method)},
                   {":scheme", "http"},
                   {":authority", "test"},
                   {":path", std::string(path)}};
  fields.insert(fields.end(), extra.begin(), extra.end());
  return fields;
}

Hpack::Hpack() {
  if (nghttp2_hd_deflate_new(&deflater_, 4096) != 0 || nghttp2_hd_inflate_new(&inflater_) != 0) {
    throw std::runtime_error("nghttp2: no HPACK encoder or decoder");
  }
}

Hpack::~Hpack() {
  nghttp2_hd_deflate_del(deflater_);
  nghttp2_hd_inflate_del(inflater_);
}

std::string Hpack::encode(const Fields& fields) {
  std::vector<nghttp2_nv> nva;
  for (const auto& [name, value] : fields) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                   value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  std::string block(nghttp2_hd_deflate_bound(deflater_, nva.data(), nva.size()), '\0');
  const ssize_t n = nghttp2_hd_deflate_hd(deflater_, reinterpret_cast<std::uint8_t*>(block.data()),
                                          block.size(), nva.data(), nva.size());
  if (n < 0) throw std::runtime_error("HPACK encoding failed");
  block.resize(static_cast<std::size_t>(n));
  return block;
}

Fields Hpack::decode(std::string_view block) {
  Fields fields;
  auto* in = reinterpret_cast<const std::uint8_t*>(block.data());
  std::size_t left = block.size();
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    const ssize_t n = nghttp2_hd_inflate_hd2(inflater_, &nv, &flags, in, left, 1);
    if (n < 0) throw std::runtime_error("HPACK decoding failed");
    in += n;
    left -= static_cast<std::size_t>(n);
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) != 0) {
      fields.emplace_back(std::string(reinterpret_cast<char*>(nv.name), nv.namelen),
                          std::string(reinterpret_cast<char*>(nv.value), nv.valuelen));
    }
    if ((flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
      nghttp2_hd_inflate_end_headers(inflater_);
      break;
    }
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) break;
  }
  return fields;
}

std::optional<std::string> Response::field(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

Client::Client(std::uint16_t port, bool start)
    : fd_(echo::connect_loopback(port, syslab::test::Deadline(std::chrono::seconds(5)))) {
  echo::set_nodelay(fd_.get());
  if (start) send(client_start());
}

void Client::send(std::string_view bytes, milliseconds timeout) {
  echo::send_all(fd_.get(), bytes, syslab::test::Deadline(timeout));
}

void Client::headers(std::int32_t stream, const Fields& fields, bool end_stream) {
  const std::uint8_t flags = kEndHeaders | (end_stream ? kEndStream : 0);
  send(frame(kHeaders, flags, stream, hpack_.encode(fields)));
}

void Client::data(std::int32_t stream, std::string_view bytes, bool end_stream) {
  constexpr std::size_t kMaxFrame = 16384;  // SETTINGS_MAX_FRAME_SIZE's default
  do {
    const std::string_view piece = bytes.substr(0, kMaxFrame);
    bytes.remove_prefix(piece.size());
    send(frame(kData, bytes.empty() && end_stream ? kEndStream : 0, stream, piece));
  } while (!bytes.empty());
}

void Client::get(std::int32_t stream, std::string_view path) {
  headers(stream, request("GET", path), true);
}

std::optional<Frame> Client::read_frame(milliseconds timeout) {
  const syslab::test::Deadline deadline(timeout);
  auto need = [&](std::size_t n) {
    char chunk[65536];
    while (buffer_.size() < n) {
      const ssize_t got = ::recv(fd_.get(), chunk, sizeof chunk, MSG_DONTWAIT);
      if (got > 0) {
        buffer_.append(chunk, static_cast<std::size_t>(got));
      } else if (got == 0 || (got < 0 && errno == ECONNRESET)) {
        return false;
      } else if (errno == EAGAIN) {
        if (echo::wait_for(fd_.get(), POLLIN, deadline) == 0) {
          echo::fail("no whole frame before the deadline (" + std::to_string(buffer_.size()) +
                     " bytes waiting)");
        }
      } else if (errno != EINTR) {
        echo::fail("recv", errno);
      }
    }
    return true;
  };
  if (!need(9)) return std::nullopt;
  const std::size_t length = (static_cast<unsigned char>(buffer_[0]) << 16) |
                             (static_cast<unsigned char>(buffer_[1]) << 8) |
                             static_cast<unsigned char>(buffer_[2]);
  if (!need(9 + length)) return std::nullopt;
  Frame got;
  got.type = static_cast<std::uint8_t>(buffer_[3]);
  got.flags = static_cast<std::uint8_t>(buffer_[4]);
  got.stream = static_cast<std::int32_t>(read_be32(buffer_, 5) & 0x7FFFFFFF);
  got.payload = buffer_.substr(9, length);
  buffer_.erase(0, 9 + length);
  seen_.push_back(got);
  return got;
}

void Client::take(const Frame& got) {
  switch (got.type) {
    case kSettings:
      if (!got.has(kAck)) send(frame(kSettings, kAck, 0, ""));
      return;
    case kHeaders:
    case kContinuation: {
      std::string& block = header_blocks_[got.stream];
      block += got.payload;  // no padding or priority: the server under test sends none
      if (!got.has(kEndHeaders)) return;
      Response& response = partial_[got.stream];
      for (auto& field : hpack_.decode(block)) {
        if (field.first == ":status") {
          response.status = std::stoi(field.second);
        } else {
          response.headers.push_back(std::move(field));
        }
      }
      header_blocks_.erase(got.stream);
      if (got.has(kEndStream)) ended_[got.stream] = true;
      return;
    }
    case kData:
      partial_[got.stream].body += got.payload;
      if (!got.payload.empty()) {
        const auto n = static_cast<std::uint32_t>(got.payload.size());
        send(window_update(0, n) + window_update(got.stream, n));
      }
      if (got.has(kEndStream)) ended_[got.stream] = true;
      return;
    case kPing:
      if (!got.has(kAck)) send(ping(got.payload, true));
      return;
    case kRstStream:
      partial_[got.stream].reset = true;
      partial_[got.stream].error_code = got.error_code();
      ended_[got.stream] = true;
      return;
    default: return;
  }
}

Response Client::response(std::int32_t stream, milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  while (!ended_[stream]) {
    const auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now());
    const auto got = read_frame(std::max(left, milliseconds(0)));
    if (!got)
      echo::fail("the server closed the connection before stream " + std::to_string(stream) +
                 " ended");
    take(*got);
  }
  Response done = std::move(partial_[stream]);
  partial_.erase(stream);
  return done;
}

bool Client::closed_by_server(milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now());
    if (left.count() <= 0) return false;
    try {
      if (!read_frame(left)) return true;
    } catch (const std::runtime_error&) {
      return false;
    }
  }
}

std::optional<Frame> Client::first(std::uint8_t type) const {
  for (const Frame& got : seen_) {
    if (got.type == type) return got;
  }
  return std::nullopt;
}

std::string tool(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    const std::string_view dir = dirs.substr(0, dirs.find(':'));
    const std::string candidate = std::string(dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    dirs.remove_prefix(std::min(dirs.size(), dir.size() + 1));
  }
  echo::fail(name + " is not installed (Debian: curl, nghttp2-client); make bootstrap installs it");
}

std::size_t rss_kib(pid_t pid) {
  const auto value = syslab::test::status_field(pid, "VmRSS");
  if (!value) echo::fail("no VmRSS for pid " + std::to_string(pid));
  return static_cast<std::size_t>(std::stoull(*value));
}

}  // namespace h2_test
