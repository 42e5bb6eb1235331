// Lab 13: request fields in, response fields out (see h2_fields.hpp).
#include "h2_fields.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "headers.hpp"
#include "status.hpp"

namespace h2 {

bool codec_owns(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kDropped = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
      "te",         "date",       "server",           "content-length"};
  return std::any_of(kDropped.begin(), kDropped.end(),
                     [name](std::string_view dropped) { return http::iequals(name, dropped); });
}

void add_request_field(http::Request& request, std::string_view name, std::string_view value) {
  // BEGIN SOLUTION: version 2.0; ":method" sets the method, ":path" the target (and path and query, http::split_target); ":authority" adds a Host field unless the request has one; ":scheme" and other pseudo-headers are dropped; "cookie" joins an earlier Cookie field with "; "; any other field is added as it came
  request.version = {2, 0};
  if (name == ":method") {
    request.method = value;
  } else if (name == ":path") {
    request.target = value;
    http::split_target(value, request.path, request.query);
  } else if (name == ":authority") {
    if (!request.headers.contains("host")) request.headers.add("host", std::string(value));
  } else if (!name.empty() && name.front() == ':') {
    // :scheme ("http", "https"): the handlers do not look at it.
  } else if (name == "cookie" && request.headers.contains("cookie")) {
    const std::string joined =
        std::string(*request.headers.get("cookie")) + "; " + std::string(value);
    request.headers.set("cookie", joined);
  } else {
    request.headers.add(std::string(name), std::string(value));
  }
  // END SOLUTION
}

std::vector<Field> response_fields(const http::Response& response, std::string_view date,
                                   std::string_view server) {
  // BEGIN SOLUTION: ":status" (the number), "date", "server", then each of the handler's fields with its name lowercased unless codec_owns it; last "content-length" when known_length has a value and status_has_no_content is false
  std::vector<Field> fields;
  fields.emplace_back(":status", std::to_string(response.status));
  fields.emplace_back("date", std::string(date));
  fields.emplace_back("server", std::string(server));
  for (const auto& field : response.headers) {
    if (codec_owns(field.name)) continue;
    std::string name = field.name;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    fields.emplace_back(std::move(name), field.value);
  }
  const auto length = http::known_length(response.body);
  if (length && !http::status_has_no_content(response.status)) {
    fields.emplace_back("content-length", std::to_string(*length));
  }
  return fields;
  // END SOLUTION
}

bool response_has_no_body(const http::Request& request, int status) noexcept {
  return request.method == "HEAD" || http::status_has_no_content(status);
}

}  // namespace h2
