// Lab 12: IMF-fixdate, formatted once a second (see http_date.hpp).
#include "http_date.hpp"

#include <fmt/format.h>

#include <array>
#include <stdexcept>

namespace http {

namespace {

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

std::string format_http_date(std::time_t seconds) {
  // BEGIN SOLUTION: "Sun, 06 Nov 1994 08:49:37 GMT": gmtime_r, then English day and month names
  std::tm utc{};
  if (::gmtime_r(&seconds, &utc) == nullptr) {
    throw std::invalid_argument(fmt::format("format_http_date: {} is out of range", seconds));
  }
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays.at(utc.tm_wday), utc.tm_mday,
                     kMonths.at(utc.tm_mon), utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                     utc.tm_sec);
  // END SOLUTION
}

DateCache::DateCache() : clock_([] { return ::time(nullptr); }) {}

// [slide:date_cache]
std::string_view DateCache::now() {
  // BEGIN SOLUTION: ask the clock; call refresh only when the second differs from the one held
  const std::time_t seconds = clock_();
  if (seconds != second_) refresh(seconds);
  return value_;
  // END SOLUTION
}
// [/slide]

void DateCache::refresh(std::time_t seconds) {
  value_ = format_http_date(seconds);
  second_ = seconds;
  ++formats_;
}

}  // namespace http
