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

const Router::Route* Router::find(std::string_view method, std::string_view path) const {
  SYSLAB_TODO("the first route, in the order added, with this method and a pattern that matches path; nullptr if none");
}

std::string Router::allowed_methods(std::string_view path) const {
  SYSLAB_TODO("\"GET, HEAD, POST\": the methods of the routes whose pattern matches path, in order, each once, HEAD added after GET; empty if no route matches");
}

Response Router::handle(const Request& request) const {
  SYSLAB_TODO("the route for the method and path (a HEAD request with no HEAD route goes to the GET route); else 405 with Allow (RFC 9110 §15.5.6) when other methods have the path, else 404");
}

}  // namespace http
