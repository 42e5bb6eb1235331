// Lab 13: the fields of HTTP/2 as lab 12's Request and Response have them. A request's head is
// pseudo-header fields (:method, :scheme, :authority, :path; RFC 9113 §8.3.1) before the regular
// ones; a response's is :status, then lowercase names (§8.2.1) without the fields that belong to
// one HTTP/1.1 connection (Connection, Keep-Alive, Transfer-Encoding ...; §8.2.2). Sans-I/O: the
// connection hands these the name/value pairs nghttp2 decoded, and submits what they return.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "request.hpp"
#include "response.hpp"

namespace h2 {

// One decoded field of a request's header block, added to request: a pseudo-header sets the
// method, the target (path and query) or the Host field (from :authority, when the request has
// no Host of its own); cookie crumbs are joined with "; " into one Cookie field (RFC 9113
// §8.2.3); any other field is added as it came. The version is set to 2.0.
void add_request_field(http::Request& request, std::string_view name, std::string_view value);

// How much a field counts against SETTINGS_MAX_HEADER_LIST_SIZE: its name, its value and 32
// bytes of overhead (RFC 9113 §6.5.2, the same count as HPACK's table, RFC 7541 §4.1).
[[nodiscard]] constexpr std::size_t field_size(std::string_view name,
                                               std::string_view value) noexcept {
  return name.size() + value.size() + 32;
}

// Fields a handler may set that HTTP/2 does not carry: they describe one HTTP/1.1 connection
// (Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, TE; RFC 9113 §8.2.2),
// or the codec sets them itself (Date, Server, Content-Length). Any case.
[[nodiscard]] bool codec_owns(std::string_view name);

using Field = std::pair<std::string, std::string>;

// The header block of a response, in order: ":status", "date", "server", the handler's fields
// (names in lowercase; the connection-specific ones and the ones the codec owns dropped), and
// "content-length" when the body's length is known and the status may have content.
[[nodiscard]] std::vector<Field> response_fields(const http::Response& response,
                                                 std::string_view date, std::string_view server);

// True when a response to this request, with this status, sends no DATA: HEAD, 1xx, 204, 304.
[[nodiscard]] bool response_has_no_body(const http::Request& request, int status) noexcept;

}  // namespace h2
