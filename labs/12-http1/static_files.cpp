// Lab 12: static files beneath one root (see static_files.hpp).
#include "static_files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <utility>
#include <variant>
#include <vector>

#include "http_date.hpp"
#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace http {

namespace {

// Percent-encodes a decoded path for a Location field: the unreserved characters and '/' stay,
// every other byte becomes %XX (RFC 3986 §2.1, §2.3).
std::string encode_path(std::string_view path) {
  std::string out;
  for (const char c : path) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (plain) {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

// A file opened beneath the root, or the errno of the failure.
struct Opened {
  fdio::UniqueFd fd;
  int error = 0;
};

// Opens root/relative for reading, never outside root. openat2(2) with RESOLVE_BENEATH makes the
// kernel refuse (EXDEV) any step of the walk that would leave the root: a "..", an absolute
// path, and, what no string check on the request can see, a symlink inside the root that points
// out of it (checking the string and then opening is also a race: the link can change in
// between). RESOLVE_NO_MAGICLINKS refuses /proc/self/fd/N-style links. O_NONBLOCK: opening a FIFO
// must not block the event loop (on a regular file it changes nothing).
Opened open_beneath(const fdio::UniqueFd& root, const std::string& relative) {
  SYSLAB_TODO("openat2(root, relative or \".\", O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) through syscall(SYS_openat2); retry a few times on EAGAIN (the kernel saw a rename race around a \"..\"); the fd, or the errno");
}

// The answer to a path that could not be opened.
Response refusal(int error, const std::string& path) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG: return Response::text(404, "not found: " + path + "\n");
    case EACCES:
    case EPERM: return Response::text(403, "not readable: " + path + "\n");
    case EXDEV:  // the walk would leave the root: "..", an absolute or outward symlink
    case ELOOP:  // a magic link, or a loop of symlinks
      return Response::text(403, "outside the root: " + path + "\n");
    default:
      return Response::text(500,
                            fmt::format("cannot open {}: {}\n", path, ::strerrordesc_np(error)));
  }
}

// A file ready to serve: its descriptor, what fstat says of it, and its name (for the type).
struct OpenFile {
  std::shared_ptr<const fdio::UniqueFd> fd;
  struct stat status {};
  std::string name;
};

// 301 to the directory's slash form. Built from the normalised path, never from the request's:
// "//evil.example/" echoed back would be a scheme-relative URL, an open redirect.
Response redirect_to_directory(const LocalPath& local, const std::string& query) {
  std::string location = "/" + encode_path(local.relative) + "/";
  if (!query.empty()) location += "?" + query;
  Response response = Response::text(301, "moved to " + location + "\n");
  response.headers.add("Location", std::move(location));
  return response;
}

// Opens root/relative and fstats it.
std::variant<OpenFile, Response> open_and_stat(const fdio::UniqueFd& root,
                                               const std::string& relative,
                                               const std::string& request_path) {
  Opened opened = open_beneath(root, relative);
  if (opened.error != 0) return refusal(opened.error, request_path);
  OpenFile file{std::make_shared<const fdio::UniqueFd>(std::move(opened.fd)), {}, relative};
  if (::fstat(file.fd->get(), &file.status) != 0) return refusal(errno, request_path);
  return file;
}

// Opens what a decoded path names: a regular file, or a directory's index.html. A directory named
// without its trailing slash is redirected to it (as Apache's DirectorySlash does): the relative
// links of its index.html ("style.css") resolve against the URL, and without the slash they
// would resolve one level up. Anything else (a FIFO, a device) is refused with 403.
std::variant<OpenFile, Response> open_target(const fdio::UniqueFd& root, const LocalPath& local,
                                             const Request& request) {
  auto target = open_and_stat(root, local.relative, request.path);
  const auto* file = std::get_if<OpenFile>(&target);
  if (file != nullptr && S_ISDIR(file->status.st_mode)) {
    if (!local.trailing_slash) return redirect_to_directory(local, request.query);
    const std::string index =
        local.relative.empty() ? "index.html" : local.relative + "/index.html";
    target = open_and_stat(root, index, request.path);
    file = std::get_if<OpenFile>(&target);
  }
  if (file != nullptr && !S_ISREG(file->status.st_mode)) {
    return Response::text(403, "not a regular file: " + request.path + "\n");
  }
  return target;
}

// The entity tag of a file: size and modification time, in nanoseconds. Weak (W/"..."), as
// RFC 9110 §8.8.1 asks of a validator that two different contents could share: a file rewritten
// with the same size within one tick of the filesystem's clock keeps the same tag. Nothing is
// lost: If-None-Match compares weakly anyway (§13.1.2); only If-Range needs a strong tag.
std::string etag_of(const struct stat& status) {
  const auto nanoseconds = static_cast<std::uint64_t>(status.st_mtim.tv_sec) * 1'000'000'000U +
                           static_cast<std::uint64_t>(status.st_mtim.tv_nsec);
  return fmt::format("W/\"{:x}-{:x}\"", static_cast<std::uint64_t>(status.st_size), nanoseconds);
}

// True when a GET or HEAD can be answered 304 Not Modified (RFC 9110 §13.2.2): If-None-Match
// decides when it is present (step 3), and then If-Modified-Since is not even looked at (step 4):
// an entity tag is exact where a date has one-second resolution. If-Modified-Since is ignored
// when it is not one valid date (§13.1.3).
bool not_modified(const Request& request, std::string_view etag, std::time_t modified) {
  SYSLAB_TODO("If-None-Match present: 304 when one of its tags (or \"*\") matches etag weakly; else If-Modified-Since (exactly one field, a valid IMF-fixdate): 304 when the file is not newer than it");
}

// The answer to a GET or HEAD of an open file: 304, 206, 416 or 200. HEAD gets the very
// response GET would, body included: the codec sends its length and drops it (RFC 9110 §9.3.2),
// so the two can never disagree on a header.
Response file_response(const Request& request, OpenFile file) {
  const std::string etag = etag_of(file.status);
  const std::time_t modified = file.status.st_mtim.tv_sec;
  Response response;
  response.headers.add("ETag", etag);
  if (not_modified(request, etag, modified)) {
    response.status = 304;  // no body; ETag is the one validator a 304 must repeat (§15.4.5)
    return response;
  }
  const auto size = static_cast<std::uint64_t>(file.status.st_size);
  response.headers.add("Last-Modified", format_http_date(modified));
  response.headers.add("Accept-Ranges", "bytes");  // RFC 9110 §14.3
  // Range applies to GET only (§14.2); evaluated after the preconditions (§13.2.2 step 5).
  // If-Range is not evaluated, so a request that has one gets the whole file: always a right
  // answer, where a part of a newer version would not be (§13.1.5). (It could never match our
  // weak ETag anyway: If-Range compares strongly.)
  const auto range_field = request.headers.get("Range");
  RangeRequest range;
  if (request.method == "GET" && range_field && request.headers.count("Range") == 1 &&
      !request.headers.contains("If-Range")) {
    range = parse_range(*range_field, size);
  }
  if (range.kind == RangeRequest::Kind::kUnsatisfiable) {
    Response refused = Response::text(416, "range not satisfiable\n");
    refused.headers.add("Content-Range", fmt::format("bytes */{}", size));  // §15.5.17
    return refused;
  }
  response.headers.add("Content-Type", std::string(content_type_for(file.name)));
  FileRegion region{std::move(file.fd), 0, size};
  if (range.kind == RangeRequest::Kind::kPartial) {
    response.status = 206;
    response.headers.add("Content-Range",
                         fmt::format("bytes {}-{}/{}", range.range.first, range.range.last, size));
    region.offset = range.range.first;
    region.length = range.range.last - range.range.first + 1;
  }
  response.body = std::move(region);
  return response;
}

// RFC 9110 §5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT", day and month names in English.
constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// A fixed-width number of digits at text[at], or -1.
int digits_at(std::string_view text, std::size_t at, std::size_t width) {
  int value = -1;
  const char* begin = text.data() + at;
  const auto [end, error] = std::from_chars(begin, begin + width, value);
  return (error == std::errc() && end == begin + width && value >= 0) ? value : -1;
}

}  // namespace

