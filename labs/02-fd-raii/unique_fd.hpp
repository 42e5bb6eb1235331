// Lab 02: the file descriptor as a resource. UniqueFd owns one fd and closes it exactly once;
// BorrowedFd is a view that never closes. Every fd this lab creates is close-on-exec from the
// start, and every error names the call and the object: open "/etc/x": ... (ENOENT).
// Look at: fdls (the fd table of a process), strace -e trace=openat,close,dup ./copy a b.
#pragma once

#include <sys/types.h>

#include <string>

namespace fdio {

// Owns one file descriptor, or none (-1). Move-only: one owner, one close. Modelled on Android
// libbase's unique_fd. There is no conversion to bool or int: say ok() or get() explicitly.
class UniqueFd {
 public:
  // Takes ownership of fd (-1: owns nothing).
  explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
  // The moved-from object owns nothing afterwards.
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  // Closes what this owned, then owns what other owned. Written as reset(release()) so that no
  // order of events can leak or double-close, and a = std::move(a) keeps the fd.
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  // Closes the fd it owns. Never throws.
  ~UniqueFd() { reset(); }

  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  // The fd, still owned by this object (-1 if none).
  [[nodiscard]] int get() const noexcept { return fd_; }
  // True when it owns an fd. (Not a proof that the fd is open: only that we believe we own it.)
  [[nodiscard]] bool ok() const noexcept { return fd_ >= 0; }

  // Gives up ownership without closing: the caller now owns the returned fd (or -1).
  [[nodiscard]] int release() noexcept;
  // Closes the fd owned now, if any, then owns fd. errno is preserved.
  void reset(int fd = -1) noexcept;

  // `if (!fd)` would test the fd number, and fd 0 is a valid fd: write !fd.ok() instead.
  bool operator!() const = delete;

 private:
  int fd_ = -1;
};

// A file descriptor that someone else owns: the fd_io functions take this, like a function that
// reads text takes std::string_view. Cheap to copy; never closes. It must not outlive its owner.
class BorrowedFd {
 public:
  // Implicit: any UniqueFd can be lent out.
  BorrowedFd(const UniqueFd& owner) noexcept : fd_(owner.get()) {}
  // A view of a temporary UniqueFd would dangle once the temporary closes its fd.
  BorrowedFd(UniqueFd&&) = delete;
  // Explicit: a bare int may be anything (STDOUT_FILENO, an fd from a C library).
  explicit BorrowedFd(int fd) noexcept : fd_(fd) {}

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool ok() const noexcept { return fd_ >= 0; }
  bool operator!() const = delete;

 private:
  int fd_;
};

// open(2) with O_CLOEXEC added to flags. Throws syslab::SystemError (a std::system_error whose
// code() is the errno): open "/etc/x": No such file or directory (ENOENT).
[[nodiscard]] UniqueFd open_file(const std::string& path, int flags, mode_t mode = 0644);

// A pipe: bytes written to write_end come out of read_end.
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

// pipe2(2) with O_CLOEXEC | extra_flags (e.g. O_NONBLOCK, O_DIRECT). Throws on failure:
// pipe2: Too many open files (EMFILE).
[[nodiscard]] Pipe make_pipe(int extra_flags = 0);

// A second fd for the same open file description (shared offset and status flags), with
// close-on-exec set on the new fd only: fcntl(F_DUPFD_CLOEXEC). Throws on failure.
[[nodiscard]] UniqueFd dup_fd(BorrowedFd fd);

// Sets or clears O_NONBLOCK, a flag of the open file description (every dup sees it).
void set_nonblocking(BorrowedFd fd, bool on = true);

}  // namespace fdio
