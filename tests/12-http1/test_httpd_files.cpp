// Lab 12 tests: httpd serves the application's static files over a real connection: a file sent
// whole (a file region: sendfile on the plain transport), a byte range from the middle of it,
// a 304 for a validator that still matches, and a path that leaves the root refused, all on one
// kept-alive connection.
#include <string>

#include "httpd_client.hpp"
#include "syslab/files.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace httpd_test;

namespace {

// 0, 1, ... 250, 0, 1 ...: a pattern in which a lost, doubled or shifted block shows.
std::string pattern(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i % 251);
  return bytes;
}

// The value of a field in a lowercased head ("etag" -> "w/\"...\""), or "".
std::string field(const RawResponse& response, const std::string& name) {
  const std::string key = "\r\n" + name + ": ";
  const auto at = response.head.find(key);
  if (at == std::string::npos) return "";
  const auto end = response.head.find("\r\n", at + key.size());
  return response.head.substr(at + key.size(), end - at - key.size());
}

}  // namespace

SYSLAB_TEST(HttpdFiles, ServesFilesRangesAndNotModifiedOnOneConnection, 3,
            "The app's static files answer with a FileRegion: Http1Connection::send_body must "
            "pass it to Connection::send_file with its offset and length, after the head",
            "A 206 is the same file region from an offset: sending from 0, or the whole file, "
            "gives the wrong bytes; a 304 has no body at all (RFC 9110 §15.4.5)",
            "One connection carries all of it: after each response the next request is read") {
  const std::string big = pattern(3 * 1024 * 1024 + 17);  // more than the socket buffers hold
  write_file(web_root() + "/big.bin", big);
  auto server = start_httpd();
  RawClient client(server->port());

  client.send(get("/big.bin"));
  const RawResponse whole = client.read_response(false, std::chrono::seconds(10));
  EXPECT_EQ(whole.status, 200) << whole.head;
  EXPECT_EQ(whole.body.size(), big.size());
  EXPECT_TRUE(whole.body == big) << "the file's bytes came back changed";

  client.send(get("/big.bin", "Range: bytes=1000000-1000099\r\n"));
  const RawResponse part = client.read_response();
  EXPECT_EQ(part.status, 206) << part.head;
  EXPECT_TRUE(part.body == big.substr(1000000, 100)) << "a range must be sent from its offset";

  client.send(get("/index.html"));
  const RawResponse page = client.read_response();
  EXPECT_EQ(page.status, 200) << page.head;
  EXPECT_EQ(page.body, "hello\n");
  std::string etag = field(page, "etag");
  ASSERT_FALSE(etag.empty()) << "no ETag in " << page.head;
  // The client lowercases the head; a weak tag's prefix is "W/" (RFC 9110 §8.8.3), and the app's
  // opaque part is lowercase hex, so only the prefix needs putting back.
  if (etag.rfind("w/", 0) == 0) etag[0] = 'W';

  client.send(get("/index.html", "If-None-Match: " + etag + "\r\n"));
  const RawResponse same = client.read_response();
  EXPECT_EQ(same.status, 304) << same.head;
  EXPECT_EQ(same.body, "");

  client.send(get("/%2e%2e/%2e%2e/etc/passwd"));
  const RawResponse outside = client.read_response();
  EXPECT_EQ(outside.status, 400) << "a path above the root is refused: " << outside.head;
  EXPECT_EQ(outside.body.find("root:"), std::string::npos);

  client.send(get("/"));
  EXPECT_EQ(client.read_response().body, "hello\n") << "the connection is still served";
}
