// Lab 12: the Date field (RFC 9110 §6.6.1) in IMF-fixdate form (RFC 9110 §5.6.7):
// "Sun, 06 Nov 1994 08:49:37 GMT". Every response carries one, and it only changes once a second,
// so a busy server formats it once a second and copies it for every response in between.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>

namespace http {

// IMF-fixdate of a time in seconds since the epoch, always in GMT, with English names whatever
// the locale (strftime's %a would follow LC_TIME).
[[nodiscard]] std::string format_http_date(std::time_t seconds);

// The Date value for "now", formatted at most once per second. The clock is injectable so that a
// test can hold time still or move it on without sleeping. Not thread-safe: one per event loop.
class DateCache {
 public:
  using Clock = std::function<std::time_t()>;
  // The real clock: time(2).
  DateCache();
  explicit DateCache(Clock clock) : clock_(std::move(clock)) {}

  // The Date value for the clock's current second; valid until the next call.
  [[nodiscard]] std::string_view now();
  // How many times it has formatted a date (once per distinct second asked for).
  [[nodiscard]] std::uint64_t formats() const noexcept { return formats_; }

 private:
  // Formats seconds into value_ and remembers which second it holds.
  void refresh(std::time_t seconds);

  Clock clock_;
  std::time_t second_ = -1;  // the second value_ holds; -1: none yet
  std::string value_;
  std::uint64_t formats_ = 0;
};

}  // namespace http
