// Files, directories and file descriptors, seen the way the tests need them.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "syslab/deadline.hpp"

namespace syslab::test {

// A fresh directory from mkdtemp(3), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  // path() + "/" + name
  [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The whole file, or throws std::system_error naming the path.
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& contents);

// This process's open descriptors and what they point to, from /proc/self/fd.
std::map<int, std::string> open_fds();

// Process pid's open fds and what each points to ("pipe:[1234]"), from /proc/PID/fd; fds closed
// while we look are skipped. Throws std::system_error when the process is gone.
std::map<int, std::string> fds_of(pid_t pid);

// One numeric field ("pos", "flags") of /proc/PID/fdinfo/FD (pid 0: this process), read in the
// given base (flags are octal). A missing field is a test failure, and gives -1.
long long fdinfo_field(int fd, const std::string& key, int base, pid_t pid = 0);

// The status flags of fd's open file description as the kernel shows them, with O_CLOEXEC when
// the fd has it (0 when they cannot be read, which fails the test).
int kernel_flags(int fd, pid_t pid = 0);

// write(2) until all of text is written, restarting after EINTR; stops quietly when the reader
// has gone. The tests' own plumbing: a test must not lean on the lab's write_all it may be testing.
void write_text(int fd, std::string_view text);

// Everything from fd up to EOF; nullopt if the deadline passes first (a write end still open).
std::optional<std::string> read_until_eof(int fd, const Deadline& deadline);

// A test's own small owning fd, so that the test library does not depend on any lab's.
class OwnedFd {
 public:
  OwnedFd() = default;
  explicit OwnedFd(int fd) : fd_(fd) {}
  OwnedFd(OwnedFd&& other) noexcept : fd_(other.release()) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept;
  ~OwnedFd();

  [[nodiscard]] int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// pipe2(O_CLOEXEC); read end first.
struct TestPipe {
  OwnedFd read_end;
  OwnedFd write_end;
};
TestPipe make_pipe();

}  // namespace syslab::test
