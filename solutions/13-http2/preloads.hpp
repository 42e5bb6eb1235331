// Lab 13: what a page needs before the page itself. httpd --preload PATH names an asset of every
// page; --early-hints announces it in a 103 interim response (RFC 8297) with
// "Link: </waterfall.js>; rel=preload; as=script" before the page's 200, over HTTP/1.1 and HTTP/2;
// --push, over HTTP/2 only, sends it unasked (PUSH_PROMISE, RFC 9113 §8.4). Browsers dropped push
// (Chrome 106): the handout says why, and why 103 took its place.
// Look at: curl -v --http1.1 http://127.0.0.1:PORT/ (103, then 200) and nghttp -v
// http://127.0.0.1:PORT/ (PUSH_PROMISE on the page's stream, then the pushed stream's DATA).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "headers.hpp"
#include "request.hpp"

namespace h2 {

struct Preloads {
  std::vector<std::string> assets;  // absolute paths ("/waterfall.js"), as --preload gave them
  bool early_hints = false;         // a 103 with their Link fields before each page
  bool push = false;                // over HTTP/2, a PUSH_PROMISE for each, then its response
};

// True for a request whose answer is a page that preloads: a GET of a path that ends in "/" or
// ".html". (Not HEAD: nothing will be rendered. Not an asset: its own preloads would be pushed
// on and on.)
[[nodiscard]] bool is_page_request(const http::Request& request);

// The assets a request's answer comes with: none unless it is a page; never the page itself.
[[nodiscard]] std::vector<std::string> preloads_for(const http::Request& request,
                                                    const Preloads& preloads);

// The Link field value that asks a browser to fetch path now (RFC 8288, preload): with "as=" for
// what a browser can tell from the name (a script, a style sheet), which it needs to use the
// preloaded response when the page asks: "</waterfall.js>; rel=preload; as=script".
[[nodiscard]] std::string preload_link(std::string_view path);

// The fields of the 103 Early Hints for request: one Link per asset; empty when it has none (then
// no 103 is sent).
[[nodiscard]] http::Headers early_hint_fields(const http::Request& request,
                                              const Preloads& preloads);

// The request a pushed response answers (RFC 9113 §8.4.1): GET path, as if the client had asked
// it on the page's connection: the page's Host, no body. A server may promise only requests that
// are safe and cacheable, and only for an authority it serves.
[[nodiscard]] http::Request promised_request(const http::Request& page, std::string_view path);

}  // namespace h2
