// Lab 13 tests: the sans-I/O pieces, with no socket: the preface sniff, the h2c Upgrade's rules,
// the fields between HTTP/2 and lab 12's Request and Response, and a body read frame by frame.
#include <fcntl.h>

#include <array>
#include <span>

#include "h2_body.hpp"
#include "h2_fields.hpp"
#include "h2c_upgrade.hpp"
#include "protocol_sniffer.hpp"
#include "syslab/files.hpp"
#include "syslab/test.hpp"
#include "unique_fd.hpp"

using namespace syslab::test;
using h2::Protocol;

SYSLAB_TEST(Sniff, ThePrefaceMeansHttp2AndAnythingElseHttp1, 2,
            "protocol_sniffer.cpp sniff: compare the bytes with kPreface as far as both go "
            "(RFC 9113 §3.4)",
            "One byte that differs decides HTTP/1.1 at once: \"POST\" differs at its second "
            "byte; a proper prefix of the preface decides nothing yet.") {
  EXPECT_EQ(h2::sniff(h2::kPreface), Protocol::kHttp2);
  EXPECT_EQ(h2::sniff(std::string(h2::kPreface) + "\x00\x00\x00\x04"), Protocol::kHttp2);
  EXPECT_EQ(h2::sniff("GET / HTTP/1.1\r\n"), Protocol::kHttp1);
  EXPECT_EQ(h2::sniff("POST /echo HTTP/1.1\r\n"), Protocol::kHttp1);
  EXPECT_EQ(h2::sniff("PRI * HTTP/1.1\r\n\r\n"), Protocol::kHttp1);
  EXPECT_EQ(h2::sniff("P"), Protocol::kUndecided);
  EXPECT_EQ(h2::sniff("PRI * HTTP/2.0\r\n"), Protocol::kUndecided);
  EXPECT_EQ(h2::sniff(""), Protocol::kUndecided);
}

namespace {

http::Request upgrade_request(std::string settings = "AAMAAABkAAQCAAAAAAIAAAAA") {
  http::Request request;
  request.method = "GET";
  request.target = request.path = "/";
  request.headers.add("Host", "test");
  request.headers.add("Connection", "Upgrade, HTTP2-Settings");
  request.headers.add("Upgrade", "h2c");
  request.headers.add("HTTP2-Settings", std::move(settings));
  return request;
}

}  // namespace

SYSLAB_TEST(H2cUpgrade, AcceptsCurlsRequestAndDecodesItsSettings, 2,
            "h2c_upgrade.cpp h2c_upgrade_settings: Upgrade has h2c, Connection has Upgrade and "
            "HTTP2-Settings, one HTTP2-Settings field, base64url (RFC 7540 §3.2.1)",
            "curl sends AAMAAABkAAQCAAAAAAIAAAAA: three settings of 6 bytes each.") {
  const auto settings = h2::h2c_upgrade_settings(upgrade_request());
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(settings->size(), 18U);
  EXPECT_EQ(*settings, std::string("\x00\x03\x00\x00\x00\x64\x00\x04\x02\x00\x00\x00\x00\x02"
                                   "\x00\x00\x00\x00",
                                   18));
  EXPECT_EQ(h2::h2c_upgrade_settings(upgrade_request("")), std::string());  // no settings: valid
}

SYSLAB_TEST(H2cUpgrade, StaysOnHttp1ForABodyOrBadSettings, 2,
            "h2c_upgrade_settings: nullopt unless every rule holds",
            "A body would have to be read in HTTP/1.1 before the switch: refuse Content-Length "
            "above 0 and Transfer-Encoding; settings must decode to whole 6-byte entries.") {
  auto with_body = upgrade_request();
  with_body.method = "POST";
  with_body.headers.add("Content-Length", "5");
  with_body.body = "hello";
  EXPECT_FALSE(h2::h2c_upgrade_settings(with_body));
  auto chunked = upgrade_request();
  chunked.headers.add("Transfer-Encoding", "chunked");
  EXPECT_FALSE(h2::h2c_upgrade_settings(chunked));
  EXPECT_FALSE(h2::h2c_upgrade_settings(upgrade_request("AAMAAABkAAQ")));   // 8 bytes
  EXPECT_FALSE(h2::h2c_upgrade_settings(upgrade_request("AAMAAABk+AQ=")));  // base64, not url
  auto no_connection = upgrade_request();
  no_connection.headers.set("Connection", "Upgrade");
  EXPECT_FALSE(h2::h2c_upgrade_settings(no_connection));
  auto websocket = upgrade_request();
  websocket.headers.set("Upgrade", "websocket");
  EXPECT_FALSE(h2::h2c_upgrade_settings(websocket));
  auto twice = upgrade_request();
  twice.headers.add("HTTP2-Settings", "AAMAAABk");
  EXPECT_FALSE(h2::h2c_upgrade_settings(twice));
  auto old = upgrade_request();
  old.version = {1, 0};
  EXPECT_FALSE(h2::h2c_upgrade_settings(old));
}

