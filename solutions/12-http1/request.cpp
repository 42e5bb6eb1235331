// Lab 12: requests (see request.hpp).
#include "request.hpp"

namespace http {

void split_target(std::string_view target, std::string& path, std::string& query) {
  const std::size_t mark = target.find('?');
  std::string_view before = target.substr(0, mark);
  const std::size_t scheme_end = before.find("://");
  if (!before.starts_with('/') && scheme_end != std::string_view::npos) {
    const std::size_t slash = before.find('/', scheme_end + 3);
    before = slash == std::string_view::npos ? std::string_view("/") : before.substr(slash);
  }
  path = before;
  query = mark == std::string_view::npos ? std::string() : std::string(target.substr(mark + 1));
}

}  // namespace http
