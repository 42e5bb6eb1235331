// Lab 13: one HTTP/2 connection: the nghttp2 session between the reactor's bytes and the
// handler (see h2_connection.hpp). The session calls us back from inside mem_recv (a frame, a
// field, some DATA arrived; a stream closed) and mem_send (the next piece of a body): those
// callbacks only record and submit; the bytes move in on_input and flush.
#include "h2_connection.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <iostream>
#include <limits>
#include <span>
#include <stdexcept>
#include <vector>

#include "h2_fields.hpp"

namespace h2 {

namespace {

using Clock = std::chrono::steady_clock;

// The connection's own receive window. Bytes are consumed from it as they arrive (they move
// into their stream, whose own window bounds what a stream may hold): 16 MiB lets many uploads
// share the connection without a stall.
constexpr std::int32_t kConnectionWindow = 16 << 20;
// Streams a client may reset in a burst, and then per second, before the session ends.
constexpr std::uint64_t kResetBurst = 100;
constexpr std::uint64_t kResetRate = 33;
// Requests whose header list went over the limit that one connection may send before it is ended.
constexpr int kMaxOversizedLists = 4;
// flush gathers the frames nghttp2 gives one at a time (a HEADERS; a DATA frame's header, then
// its payload) and writes them together: a burst of small responses costs one write(2), not two
// per response. A batch this large is written at once, so a big body goes out as it is pulled.
constexpr std::size_t kWriteBatch = 64 << 10;
// The PING sent with the first GOAWAY of a graceful stop: its ACK says one round trip passed.
constexpr std::array<std::uint8_t, 8> kStopPing = {'s', 't', 'o', 'p', 'p', 'i', 'n', 'g'};

// A timer's callback: the connection's Http2Connection, if it still has one, does `step`.
template <void (Http2Connection::*step)()>
void with_h2(reactor::Connection& conn) {
  if (auto h2 = conn.context<Http2Connection>()) (h2.get()->*step)();
}

std::string_view as_text(const std::uint8_t* data, std::size_t length) {
  return {reinterpret_cast<const char*>(data), length};
}

// BEGIN SOLUTION
// Fields as nghttp2 takes them; they point into fields, which nghttp2 copies when submitted.
std::vector<nghttp2_nv> to_nv(const std::vector<Field>& fields) {
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (const auto& [name, value] : fields) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                   value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nva;
}

// The header block of a PUSH_PROMISE: the pseudo-header fields of the promised request.
std::vector<Field> promised_fields(const http::Request& request, std::string_view scheme) {
  return {{":method", request.method},
          {":scheme", std::string(scheme)},
          {":authority", std::string(request.headers.get("Host").value_or("localhost"))},
          {":path", request.target}};
}
// END SOLUTION

}  // namespace

std::int32_t initial_window_for(std::uint64_t max_body) noexcept {
  constexpr std::uint64_t kMax = std::numeric_limits<std::int32_t>::max();
  return static_cast<std::int32_t>(
      std::clamp<std::uint64_t>(max_body + 1, NGHTTP2_INITIAL_WINDOW_SIZE, kMax));
}

struct Http2Connection::Stream {
  explicit Stream(std::int32_t stream_id) : id(stream_id) {}
  std::int32_t id;
  http::Request request;
  std::size_t field_bytes = 0;       // against max_header_list_size
  bool refused = false;              // over a limit: what else the client sends is dropped
  bool answered = false;             // the response is submitted
  std::unique_ptr<BodyReader> body;  // the response's body, while it is sent
  reactor::Connection::TimerHandle timer = 0;  // a body that waits (/stream, /delay)
  int status = 0;
  Clock::time_point received = Clock::now();
};

// nghttp2 is C: its callbacks get the connection back as user_data, and an exception must not
// cross them. Each turns one into NGHTTP2_ERR_CALLBACK_FAILURE (the session ends, the server
// does not).
class Http2Connection::Callbacks {
 public:
  static int begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* self) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    return guarded([&] { return of(self).begin_stream(frame->hd.stream_id); });
  }
  static int header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                    std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                    std::uint8_t /*flags*/, void* self) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    const bool trailer = frame->headers.cat == NGHTTP2_HCAT_HEADERS;
    return guarded([&] {
      return of(self).take_field(frame->hd.stream_id, trailer, as_text(name, namelen),
                                 as_text(value, valuelen));
    });
  }
  static int data_chunk(nghttp2_session*, std::uint8_t /*flags*/, std::int32_t id,
                        const std::uint8_t* data, std::size_t length, void* self) {
    return guarded([&] { return of(self).take_data(id, as_text(data, length)); });
  }
  static int frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* self) {
    return guarded([&] { return of(self).frame_received(*frame); });
  }
  static int frame_send(nghttp2_session*, const nghttp2_frame* frame, void* self) {
    return guarded([&] { return of(self).frame_sent(*frame); });
  }
  static int stream_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code, void* self) {
    return guarded([&] { return of(self).stream_closed(id, error_code); });
  }
  static ssize_t read(nghttp2_session*, std::int32_t id, std::uint8_t* buffer, std::size_t length,
                      std::uint32_t* flags, nghttp2_data_source*, void* self) {
    try {
      return of(self).read_body(id, buffer, length, flags);
    } catch (const std::exception&) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  static nghttp2_session_callbacks* make() {
    nghttp2_session_callbacks* callbacks = nullptr;
    if (nghttp2_session_callbacks_new(&callbacks) != 0) throw std::bad_alloc();
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, stream_close);
    return callbacks;
  }

 private:
  static Http2Connection& of(void* self) { return *static_cast<Http2Connection*>(self); }
  template <class Step>
  static int guarded(Step step) noexcept {
    try {
      return step();
    } catch (const std::exception&) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }
};

