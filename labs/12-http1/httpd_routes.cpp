// Lab 12: httpd's own routes (see httpd_routes.hpp).
#include "httpd_routes.hpp"

#include <charconv>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace http {

namespace {

// The number after "name=" in a query ("n=3&x=1"), or fallback; clamped to 0..max.
long query_number(std::string_view query, std::string_view name, long fallback, long max) {
  const std::string key = std::string(name) + "=";
  const std::size_t at = query.find(key);
  if (at == std::string_view::npos || (at != 0 && query[at - 1] != '&')) return fallback;
  long value = fallback;
  const char* begin = query.data() + at + key.size();
  (void)std::from_chars(begin, query.data() + query.size(), value);
  return value < 0 ? 0 : (value > max ? max : value);
}

// N pieces "chunk I\n", each after 1 ms.
class CountingStream : public BodyStream {
 public:
  explicit CountingStream(long count) : count_(count) {}
  Piece next() override {
    if (sent_ == count_) return Piece::end();
    std::string bytes = "chunk " + std::to_string(++sent_) + "\n";
    return Piece::after(std::chrono::milliseconds(1), std::move(bytes));
  }

 private:
  long count_;
  long sent_ = 0;
};

// Nothing for `delay`, then "delayed\n": a slow response that must not be overtaken.
class DelayedStream : public BodyStream {
 public:
  explicit DelayedStream(std::chrono::milliseconds delay) : delay_(delay) {}
  Piece next() override {
    if (!waited_) {
      waited_ = true;
      return Piece::after(delay_);
    }
    return Piece::end("delayed\n");
  }

 private:
  std::chrono::milliseconds delay_;
  bool waited_ = false;
};

Response with_stream(std::unique_ptr<BodyStream> stream) {
  Response response;
  response.headers.add("Content-Type", "text/plain; charset=utf-8");
  response.body = std::move(stream);
  return response;
}

}  // namespace

Router make_httpd_routes() {
  Router router;
  router.add("GET", "/", [](const Request&) { return Response::text(200, "hello\n"); });
  router.add("POST", "/echo", [](const Request& request) {
    return Response::text(200, request.body, "application/octet-stream");
  });
  router.add("GET", "/stream", [](const Request& request) {
    return with_stream(std::make_unique<CountingStream>(query_number(request.query, "n", 3, 1000)));
  });
  router.add("GET", "/delay", [](const Request& request) {
    const long ms = query_number(request.query, "ms", 100, 60'000);
    return with_stream(std::make_unique<DelayedStream>(std::chrono::milliseconds(ms)));
  });
  router.add("GET", "/status/*", [](const Request& request) {
    int status = 0;
    const std::string_view code = std::string_view(request.path).substr(8);
    const auto [end, error] = std::from_chars(code.data(), code.data() + code.size(), status);
    if (error != std::errc() || end != code.data() + code.size() || status < 200 || status > 599) {
      return Response::text(400, "a status from 200 to 599, please\n");
    }
    Response response;
    response.status = status;
    return response;
  });
  return router;
}

}  // namespace http
