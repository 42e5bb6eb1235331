// Files, directories and file descriptors, seen the way the tests need them.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

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
