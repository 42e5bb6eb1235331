// Lab 12 tests: the static file handler, called directly with Requests (no server): files as
// FileRegions, content types, directories, every way out of the root refused one by one,
// conditional requests (304) and byte ranges (206, 416).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <memory>
#include <string>

#include "http1_writer.hpp"
#include "http_date.hpp"
#include "static_files.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using http::Request;
using http::Response;

namespace {

constexpr std::time_t kModified = 1'600'000'000;  // Sun, 13 Sep 2020 12:26:40 GMT

// A root with files, a subdirectory with an index, symlinks out of and inside the root, and,
// beside the root, a directory of secrets that must never be served.
class Site {
 public:
  Site() {
    mkdir_or_fail(base_ / "root");
    mkdir_or_fail(base_ / "outside");
    write_file(base_ / "outside/x.txt", "SECRET outside the root\n");
    write_file(base_ / "secret.txt", "SECRET beside the root\n");
    put("hello.txt", "hello, world\n");
    put("digits.txt", "0123456789");
    put("a b.txt", "space\n");
    put("100%.txt", "percent\n");
    put("style.css", "p {}\n");
    put("app.js", "1;\n");
    put("data.json", "{}\n");
    put("image.PNG", "png");
    put("noext", "?");
    put("thing.unknown", "?");
    mkdir_or_fail(root() + "/sub");
    put("sub/index.html", "<p>sub</p>\n");
    put("sub/note.txt", "note\n");
    link("../outside", "link-out");               // relative, leaves the root
    link(base_ / "outside", "link-abs");          // absolute, leaves the root
    link("sub", "link-in");                       // relative, stays inside
    link("../../secret.txt", "sub/secret-link");  // a file link that climbs out
  }

  [[nodiscard]] std::string root() const { return base_ / "root"; }
  [[nodiscard]] std::string path(const std::string& name) const { return root() + "/" + name; }

  // Writes root/name with a fixed modification time.
  void put(const std::string& name, const std::string& contents, std::time_t mtime = kModified) {
    write_file(path(name), contents);
    const timespec times[2] = {{mtime, 0}, {mtime, 0}};
    EXPECT_EQ(::utimensat(AT_FDCWD, path(name).c_str(), times, 0), 0) << name;
  }

 private:
  static void mkdir_or_fail(const std::string& dir) {
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir;
  }
  void link(const std::string& target, const std::string& name) {
    ASSERT_EQ(::symlink(target.c_str(), path(name).c_str()), 0) << name;
  }

  TempDir base_;
};

Request get(std::string target, std::string method = "GET") {
  Request r;
  r.method = std::move(method);
  r.target = target;
  http::split_target(target, r.path, r.query);
  return r;
}

Request with(Request r, std::string name, std::string value) {
  r.headers.add(std::move(name), std::move(value));
  return r;
}

// The bytes a FileRegion stands for, read from its fd with pread (the fd's offset is not used).
std::string region_bytes(const Response& response) {
  const auto* region = std::get_if<http::FileRegion>(&response.body);
  if (region == nullptr || !region->file) return "(not a file region)";
  std::string bytes(region->length, '\0');
  const ssize_t n =
      ::pread(region->file->get(), bytes.data(), bytes.size(), static_cast<off_t>(region->offset));
  if (n < 0) return "(pread failed)";
  bytes.resize(static_cast<std::size_t>(n));
  return bytes;
}

std::string text_of(const Response& response) {
  const auto* text = std::get_if<std::string>(&response.body);
  return text ? *text : "(not bytes)";
}

std::string header(const Response& response, std::string_view name) {
  return std::string(response.headers.get(name).value_or("(none)"));
}

// A refusal: the status expected, and never a byte of a secret.
void expect_refused(const http::StaticFiles& files, const std::string& target, int status) {
  const Response response = files(get(target));
  EXPECT_EQ(response.status, status) << target;
  EXPECT_EQ(region_bytes(response).find("SECRET"), std::string::npos) << target;
  EXPECT_EQ(text_of(response).find("SECRET"), std::string::npos) << target;
}

}  // namespace

