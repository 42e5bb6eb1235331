// Lab 12: one HTTP request, as a handler sees it, whatever protocol brought it (HTTP/1.1 here,
// HTTP/2 in lab 13): the ASGI idea of one "scope" per request, in C++. The codec fills it in; a
// handler reads it and returns a Response.
#pragma once

#include <string>
#include <string_view>

#include "headers.hpp"

namespace http {

struct Version {
  int major = 1;
  int minor = 1;
  bool operator==(const Version&) const = default;
};

struct Request {
  std::string method;  // "GET": case-sensitive (RFC 9110 §9.1)
  std::string target;  // as sent: "/search?q=a%20b" (RFC 9112 §3.2)
  std::string path;    // the target up to '?': "/search" (not percent-decoded)
  std::string query;   // after the '?', without it: "q=a%20b"; empty when there is none
  Version version;     // HTTP/1.0 or 1.1 here; 2.0 in lab 13
  Headers headers;
  std::string body;  // the whole content, de-chunked; at most Limits::max_body bytes
  Headers trailers;  // fields sent after a chunked body (RFC 9110 §6.5), kept apart from headers
};

// Splits a request target into path and query at the first '?' (RFC 9112 §3.2, RFC 3986 §3.4).
// An absolute-form target ("http://host/p?q", RFC 9112 §3.2.2) gives the path after the host;
// "*" (OPTIONS) and an authority ("host:443", CONNECT) are a path of their own.
void split_target(std::string_view target, std::string& path, std::string& query);

}  // namespace http
