// Lab 13: which HTTP/1.1 requests may become stream 1 of HTTP/2 (see h2c_upgrade.hpp).
#include "h2c_upgrade.hpp"

#include "headers.hpp"

namespace h2 {

namespace {

// The 6-bit value of a base64url character, or -1.
int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> decode_base64url(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;  // 6 bits cannot end a byte
  std::string bytes;
  unsigned bits = 0;
  int count = 0;
  for (const char c : text) {
    const int value = sextet(c);
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<unsigned>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      bytes.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return bytes;
}

std::optional<std::string> h2c_upgrade_settings(const http::Request& request) {
  // BEGIN SOLUTION: HTTP/1.1; Upgrade has the token h2c; Connection has Upgrade and HTTP2-Settings; exactly one HTTP2-Settings; no Transfer-Encoding, no Content-Length but "0", an empty body; the field decodes (decode_base64url) to a multiple of 6 bytes
  const auto upgrade = request.headers.get("Upgrade");
  const auto connection = request.headers.get("Connection");
  if (request.version != http::Version{1, 1} || !upgrade || !http::has_token(*upgrade, "h2c") ||
      !connection || !http::has_token(*connection, "Upgrade") ||
      !http::has_token(*connection, "HTTP2-Settings") ||
      request.headers.count("HTTP2-Settings") != 1) {
    return std::nullopt;
  }
  const auto length = request.headers.get("Content-Length");
  if (!request.body.empty() || request.headers.contains("Transfer-Encoding") ||
      (length && *length != "0")) {
    return std::nullopt;  // the body would have to be read in HTTP/1.1 first
  }
  auto payload = decode_base64url(*request.headers.get("HTTP2-Settings"));
  if (!payload || payload->size() % 6 != 0) return std::nullopt;
  return payload;
  // END SOLUTION
}

}  // namespace h2
