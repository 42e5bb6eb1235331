// Lab 12: the handler interface, protocol-neutral: a Handler turns a Request into a Response and
// never knows whether HTTP/1.1 (this lab) or HTTP/2 (lab 13) carries them. A Router is a Handler
// that picks another by method and path: 404 when no route has the path, 405 with Allow when
// routes have it but not for this method, and HEAD answered by the GET route (the codec drops
// the body, RFC 9110 §9.3.2).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "request.hpp"
#include "response.hpp"

namespace http {

using Handler = std::function<Response(const Request&)>;

class Router {
 public:
  // A route: method ("GET", case-sensitive) and path pattern: "/exact", or "/prefix/*" for every
  // path that starts with "/prefix/". Routes are tried in the order they were added.
  Router& add(std::string method, std::string pattern, Handler handler);

  // The response of the first route that fits the request, or 404 / 405.
  [[nodiscard]] Response handle(const Request& request) const;
  Response operator()(const Request& request) const { return handle(request); }

 private:
  struct Route {
    std::string method;
    std::string pattern;
    Handler handler;
  };
  static bool path_matches(std::string_view pattern, std::string_view path);
  // The first route for this method whose pattern matches path, or nullptr.
  const Route* find(std::string_view method, std::string_view path) const;
  // "GET, HEAD, POST": the methods that have a route for path ("" when none has).
  std::string allowed_methods(std::string_view path) const;

  std::vector<Route> routes_;
};

}  // namespace http