Http2Connection::Http2Connection(reactor::Connection& conn, const http::Handler& handler,
                                 const Http2Options& options, http::AccessLog log)
    : conn_(conn),
      handler_(handler),
      options_(options),
      log_(std::move(log)),
      peer_(http::peer_host(conn.fd())) {
  // BEGIN SOLUTION: a server session (nghttp2_session_server_new2) with Callbacks::make() and this as user data, and an option that turns off automatic WINDOW_UPDATEs (we consume what the handler takes); free the callbacks and the option once the session has them
  std::unique_ptr<nghttp2_session_callbacks, decltype(&nghttp2_session_callbacks_del)> callbacks(
      Callbacks::make(), nghttp2_session_callbacks_del);
  nghttp2_option* raw_option = nullptr;
  if (nghttp2_option_new(&raw_option) != 0) throw std::bad_alloc();
  std::unique_ptr<nghttp2_option, decltype(&nghttp2_option_del)> option(raw_option,
                                                                        nghttp2_option_del);
  // Window updates follow consumption, not arrival: flow control then bounds what we hold.
  nghttp2_option_set_no_auto_window_update(option.get(), 1);
  // Rapid reset (CVE-2023-44487): each reset stream has cost a handler call already. nghttp2
  // allows a burst of 1000 and then 33 a second before its GOAWAY; we allow a burst of
  // kResetBurst, enough for a browser that cancels a page's requests.
  nghttp2_option_set_stream_reset_rate_limit(option.get(), kResetBurst, kResetRate);
  nghttp2_session* session = nullptr;
  if (nghttp2_session_server_new2(&session, callbacks.get(), this, option.get()) != 0) {
    throw std::bad_alloc();
  }
  session_.reset(session);
  // END SOLUTION
}

Http2Connection::~Http2Connection() = default;

void Http2Connection::send_settings() {
  // BEGIN SOLUTION: submit SETTINGS with max concurrent streams, max header list size and the initial window (initial_window_for the body limit); raise the connection's own window to kConnectionWindow
  const std::array<nghttp2_settings_entry, 3> settings = {{
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, options_.max_header_list_size},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
       static_cast<std::uint32_t>(initial_window_for(options_.max_body))},
  }};
  if (nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE, settings.data(),
                              settings.size()) != 0 ||
      nghttp2_session_set_local_window_size(session_.get(), NGHTTP2_FLAG_NONE, 0,
                                            kConnectionWindow) != 0) {
    throw std::runtime_error("nghttp2: cannot submit SETTINGS");
  }
  // END SOLUTION
}

void Http2Connection::start() {
  send_settings();
  arm_idle_timer();
  flush();
}

