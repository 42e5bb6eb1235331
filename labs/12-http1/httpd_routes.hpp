// Lab 12: the small route set httpd serves on its own: enough to see the connection layer at work
// (keep-alive, pipelining, a slow streamed response, an upload). The application's handlers
// (static files and the rest) plug in the same way: a function that returns a Router.
#pragma once

#include "router.hpp"

namespace http {

// GET /            "hello\n"
// POST /echo       the request's body back
// GET /stream?n=N  N chunks "chunk I\n" (a stream: sent chunked), each after 1 ms
// GET /delay?ms=N  a stream that waits N ms, then says "delayed\n"
// GET /status/NNN  an empty response with that status (204, 304, 404, ...)
[[nodiscard]] Router make_httpd_routes();

}  // namespace http
