// Lab 12: static files, served from one root directory and never from outside it. The handler
// resolves a request path beneath the root with openat2(2) (the kernel refuses any step that
// leaves it, symlinks included), answers conditional requests with 304 and byte ranges with 206,
// and returns the file as a FileRegion that the server sends with sendfile (zero-copy).
// Try: httpd --root DIR, then curl -v -r 0-9 / -H 'If-None-Match: ...' http://127.0.0.1:PORT/x
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "request.hpp"
#include "response.hpp"
#include "unique_fd.hpp"

namespace http {

// A request path made safe to open: relative to the root, percent-decoded, normalised.
struct LocalPath {
  std::string relative;         // "docs/a b.txt"; "" for the root itself
  bool trailing_slash = false;  // the request named a directory ("/docs/")
};

// Percent-decodes a request path strictly, then normalises it (RFC 3986 §5.2.4 dot segments):
// "/a/./b/../c%20d" gives "a/c d". nullopt (the caller answers 400) for a path that does not
// start with '/', a malformed escape ("%4", "%zz"), an encoded '/' ("%2F": it would turn one
// segment into two), a NUL byte (raw or "%00": C strings end there), or a ".." above the root.
[[nodiscard]] std::optional<LocalPath> decode_request_path(std::string_view path);

// The Content-Type of a file name, by its extension, compared without regard to case
// ("index.HTML" is text/html); application/octet-stream when the extension is not in the table.
[[nodiscard]] std::string_view content_type_for(std::string_view file_name);

// An HTTP-date in IMF-fixdate form (RFC 9110 §5.6.7), as seconds since the epoch; nullopt when
// it is not one. (The two obsolete forms are not accepted: a field that holds one is ignored,
// which costs a client a 200 where a 304 would do, never a wrong answer.)
[[nodiscard]] std::optional<std::time_t> parse_http_date(std::string_view text);

// One byte range of a representation of `length` bytes, resolved (RFC 9110 §14.1.2).
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};
// What a Range field asks of a representation of `length` bytes.
struct RangeRequest {
  enum class Kind {
    kWhole,          // no usable Range field (absent, invalid, another unit, several ranges): 200
    kPartial,        // one satisfiable range: 206
    kUnsatisfiable,  // one range that starts past the end (or "-0"): 416
  };
  Kind kind = Kind::kWhole;
  ByteRange range;  // kPartial only
};
// Reads a Range field value ("bytes=0-99", "bytes=100-", "bytes=-100") against `length` bytes.
[[nodiscard]] RangeRequest parse_range(std::string_view value, std::uint64_t length);

// The handler: GET and HEAD of the files under one root directory. Copyable (a Handler is a
// std::function): the copies share the root's descriptor. handle() only reads the root fd, so
// the loops of several threads may call it at once.
class StaticFiles {
 public:
  // Opens root as a directory, once (O_PATH | O_DIRECTORY): the handler resolves every path
  // beneath this descriptor, so renaming or replacing the root path later changes nothing.
  // Throws syslab::SystemError naming the root when it cannot be opened, or when openat2(2) is
  // not available (ENOSYS): without it, nothing keeps symlinks from leading out of the root.
  explicit StaticFiles(const std::string& root);

  [[nodiscard]] Response handle(const Request& request) const;
  Response operator()(const Request& request) const { return handle(request); }

 private:
  std::shared_ptr<const fdio::UniqueFd> root_;
};

}  // namespace http