bool Http2Connection::start_upgraded(const http::Request& request, std::string_view settings) {
  // BEGIN SOLUTION: nghttp2_session_upgrade2 with the payload (a HEAD request says so); refused: false. Else send the 101 (Connection: Upgrade, Upgrade: h2c) by hand, as HTTP/1.1; then our SETTINGS, stream 1 with the request (version 2.0), to be answered once the client's SETTINGS come (upgrade_unanswered_); flush
  const int rv = nghttp2_session_upgrade2(
      session_.get(), reinterpret_cast<const std::uint8_t*>(settings.data()), settings.size(),
      request.method == "HEAD" ? 1 : 0, nullptr);
  if (rv != 0) return false;
  conn_.send("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
  send_settings();
  auto stream = std::make_unique<Stream>(1);
  stream->request = request;
  stream->request.version = {2, 0};
  streams_.emplace(1, std::move(stream));
  upgrade_unanswered_ = true;  // frame_received answers it
  flush();
  return true;
  // END SOLUTION
}

// [slide:on_input]
void Http2Connection::on_input(std::string_view bytes) {
  // BEGIN SOLUTION: unless done: the bytes into nghttp2_session_mem_recv (all of them: it keeps what it needs); an error there (a bad preface, a flood) ends the session: fail; else flush what the session has to send
  if (done_) return;
  const ssize_t rv = nghttp2_session_mem_recv(
      session_.get(), reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (rv < 0) {
    fail("mem_recv", static_cast<int>(rv));
    return;
  }
  flush();
  // END SOLUTION
}
// [/slide]

void Http2Connection::on_drained() { flush(); }

// [slide:flush]
void Http2Connection::flush() {
  // BEGIN SOLUTION: while the connection is open and its output (with what this turn gathered) is below options_.output_limit, nghttp2_session_mem_send, gathering what it gives in one string, sent by send_batch once it reaches kWriteBatch and at the end (an error: send_batch, then fail); then, when the session wants neither to read nor to write (GOAWAY exchanged, no stream left), close after the output
  if (done_) return;
  std::string batch;  // this turn's frames: one write for many, not one per frame
  while (conn_.connected() && conn_.pending_output() + batch.size() < options_.output_limit) {
    const std::uint8_t* frame = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_.get(), &frame);
    if (n < 0) {
      send_batch(batch);
      fail("mem_send", static_cast<int>(n));
      return;
    }
    if (n == 0) break;  // nothing more to send now
    batch.append(as_text(frame, static_cast<std::size_t>(n)));
    if (batch.size() >= kWriteBatch) send_batch(batch);
  }
  send_batch(batch);  // above the limit, on_drained calls again once the peer has read enough
  if (nghttp2_session_want_read(session_.get()) == 0 &&
      nghttp2_session_want_write(session_.get()) == 0) {
    end_connection();  // GOAWAYs exchanged, no stream left
  }
  // END SOLUTION
}
// [/slide]

void Http2Connection::send_batch(std::string& batch) {
  if (batch.empty()) return;  // (an empty send would still cost a write(2))
  conn_.send(batch);
  batch.clear();
}

void Http2Connection::fail(std::string_view what, int error) {
  if (done_) return;
  done_ = true;
  // A flood, or too many CONTINUATION frames: tell the peer why before closing.
  const bool calm = error == NGHTTP2_ERR_FLOODED || error == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
  (void)nghttp2_session_terminate_session(
      session_.get(), calm ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
  const std::uint8_t* frames = nullptr;
  ssize_t n = 0;
  while (conn_.connected() && (n = nghttp2_session_mem_send(session_.get(), &frames)) > 0) {
    conn_.send(as_text(frames, static_cast<std::size_t>(n)));
  }
  (void)what;
  aborted_ = true;
  end_connection();
}

// A session that ended well (GOAWAY NO_ERROR: idle, a stop) closes after its last byte, and
// what the peer still sends is read and dropped meanwhile. One that ended on an error (an
// attack: a flood, too many resets) closes at once: a peer that keeps sending fast would keep
// the loop in this connection's reads, and every other connection waiting.
void Http2Connection::end_connection() {
  done_ = true;
  if (aborted_) {
    conn_.close();
  } else {
    conn_.close_after_output();
  }
}

int Http2Connection::begin_stream(std::int32_t id) {
  // BEGIN SOLUTION: a new Stream under id; the connection is no longer idle (cancel the idle timer)
  streams_.emplace(id, std::make_unique<Stream>(id));
  conn_.cancel_timer(idle_timer_);
  idle_timer_ = 0;
  return 0;
  // END SOLUTION
}

int Http2Connection::take_field(std::int32_t id, bool trailer, std::string_view name,
                                std::string_view value) {
  // BEGIN SOLUTION: count field_size against options_.max_header_list_size (over it: refuse the stream with NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE, which resets it); a trailer goes to request.trailers, any other field through add_request_field
  Stream* stream = find(id);
  if (stream == nullptr || stream->refused) return 0;
  stream->field_bytes += field_size(name, value);
  if (stream->field_bytes > options_.max_header_list_size) {
    stream->refused = true;  // a small block that decodes to a huge list: the HPACK bomb
    // Its decoding goes on (the HPACK table must stay in step) and costs us each time: a
    // client that does it again and again is ended.
    if (++oversized_lists_ > kMaxOversizedLists) {
      (void)nghttp2_session_terminate_session(session_.get(), NGHTTP2_ENHANCE_YOUR_CALM);
    }
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  if (trailer) {
    stream->request.trailers.add(std::string(name), std::string(value));
  } else {
    add_request_field(stream->request, name, value);
  }
  return 0;
  // END SOLUTION
}

int Http2Connection::take_data(std::int32_t id, std::string_view bytes) {
  // BEGIN SOLUTION: the connection's window is consumed at once (nghttp2_session_consume_connection: the bytes leave it for their stream); append to the stream's body; past options_.max_body: refuse the stream and answer 413
  (void)nghttp2_session_consume_connection(session_.get(), bytes.size());
  Stream* stream = find(id);
  if (stream == nullptr || stream->refused) return 0;
  if (stream->request.body.size() + bytes.size() > options_.max_body) {
    stream->refused = true;
    respond(*stream, http::Response::text(413, "request body too large\n"));
    return 0;
  }
  stream->request.body.append(bytes);
  return 0;
  // END SOLUTION
}

int Http2Connection::frame_received(const nghttp2_frame& frame) {
  // BEGIN SOLUTION: HEADERS or DATA that ends a request's stream (NGHTTP2_FLAG_END_STREAM): answer it; the client's first SETTINGS after an Upgrade: answer stream 1; the ACK of our stop PING: the final GOAWAY. (The rest of SETTINGS, PING, WINDOW_UPDATE is nghttp2's own business.)
  switch (frame.hd.type) {
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA:
      if ((frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
        if (Stream* stream = find(frame.hd.stream_id); stream != nullptr && !stream->refused) {
          answer(*stream);
        }
      }
      break;
    case NGHTTP2_SETTINGS:
      // The client's preface: after an Upgrade it now reads HTTP/2, and stream 1 may be answered.
      // Not before: a client still reading the 101 takes only so much behind it (curl 32 KiB,
      // and the first 64 KiB of a body may follow at once, as one write).
      if ((frame.hd.flags & NGHTTP2_FLAG_ACK) == 0 && upgrade_unanswered_) {
        upgrade_unanswered_ = false;
        if (Stream* stream = find(1); stream != nullptr && !stream->refused) answer(*stream);
      }
      break;
    case NGHTTP2_PING:
      if ((frame.hd.flags & NGHTTP2_FLAG_ACK) != 0 && stopping_ &&
          std::equal(kStopPing.begin(), kStopPing.end(), frame.ping.opaque_data)) {
        final_goaway();
      }
      break;
    default: break;
  }
  return 0;
  // END SOLUTION
}

int Http2Connection::frame_sent(const nghttp2_frame& frame) {
  // nghttp2 ends a session on its own too (too many resets: CVE-2023-44487): its GOAWAY says so.
  if (frame.hd.type == NGHTTP2_GOAWAY && frame.goaway.error_code != NGHTTP2_NO_ERROR) {
    aborted_ = true;
  }
  // A refused upload's 413 is out: tell the client to stop sending (RST_STREAM NO_ERROR, RFC
  // 9113 §8.1), now that the reset cannot overtake the response.
  const bool ends = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (ends && (frame.hd.type == NGHTTP2_DATA || frame.hd.type == NGHTTP2_HEADERS)) {
    if (Stream* stream = find(frame.hd.stream_id); stream != nullptr && stream->refused) {
      (void)nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream->id,
                                      NGHTTP2_NO_ERROR);
    }
  }
  return 0;
}

int Http2Connection::stream_closed(std::int32_t id, std::uint32_t error_code) {
  // BEGIN SOLUTION: the stream is over (its response sent, or RST_STREAM either way): cancel its timer, log it if it was answered, free it; no stream left: arm the idle timer
  const auto it = streams_.find(id);
  if (it == streams_.end()) return 0;
  Stream& stream = *it->second;
  conn_.cancel_timer(stream.timer);  // a reset /delay: its timer goes with it
  if (stream.answered && log_) {
    const auto& request = stream.request;
    log_({peer_, request.method + " " + request.target + " HTTP/2.0",
          error_code == NGHTTP2_NO_ERROR ? stream.status : 0, stream.body ? stream.body->sent() : 0,
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - stream.received)});
  }
  streams_.erase(it);
  if (streams_.empty()) arm_idle_timer();
  return 0;
  // END SOLUTION
}

void Http2Connection::answer(Stream& stream) {
  // The handler takes the body: its bytes leave the stream's window now.
  if (!stream.request.body.empty()) {
    (void)nghttp2_session_consume_stream(session_.get(), stream.id, stream.request.body.size());
  }
  if (options_.preloads.early_hints) send_early_hints(stream);
  // The promises go before the page's own HEADERS and DATA: a client that reads the page first
  // would ask for the asset itself, and the push would only cost bandwidth (RFC 9113 §8.4.1).
  if (options_.preloads.push) push_preloads(stream);
  respond(stream, call_handler(stream.request));
}

void Http2Connection::send_early_hints(const Stream& page) {
  // BEGIN SOLUTION: the page's early_hint_fields, none: nothing; else a HEADERS frame without END_STREAM (nghttp2_submit_headers) holding ":status: 103" and a "link" per field: a non-final response, the 200 follows on the same stream
  const http::Headers hints = early_hint_fields(page.request, options_.preloads);
  if (hints.empty()) return;
  std::vector<Field> fields = {{":status", "103"}};
  for (const auto& hint : hints) fields.emplace_back("link", hint.value);
  const std::vector<nghttp2_nv> nva = to_nv(fields);
  (void)nghttp2_submit_headers(session_.get(), NGHTTP2_FLAG_NONE, page.id, nullptr, nva.data(),
                               nva.size(), nullptr);  // refused: the 200 still comes, unhinted
  // END SOLUTION
}

void Http2Connection::push_preloads(const Stream& page) {
  // BEGIN SOLUTION: unless the client said SETTINGS_ENABLE_PUSH = 0: for each of preloads_for the page, a PUSH_PROMISE on the page's stream (nghttp2_submit_push_promise) with the promised_request's :method, :scheme, :authority, :path; a new Stream under the promised id with that request, answered now by the handler (respond); a refused promise: stop
  // The client's SETTINGS_ENABLE_PUSH = 0 forbids it (RFC 9113 §6.5.2); browsers say so now.
  if (nghttp2_session_get_remote_settings(session_.get(), NGHTTP2_SETTINGS_ENABLE_PUSH) == 0) {
    return;
  }
  for (const std::string& path : preloads_for(page.request, options_.preloads)) {
    http::Request request = promised_request(page.request, path);
    const std::vector<Field> fields = promised_fields(request, scheme());
    const std::vector<nghttp2_nv> nva = to_nv(fields);  // points into fields
    const std::int32_t id = nghttp2_submit_push_promise(session_.get(), NGHTTP2_FLAG_NONE, page.id,
                                                        nva.data(), nva.size(), nullptr);
    if (id < 0) return;  // the session refused (a GOAWAY is on its way): no more promises
    auto stream = std::make_unique<Stream>(id);
    stream->request = std::move(request);
    Stream& pushed = *stream;
    streams_.emplace(id, std::move(stream));
    respond(pushed, call_handler(pushed.request));  // the response goes out on the new stream
  }
  // END SOLUTION
}

void Http2Connection::respond(Stream& stream, http::Response response) {
  // BEGIN SOLUTION: the fields (response_fields) as nghttp2_nv; no body for HEAD, 204, 304: nghttp2_submit_response without a data provider; else the body in a BodyReader and a provider whose read callback is Callbacks::read; a refused submit resets the stream
  stream.answered = true;
  stream.status = response.status;
  const std::vector<Field> fields = response_fields(response, dates_.now(), options_.server_name);
  const std::vector<nghttp2_nv> nva = to_nv(fields);
  nghttp2_data_provider provider{};
  const nghttp2_data_provider* body = nullptr;
  if (!response_has_no_body(stream.request, response.status)) {
    stream.body = std::make_unique<BodyReader>(std::move(response.body));
    provider.read_callback = Callbacks::read;
    body = &provider;
  }
  // nghttp2 copies the fields: they need not outlive the call.
  if (nghttp2_submit_response(session_.get(), stream.id, nva.data(), nva.size(), body) != 0) {
    (void)nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream.id,
                                    NGHTTP2_INTERNAL_ERROR);
  }
  // END SOLUTION
}

http::Response Http2Connection::call_handler(const http::Request& request) {
  try {
    return handler_(request);
  } catch (const std::exception&) {  // this stream fails, not the connection
    return http::Response::text(500, "internal error\n");
  }
}

// [slide:read_body]
ssize_t Http2Connection::read_body(std::int32_t id, std::uint8_t* buffer, std::size_t length,
                                   std::uint32_t* flags) {
  // BEGIN SOLUTION: the stream's BodyReader fills the frame: end: NGHTTP2_DATA_FLAG_EOF; deferred: NGHTTP2_ERR_DEFERRED, and with a wait, a connection timer that resumes the stream (resume_stream); a file that cannot be read resets the stream (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE)
  Stream* stream = find(id);
  if (stream == nullptr || !stream->body) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  BodyReader::Result piece;
  try {
    piece = stream->body->read(std::span<std::uint8_t>(buffer, length));
  } catch (const std::system_error&) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // RST_STREAM: the client sees a cut body
  }
  if (piece.end) *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (!piece.deferred) return static_cast<ssize_t>(piece.count);
  if (piece.wait) {
    // The timer holds the stream's id, not the stream: a reset frees it, and the id finds nothing.
    stream->timer = conn_.start_timer(*piece.wait, [id](reactor::Connection& conn) {
      if (auto h2 = conn.context<Http2Connection>()) h2->resume_stream(id);
    });
  }
  return NGHTTP2_ERR_DEFERRED;
  // END SOLUTION
}
// [/slide]

