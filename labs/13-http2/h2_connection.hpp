// Lab 13: one HTTP/2 connection on lab 11's reactor: an nghttp2 server session driven by memory
// buffers (sans-I/O, like lab 12's parser): the bytes the reactor read go in with
// nghttp2_session_mem_recv, and the frames the session wants to send come out with
// nghttp2_session_mem_send, pulled only while the connection's output is below its high-water
// mark and pulled again from the drained callback: a peer that stops reading stops us producing.
// Each stream becomes a lab 12 Request, answered by the same handler as HTTP/1.1; its body goes
// out through a data provider (h2_body.hpp). Streams are many at once on one connection: a slow
// one (/delay) holds no other back, and a reset one is freed at once, its timer cancelled.
// Look at: nghttp -nv http://127.0.0.1:PORT/ (SETTINGS, HEADERS, DATA, GOAWAY as they pass).
#pragma once

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "h2_body.hpp"
#include "http1_connection.hpp"
#include "http_date.hpp"
#include "preloads.hpp"
#include "router.hpp"
#include "tcp_connection.hpp"

namespace h2 {

struct Http2Options {
  // SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §6.5.2): streams a client may have open at once.
  std::uint32_t max_concurrent_streams = 100;
  // SETTINGS_MAX_HEADER_LIST_SIZE: a request's decoded fields (field_size each) above this are
  // refused with RST_STREAM, however small their HPACK encoding was (the HPACK bomb).
  std::uint32_t max_header_list_size = 64 * 1024;
  // Request bodies above this are answered 413 and the stream reset (lab 12's --max-body).
  std::uint64_t max_body = 1 << 20;
  // A connection with no open stream is closed with GOAWAY after this (0: never).
  std::chrono::milliseconds idle_timeout{5'000};
  // Graceful stop: how long to wait for the PING that follows the first GOAWAY to come back
  // before the second, final one.
  std::chrono::milliseconds goaway_wait{1'000};
  // Frames are pulled from the session only while less than this is waiting to be written
  // (the connection's high-water mark, where the reactor also stops reading).
  std::size_t output_limit = 1 << 20;
  std::string server_name = "syslab-httpd";
  // httpd --preload, --early-hints, --push: a page's 103 and its pushed assets (preloads.hpp).
  Preloads preloads;
};

// SETTINGS_INITIAL_WINDOW_SIZE for a body limit: one byte more than the limit, so that a whole
// body up to the limit arrives without waiting for a WINDOW_UPDATE round trip (the handler takes
// the body whole: its window is consumed when it does), and a body over the limit shows itself
// instead of stalling at a closed window. Between 64 KiB - 1 (the default) and 2^31 - 1.
[[nodiscard]] std::int32_t initial_window_for(std::uint64_t max_body) noexcept;

// Lives in its reactor::Connection's context slot (like lab 12's Http1Connection); every call
// is on the connection's loop thread. The handler and the log are shared by every connection.
class Http2Connection {
 public:
  Http2Connection(reactor::Connection& conn, const http::Handler& handler,
                  const Http2Options& options, http::AccessLog log);
  ~Http2Connection();
  Http2Connection(const Http2Connection&) = delete;
  Http2Connection& operator=(const Http2Connection&) = delete;

  // Prior knowledge (the preface was seen): our SETTINGS go out; the client's preface and
  // frames come through on_input.
  void start();
  // h2c Upgrade (RFC 7540 §3.2): request, received over HTTP/1.1, becomes stream 1, half-closed
  // by the client, and is answered once the client's preface (its SETTINGS) shows it speaks
  // HTTP/2. settings: the decoded HTTP2-Settings payload. False (nothing sent, nothing changed)
  // when the payload is not a valid SETTINGS payload.
  [[nodiscard]] bool start_upgraded(const http::Request& request, std::string_view settings);
  // Bytes arrived: into the session, then what it has to send.
  void on_input(std::string_view bytes);
  // The output fell to the low-water mark: pull more frames.
  void on_drained();
  // Graceful stop, in two steps (RFC 9113 §6.8): a GOAWAY announcing the end with a PING, then,
  // once the PING is back (one round trip: requests already on their way are in), the final
  // GOAWAY with the last stream id we took. Open streams finish; then the connection closes.
  void stop();

  [[nodiscard]] std::size_t open_streams() const noexcept { return streams_.size(); }

 private:
  struct Stream;
  struct SessionDeleter {
    void operator()(nghttp2_session* session) const noexcept { nghttp2_session_del(session); }
  };
  class Callbacks;  // nghttp2's C callbacks, forwarding to the members below

  // ---- from the session's callbacks (inside mem_recv or mem_send) ----
  int begin_stream(std::int32_t id);
  int take_field(std::int32_t id, bool trailer, std::string_view name, std::string_view value);
  int take_data(std::int32_t id, std::string_view bytes);
  int frame_received(const nghttp2_frame& frame);
  int frame_sent(const nghttp2_frame& frame);
  int stream_closed(std::int32_t id, std::uint32_t error_code);
  ssize_t read_body(std::int32_t id, std::uint8_t* buffer, std::size_t length,
                    std::uint32_t* flags);

  void send_settings();
  void answer(Stream& stream);  // the request is complete: the handler, then the response
  void respond(Stream& stream, http::Response response);
  void send_early_hints(const Stream& page);  // a 103 with the page's Link fields, if any
  void push_preloads(const Stream& page);     // a PUSH_PROMISE and a response for each asset
  [[nodiscard]] http::Response call_handler(const http::Request& request);
  void flush();  // frames out while the output is below the limit; close when done
  void send_batch(std::string& batch);  // the gathered frames to the connection; empties batch
  void resume_stream(std::int32_t id);
  void final_goaway();
  void fail(std::string_view what, int error);  // the session cannot go on: close
  void end_connection();  // the session is over (done_): close, at once if aborted_
  void arm_idle_timer();
  void idle_timed_out();
  [[nodiscard]] Stream* find(std::int32_t id);
  [[nodiscard]] std::string_view scheme() const;  // "https" over TLS, else "http"

  reactor::Connection& conn_;  // owns this object
  const http::Handler& handler_;
  const Http2Options& options_;
  http::AccessLog log_;
  std::string peer_;
  http::DateCache dates_;
  std::unique_ptr<nghttp2_session, SessionDeleter> session_;
  std::map<std::int32_t, std::unique_ptr<Stream>> streams_;
  bool upgrade_unanswered_ = false;  // stream 1 of an Upgrade waits for the client's SETTINGS
  bool stopping_ = false;
  bool final_goaway_sent_ = false;
  bool done_ = false;        // closing: nothing more in or out
  bool aborted_ = false;     // ended on an error (GOAWAY with an error code): close at once
  int oversized_lists_ = 0;  // requests refused for their header list's size
  reactor::Connection::TimerHandle idle_timer_ = 0;
  reactor::Connection::TimerHandle goaway_timer_ = 0;
};

}  // namespace h2
