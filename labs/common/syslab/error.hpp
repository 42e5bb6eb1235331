// Errors that name the system call and the object, with errno's name:
//   open "/etc/x": No such file or directory (ENOENT)
// Throw with throw_errno("open", path) right after the call failed.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace syslab {

// A std::system_error whose what() is exactly the text it was given (std::system_error would
// append ": <strerror>" a second time). Catch it as std::system_error; code() is the errno.
class SystemError : public std::system_error {
 public:
  SystemError(int error, std::string what);
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

// "No such file or directory (ENOENT)"
std::string errno_text(int error);

// The error "<call> "<object>": <strerror> (<ENAME>)"; pass "" as object when there is none.
SystemError errno_error(int error, std::string_view call, std::string_view object = "");

// Throws errno_error(errno, call, object). Call it straight after the failing call.
[[noreturn]] void throw_errno(std::string_view call, std::string_view object = "");

// The same with an explicit error code (for calls such as posix_spawn that return it).
[[noreturn]] void throw_error(int error, std::string_view call, std::string_view object = "");

}  // namespace syslab
