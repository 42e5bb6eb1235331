// Lab 12: method + path routing (see router.hpp).
#include "router.hpp"

#include <algorithm>

namespace http {

Router& Router::add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back({std::move(method), std::move(pattern), std::move(handler)});
  return *this;
}

bool Router::path_matches(std::string_view pattern, std::string_view path) {
  // BEGIN SOLUTION: a pattern that ends in '*' matches every path that starts with what comes before the '*'; any other pattern matches that exact path only
  if (pattern.ends_with('*')) {
    pattern.remove_suffix(1);
    return path.starts_with(pattern);
  }
  return path == pattern;
  // END SOLUTION
}

const Router::Route* Router::find(std::string_view method, std::string_view path) const {
  // BEGIN SOLUTION: the first route, in the order added, with this method and a pattern that matches path; nullptr if none
  for (const Route& route : routes_) {
    if (route.method == method && path_matches(route.pattern, path)) return &route;
  }
  return nullptr;
  // END SOLUTION
}

std::string Router::allowed_methods(std::string_view path) const {
  // BEGIN SOLUTION: "GET, HEAD, POST": the methods of the routes whose pattern matches path, in order, each once, HEAD added after GET; empty if no route matches
  std::vector<std::string_view> methods;
  const auto allow = [&methods](std::string_view method) {
    if (std::find(methods.begin(), methods.end(), method) == methods.end()) {
      methods.push_back(method);
    }
  };
  for (const Route& route : routes_) {
    if (!path_matches(route.pattern, path)) continue;
    allow(route.method);
    if (route.method == "GET") allow("HEAD");
  }
  std::string list;
  for (const std::string_view method : methods) {
    list.append(list.empty() ? "" : ", ").append(method);
  }
  return list;
  // END SOLUTION
}

// [slide:router]
Response Router::handle(const Request& request) const {
  // BEGIN SOLUTION: the route for the method and path (a HEAD request with no HEAD route goes to the GET route); else 405 with Allow (RFC 9110 §15.5.6) when other methods have the path, else 404
  const std::string& path = request.path;
  const Route* route = find(request.method, path);
  if (route == nullptr && request.method == "HEAD") route = find("GET", path);
  if (route != nullptr) return route->handler(request);
  const std::string allowed = allowed_methods(path);
  if (allowed.empty()) return Response::text(404, "not found: " + path + "\n");
  Response response = Response::text(405, "method not allowed here\n");
  response.headers.add("Allow", allowed);
  return response;
  // END SOLUTION
}
// [/slide]

}  // namespace http