SYSLAB_TEST(StaticFiles, ServesAFileAsARegion, 2,
            "GET /hello.txt: 200, and the body a FileRegion of the whole file (the server "
            "sendfiles it: the bytes never pass through user space).",
            "Resolve the path beneath the root fd (openat2), fstat the fd, and return "
            "FileRegion{the fd, 0, st_size}, with Content-Type, Last-Modified, ETag, "
            "Accept-Ranges.",
            "The FileRegion's fd must be the file itself (same inode), shared: "
            "std::make_shared<const fdio::UniqueFd>(std::move(fd)).") {
  const Site site;
  const http::StaticFiles files(site.root());
  const Response response = files(get("/hello.txt"));
  ASSERT_EQ(response.status, 200);
  const auto* region = std::get_if<http::FileRegion>(&response.body);
  ASSERT_NE(region, nullptr) << "the body must be a FileRegion (zero-copy), not bytes";
  EXPECT_EQ(region->offset, 0U);
  EXPECT_EQ(region->length, 13U);
  struct stat of_fd {};
  struct stat of_path {};
  ASSERT_EQ(::fstat(region->file->get(), &of_fd), 0);
  ASSERT_EQ(::stat(site.path("hello.txt").c_str(), &of_path), 0);
  EXPECT_EQ(of_fd.st_ino, of_path.st_ino) << "the region's fd is another file";
  EXPECT_EQ(region_bytes(response), "hello, world\n");
  EXPECT_EQ(header(response, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(header(response, "Last-Modified"), "Sun, 13 Sep 2020 12:26:40 GMT");
  EXPECT_EQ(header(response, "Accept-Ranges"), "bytes");
  EXPECT_TRUE(header(response, "ETag").starts_with("W/\"")) << header(response, "ETag");
  EXPECT_GE(::fcntl(region->file->get(), F_GETFD) & FD_CLOEXEC, 1) << "the fd must be O_CLOEXEC";
}

SYSLAB_TEST(StaticFiles, HeadHasTheHeadersOfGet, 1,
            "RFC 9110 §9.3.2: HEAD is GET without the content: the same status and fields.",
            "The handler returns the very response GET gets (FileRegion included); the writer "
            "sends Content-Length and drops the body (Framing::kNone).") {
  const Site site;
  const http::StaticFiles files(site.root());
  const Response got = files(get("/style.css"));
  const Response head = files(get("/style.css", "HEAD"));
  EXPECT_EQ(head.status, got.status);
  EXPECT_EQ(head.headers, got.headers);
  EXPECT_EQ(http::known_length(head.body), http::known_length(got.body));
  const http::ResponseHead written = http::write_head(head, {"HEAD", {1, 1}, true}, "d", "s");
  EXPECT_EQ(written.framing, http::Framing::kNone) << "HEAD: no body on the wire";
  EXPECT_NE(written.bytes.find("Content-Length: 5\r\n"), std::string::npos) << written.bytes;
}

SYSLAB_TEST(StaticFiles, ContentTypeByExtension, 1,
            "Content-Type comes from the file name's extension, compared without regard to case.",
            "An unknown or missing extension is application/octet-stream (RFC 9110 §8.3).") {
  const Site site;
  const http::StaticFiles files(site.root());
  EXPECT_EQ(header(files(get("/style.css")), "Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(header(files(get("/app.js")), "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(files(get("/data.json")), "Content-Type"), "application/json");
  EXPECT_EQ(header(files(get("/image.PNG")), "Content-Type"), "image/png");
  EXPECT_EQ(header(files(get("/noext")), "Content-Type"), "application/octet-stream");
  EXPECT_EQ(header(files(get("/thing.unknown")), "Content-Type"), "application/octet-stream");
  EXPECT_EQ(header(files(get("/sub/")), "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(http::content_type_for("dir.d/.hidden"), "application/octet-stream");
}

SYSLAB_TEST(StaticFiles, DirectoryServesIndexHtml, 1,
            "A path to a directory that ends in '/' serves the directory's index.html.",
            "No index.html: 404 (no listing).", "fstat tells a directory (S_ISDIR).") {
  const Site site;
  const http::StaticFiles files(site.root());
  const Response response = files(get("/sub/"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(region_bytes(response), "<p>sub</p>\n");
  EXPECT_EQ(files(get("/")).status, 404) << "the root has no index.html";
}

SYSLAB_TEST(StaticFiles, DirectoryWithoutSlashRedirects, 1,
            "/sub names a directory without the slash: 301 to /sub/, so that the relative links "
            "of its index.html resolve under /sub/.",
            "Build Location from the normalised path, not from the request: //evil.example/ "
            "would be a redirect to another host.") {
  const Site site;
  const http::StaticFiles files(site.root());
  const Response response = files(get("/sub"));
  EXPECT_EQ(response.status, 301);
  EXPECT_EQ(header(response, "Location"), "/sub/");
  EXPECT_EQ(header(files(get("/sub?a=1")), "Location"), "/sub/?a=1");
  EXPECT_EQ(header(files(get("//sub")), "Location"), "/sub/") << "never //host: an open redirect";
}

SYSLAB_TEST(StaticFiles, MissingIs404, 1, "A path that names nothing: 404.",
            "ENOENT and ENOTDIR (a file used as a directory) are both 404.") {
  const Site site;
  const http::StaticFiles files(site.root());
  EXPECT_EQ(files(get("/nothing.txt")).status, 404);
  EXPECT_EQ(files(get("/hello.txt/x")).status, 404);
  EXPECT_EQ(files(get("/sub/nothing/")).status, 404);
}

SYSLAB_TEST(StaticFiles, FifoIsRefusedWithoutBlocking, 1,
            "A FIFO in the root: 403 at once. Opening it for reading without O_NONBLOCK would "
            "block the event loop until a writer came.",
            "Open with O_NONBLOCK; after fstat, serve S_ISREG only.") {
  const Site site;
  ASSERT_EQ(::mkfifo(site.path("fifo").c_str(), 0644), 0);
  const http::StaticFiles files(site.root());
  EXPECT_EQ(files(get("/fifo")).status, 403);
}

SYSLAB_TEST(StaticFiles, PercentDecodingAndDotSegments, 1,
            "Paths are percent-decoded (%20 is a space, %25 a percent sign) and '.' and '..' "
            "segments resolved (RFC 3986 §5.2.4) before the file is opened.",
            "Split at '/', decode each segment, then drop '.' and apply '..'.") {
  const Site site;
  const http::StaticFiles files(site.root());
  EXPECT_EQ(region_bytes(files(get("/a%20b.txt"))), "space\n");
  EXPECT_EQ(region_bytes(files(get("/100%25.txt"))), "percent\n");
  EXPECT_EQ(region_bytes(files(get("/sub/./note.txt"))), "note\n");
  EXPECT_EQ(region_bytes(files(get("/sub/../hello.txt"))), "hello, world\n");
  EXPECT_EQ(region_bytes(files(get("/%73ub/note%2etxt"))), "note\n");
  const auto local = http::decode_request_path("/a//b/./c/../d%41/");
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->relative, "a/b/dA");
  EXPECT_TRUE(local->trailing_slash);
}

SYSLAB_TEST(StaticFiles, RefusesDotDot, 1, "/../x climbs above the root: 400.",
            "A '..' with no segment left to remove is a bad request, not the root.") {
  const Site site;
  const http::StaticFiles files(site.root());
  expect_refused(files, "/../secret.txt", 400);
  expect_refused(files, "/../outside/x.txt", 400);
  expect_refused(files, "/sub/../../secret.txt", 400);
}

SYSLAB_TEST(StaticFiles, RefusesEncodedDotDot, 1, "/%2e%2e/x is /../x once decoded: 400 as well.",
            "Decode each segment BEFORE looking for '.' and '..'; decoding after normalising "
            "lets %2e%2e through as a name.") {
  const Site site;
  const http::StaticFiles files(site.root());
  expect_refused(files, "/%2e%2e/secret.txt", 400);
  expect_refused(files, "/%2E%2e/outside/x.txt", 400);
  expect_refused(files, "/sub/%2e%2e/%2e%2e/secret.txt", 400);
  expect_refused(files, "/.%2e/secret.txt", 400);
}

SYSLAB_TEST(StaticFiles, RefusesEncodedSlash, 1,
            "%2F is a slash inside a segment: refused with 400, never decoded into a '/'.",
            "/sub/%2F..%2F..%2Fsecret.txt would become /sub//../../secret.txt after a check "
            "that split the path at '/'.") {
  const Site site;
  const http::StaticFiles files(site.root());
  expect_refused(files, "/sub/%2F..%2F..%2Fsecret.txt", 400);
  expect_refused(files, "/sub/..%2f..%2fsecret.txt", 400);
  expect_refused(files, "/sub%2Fnote.txt", 400);
}

SYSLAB_TEST(StaticFiles, RefusesNulBytes, 1,
            "%00 (or a raw NUL) would cut the C string the kernel sees: refused with 400.",
            "\"/hello.txt%00.png\" must not open hello.txt.") {
  const Site site;
  const http::StaticFiles files(site.root());
  expect_refused(files, "/hello.txt%00.png", 400);
  expect_refused(files, "/%00", 400);
  expect_refused(files, std::string("/hello.txt\0.png", 15), 400);
}

SYSLAB_TEST(StaticFiles, RefusesMalformedEscapes, 1,
            "A '%' not followed by two hex digits is a bad request (400), not a literal '%'.",
            "Check both digits exist and are hex.") {
  const Site site;
  const http::StaticFiles files(site.root());
  for (const char* target : {"/%", "/100%.txt", "/%4", "/%zz", "/%g0", "/a%2"}) {
    expect_refused(files, target, 400);
  }
  expect_refused(files, "*", 400);
}

SYSLAB_TEST(StaticFiles, RefusesSymlinksThatLeave, 2,
            "/link-out/x.txt passes every string check, yet link-out points out of the root: "
            "refused (403), never served.",
            "Only the kernel can see where a symlink goes while it walks the path: openat2(2) "
            "with RESOLVE_BENEATH answers EXDEV.",
            "open_how{.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK, .resolve = RESOLVE_BENEATH | "
            "RESOLVE_NO_MAGICLINKS}, through syscall(SYS_openat2, root, path, &how, sizeof how).") {
  const Site site;
  const http::StaticFiles files(site.root());
  expect_refused(files, "/link-out/x.txt", 403);
  expect_refused(files, "/link-abs/x.txt", 403);
  expect_refused(files, "/sub/secret-link", 403);
  expect_refused(files, "/link-out/", 403);
}

SYSLAB_TEST(StaticFiles, FollowsSymlinksInside, 1,
            "A relative symlink that stays inside the root is followed.",
            "RESOLVE_BENEATH refuses only the steps that leave the root.") {
  const Site site;
  const http::StaticFiles files(site.root());
  EXPECT_EQ(region_bytes(files(get("/link-in/note.txt"))), "note\n");
  EXPECT_EQ(region_bytes(files(get("/link-in/"))), "<p>sub</p>\n");
}

SYSLAB_TEST(StaticFiles, IfNoneMatchGives304, 2,
            "If-None-Match with the file's ETag (or \"*\"): 304 with no body (RFC 9110 §13.1.2).",
            "Compare weakly (§8.8.3.2): W/\"x\" and \"x\" match; look at every tag of the list, "
            "in every If-None-Match field.",
            "A 304 repeats the ETag (§15.4.5); the body is an empty string.") {
  const Site site;
  const http::StaticFiles files(site.root());
  const std::string etag = header(files(get("/hello.txt")), "ETag");
  const Response response = files(with(get("/hello.txt"), "If-None-Match", etag));
  EXPECT_EQ(response.status, 304);
  EXPECT_EQ(text_of(response), "");
  EXPECT_EQ(header(response, "ETag"), etag);
  EXPECT_EQ(files(with(get("/hello.txt"), "If-None-Match", "*")).status, 304);
  EXPECT_EQ(files(with(get("/hello.txt"), "If-None-Match", "\"a\", " + etag)).status, 304);
  EXPECT_EQ(files(with(get("/hello.txt"), "If-None-Match", etag.substr(2))).status, 304)
      << "weak comparison: the opaque tags match";
  EXPECT_EQ(
      files(with(with(get("/hello.txt"), "If-None-Match", "\"a\""), "If-None-Match", etag)).status,
      304);
  EXPECT_EQ(files(with(get("/hello.txt", "HEAD"), "If-None-Match", etag)).status, 304);
  EXPECT_EQ(files(with(get("/hello.txt"), "If-None-Match", "\"other\"")).status, 200);
}

SYSLAB_TEST(StaticFiles, IfModifiedSinceGives304, 1,
            "If-Modified-Since at or after Last-Modified: 304 (RFC 9110 §13.1.3).",
            "Parse the IMF-fixdate; an invalid date is ignored (200).") {
  const Site site;
  const http::StaticFiles files(site.root());
  const auto since = [&](std::string date) {
    return files(with(get("/hello.txt"), "If-Modified-Since", std::move(date))).status;
  };
  EXPECT_EQ(since(http::format_http_date(kModified)), 304);
  EXPECT_EQ(since(http::format_http_date(kModified + 3600)), 304);
  EXPECT_EQ(since(http::format_http_date(kModified - 1)), 200);
  EXPECT_EQ(since("yesterday"), 200);
  EXPECT_EQ(http::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_FALSE(http::parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC").has_value());
}

SYSLAB_TEST(StaticFiles, IfNoneMatchBeatsIfModifiedSince, 2,
            "RFC 9110 §13.2.2: when If-None-Match is present, If-Modified-Since is not evaluated.",
            "An ETag that does not match means 200, whatever the date says: the file may have "
            "changed twice in the same second.") {
  const Site site;
  const http::StaticFiles files(site.root());
  const std::string etag = header(files(get("/hello.txt")), "ETag");
  const std::string modified = http::format_http_date(kModified);
  const std::string earlier = http::format_http_date(kModified - 60);
  EXPECT_EQ(files(with(with(get("/hello.txt"), "If-None-Match", "\"stale\""), "If-Modified-Since",
                       modified))
                .status,
            200);
  EXPECT_EQ(
      files(with(with(get("/hello.txt"), "If-None-Match", etag), "If-Modified-Since", earlier))
          .status,
      304);
}

SYSLAB_TEST(StaticFiles, ETagFollowsTheFile, 1,
            "The ETag changes when the file does: size and mtime (RFC 9110 §8.8.3).",
            "A tag from before the change no longer matches: 200 with the new bytes.") {
  Site site;
  const http::StaticFiles files(site.root());
  const std::string before = header(files(get("/hello.txt")), "ETag");
  site.put("hello.txt", "hello again, world\n", kModified + 1);
  const Response response = files(with(get("/hello.txt"), "If-None-Match", before));
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(header(response, "ETag"), before);
  EXPECT_EQ(region_bytes(response), "hello again, world\n");
}

SYSLAB_TEST(StaticFiles, RangeFirstToLast, 2,
            "Range: bytes=2-5 gives 206, Content-Range: bytes 2-5/10, and the region of those "
            "4 bytes (RFC 9110 §14.1.2, §15.3.7).",
            "A last position past the end is cut to the end: bytes=8-100 is 8-9.",
            "The region: offset = first, length = last - first + 1.") {
  const Site site;
  const http::StaticFiles files(site.root());
  const Response response = files(with(get("/digits.txt"), "Range", "bytes=2-5"));
  EXPECT_EQ(response.status, 206);
  EXPECT_EQ(header(response, "Content-Range"), "bytes 2-5/10");
  const auto* region = std::get_if<http::FileRegion>(&response.body);
  ASSERT_NE(region, nullptr);
  EXPECT_EQ(region->offset, 2U);
  EXPECT_EQ(region->length, 4U);
  EXPECT_EQ(region_bytes(response), "2345");
  const Response cut = files(with(get("/digits.txt"), "Range", "bytes=8-100"));
  EXPECT_EQ(header(cut, "Content-Range"), "bytes 8-9/10");
  EXPECT_EQ(region_bytes(cut), "89");
  EXPECT_EQ(region_bytes(files(with(get("/digits.txt"), "Range", "BYTES=0-0"))), "0");
}

SYSLAB_TEST(StaticFiles, RangeToTheEnd, 1, "bytes=7- is from 7 to the end: 206, bytes 7-9/10.",
            "No last position: the last byte of the file.") {
  const Site site;
  const http::StaticFiles files(site.root());
  const Response response = files(with(get("/digits.txt"), "Range", "bytes=7-"));
  EXPECT_EQ(response.status, 206);
  EXPECT_EQ(header(response, "Content-Range"), "bytes 7-9/10");
  EXPECT_EQ(region_bytes(response), "789");
}

SYSLAB_TEST(StaticFiles, RangeSuffixIsTheLastBytes, 2,
            "bytes=-4 is the LAST 4 bytes (6-9), not the first five (RFC 9110 §14.1.2).",
            "A suffix longer than the file is the whole file, still as a 206.") {
  const Site site;
  const http::StaticFiles files(site.root());
  const Response response = files(with(get("/digits.txt"), "Range", "bytes=-4"));
  EXPECT_EQ(response.status, 206);
  EXPECT_EQ(header(response, "Content-Range"), "bytes 6-9/10");
  EXPECT_EQ(region_bytes(response), "6789");
  const Response all = files(with(get("/digits.txt"), "Range", "bytes=-100"));
  EXPECT_EQ(header(all, "Content-Range"), "bytes 0-9/10");
  EXPECT_EQ(region_bytes(all), "0123456789");
}

SYSLAB_TEST(StaticFiles, UnsatisfiableRangeIs416, 2,
            "A range that starts at or past the end (or bytes=-0): 416 with "
            "Content-Range: bytes */10 (RFC 9110 §15.5.17).",
            "bytes=10- on a 10-byte file starts past the last byte (9).") {
  const Site site;
  const http::StaticFiles files(site.root());
  for (const char* range :
       {"bytes=10-", "bytes=10-20", "bytes=-0", "bytes=99999999999999999999-"}) {
    const Response response = files(with(get("/digits.txt"), "Range", range));
    EXPECT_EQ(response.status, 416) << range;
    EXPECT_EQ(header(response, "Content-Range"), "bytes */10") << range;
    EXPECT_FALSE(std::holds_alternative<http::FileRegion>(response.body)) << range;
  }
}

SYSLAB_TEST(StaticFiles, OtherRangesServeTheWhole, 1,
            "Several ranges, another unit or a malformed range: the whole file, 200 "
            "(RFC 9110 §14.2: a server may ignore Range).",
            "HEAD ignores Range (only GET has ranges), so does a request with If-Range (not "
            "evaluated here), and a 304 is decided before the range.") {
  const Site site;
  const http::StaticFiles files(site.root());
  for (const char* range : {"bytes=0-1,4-5", "items=0-1", "bytes=a-b", "bytes=1", "bytes=--1"}) {
    const Response response = files(with(get("/digits.txt"), "Range", range));
    EXPECT_EQ(response.status, 200) << range;
    EXPECT_EQ(region_bytes(response), "0123456789") << range;
  }
  EXPECT_EQ(files(with(get("/digits.txt", "HEAD"), "Range", "bytes=0-1")).status, 200);
  EXPECT_EQ(
      files(with(with(get("/digits.txt"), "Range", "bytes=0-1"), "If-Range", "\"old\"")).status,
      200)
      << "If-Range is not evaluated: the whole file is the safe answer (RFC 9110 §13.1.5)";
  const std::string etag = header(files(get("/digits.txt")), "ETag");
  EXPECT_EQ(
      files(with(with(get("/digits.txt"), "If-None-Match", etag), "Range", "bytes=0-1")).status,
      304);
}

SYSLAB_TEST(StaticFiles, OnlyGetAndHead, 1, "Another method: 405 with Allow: GET, HEAD.",
            "RFC 9110 §15.5.6: a 405 says what is allowed.") {
  const Site site;
  const http::StaticFiles files(site.root());
  const Response response = files(get("/hello.txt", "DELETE"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(header(response, "Allow"), "GET, HEAD");
  EXPECT_EQ(files(get("/../secret.txt")).status, 400);
  EXPECT_THROW(http::StaticFiles(site.path("hello.txt")), std::system_error)
      << "a root that is not a directory";
}
