// Lab 12 tests: the router: method and path to a handler; 404, 405 with Allow, HEAD by GET.
#include <string>

#include "router.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using http::Request;
using http::Response;

namespace {

Request request(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.target = r.path = std::move(path);
  return r;
}

std::string body_of(const Response& response) {
  const auto* text = std::get_if<std::string>(&response.body);
  return text ? *text : "(not bytes)";
}

http::Handler says(std::string what) {
  return [what](const Request& r) { return Response::text(200, what + " " + r.method); };
}

http::Router example() {
  http::Router router;
  router.add("GET", "/", says("index"))
      .add("POST", "/items", says("create"))
      .add("GET", "/items", says("list"))
      .add("DELETE", "/items", says("clear"))
      .add("GET", "/static/*", says("static"));
  return router;
}

}  // namespace

SYSLAB_TEST(Router, RoutesByMethodAndPath, 2, "The first route whose method and path fit answers.",
            "A pattern ending in '*' matches by prefix; any other pattern matches exactly.") {
  const http::Router router = example();
  EXPECT_EQ(body_of(router.handle(request("GET", "/"))), "index GET");
  EXPECT_EQ(body_of(router.handle(request("POST", "/items"))), "create POST");
  EXPECT_EQ(body_of(router.handle(request("GET", "/items"))), "list GET");
  EXPECT_EQ(body_of(router.handle(request("GET", "/static/a/b.css"))), "static GET");
  EXPECT_EQ(router.handle(request("GET", "/items")).status, 200);
}

SYSLAB_TEST(Router, NoRouteIs404, 1, "No route has the path: 404.",
            "\"/items/\" and \"/item\" are other paths than \"/items\".") {
  const http::Router router = example();
  EXPECT_EQ(router.handle(request("GET", "/nothing")).status, 404);
  EXPECT_EQ(router.handle(request("GET", "/items/")).status, 404);
  EXPECT_EQ(router.handle(request("GET", "/static")).status, 404);
}

SYSLAB_TEST(Router, WrongMethodIs405WithAllow, 2,
            "RFC 9110 §15.5.6: a 405 MUST carry Allow: the methods the path has.",
            "Collect the methods of every route with that path, in order, each once; a GET route "
            "also allows HEAD.") {
  const http::Router router = example();
  const Response response = router.handle(request("PUT", "/items"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.get("Allow"), "POST, GET, HEAD, DELETE");
  EXPECT_EQ(router.handle(request("POST", "/")).headers.get("Allow"), "GET, HEAD");
  EXPECT_EQ(router.handle(request("get", "/")).status, 405) << "methods are case-sensitive";
}

SYSLAB_TEST(
    Router, HeadServedByGet, 2,
    "RFC 9110 §9.3.2: HEAD is GET without the body; the writer drops the body.",
    "A HEAD request with no HEAD route goes to the GET route, with its method still HEAD.") {
  http::Router router = example();
  EXPECT_EQ(body_of(router.handle(request("HEAD", "/items"))), "list HEAD");
  EXPECT_EQ(router.handle(request("HEAD", "/static/x")).status, 200);
  router.add("HEAD", "/", says("own head"));
  EXPECT_EQ(body_of(router.handle(request("HEAD", "/"))), "own head HEAD")
      << "an explicit HEAD route wins";
}
