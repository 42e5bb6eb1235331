// Lab 12: the application httpd serves, as plain handlers: a test calls them with a Request and
// looks at the Response, with no server and no socket. Streams never sleep: they ask the
// connection to call them again later (BodyStream::Piece::after), so one slow response never
// blocks the event loop that serves every other connection.
// Try: httpd --root DIR, then curl -N 'http://127.0.0.1:PORT/stream?n=5&ms=500'
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "router.hpp"

namespace http {

struct AppOptions {
  std::string root;  // the directory of the static files; "" serves none
  // The bounds of what a client may ask for: a request past them is answered 400.
  int max_stream_chunks = 1000;                // /stream?n=
  std::chrono::milliseconds max_wait{60'000};  // /stream?ms= and /delay?ms=
};

// The application's routes, in the order they are tried:
//   POST /echo            the request's body back, with its Content-Type
//   GET  /headers         the request's header fields as JSON: [["Name","value"], ...]
//   GET  /stream?n=N&ms=M N chunks "chunk i of N\n", M ms apart (defaults: n=5, ms=100)
//   GET  /delay?ms=M      an empty wait of M ms, then "waited M ms\n" (default: ms=1000)
//   GET  /status/NNN      that status (200-599), a short text body (none for 204 and 304)
//   GET  /*               the static files under options.root, when it is set
// HEAD is answered by every GET route (the Router). Throws syslab::SystemError when the root
// cannot be opened as a directory.
[[nodiscard]] Router make_app(const AppOptions& options);

// text as a JSON string, quotes included (RFC 8259 §7): '"', '\\' and the control characters
// escaped, and every byte above 0x7F as \u00XX: a field value may hold obs-text (RFC 9110 §5.5),
// which is not UTF-8, and JSON text must be (RFC 8259 §8.1), so such bytes are read as ISO-8859-1,
// the charset HTTP fields historically had.
[[nodiscard]] std::string json_string(std::string_view text);

}  // namespace http