void Http2Connection::resume_stream(std::int32_t id) {
  Stream* stream = find(id);
  if (stream == nullptr || !stream->body) return;
  stream->timer = 0;
  stream->body->resume();
  (void)nghttp2_session_resume_data(session_.get(), id);
  flush();
}

// [slide:stop-1]
void Http2Connection::stop() {
  // BEGIN SOLUTION: once: the shutdown notice (a GOAWAY with the largest stream id) and a PING (kStopPing) to time one round trip; a timer of options_.goaway_wait in case no ACK comes; flush
  if (stopping_ || done_) return;
  stopping_ = true;
  if (nghttp2_submit_shutdown_notice(session_.get()) != 0 ||
      nghttp2_submit_ping(session_.get(), NGHTTP2_FLAG_NONE, kStopPing.data()) != 0) {
    final_goaway();
    return;
  }
  goaway_timer_ = conn_.start_timer(options_.goaway_wait, with_h2<&Http2Connection::final_goaway>);
  flush();
  // END SOLUTION
}
// [/slide]

// [slide:stop-2]
void Http2Connection::final_goaway() {
  // BEGIN SOLUTION: once: cancel the timer; GOAWAY NO_ERROR with the last stream id the session processed (nghttp2_session_get_last_proc_stream_id): streams above it are refused, streams up to it finish; flush
  if (final_goaway_sent_ || done_) return;
  final_goaway_sent_ = true;
  conn_.cancel_timer(goaway_timer_);
  goaway_timer_ = 0;
  (void)nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(session_.get()),
                              NGHTTP2_NO_ERROR, nullptr, 0);
  flush();
  // END SOLUTION
}
// [/slide]

void Http2Connection::arm_idle_timer() {
  if (options_.idle_timeout.count() == 0 || idle_timer_ != 0) return;
  idle_timer_ = conn_.start_timer(options_.idle_timeout, with_h2<&Http2Connection::idle_timed_out>);
}

void Http2Connection::idle_timed_out() {
  // BEGIN SOLUTION: still no stream: end the session with GOAWAY NO_ERROR (nghttp2_session_terminate_session) and flush, which closes once it is out
  idle_timer_ = 0;
  if (!streams_.empty() || done_) return;
  (void)nghttp2_session_terminate_session(session_.get(), NGHTTP2_NO_ERROR);
  flush();
  // END SOLUTION
}

// HTTP/2 over TLS was agreed by ALPN ("h2"); a clear-text connection has no ALPN at all.
std::string_view Http2Connection::scheme() const {
  return conn_.transport().selected_protocol().empty() ? "http" : "https";
}

Http2Connection::Stream* Http2Connection::find(std::int32_t id) {
  const auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

}  // namespace h2
