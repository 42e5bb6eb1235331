// Lab 13: the second way in: an HTTP/1.1 request that asks to continue in HTTP/2 (RFC 7540
// §3.2; RFC 9113 §3.1 deprecates it, but curl --http2 and nghttp -u still use it on clear text).
//   GET / HTTP/1.1
//   Connection: Upgrade, HTTP2-Settings
//   Upgrade: h2c
//   HTTP2-Settings: <the client's SETTINGS payload, base64url>
// The server that agrees answers "101 Switching Protocols", then speaks HTTP/2 at once: its
// SETTINGS, and the response to this request as stream 1. One that does not simply answers the
// request in HTTP/1.1. We decline a request with a body (it would have to be read in HTTP/1.1
// before the switch) and a malformed HTTP2-Settings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "request.hpp"

namespace h2 {

// The bytes of base64url text without padding (RFC 4648 §5; RFC 7540 §3.2.1 drops the '='), or
// nullopt when it holds any other character or cannot be a whole number of bytes.
[[nodiscard]] std::optional<std::string> decode_base64url(std::string_view text);

// The decoded HTTP2-Settings payload when request asks for h2c and may have it: HTTP/1.1,
// "Upgrade: h2c", Connection naming Upgrade and HTTP2-Settings, exactly one HTTP2-Settings field
// that decodes to whole 6-byte settings, and no body (no Content-Length above 0, no
// Transfer-Encoding). nullopt: it stays HTTP/1.1.
[[nodiscard]] std::optional<std::string> h2c_upgrade_settings(const http::Request& request);

}  // namespace h2
