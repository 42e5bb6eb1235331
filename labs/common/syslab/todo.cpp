#include "syslab/todo.hpp"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace syslab {

std::string short_function_name(std::string_view signature) {
  // Drop the parameter list's contents and the return type; keep the qualified name.
  const auto open = signature.find('(');
  std::string_view head = signature.substr(0, open);
  if (const auto space = head.rfind(' '); space != std::string_view::npos) {
    head.remove_prefix(space + 1);
  }
  return std::string(head) + "()";
}

namespace {

// write(2) until done; stderr may be a pipe that takes the line in pieces.
void write_all_to_stderr(std::string_view text) noexcept {
  const int saved_errno = errno;
  while (!text.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // nowhere to report it; the exception still carries the message
    text.remove_prefix(static_cast<size_t>(n));
  }
  errno = saved_errno;
}

}  // namespace

void todo(std::string_view lab, const std::source_location& where, std::string_view what) {
  std::string message = std::string(lab) + " " + short_function_name(where.function_name()) +
                        ": not written yet: " + std::string(what);
  write_all_to_stderr(std::string(kTodoMarker) + " " + message + "\n");
  throw TodoError(message);
}

}  // namespace syslab
