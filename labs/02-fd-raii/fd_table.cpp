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

namespace {

// glibc defines O_LARGEFILE as 0 on 64-bit systems (every off_t is large there), yet the kernel
// still sets its own bit in every file's flags, and fdinfo shows it.
#if defined(__x86_64__) || defined(__i386__)
constexpr int kKernelLargefile = 0100000;
#elif defined(__aarch64__) || defined(__arm__)
constexpr int kKernelLargefile = 0400000;
#else
constexpr int kKernelLargefile = 0;
#endif

}  // namespace

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
