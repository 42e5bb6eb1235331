// Lab 12: responses (see response.hpp).
#include "response.hpp"

namespace http {

std::optional<std::uint64_t> known_length(const Body& body) {
  if (const auto* bytes = std::get_if<std::string>(&body)) return bytes->size();
  if (const auto* region = std::get_if<FileRegion>(&body)) return region->length;
  return std::nullopt;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.headers.add("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

}  // namespace http
