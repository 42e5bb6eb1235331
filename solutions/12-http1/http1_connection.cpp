// Lab 12: one HTTP/1.1 connection: requests in order, responses in order, and the connection's
// end decided by the protocol (keep-alive), by bad input (the error status, then close) or by a
// timer (408 for a head that does not come, a quiet close for an idle keep-alive connection).
#include "http1_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ctime>
#include <exception>
#include <type_traits>

namespace http {

namespace {

// Parsed requests waiting behind the one being answered; beyond this, bytes wait unparsed.
constexpr std::size_t kMaxQueued = 16;
// Bytes read but not parsed (the queue is full, or a 100 Continue is due) beyond which the
// socket is not read (limit_input).
constexpr std::size_t kMaxUnparsed = 64 * 1024;

using Clock = std::chrono::steady_clock;

// BEGIN SOLUTION
// The request line as the access log quotes it.
std::string request_line(const Request& request) {
  return request.method + " " + request.target + " HTTP/" + std::to_string(request.version.major) +
         "." + std::to_string(request.version.minor);
}
// END SOLUTION

std::chrono::microseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

// A timer's callback: the connection's Http1Connection, if it still has one, does `step`.
template <void (Http1Connection::*step)()>
void with_http1(reactor::Connection& conn) {
  if (auto http = conn.context<Http1Connection>()) (http.get()->*step)();
}

}  // namespace

Http1Connection::Http1Connection(reactor::Connection& conn, const Handler& handler,
                                 const Http1Options& options, AccessLog log)
    : conn_(conn),
      handler_(handler),
      options_(options),
      log_(std::move(log)),
      peer_(peer_host(conn.fd())),
      parser_(options.limits) {}

void Http1Connection::start() { arm_header_timer(); }

bool Http1Connection::idle() const noexcept {
  return queue_.empty() && !responding_ && parser_.idle() && unparsed_.empty();
}

void Http1Connection::on_input(reactor::IoBuffer& input) {
  if (ended_) {  // the last response is decided: what else comes is dropped
    input.clear();
    return;
  }
  unparsed_.append(input.readable());
  input.clear();
  cancel_timer(keepalive_timer_);
  parse_input();
  answer_queued();
  limit_input();
}

void Http1Connection::limit_input() {
  // A client may pipeline megabytes behind a slow response: with the queue full, what it sends
  // would pile up in unparsed_ without end. Not reading leaves it in the socket's buffers, whose
  // size the kernel bounds, and TCP's flow control stops the client.
  const bool full = queue_.size() >= kMaxQueued || unparsed_.size() >= kMaxUnparsed;
  if (full && !input_paused_ && !ended_) {
    input_paused_ = true;
    conn_.pause_input();
  } else if (!full && input_paused_) {
    input_paused_ = false;
    conn_.resume_input();
  }
}

void Http1Connection::parse_input() {
  // BEGIN SOLUTION: feed unparsed_ to the parser until it needs more bytes: queue each complete request with its keep-alive decision (stop after one that closes the connection), answer "100 Continue" only when no earlier response is still due (else wait), queue a parse error as the last item; stop while kMaxQueued requests wait; arm the header timer while a head is incomplete
  while (!ended_ && !stopping_ && !waiting_for_continue_ && queue_.size() < kMaxQueued &&
         !unparsed_.empty()) {
    const Http1Parser::Result result = parser_.feed(unparsed_.readable());
    unparsed_.consume(result.consumed);
    if (result.event == Http1Parser::Event::kNeedMore) break;
    if (result.event == Http1Parser::Event::kExpectContinue) {
      waiting_for_continue_ = true;  // answered by answer_queued, in its turn
    } else if (result.event == Http1Parser::Event::kRequest) {
      const bool keep_alive = parser_.keep_alive();
      queue_.push_back({parser_.take_request(), keep_alive, Clock::now()});
      if (!keep_alive) unparsed_.clear();  // nothing after "Connection: close" is answered
    } else {
      queue_.push_back({parser_.error(), false, Clock::now()});
      unparsed_.clear();
      break;
    }
  }
  if (parser_.idle()) {
    cancel_timer(header_timer_);
  } else if (header_timer_ == 0) {
    arm_header_timer();
  }
  // END SOLUTION
}

// [slide:answer_queued]
void Http1Connection::answer_queued() {
  // BEGIN SOLUTION: while no response is being sent and the output is below options_.output_limit, start the first queued response (in arrival order); once the queue is empty, answer a waiting "100 Continue" and parse on; with nothing in flight, arm the keep-alive timer
  while (!responding_ && !ended_ && conn_.pending_output() < options_.output_limit) {
    if (!queue_.empty()) {
      Pending next = std::move(queue_.front());
      queue_.pop_front();
      start_response(std::move(next));
    } else if (waiting_for_continue_) {
      waiting_for_continue_ = false;
      conn_.send(continue_head());
      parse_input();
    } else if (unparsed_.empty() || queue_.size() >= kMaxQueued) {
      break;
    } else {
      const std::size_t before = unparsed_.size();
      parse_input();  // bytes held back while the queue was full
      if (queue_.empty() && unparsed_.size() == before) break;
    }
  }
  if (!ended_ && idle()) arm_keepalive_timer();
  // END SOLUTION
}
// [/slide]

void Http1Connection::start_response(Pending pending) {
  if (const auto* error = std::get_if<ParseError>(&pending.what)) {
    send_error(*error, pending.received);
    return;
  }
  const Request& request = std::get<Request>(pending.what);
  if (upgraded(request)) return;
  answered_any_ = true;
  if (stop_after_first_request_) stopping_ = true;  // the stop came first: this is the last
  send_early_hints(request);
  Response response = call_handler(request);
  // BEGIN SOLUTION: the connection stays open only if the request allows it (pending.keep_alive) and this is not the last queued response of a stopping server; write the head with write_head (dates_.now(), options_.server_name), remember what the log needs in record_, send the head and then the body as the head's framing says
  keep_alive_ = pending.keep_alive && !(stopping_ && queue_.empty());
  const ResponseHead head = write_head(response, ResponseContext::of(request, keep_alive_),
                                       dates_.now(), options_.server_name);
  keep_alive_ = head.keep_alive;  // an HTTP/1.0 body sent until the close ends the connection
  record_ = {peer_, request_line(request), response.status, 0, {}};
  received_ = pending.received;
  responding_ = true;
  conn_.send(head.bytes);
  send_body(response.body, head.framing);
  // END SOLUTION
}

// [slide:send_body]
void Http1Connection::send_body(Body& body, Framing framing) {
  // BEGIN SOLUTION: no body for Framing::kNone (HEAD, 204, 304); bytes: send them; a file region: conn_.send_file; a stream: keep it in stream_ and send its first piece (continue_stream); every body but a stream is complete at once (finish_response)
  if (framing == Framing::kNone) {
    finish_response();
    return;
  }
  if (auto* bytes = std::get_if<std::string>(&body)) {
    conn_.send(*bytes);
    record_.body_bytes = bytes->size();
  } else if (auto* region = std::get_if<FileRegion>(&body)) {
    conn_.send_file(region->file, region->offset, region->length);
    record_.body_bytes = region->length;
  } else {
    stream_ = std::move(std::get<std::unique_ptr<BodyStream>>(body));
    stream_framing_ = framing;
    continue_stream();
    return;
  }
  finish_response();
  // END SOLUTION
}
// [/slide]

void Http1Connection::continue_stream() {
  // BEGIN SOLUTION: take the stream's next piece and send it (write_chunk for Framing::kChunked, as it is for kUntilClose); then kMore: wait for on_drained (a piece with no bytes: a timer of 0 ms, as no drained callback will come); kWait: a connection timer after piece.wait; kEnd: last_chunk() when chunked, and the response is finished
  BodyStream::Piece piece = stream_->next();
  record_.body_bytes += piece.bytes.size();
  if (!piece.bytes.empty()) {
    conn_.send(stream_framing_ == Framing::kChunked ? write_chunk(piece.bytes) : piece.bytes);
  }
  switch (piece.then) {
    case BodyStream::Piece::Then::kMore:
      if (piece.bytes.empty()) {
        stream_timer_ = conn_.start_timer({}, with_http1<&Http1Connection::continue_stream>);
      } else {
        stream_waits_for_drain_ = true;
      }
      return;
    case BodyStream::Piece::Then::kWait:
      stream_timer_ = conn_.start_timer(piece.wait, with_http1<&Http1Connection::continue_stream>);
      return;
    case BodyStream::Piece::Then::kEnd:
      if (stream_framing_ == Framing::kChunked) conn_.send(last_chunk());
      stream_.reset();
      finish_response();
      return;
  }
  // END SOLUTION
}

void Http1Connection::on_drained() {
  if (stream_ && stream_waits_for_drain_) {
    stream_waits_for_drain_ = false;
    continue_stream();
  }
  if (!responding_) answer_queued();
  limit_input();
}

void Http1Connection::finish_response() {
  responding_ = false;
  stream_timer_ = 0;
  record_.duration = since(received_);
  if (log_) log_(record_);
  if (!keep_alive_ || (stopping_ && queue_.empty())) end_connection();
}

void Http1Connection::send_error(const ParseError& error, Clock::time_point received) {
  conn_.send(write_error(error, dates_.now(), options_.server_name));
  if (log_) log_({peer_, "-", error.status, 0, since(received)});
  end_connection();
}

void Http1Connection::end_connection() {
  ended_ = true;
  queue_.clear();
  unparsed_.clear();
  cancel_timer(header_timer_);
  cancel_timer(keepalive_timer_);
  if (input_paused_) {  // what the peer still sends is read and dropped until its EOF
    input_paused_ = false;
    conn_.resume_input();
  }
  conn_.close_after_output();
}

// Lab 13's hook: only a request with nothing after it may change the protocol. Once it has,
// this codec is done: no timer of its own, no bytes, no close (the new codec owns the socket).
bool Http1Connection::upgraded(const Request& request) {
  if (!options_.upgrade || !queue_.empty()) return false;
  if (!options_.upgrade(conn_, request, unparsed_.readable())) return false;
  ended_ = true;
  unparsed_.clear();
  cancel_timer(header_timer_);
  cancel_timer(keepalive_timer_);
  return true;
}

void Http1Connection::stop() {
  if (!answered_any_ && queue_.empty()) {
    // Accepted just before the stop, and its first request not here yet (or here in part): the
    // client cannot know that we stop, and closing now would fail a request it may be sending.
    // That request is answered, as the last; the header timer, armed since start(), and the
    // server's grace period bound the wait for it.
    stop_after_first_request_ = true;
    return;
  }
  stopping_ = true;
  unparsed_.clear();  // what is not yet a request is not answered
  if (!ended_ && !responding_ && queue_.empty()) end_connection();
}

// Given code: every connection arms it when it opens. When to arm it and when to cancel it is
// yours to decide, in parse_input; what happens when it fires, in header_timed_out.
void Http1Connection::arm_header_timer() {
  cancel_timer(header_timer_);
  header_timer_ =
      conn_.start_timer(options_.header_timeout, with_http1<&Http1Connection::header_timed_out>);
}

void Http1Connection::arm_keepalive_timer() {
  // BEGIN SOLUTION: with a keep-alive timeout (not 0), a connection timer after it that closes the connection if it is still idle then
  if (options_.keepalive_timeout.count() == 0 || keepalive_timer_ != 0) return;
  keepalive_timer_ = conn_.start_timer(options_.keepalive_timeout, [](reactor::Connection& conn) {
    auto http = conn.context<Http1Connection>();
    if (!http) return;
    http->keepalive_timer_ = 0;
    if (http->idle()) http->end_connection();
  });
  // END SOLUTION
}

void Http1Connection::header_timed_out() {
  // BEGIN SOLUTION: the head did not come in time: answer 408 (after what is still due) and close; a connection that never began a request just closes
  header_timer_ = 0;
  if (ended_) return;
  if (parser_.idle() && unparsed_.empty()) {
    if (idle()) end_connection();  // connected, but not one byte of a request came
    return;
  }
  queue_.push_back({ParseError{408, "the request head did not come in time"}, false, Clock::now()});
  unparsed_.clear();
  answer_queued();
  // END SOLUTION
}

void Http1Connection::cancel_timer(reactor::Connection::TimerHandle& handle) {
  conn_.cancel_timer(handle);
  handle = 0;
}

void Http1Connection::send_early_hints(const Request& request) {
  // No 1xx to an HTTP/1.0 client: it would take the 103 for the answer (RFC 9110 §15.2).
  if (!options_.early_hints || request.version == Version{1, 0}) return;
  const Headers fields = options_.early_hints(request);
  if (!fields.empty()) conn_.send(write_interim(103, fields));
}

Response Http1Connection::call_handler(const Request& request) {
  try {
    return handler_(request);
  } catch (const std::exception&) {  // one request fails, not the server
    return Response::text(500, "internal error\n");
  }
}

void on_http1_message(reactor::Connection& conn, reactor::IoBuffer& input) {
  if (auto http = conn.context<Http1Connection>()) {
    http->on_input(input);
  } else {
    input.clear();
  }
}

void on_http1_drained(reactor::Connection& conn) {
  if (auto http = conn.context<Http1Connection>()) http->on_drained();
}

std::string peer_host(fdio::BorrowedFd socket) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(socket.get(), reinterpret_cast<sockaddr*>(&address), &length) < 0) return "-";
  char text[INET6_ADDRSTRLEN] = {};
  const void* where = nullptr;
  if (address.ss_family == AF_INET) {
    where = &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr;
  } else if (address.ss_family == AF_INET6) {
    where = &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
  }
  if (where == nullptr || ::inet_ntop(address.ss_family, where, text, sizeof text) == nullptr) {
    return "-";
  }
  return text;
}

std::string format_access_line(const AccessRecord& record, std::time_t when) {
  std::tm utc{};
  ::gmtime_r(&when, &utc);
  char time_text[40];
  const std::size_t n = std::strftime(time_text, sizeof time_text, "%d/%b/%Y:%H:%M:%S +0000", &utc);
  return record.peer + " - - [" + std::string(time_text, n) + "] \"" + record.request_line + "\" " +
         std::to_string(record.status) + " " + std::to_string(record.body_bytes) + " " +
         std::to_string(record.duration.count()) + "\n";
}

}  // namespace http
