#include "syslab/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace syslab {

std::string errno_text(int error) {
  const char* name = ::strerrorname_np(error);  // glibc 2.32+: "ENOENT"
  return fmt::format("{} ({})", std::strerror(error), name != nullptr ? name : "unknown errno");
}

SystemError::SystemError(int error, std::string what)
    : std::system_error(std::error_code(error, std::generic_category())), what_(std::move(what)) {}

SystemError errno_error(int error, std::string_view call, std::string_view object) {
  std::string what = object.empty() ? fmt::format("{}: {}", call, errno_text(error))
                                    : fmt::format("{} \"{}\": {}", call, object, errno_text(error));
  return {error, std::move(what)};
}

void throw_errno(std::string_view call, std::string_view object) {
  throw_error(errno, call, object);
}

void throw_error(int error, std::string_view call, std::string_view object) {
  throw errno_error(error, call, object);
}

}  // namespace syslab
