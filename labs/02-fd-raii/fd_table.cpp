// Lab 02: a process's fd table as the kernel shows it in /proc/PID/fd and /proc/PID/fdinfo.
#include "fd_table.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "fd_io.hpp"
#include "syslab/error.hpp"
#include "unique_fd.hpp"
#include "syslab/todo.hpp"

namespace fdio {

bool FdInfo::cloexec() const { return (flags & O_CLOEXEC) != 0; }

int FdInfo::access_mode() const { return flags & O_ACCMODE; }

FdinfoFields parse_fdinfo(std::string_view text) {
  SYSLAB_TODO("find the \"pos:\" (decimal) and \"flags:\" (octal) lines; throw std::invalid_argument if either is missing");
}

std::string describe_flags(int flags) {
  SYSLAB_TODO("the access mode (O_RDONLY, O_WRONLY or O_RDWR), then \"|O_NAME\" per flag set, then leftover bits in octal");
}

std::vector<FdInfo> list_fds(std::optional<pid_t> pid) {
  SYSLAB_TODO("one FdInfo per entry of /proc/PID/fd (readlink) and /proc/PID/fdinfo (pos, flags), sorted");
}

}  // namespace fdio
