// copy SRC DST: copies a file with read_some and write_all, and says which file failed and why.
//   copy notes.txt /tmp/notes.txt
//   strace -e trace=openat,read,write,close ./copy a b     (every fd opened, used, closed once)
// Look at: how short writes are finished by write_all, and the errors: copy nope x, copy x /dev/full.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <exception>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "fd_io.hpp"
#include "syslab/error.hpp"
#include "unique_fd.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: copy SRC DST\n"
    "Copies the bytes of file SRC to DST (created with mode 0666 minus the umask, or truncated).\n"
    "Exit status: 0 copied, 1 an error (named on stderr), 2 wrong arguments.\n";

// fstat(2), naming the path when it fails.
struct stat stat_of(fdio::BorrowedFd fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) syslab::throw_errno("fstat", path);
  return info;
}

// BEGIN SOLUTION
// read_some and write_all throw naming "fd 3"; the user knows the file by its path.
fdio::IoResult read_chunk(fdio::BorrowedFd from, std::span<std::byte> buffer,
                          const std::string& path) {
  try {
    return fdio::read_some(from, buffer);
  } catch (const std::system_error& error) {
    throw syslab::errno_error(error.code().value(), "read", path);
  }
}

fdio::IoResult write_chunk(fdio::BorrowedFd to, std::span<const std::byte> bytes,
                           const std::string& path) {
  try {
    return fdio::write_all(to, bytes);
  } catch (const std::system_error& error) {
    throw syslab::errno_error(error.code().value(), "write", path);
  }
}
// END SOLUTION

// [slide:copy_bytes]
// Copies until EOF: each read may return less than the buffer, and write_all finishes each
// chunk however many write(2) calls it takes.
void copy_bytes(fdio::BorrowedFd from, fdio::BorrowedFd to, const std::string& from_path,
                const std::string& to_path) {
  // BEGIN SOLUTION: read_some chunks from `from` until EOF and write_all each to `to`; errors name the path
  std::array<std::byte, 64 * 1024> buffer;
  for (;;) {
    const fdio::IoResult got = read_chunk(from, buffer, from_path);
    if (got.eof()) return;
    if (got.interrupted()) continue;
    if (!got.done()) throw syslab::errno_error(got.error, "read", from_path);
    const fdio::IoResult put = write_chunk(to, std::span(buffer).first(got.count), to_path);
    if (!put.done()) throw syslab::errno_error(put.error, "write", to_path);
  }
  // END SOLUTION
}
// [/slide]

void copy_file(const std::string& from_path, const std::string& to_path) {
  const fdio::UniqueFd from = fdio::open_file(from_path, O_RDONLY);
  // No O_TRUNC yet: if DST is SRC under another name, truncating would destroy what we copy.
  const fdio::UniqueFd to = fdio::open_file(to_path, O_WRONLY | O_CREAT, 0666);
  const struct stat from_stat = stat_of(from, from_path);
  const struct stat to_stat = stat_of(to, to_path);
  if (from_stat.st_dev == to_stat.st_dev && from_stat.st_ino == to_stat.st_ino) {
    throw std::runtime_error(fmt::format("\"{}\" and \"{}\" are the same file", from_path, to_path));
  }
  // Only a regular file can be truncated; DST may be /dev/null, a terminal or a pipe.
  if (S_ISREG(to_stat.st_mode) && ::ftruncate(to.get(), 0) != 0) {
    syslab::throw_errno("ftruncate", to_path);
  }
  copy_bytes(from, to, from_path, to_path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    fmt::print("{}", kUsage);
    return 0;
  }
  if (argc != 3) {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  // A DST whose reader went away (copy x /dev/stdout | head -c1) is an error to report (EPIPE),
  // not a reason to die silently of SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  try {
    copy_file(argv[1], argv[2]);
    return 0;
  } catch (const std::exception& error) {
    fmt::print(stderr, "copy: {}\n", error.what());
    return 1;
  }
}
