#include "syslab/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "syslab/faults.hpp"

namespace syslab::test {

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/syslab-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;  // a destructor must not throw; a left-over temp dir is harmless
  std::filesystem::remove_all(path_, ignored);
}

std::string read_file(const std::string& path) {
  const FaultsPaused plumbing;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_errno("cannot open \"" + path + "\"");
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void write_file(const std::string& path, const std::string& contents) {
  const FaultsPaused plumbing;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw_errno("cannot create \"" + path + "\"");
  out << contents;
  if (!out.flush()) throw_errno("cannot write \"" + path + "\"");
}

std::map<int, std::string> open_fds() { return fds_of(::getpid()); }

std::map<int, std::string> fds_of(pid_t pid) {
  const FaultsPaused plumbing;
  std::map<int, std::string> fds;
  const std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) throw_errno("opendir " + path);
  const int own = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd == own && pid == ::getpid()) continue;  // the fd that reads the directory
    char target[4096];
    const std::string link = path + "/" + entry->d_name;
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n >= 0) fds[fd] = std::string(target, static_cast<size_t>(n));
  }
  ::closedir(dir);
  return fds;
}

long long fdinfo_field(int fd, const std::string& key, int base, pid_t pid) {
  const std::string path = "/proc/" + (pid == 0 ? std::string("self") : std::to_string(pid)) +
                           "/fdinfo/" + std::to_string(fd);
  std::istringstream lines(read_file(path));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      return std::strtoll(line.c_str() + key.size() + 1, nullptr, base);
    }
  }
  ADD_FAILURE() << "no " << key << ": line in " << path;
  return -1;
}

int kernel_flags(int fd, pid_t pid) {
  const long long flags = fdinfo_field(fd, "flags", 8, pid);
  return flags < 0 ? 0 : static_cast<int>(flags);
}

void write_text(int fd, std::string_view text) {
  const FaultsPaused plumbing;
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

std::optional<std::string> read_until_eof(int fd, const Deadline& deadline) {
  const FaultsPaused plumbing;
  std::string text;
  for (;;) {
    if (!wait_readable(fd, deadline)) return std::nullopt;
    char chunk[65536];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n == 0) return text;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read");
    text.append(chunk, static_cast<size_t>(n));
  }
}

OwnedFd& OwnedFd::operator=(OwnedFd&& other) noexcept {
  reset(other.release());
  return *this;
}

OwnedFd::~OwnedFd() { reset(); }

void OwnedFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);  // not retried on EINTR: the fd is gone either way
  fd_ = fd;
}

TestPipe make_pipe() {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) throw_errno("pipe2");
  return {OwnedFd(ends[0]), OwnedFd(ends[1])};
}

}  // namespace syslab::test
