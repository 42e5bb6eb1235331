// Lab 12 tests: the Date field: IMF-fixdate, formatted once a second. The clock is injected, so
// the cache is tested without sleeping: time stands still, then moves on, when the test says.
#include <ctime>

#include "http_date.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;

SYSLAB_TEST(
    HttpDate, ImfFixdate, 2,
    "RFC 9110 §5.6.7: \"Sun, 06 Nov 1994 08:49:37 GMT\": always GMT, English names, two "
    "digits for day, hour, minute and second.",
    "gmtime_r, not localtime; strftime's %a and %b follow the locale: use your own names.") {
  EXPECT_EQ(http::format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http::format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http::format_http_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(http::format_http_date(1767225599), "Wed, 31 Dec 2025 23:59:59 GMT");
}

SYSLAB_TEST(HttpDate, FormattedOncePerSecond, 2,
            "DateCache::now asks the clock each time, and formats (refresh) only when the second "
            "changed.",
            "Keep the second of the value you hold; compare before calling refresh.") {
  std::time_t now = 784111777;
  http::DateCache cache([&now] { return now; });
  const std::string first(cache.now());
  EXPECT_EQ(first, "Sun, 06 Nov 1994 08:49:37 GMT");
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(cache.now(), first);
  EXPECT_EQ(cache.formats(), 1u) << "1,001 calls within one second must format once";
  now += 1;
  EXPECT_EQ(cache.now(), "Sun, 06 Nov 1994 08:49:38 GMT") << "a new second, a new value";
  EXPECT_EQ(cache.formats(), 2u);
  now -= 1;  // the clock may step back (NTP): the value follows it
  EXPECT_EQ(cache.now(), first);
}
