// Lab 12 tests: header fields: ordered, repeated names kept, names looked up without case.
#include "headers.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using http::Headers;

SYSLAB_TEST(Headers, LookupIgnoresCase, 2,
            "RFC 9110 §5.1: field names are case-insensitive: content-length is Content-Length.",
            "iequals compares ASCII letters without case; get returns the first match.") {
  Headers h;
  h.add("Content-Type", "text/html");
  h.add("X-Number", "1");
  EXPECT_EQ(h.get("content-type"), "text/html");
  EXPECT_EQ(h.get("CONTENT-TYPE"), "text/html");
  EXPECT_EQ(h.get("x-NUMBER"), "1");
  EXPECT_FALSE(h.get("Content-Typ"));
  EXPECT_FALSE(h.get("Content-Type2"));
  EXPECT_TRUE(http::iequals("Keep-Alive", "keep-alive"));
  EXPECT_FALSE(http::iequals("close", "closed"));
  EXPECT_FALSE(http::iequals("[", "{")) << "only letters have a case: '[' is not '{'";
}

SYSLAB_TEST(Headers, RepeatedFieldsKeptInOrder, 2,
            "RFC 9110 §5.2: a name may repeat; every field is kept, in the order received.",
            "get_all: every value of that name (ignoring case), in order.") {
  Headers h;
  h.add("Set-Cookie", "a=1");
  h.add("Host", "x");
  h.add("set-cookie", "b=2");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].name, "Set-Cookie");
  EXPECT_EQ(h[2].name, "set-cookie") << "names are kept as received";
  EXPECT_EQ(h.get_all("SET-COOKIE"), (std::vector<std::string_view>{"a=1", "b=2"}));
  EXPECT_EQ(h.count("Set-Cookie"), 2u);
  h.set("Set-Cookie", "c=3");
  EXPECT_EQ(h.get_all("set-cookie"), (std::vector<std::string_view>{"c=3"}));
  EXPECT_EQ(h[0].name, "Set-Cookie") << "set keeps the first field's place";
  EXPECT_EQ(h.remove("HOST"), 1u);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(http::list_items(" a, b ,,c "), (std::vector<std::string_view>{"a", "b", "c"}));
  EXPECT_TRUE(http::has_token("keep-alive, Close", "close"));
}
