// Lab 02: the kernel's view of a process's fd table. /proc/PID/fd/N is a symbolic link to what fd
// N refers to; /proc/PID/fdinfo/N holds the open file description's offset ("pos:") and status
// flags ("flags:", in octal, with O_CLOEXEC added when the fd has close-on-exec set). See proc(5).
// Look at: fdls, and ls -l /proc/$$/fd in a shell.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fdio {

// One entry of a process's fd table.
struct FdInfo {
  int fd = -1;
  std::string target;  // "/etc/passwd", "pipe:[12345]", "socket:[678]", "/dev/pts/0 (deleted)" ...
  off_t pos = 0;       // the file offset, shared by every fd of the same open file description
  int flags = 0;       // O_RDONLY/O_WRONLY/O_RDWR | O_APPEND | O_NONBLOCK | O_CLOEXEC | ...

  [[nodiscard]] bool cloexec() const;
  [[nodiscard]] int access_mode() const;  // flags & O_ACCMODE
};

// The "pos:" and "flags:" lines of one /proc/PID/fdinfo/N file (other lines are ignored).
// Throws std::invalid_argument when either is missing or malformed.
struct FdinfoFields {
  off_t pos = 0;
  int flags = 0;
};
FdinfoFields parse_fdinfo(std::string_view text);

// "O_RDWR|O_NONBLOCK|O_CLOEXEC": the access mode first, then each known flag that is set; bits
// without a name come last, in octal: "O_RDONLY|040000000".
std::string describe_flags(int flags);

// The open fds of process pid (nullopt: this process), sorted by fd number. For this process, the
// fd that reads /proc/self/fd is left out. An fd closed while we look is skipped. Throws
// syslab::SystemError naming the path when the process does not exist or may not be looked at:
// open "/proc/1/fd": Permission denied (EACCES).
std::vector<FdInfo> list_fds(std::optional<pid_t> pid = std::nullopt);

}  // namespace fdio
