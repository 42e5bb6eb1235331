// fdls: a process's open file descriptors, like ls -l /proc/PID/fd, plus each one's status flags
// and file offset from /proc/PID/fdinfo.
//   fdls          this process (what it inherited from the shell: try it with 3<file or in a pipe)
//   fdls PID      another process (yours, or any with root)
// Look at: O_CLOEXEC (an fd with it would not have reached a program started by exec), and two fds
// with the same offset moving together after dup.
#include <fmt/format.h>
#include <sys/types.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string_view>

#include "fd_table.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: fdls [PID]\n"
    "Lists the open file descriptors of process PID (default: fdls itself), with the\n"
    "flags and offset of each from /proc/PID/fdinfo and what it refers to from /proc/PID/fd.\n";

void print_table(const std::vector<fdio::FdInfo>& table) {
  fmt::print("{:>4}  {:<10} {:<40} {}\n", "FD", "POS", "FLAGS", "TARGET");
  for (const fdio::FdInfo& entry : table) {
    fmt::print("{:>4}  {:<10} {:<40} {}\n", entry.fd, entry.pos,
               fdio::describe_flags(entry.flags), entry.target);
  }
}

// "1234" -> 1234; nullopt for anything that is not a positive number.
std::optional<pid_t> parse_pid(std::string_view text) {
  pid_t pid = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (error != std::errc() || end != text.data() + text.size() || pid <= 0) return std::nullopt;
  return pid;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    fmt::print("{}", kUsage);
    return 0;
  }
  const std::optional<pid_t> pid = argc == 2 ? parse_pid(argv[1]) : std::nullopt;
  if (argc > 2 || (argc == 2 && !pid)) {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  try {
    print_table(fdio::list_fds(pid));
    return 0;
  } catch (const std::exception& error) {
    fmt::print(stderr, "fdls: {}\n", error.what());
    return 1;
  }
}
