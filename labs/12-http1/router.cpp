// Lab 12: method + path routing (see router.hpp).
#include "router.hpp"

#include <algorithm>
#include "syslab/todo.hpp"

namespace http {

Router& Router::add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back({std::move(method), std::move(pattern), std::move(handler)});
  return *this;
}

bool Router::path_matches(std::string_view pattern, std::string_view path) {
  SYSLAB_TODO("a pattern that ends in '*' matches every path that starts with what comes before the '*'; any other pattern matches that exact path only");
}

Response Router::handle(const Request& request) const {
  SYSLAB_TODO("the first route whose path and method fit (HEAD also fits a GET route) answers; if some route has the path but none the method, 405 with \"Allow: GET, HEAD, POST\" (the methods of those routes, in order, each once, HEAD after GET); if no route has the path, 404");
}

}  // namespace http
