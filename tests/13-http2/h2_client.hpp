// Lab 13 tests: a raw HTTP/2 client: frames built and read byte by byte (RFC 9113 §4.1), header
// blocks through nghttp2's HPACK encoder and decoder only (RFC 7541), so that a test can send
// what no well-behaved library would (a RST_STREAM right after each HEADERS, CONTINUATION without
// end, a header block that decodes to megabytes) and see every frame the server sends back.
#pragma once

#include <nghttp2/nghttp2.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "syslab/files.hpp"

namespace h2_test {

using Fields = std::vector<std::pair<std::string, std::string>>;
using std::chrono::milliseconds;

enum FrameType : std::uint8_t {
  kData = 0,
  kHeaders = 1,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoaway = 7,
  kWindowUpdate = 8,
  kContinuation = 9,
};
enum FrameFlag : std::uint8_t { kAck = 1, kEndStream = 1, kEndHeaders = 4 };

struct Frame {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::int32_t stream = 0;
  std::string payload;
  [[nodiscard]] bool has(std::uint8_t flag) const { return (flags & flag) != 0; }
  // GOAWAY: last stream id and error code; RST_STREAM: the error code.
  [[nodiscard]] std::int32_t goaway_last_stream() const;
  [[nodiscard]] std::uint32_t error_code() const;
  // SETTINGS: the value of one setting, if the frame has it.
  [[nodiscard]] std::optional<std::uint32_t> setting(std::uint16_t id) const;
};

// One frame's bytes: the 9-byte header, then the payload.
std::string frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream,
                  std::string_view payload);
std::string settings_frame(const std::vector<std::pair<std::uint16_t, std::uint32_t>>& settings);
std::string window_update(std::int32_t stream, std::uint32_t increment);
std::string rst_stream(std::int32_t stream, std::uint32_t error_code);
std::string ping(std::string_view opaque8, bool ack = false);
// The preface and an empty SETTINGS: what a client sends first.
std::string client_start(const std::vector<std::pair<std::uint16_t, std::uint32_t>>& settings = {});
// The pseudo-headers of a request (and regular fields after them).
Fields request(std::string_view method, std::string_view path, const Fields& extra = {});

// An HPACK encoder and decoder (nghttp2's), one pair per connection as the protocol wants.
class Hpack {
 public:
  Hpack();
  ~Hpack();
  Hpack(const Hpack&) = delete;
  Hpack& operator=(const Hpack&) = delete;
  [[nodiscard]] std::string encode(const Fields& fields);
  [[nodiscard]] Fields decode(std::string_view block);

 private:
  nghttp2_hd_deflater* deflater_ = nullptr;
  nghttp2_hd_inflater* inflater_ = nullptr;
};

struct Response {
  int status = 0;
  Fields headers;
  std::string body;
  bool reset = false;  // RST_STREAM came instead of the end
  std::uint32_t error_code = 0;
  [[nodiscard]] std::optional<std::string> field(std::string_view name) const;
};

class Client {
 public:
  // Connects to 127.0.0.1:port; with start, sends the preface and SETTINGS (client_start).
  explicit Client(std::uint16_t port, bool start = true);
  [[nodiscard]] int fd() const { return fd_.get(); }

  void send(std::string_view bytes, milliseconds timeout = std::chrono::seconds(5));
  // A HEADERS frame (END_HEADERS, END_STREAM when end_stream) with fields encoded by our HPACK.
  void headers(std::int32_t stream, const Fields& fields, bool end_stream);
  void data(std::int32_t stream, std::string_view bytes, bool end_stream);
  // GET path on stream, ended.
  void get(std::int32_t stream, std::string_view path);

  // The next frame; nullopt when the server closed the connection. Throws at the deadline.
  std::optional<Frame> read_frame(milliseconds timeout = std::chrono::seconds(5));
  // Reads frames until stream ends (its last DATA or HEADERS with END_STREAM, or a RST_STREAM):
  // the response. Frames of other streams are kept for their own call; SETTINGS are acked and
  // WINDOW_UPDATEs sent for DATA received. Throws at the deadline or at the close.
  Response response(std::int32_t stream, milliseconds timeout = std::chrono::seconds(5));
  // Reads until the server closes the connection (true) or the deadline passes (false); the
  // frames read on the way are in seen().
  bool closed_by_server(milliseconds timeout = std::chrono::seconds(5));
  // Every frame read so far, in order.
  [[nodiscard]] const std::vector<Frame>& seen() const { return seen_; }
  // The first frame seen of this type, if any.
  [[nodiscard]] std::optional<Frame> first(std::uint8_t type) const;
  // What response() does with each frame: SETTINGS and PING acked, WINDOW_UPDATE for DATA,
  // HEADERS decoded, the streams' responses gathered.
  void take(const Frame& frame);

 private:
  syslab::test::OwnedFd fd_;
  std::string buffer_;
  Hpack hpack_;
  std::vector<Frame> seen_;
  std::map<std::int32_t, Response> partial_;
  std::map<std::int32_t, std::string> header_blocks_;  // HEADERS awaiting CONTINUATION
  std::map<std::int32_t, bool> ended_;
};

// The path of a peer program (curl, nghttp, h2load) on PATH; fails the test, naming the Debian
// package, when it is not installed.
std::string tool(const std::string& name);
// The resident memory of a process in KiB (VmRSS of /proc/PID/status).
std::size_t rss_kib(pid_t pid);

}  // namespace h2_test
