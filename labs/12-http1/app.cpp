// Lab 12: the application's routes (see app.hpp).
#include "app.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "static_files.hpp"
#include "status.hpp"
#include "syslab/todo.hpp"

namespace http {

namespace {

using std::chrono::milliseconds;

// The value of the first `name=value` pair of a query ("n=5&ms=10"), or nullopt. Values are
// taken as sent (not percent-decoded): the parameters here are numbers.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t equals = pair.find('=');
    if (pair.substr(0, equals) == name) {
      return equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// A parameter's text as a number in [0, max], or nullopt: digits only (no sign, not empty),
// no more than max. Bounds keep one request from holding a connection (and a timer) for hours,
// or from asking for a billion chunks.
std::optional<long> bounded_number(std::string_view text, long max) {
  SYSLAB_TODO("digits only (no sign, not empty), at most max (mind overflow while reading: \"99999999999999999999\"), else nullopt");
}

// A query parameter as a number in [0, max]: fallback when it is absent, nullopt (400) when it
// is present but bad.
std::optional<long> bounded_param(std::string_view query, std::string_view name, long fallback,
                                  long max) {
  const auto text = query_param(query, name);
  return text ? bounded_number(*text, max) : fallback;
}

Response bad_parameter(std::string_view what) {
  return Response::text(400, fmt::format("bad parameter: {}\n", what));
}

// N chunks, one every `interval`: the first as soon as the head is out, each next one when the
// connection's timer calls again. It never sleeps: Piece::after hands the wait to the event
// loop, which serves other connections meanwhile.
class ChunkStream : public BodyStream {
 public:
  ChunkStream(long count, milliseconds interval) : count_(count), interval_(interval) {}

  Piece next() override {
    SYSLAB_TODO("chunk i (1-based) is \"chunk i of N\\n\"; send it and ask to be called again after the interval, except the last, which ends the body; N = 0 ends at once with no bytes");
  }

 private:
  long count_;
  milliseconds interval_;
  long sent_ = 0;
};

// A body that starts after a wait: nothing, then (once the wait has passed) one short line.
class DelayStream : public BodyStream {
 public:
  explicit DelayStream(milliseconds wait) : wait_(wait) {}

  Piece next() override {
    SYSLAB_TODO("the first call sends nothing and asks to be called again after the wait; the second ends the body with \"waited M ms\\n\"");
  }

 private:
  milliseconds wait_;
  bool waited_ = false;
};

// A response whose body is a stream, as text.
Response streamed(std::unique_ptr<BodyStream> stream) {
  Response response;
  response.headers.add("Content-Type", "text/plain; charset=utf-8");
  response.headers.add("Cache-Control", "no-store");  // a new answer each time, never cached
  response.body = std::move(stream);
  return response;
}

Response stream_handler(const Request& request, const AppOptions& options) {
  const auto count = bounded_param(request.query, "n", 5, options.max_stream_chunks);
  if (!count) return bad_parameter("n");
  const auto interval = bounded_param(request.query, "ms", 100, options.max_wait.count());
  if (!interval) return bad_parameter("ms");
  return streamed(std::make_unique<ChunkStream>(*count, milliseconds(*interval)));
}

Response delay_handler(const Request& request, const AppOptions& options) {
  const auto wait = bounded_param(request.query, "ms", 1000, options.max_wait.count());
  if (!wait) return bad_parameter("ms");
  return streamed(std::make_unique<DelayStream>(milliseconds(*wait)));
}

// POST /echo: the body back, labelled as it came (RFC 9110 §8.3: without a Content-Type, the
// recipient may assume application/octet-stream, so that is what is sent back).
Response echo_handler(const Request& request) {
  SYSLAB_TODO("200, the request's body, and its Content-Type (application/octet-stream when it has none)");
}

// GET /headers: every field, in order, repeats kept: a JSON array of [name, value] pairs, since
// a JSON object would merge the repeats and its members have no order (RFC 8259 §4).
Response headers_handler(const Request& request) {
  SYSLAB_TODO("[[\"Name\",\"value\"],...] with json_string for each name and value, \"\\n\" after the array; Content-Type application/json");
}

// GET /status/NNN: a response with that status. 1xx are not final responses (RFC 9110 §15.2):
// a handler cannot answer with one, so only 200-599 are accepted.
Response status_handler(const Request& request) {
  SYSLAB_TODO("NNN is the path after \"/status/\": exactly three digits in 200-599, else 400; 204 and 304 have no content (RFC 9110 §6.4.1): an empty body and no Content-Type; any other: \"NNN Reason\\n\" as text");
}

}  // namespace

std::string json_string(std::string_view text) {
  SYSLAB_TODO("quotes around; \\\" and \\\\; \\n \\r \\t \\b \\f; other bytes below 0x20 and every byte from 0x7F up as \\u00XX (bytes above 0x7F read as ISO-8859-1, so the output is ASCII and valid UTF-8)");
}

Router make_app(const AppOptions& options) {
  Router router;
  router.add("POST", "/echo", echo_handler)
      .add("GET", "/headers", headers_handler)
      .add("GET", "/stream", [options](const Request& r) { return stream_handler(r, options); })
      .add("GET", "/delay", [options](const Request& r) { return delay_handler(r, options); })
      .add("GET", "/status/*", status_handler);
  // Last: every other GET path is a file. (So a file named "headers" in the root is shadowed.)
  if (!options.root.empty()) router.add("GET", "/*", StaticFiles(options.root));
  return router;
}

}  // namespace http