std::optional<LocalPath> decode_request_path(std::string_view path) {
  SYSLAB_TODO("split the path at '/' and decode each segment strictly (malformed escape, %2F, NUL: nullopt) BEFORE looking at it: \".\" and \"\" are dropped, \"..\" removes the last kept segment (none left: nullopt); join the rest with '/'; remember whether the path ended in '/'. Decoding after normalising would let \"%2e%2e\" through as a name and turn it into \"..\" afterwards");
}

std::string_view content_type_for(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 20> kTypes = {{
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},  // RFC 9239
      {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"txt", "text/plain; charset=utf-8"},
      {"md", "text/markdown; charset=utf-8"},
      {"xml", "application/xml"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"wasm", "application/wasm"},
      {"pdf", "application/pdf"},
      {"woff2", "font/woff2"},
      {"mp4", "video/mp4"},
  }};
  const std::string_view base = file_name.substr(file_name.rfind('/') + 1);
  const std::size_t dot = base.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";
  const std::string_view extension = base.substr(dot + 1);
  for (const auto& [known, type] : kTypes) {
    if (iequals(known, extension)) return type;
  }
  return "application/octet-stream";
}

std::optional<std::time_t> parse_http_date(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": 29 bytes, every field at a fixed place.
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  if (std::find(kDays.begin(), kDays.end(), text.substr(0, 3)) == kDays.end()) return std::nullopt;
  const auto month = std::find(kMonths.begin(), kMonths.end(), text.substr(8, 3));
  std::tm utc{};
  utc.tm_mday = digits_at(text, 5, 2);
  utc.tm_mon = static_cast<int>(month - kMonths.begin());
  utc.tm_year = digits_at(text, 12, 4) - 1900;
  utc.tm_hour = digits_at(text, 17, 2);
  utc.tm_min = digits_at(text, 20, 2);
  utc.tm_sec = digits_at(text, 23, 2);
  if (month == kMonths.end() || utc.tm_mday < 1 || utc.tm_mday > 31 || utc.tm_year < 0 ||
      utc.tm_hour < 0 || utc.tm_hour > 23 || utc.tm_min < 0 || utc.tm_min > 59 || utc.tm_sec < 0 ||
      utc.tm_sec > 60) {
    return std::nullopt;
  }
  return ::timegm(&utc);
}