SYSLAB_TEST(H2Fields, PseudoHeadersBecomeTheRequest, 2,
            "h2_fields.cpp add_request_field: :method, :path (split into path and query), "
            ":authority as Host (RFC 9113 §8.3.1)",
            "Cookie crumbs are joined with \"; \" (§8.2.3); the version is 2.0.") {
  http::Request request;
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{":method", "GET"},
                                                        {":scheme", "http"},
                                                        {":authority", "example.test:8080"},
                                                        {":path", "/search?q=a%20b"},
                                                        {"cookie", "a=1"},
                                                        {"accept", "*/*"},
                                                        {"cookie", "b=2"}}) {
    h2::add_request_field(request, name, value);
  }
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/search?q=a%20b");
  EXPECT_EQ(request.path, "/search");
  EXPECT_EQ(request.query, "q=a%20b");
  EXPECT_EQ(request.version, (http::Version{2, 0}));
  EXPECT_EQ(request.headers.get("Host"), "example.test:8080");
  EXPECT_EQ(request.headers.get("Cookie"), "a=1; b=2");
  EXPECT_EQ(request.headers.count("cookie"), 1U);
  EXPECT_EQ(request.headers.get("Accept"), "*/*");
  EXPECT_FALSE(request.headers.contains(":scheme"));
}

SYSLAB_TEST(H2Fields, ResponseFieldsAreLowercaseWithoutConnectionFields, 2,
            "h2_fields.cpp response_fields: :status first, names lowercase (RFC 9113 §8.2.1), "
            "no Connection, Keep-Alive, Transfer-Encoding, Upgrade (§8.2.2)",
            "content-length for a known length, but never for 204 or 304.") {
  http::Response response = http::Response::text(200, "hello\n");
  response.headers.add("Connection", "keep-alive");
  response.headers.add("Transfer-Encoding", "chunked");
  response.headers.add("X-Custom", "yes");
  const auto fields = h2::response_fields(response, "DATE", "SERVER");
  ASSERT_FALSE(fields.empty());
  EXPECT_EQ(fields.front(), (h2::Field{":status", "200"}));
  auto value = [&](std::string_view name) -> std::string {
    for (const auto& [n, v] : fields) {
      if (n == name) return v;
    }
    return "(none)";
  };
  EXPECT_EQ(value("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(value("x-custom"), "yes");
  EXPECT_EQ(value("content-length"), "6");
  EXPECT_EQ(value("date"), "DATE");
  EXPECT_EQ(value("server"), "SERVER");
  EXPECT_EQ(value("connection"), "(none)");
  EXPECT_EQ(value("transfer-encoding"), "(none)");
  for (const auto& [name, v] : fields) {
    for (const char c : name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << name;
  }
  const auto no_content = h2::response_fields(http::Response{204, {}, std::string()}, "D", "S");
  for (const auto& [name, v] : no_content) EXPECT_NE(name, "content-length");
}

namespace {

// A stream that says: "a", then wait 50 ms, then "bc" and end.
class TwoPieces : public http::BodyStream {
 public:
  Piece next() override {
    ++calls;
    if (calls == 1) return Piece::after(std::chrono::milliseconds(50), "a");
    return Piece::end("bc");
  }
  int calls = 0;
};

}  // namespace

SYSLAB_TEST(H2Body, BytesAndFilesGoOutAFrameAtATime, 2,
            "h2_body.cpp BodyReader::read: copy at most frame.size() bytes; end with the last",
            "read_file: pread(2) at the region's offset plus what was sent; the region may start "
            "inside the file.") {
  h2::BodyReader bytes(std::string("0123456789"));
  std::array<std::uint8_t, 4> frame{};
  auto r = bytes.read(frame);
  EXPECT_EQ(r.count, 4U);
  EXPECT_FALSE(r.end);
  r = bytes.read(frame);
  r = bytes.read(frame);
  EXPECT_EQ(r.count, 2U);
  EXPECT_TRUE(r.end);
  EXPECT_EQ(bytes.sent(), 10U);

  TempDir dir;
  write_file(dir / "f", "hello, world");
  auto file =
      std::make_shared<const fdio::UniqueFd>(fdio::open_file(dir / "f", O_RDONLY | O_CLOEXEC));
  h2::BodyReader region(http::FileRegion{file, 7, 5});  // "world"
  std::string got;
  for (int i = 0; i < 5; ++i) {
    r = region.read(std::span(frame).first(3));
    got.append(reinterpret_cast<const char*>(frame.data()), r.count);
    if (r.end) break;
  }
  EXPECT_EQ(got, "world");
  EXPECT_TRUE(r.end);
}

SYSLAB_TEST(H2Body, AStreamThatWaitsIsDeferredOnceUntilResumed, 3,
            "h2_body.cpp read_stream: pull a piece, copy it; once it is out, kWait defers with "
            "the wait (NGHTTP2_ERR_DEFERRED and a timer), kEnd ends",
            "A second read before resume() must defer without a wait: else every read sets "
            "another timer.",
            "After resume() the next read calls next() again.") {
  auto stream = std::make_unique<TwoPieces>();
  TwoPieces* pieces = stream.get();
  h2::BodyReader reader(std::move(stream));
  std::array<std::uint8_t, 16> frame{};
  auto r = reader.read(frame);
  EXPECT_EQ(r.count, 1U);
  EXPECT_EQ(frame[0], 'a');
  r = reader.read(frame);
  EXPECT_TRUE(r.deferred);
  ASSERT_TRUE(r.wait.has_value());
  EXPECT_EQ(r.wait->count(), 50);
  r = reader.read(frame);
  EXPECT_TRUE(r.deferred);
  EXPECT_FALSE(r.wait.has_value()) << "one timer per wait";
  EXPECT_EQ(pieces->calls, 1);
  reader.resume();
  r = reader.read(frame);
  EXPECT_EQ(r.count, 2U);
  EXPECT_TRUE(r.end);
  EXPECT_EQ(pieces->calls, 2);
}
