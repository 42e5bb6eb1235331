// Lab 12: status codes and their reason phrases (RFC 9110 §15). HTTP/1.1 sends the phrase in the
// status line ("HTTP/1.1 404 Not Found"); HTTP/2 has no phrase at all. Given code.
#pragma once

#include <string_view>

namespace http {

// The phrase RFC 9110 gives a status code ("Not Found" for 404); for a code it does not name,
// the phrase of its class ("Client Error" for 499).
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

// True for a status whose response never has content: 1xx, 204, 304 (RFC 9110 §6.4.1).
[[nodiscard]] constexpr bool status_has_no_content(int status) noexcept {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace http