RangeRequest parse_range(std::string_view value, std::uint64_t length) {
  SYSLAB_TODO("\"bytes=\" (the unit in any case) then one range: \"a-b\" (b past the end is cut to the end; b < a is unsatisfiable), \"a-\" (to the end), \"-n\" (the LAST n bytes; the whole when n >= length). A range that starts at or past the end, or \"-0\", is unsatisfiable. Anything else, or several ranges (a comma), is kWhole: RFC 9110 §14.2 lets a server ignore Range, and a multipart/byteranges body is not worth it here");
}

StaticFiles::StaticFiles(const std::string& root) {
  const int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) syslab::throw_errno("open", root);
  root_ = std::make_shared<const fdio::UniqueFd>(fd);
  // openat2 is Linux 5.6 and later, and a container's seccomp filter may refuse it (ENOSYS):
  // find out now, and refuse to start rather than serve with weaker checks. (Not through
  // open_beneath: that is yours to write, and every test starts httpd with --root.)
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH;
  const long probe = ::syscall(SYS_openat2, root_->get(), ".", &how, sizeof how);
  if (probe < 0) syslab::throw_errno("openat2", root);
  ::close(static_cast<int>(probe));
}

Response StaticFiles::handle(const Request& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    Response response = Response::text(405, request.method + " is not allowed here\n");
    response.headers.add("Allow", "GET, HEAD");
    return response;
  }
  const std::optional<LocalPath> local = decode_request_path(request.path);
  if (!local) return Response::text(400, "bad path: " + request.path + "\n");
  auto target = open_target(*root_, *local, request);
  if (auto* refused = std::get_if<Response>(&target)) return std::move(*refused);
  return file_response(request, std::move(std::get<OpenFile>(target)));
}

}  // namespace http
