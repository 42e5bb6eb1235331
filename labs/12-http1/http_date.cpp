// Lab 12: IMF-fixdate, formatted once a second (see http_date.hpp).
#include "http_date.hpp"

#include <fmt/format.h>

#include <array>
#include <stdexcept>
#include "syslab/todo.hpp"

namespace http {

namespace {

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

std::string format_http_date(std::time_t seconds) {
  SYSLAB_TODO("\"Sun, 06 Nov 1994 08:49:37 GMT\": gmtime_r, then English day and month names");
}

DateCache::DateCache() : clock_([] { return ::time(nullptr); }) {}

std::string_view DateCache::now() {
  SYSLAB_TODO("ask the clock; call refresh only when the second differs from the one held");
}

void DateCache::refresh(std::time_t seconds) {
  value_ = format_http_date(seconds);
  second_ = seconds;
  ++formats_;
}

}  // namespace http
