// Lab 13: request fields in, response fields out (see h2_fields.hpp).
#include "h2_fields.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "headers.hpp"
#include "status.hpp"
#include "syslab/todo.hpp"

namespace h2 {

bool codec_owns(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kDropped = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
      "te",         "date",       "server",           "content-length"};
  return std::any_of(kDropped.begin(), kDropped.end(),
                     [name](std::string_view dropped) { return http::iequals(name, dropped); });
}

void add_request_field(http::Request& request, std::string_view name, std::string_view value) {
  SYSLAB_TODO("version 2.0; \":method\" sets the method, \":path\" the target (and path and query, http::split_target); \":authority\" adds a Host field unless the request has one; \":scheme\" and other pseudo-headers are dropped; \"cookie\" joins an earlier Cookie field with \"; \"; any other field is added as it came");
}

std::vector<Field> response_fields(const http::Response& response, std::string_view date,
                                   std::string_view server) {
  SYSLAB_TODO("\":status\" (the number), \"date\", \"server\", then each of the handler's fields with its name lowercased unless codec_owns it; last \"content-length\" when known_length has a value and status_has_no_content is false");
}

bool response_has_no_body(const http::Request& request, int status) noexcept {
  return request.method == "HEAD" || http::status_has_no_content(status);
}

}  // namespace h2
