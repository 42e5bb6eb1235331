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

// BEGIN SOLUTION
namespace {

struct FlagName {
  int bits;
  const char* name;
};

// Wider flags first: O_SYNC contains O_DSYNC's bit, and O_TMPFILE contains O_DIRECTORY's.
constexpr FlagName kFlagNames[] = {
    {O_SYNC, "O_SYNC"},           {O_DSYNC, "O_DSYNC"},
    {O_TMPFILE, "O_TMPFILE"},     {O_APPEND, "O_APPEND"},
    {O_NONBLOCK, "O_NONBLOCK"},   {O_ASYNC, "O_ASYNC"},
    {O_DIRECT, "O_DIRECT"},       {kKernelLargefile, "O_LARGEFILE"},
    {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"},
    {O_NOATIME, "O_NOATIME"},     {O_CLOEXEC, "O_CLOEXEC"},
    {O_PATH, "O_PATH"},           {O_CREAT, "O_CREAT"},
    {O_EXCL, "O_EXCL"},           {O_NOCTTY, "O_NOCTTY"},
    {O_TRUNC, "O_TRUNC"},
};

}  // namespace
// END SOLUTION

bool FdInfo::cloexec() const { return (flags & O_CLOEXEC) != 0; }

int FdInfo::access_mode() const { return flags & O_ACCMODE; }

// BEGIN SOLUTION
namespace {

// The number after "key:" on its own line of an fdinfo file, in the given base.
template <typename Number>
Number fdinfo_field(std::string_view text, std::string_view key, int base) {
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') continue;
    line.remove_prefix(key.size() + 1);
    line.remove_prefix(std::min(line.find_first_not_of(" \t"), line.size()));
    Number value{};
    const auto [rest, error] = std::from_chars(line.data(), line.data() + line.size(), value, base);
    if (error != std::errc() || rest == line.data()) break;
    return value;
  }
  throw std::invalid_argument("fdinfo has no valid \"" + std::string(key) + ":\" line");
}

}  // namespace
// END SOLUTION

FdinfoFields parse_fdinfo(std::string_view text) {
  // BEGIN SOLUTION: find the "pos:" (decimal) and "flags:" (octal) lines; throw std::invalid_argument if either is missing
  return {fdinfo_field<off_t>(text, "pos", 10), fdinfo_field<int>(text, "flags", 8)};
  // END SOLUTION
}

std::string describe_flags(int flags) {
  // BEGIN SOLUTION: the access mode (O_RDONLY, O_WRONLY or O_RDWR), then "|O_NAME" per flag set, then leftover bits in octal
  static constexpr const char* kModes[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
  std::string text = kModes[flags & O_ACCMODE];
  int rest = flags & ~O_ACCMODE;
  for (const FlagName& flag : kFlagNames) {
    if (flag.bits != 0 && (rest & flag.bits) == flag.bits) {
      text += std::string("|") + flag.name;
      rest &= ~flag.bits;
    }
  }
  if (rest != 0) {
    char octal[16];
    const auto end = std::to_chars(octal, octal + sizeof octal, rest, 8).ptr;
    text += "|0" + std::string(octal, end);
  }
  return text;
  // END SOLUTION
}

// BEGIN SOLUTION
namespace {

// Owns a directory stream: the same idea as UniqueFd, for another kind of resource.
struct CloseDir {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirStream = std::unique_ptr<DIR, CloseDir>;

// "/proc/self" or "/proc/PID".
std::string proc_dir(std::optional<pid_t> pid) {
  return pid ? "/proc/" + std::to_string(*pid) : std::string("/proc/self");
}

// What /proc/PID/fd/NAME points to; nullopt if that fd was closed while we looked.
std::optional<std::string> fd_target(int fd_dir, const std::string& dir_path, const char* name) {
  std::string target(4096, '\0');
  const ssize_t n = ::readlinkat(fd_dir, name, target.data(), target.size());
  if (n < 0) {
    if (errno == ENOENT) return std::nullopt;
    syslab::throw_errno("readlink", dir_path + "/" + name);
  }
  target.resize(static_cast<std::size_t>(n));
  return target;
}

// The contents of /proc/PID/fdinfo/NAME; nullopt if that fd was closed while we looked.
std::optional<std::string> fdinfo_text(const std::string& path) {
  try {
    const UniqueFd file = open_file(path, O_RDONLY);
    return read_to_eof(file);
  } catch (const std::system_error& error) {
    if (error.code() == std::errc::no_such_file_or_directory) return std::nullopt;
    throw;
  }
}

// One entry of the table, or nullopt if the fd went away while we looked.
std::optional<FdInfo> read_entry(int fd_dir, const std::string& proc, const char* name) {
  int fd = -1;
  const char* end = name + std::char_traits<char>::length(name);
  if (std::from_chars(name, end, fd).ptr != end) return std::nullopt;  // "." and ".."
  auto target = fd_target(fd_dir, proc + "/fd", name);
  if (!target) return std::nullopt;
  const auto info = fdinfo_text(proc + "/fdinfo/" + name);
  if (!info) return std::nullopt;
  const FdinfoFields fields = parse_fdinfo(*info);
  return FdInfo{fd, std::move(*target), fields.pos, fields.flags};
}

}  // namespace
// END SOLUTION

// [slide:list_fds-1]
std::vector<FdInfo> list_fds(std::optional<pid_t> pid) {
  // BEGIN SOLUTION: one FdInfo per entry of /proc/PID/fd (readlink) and /proc/PID/fdinfo (pos, flags), sorted
  const std::string proc = proc_dir(pid);
  const DirStream dir(::opendir((proc + "/fd").c_str()));
  if (!dir) syslab::throw_errno("open", proc + "/fd");
  // Reading our own table shows the fd that reads it: leave it out.
  const bool self = !pid || *pid == ::getpid();
  // [/slide]
  // [slide:list_fds-2]
  std::vector<FdInfo> table;
  errno = 0;
  while (const dirent* entry = ::readdir(dir.get())) {
    auto info = read_entry(::dirfd(dir.get()), proc, entry->d_name);
    if (info && !(self && info->fd == ::dirfd(dir.get()))) table.push_back(std::move(*info));
    errno = 0;
  }
  if (errno != 0) syslab::throw_errno("readdir", proc + "/fd");
  std::sort(table.begin(), table.end(),
            [](const FdInfo& a, const FdInfo& b) { return a.fd < b.fd; });
  return table;
  // END SOLUTION
}
// [/slide]

}  // namespace fdio
