// Lab 12: HTTP/1.1 responses as bytes (see http1_writer.hpp).
#include "http1_writer.hpp"

#include <fmt/format.h>

#include <array>
#include <stdexcept>

#include "status.hpp"
#include "syslab/todo.hpp"

namespace http {

namespace {

// The fields the writer sets itself; a handler's copy of them is not sent.
bool owned_by_writer(std::string_view name) {
  static constexpr std::array<std::string_view, 5> kOwned = {"Content-Length", "Transfer-Encoding",
                                                             "Connection", "Date", "Server"};
  for (const std::string_view owned : kOwned) {
    if (iequals(name, owned)) return true;
  }
  return false;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

Framing framing_for(const Response& response, const ResponseContext& context) {
  SYSLAB_TODO("RFC 9112 §6, RFC 9110 §6.4.1 and §9.3.2: no body for a status without content (204, 304) or a HEAD request; Content-Length when the length is known; chunked to HTTP/1.1; until the connection closes to HTTP/1.0 (it has no chunked: RFC 9112 §6.1)");
}

void append_framing_fields(ResponseHead& head, const Response& response,
                           const ResponseContext& context) {
  SYSLAB_TODO("Content-Length when the length is known and the status may have content (a HEAD response too: RFC 9110 §9.3.2); Transfer-Encoding: chunked for kChunked; kUntilClose ends the connection; then Connection: close when it ends, Connection: keep-alive to an HTTP/1.0 client that keeps it");
}

}  // namespace

ResponseHead write_head(const Response& response, const ResponseContext& ctx,
                        std::string_view http_date, std::string_view server) {
  const int status = response.status;
  if (status < 200 || status > 599) {
    throw std::invalid_argument(fmt::format("status {} is not final", status));
  }
  ResponseHead head{"", framing_for(response, ctx), ctx.keep_alive};
  head.bytes = fmt::format("HTTP/1.1 {} {}\r\n", status, reason_phrase(status));
  append_field(head.bytes, "Date", http_date);
  append_field(head.bytes, "Server", server);
  for (const auto& f : response.headers) {
    if (!owned_by_writer(f.name)) append_field(head.bytes, f.name, f.value);
  }
  append_framing_fields(head, response, ctx);
  head.bytes.append("\r\n");
  return head;
}

std::string write_chunk(std::string_view bytes) {
  SYSLAB_TODO("\"<size in hex>\\r\\n<bytes>\\r\\n\"; nothing at all for empty bytes");
}

std::string write_interim(int status, const Headers& fields) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " ";
  head.append(reason_phrase(status)).append("\r\n");
  for (const auto& field : fields) head.append(field.name + ": " + field.value + "\r\n");
  return head.append("\r\n");
}

std::string write_response(const Response& response, const ResponseContext& context,
                           std::string_view date, std::string_view server) {
  const auto* body = std::get_if<std::string>(&response.body);
  if (body == nullptr) throw std::invalid_argument("write_response: the body is not bytes");
  ResponseHead head = write_head(response, context, date, server);
  if (head.framing != Framing::kNone) head.bytes.append(*body);
  return std::move(head.bytes);
}

std::string write_error(const ParseError& error, std::string_view date, std::string_view server) {
  const Response response = Response::text(error.status, error.reason + "\n");
  return write_response(response, {"GET", Version{1, 1}, false}, date, server);
}

}  // namespace http
