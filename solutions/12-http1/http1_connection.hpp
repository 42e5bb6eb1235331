// Lab 12: one HTTP/1.1 connection on lab 11's reactor: the codec between the socket's bytes and
// the handler. It feeds the parser whatever a read gave, keeps the parsed requests in a queue and
// answers them one at a time, in order (pipelining: a slow first response is never overtaken),
// writes each head with the writer and then its body: bytes, a file region (sendfile) or a stream
// driven by the drained callback and the connection's timers, never by a blocking call. It
// decides whether the connection stays open (RFC 9112 §9.3), cuts a head that takes too long
// (408) and an idle keep-alive connection, and answers bad input with its status and a close.
// Look at: curl -v http://127.0.0.1:PORT/ twice in one command: "Re-using existing connection".
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "http1_parser.hpp"
#include "http1_writer.hpp"
#include "http_date.hpp"
#include "response.hpp"
#include "router.hpp"
#include "tcp_connection.hpp"

namespace http {

// What one request did, for the access log.
struct AccessRecord {
  std::string peer;          // "127.0.0.1" ("-" when unknown)
  std::string request_line;  // "GET /a HTTP/1.1" ("-" for a request that could not be parsed)
  int status = 0;
  std::uint64_t body_bytes = 0;           // what the body had on the wire, framing excepted
  std::chrono::microseconds duration{0};  // from the end of the request to the end of the answer
};
using AccessLog = std::function<void(const AccessRecord&)>;

struct Http1Options {
  Limits limits;
  // A request that has begun must be complete within this (the slowloris attack): 408. It
  // counts from the request's first byte to its last, body included.
  std::chrono::milliseconds header_timeout{10'000};
  // A connection with nothing to do is closed after this (0: never).
  std::chrono::milliseconds keepalive_timeout{5'000};
  // No new response starts while this much output is still unsent: a client that pipelines
  // requests but never reads makes the output grow to about this, no further. It must be at
  // least the connection's high-water mark, where the reactor stops reading from that client.
  std::size_t output_limit = 1 << 20;
  std::string server_name = "syslab-httpd";
  // Lab 13's way from HTTP/1.1 to HTTP/2 (h2c Upgrade, RFC 7540 §3.2): called with each request
  // that is its turn to be answered with no other request parsed after it. True: the hook has
  // answered it on another protocol and replaced this codec as the connection's context (`rest`:
  // the bytes that came after the request); false: it is answered here as usual. Empty: no upgrade.
  std::function<bool(reactor::Connection&, const Request&, std::string_view rest)> upgrade;
  // Lab 13's 103 Early Hints (RFC 8297): called with each request as its turn comes, before its
  // handler; the fields it gives (Link: <...>; rel=preload) go out at once in a 103, so the client
  // may fetch what the page needs while the page is still being made. Empty fields: no 103.
  std::function<Headers(const Request&)> early_hints;
};

// Lives in its reactor::Connection's context slot, and so never outlives it; every call is on
// the connection's loop thread. The handler and the log are shared by every connection (of every
// loop): they must be safe to call from several threads.
class Http1Connection {
 public:
  Http1Connection(reactor::Connection& conn, const Handler& handler, const Http1Options& options,
                  AccessLog log);
  Http1Connection(const Http1Connection&) = delete;
  Http1Connection& operator=(const Http1Connection&) = delete;

  // The connection is open: arm the timer for the first request.
  void start();
  // Bytes arrived (the reactor's message callback): parse, queue, answer.
  void on_input(reactor::IoBuffer& input);
  // Output fell to the low-water mark (the reactor's drained callback): the stream goes on, the
  // next queued response may start.
  void on_drained();
  // Graceful stop: an idle connection closes now; a busy one answers the requests it has parsed,
  // the last response saying "Connection: close", and then closes. One that has not had its
  // first request answered yet answers that request, as the last.
  void stop();

  // True when nothing is in flight: no queued request, no response being sent, no partial head.
  [[nodiscard]] bool idle() const noexcept;

 private:
  struct Pending {  // a parsed request waiting for its turn, or the refusal that ends the queue
    std::variant<Request, ParseError> what;
    bool keep_alive = false;
    std::chrono::steady_clock::time_point received;
  };

  void parse_input();                    // feeds parser_ from unparsed_ into queue_
  void answer_queued();                  // starts queued responses, in order
  void start_response(Pending pending);  // one response: head, then its body
  void send_error(const ParseError& error, std::chrono::steady_clock::time_point received);
  void send_body(Body& body, Framing framing);  // bytes or a file region; a stream starts
  void continue_stream();                       // one piece of the stream
  void finish_response();                       // log; close or wait for the next request
  void end_connection();                        // no more responses: close after the output
  void limit_input();                           // the socket is read only while the queue has room
  bool upgraded(const Request& request);        // options_.upgrade took the connection over
  void send_early_hints(const Request& request);  // options_.early_hints' 103, if any
  void arm_header_timer();
  void arm_keepalive_timer();
  void cancel_timer(reactor::Connection::TimerHandle& handle);
  void header_timed_out();
  [[nodiscard]] Response call_handler(const Request& request);

  reactor::Connection& conn_;  // owns this object
  const Handler& handler_;
  const Http1Options& options_;
  AccessLog log_;
  std::string peer_;
  DateCache dates_;
  Http1Parser parser_;
  // Bytes read but not yet parsed (the queue is full, or a 100 is due). An IoBuffer: taking a
  // request from the front moves an index, not the bytes behind it.
  reactor::IoBuffer unparsed_;
  std::deque<Pending> queue_;
  bool waiting_for_continue_ = false;  // the parser stopped at a head that expects 100
  bool input_paused_ = false;          // limit_input stopped the reading

  // The response being sent.
  bool responding_ = false;
  std::unique_ptr<BodyStream> stream_;
  Framing stream_framing_ = Framing::kNone;
  bool stream_waits_for_drain_ = false;
  bool keep_alive_ = true;  // after the current response
  AccessRecord record_;
  std::chrono::steady_clock::time_point received_;

  bool stopping_ = false;      // graceful stop: the current response is the last
  bool answered_any_ = false;  // a response has started on this connection
  // A stop came before the first response: the first request, when it comes, is the last.
  bool stop_after_first_request_ = false;
  bool ended_ = false;  // no more responses: the connection closes after its output
  reactor::Connection::TimerHandle header_timer_ = 0;
  reactor::Connection::TimerHandle keepalive_timer_ = 0;
  reactor::Connection::TimerHandle stream_timer_ = 0;
};

// The reactor's callbacks for HTTP/1.1: the connection callback makes an Http1Connection the
// context of each new connection; the message and drained callbacks forward to it.
void on_http1_message(reactor::Connection& conn, reactor::IoBuffer& input);
void on_http1_drained(reactor::Connection& conn);

// The peer of a connected socket as a log shows it: "127.0.0.1", "::1"; "-" when unknown.
[[nodiscard]] std::string peer_host(fdio::BorrowedFd socket);

// The access log line: common log format, then the duration in microseconds.
// 127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] "GET / HTTP/1.1" 200 512 87
[[nodiscard]] std::string format_access_line(const AccessRecord& record, std::time_t when);

}  // namespace http
