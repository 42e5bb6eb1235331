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

// [slide:router]
Response Router::handle(const Request& request) const {
  // BEGIN SOLUTION: the first route whose path and method fit (HEAD also fits a GET route) answers; if some route has the path but none the method, 405 with "Allow: GET, HEAD, POST" (the methods of those routes, in order, each once, HEAD after GET); if no route has the path, 404
  std::vector<std::string> allowed;
  const auto allow = [&allowed](std::string_view method) {
    if (std::find(allowed.begin(), allowed.end(), method) == allowed.end()) {
      allowed.emplace_back(method);
    }
  };
  const Route* get_route = nullptr;
  for (const Route& route : routes_) {
    if (!path_matches(route.pattern, request.path)) continue;
    if (route.method == request.method) return route.handler(request);
    if (route.method == "GET" && get_route == nullptr) get_route = &route;
    allow(route.method);
    if (route.method == "GET") allow("HEAD");
  }
  if (request.method == "HEAD" && get_route != nullptr) return get_route->handler(request);
  if (allowed.empty()) return Response::text(404, "not found: " + request.path + "\n");
  Response response = Response::text(405, request.method + " is not allowed here\n");
  std::string list;
  for (const std::string& method : allowed) list += (list.empty() ? "" : ", ") + method;
  response.headers.add("Allow", list);  // RFC 9110 §15.5.6: a 405 MUST say what is allowed
  return response;
  // END SOLUTION
}
// [/slide]

}  // namespace http
