// Lab 02: owning a file descriptor, and creating descriptors that are close-on-exec from birth.
#include "unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "syslab/error.hpp"

namespace fdio {

// [slide:release]
int UniqueFd::release() noexcept {
  // BEGIN SOLUTION: give up ownership: return the fd and own nothing, without closing it
  const int fd = fd_;
  fd_ = -1;
  return fd;
  // END SOLUTION
}
// [/slide]

// [slide:reset]
void UniqueFd::reset(int fd) noexcept {
  // BEGIN SOLUTION: close the fd owned now (if any; never retry close on EINTR), then own fd
  // reset(get()) would close the fd and keep its number: a later close could hit another file.
  if (fd_ >= 0 && fd_ != fd) {
    // The destructor may run between a failed call and the caller's look at errno.
    const int saved_errno = errno;
    // close(2) is not retried on EINTR: on Linux the fd is released before close can fail, so
    // a second close would close whatever another thread has just opened under that number.
    ::close(fd_);
    errno = saved_errno;
  }
  fd_ = fd;
  // END SOLUTION
}
// [/slide]

// [slide:open_file]
UniqueFd open_file(const std::string& path, int flags, mode_t mode) {
  // BEGIN SOLUTION: open(2) the path with O_CLOEXEC added; on failure throw an error naming open and the path (syslab::throw_errno)
  int fd;
  do {
    // Opening a FIFO or a terminal can block, and a signal can interrupt it: just try again.
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) syslab::throw_errno("open", path);
  return UniqueFd(fd);
  // END SOLUTION
}
// [/slide]

// [slide:make_pipe]
Pipe make_pipe(int extra_flags) {
  // BEGIN SOLUTION: pipe2(2) with O_CLOEXEC | extra_flags; on failure throw an error naming pipe2 (syslab::throw_errno)
  int ends[2];
  // The flag is set in the same call: between pipe() and a later fcntl(), another thread could
  // fork and exec, and the child would inherit both ends.
  if (::pipe2(ends, O_CLOEXEC | extra_flags) != 0) syslab::throw_errno("pipe2");
  return Pipe{UniqueFd(ends[0]), UniqueFd(ends[1])};
  // END SOLUTION
}
// [/slide]

// BEGIN SOLUTION
namespace {

// "fd 7": how an error names a descriptor.
std::string fd_name(BorrowedFd fd) { return "fd " + std::to_string(fd.get()); }

}  // namespace
// END SOLUTION

// [slide:dup_fd]
UniqueFd dup_fd(BorrowedFd fd) {
  // BEGIN SOLUTION: a new close-on-exec fd for the same open file: fcntl(F_DUPFD_CLOEXEC)
  // dup(2) would clear close-on-exec on the copy; F_DUPFD_CLOEXEC sets it in the same call.
  const int copy = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
  if (copy < 0) syslab::throw_errno("fcntl(F_DUPFD_CLOEXEC)", fd_name(fd));
  return UniqueFd(copy);
  // END SOLUTION
}
// [/slide]

void set_nonblocking(BorrowedFd fd, bool on) {
  // BEGIN SOLUTION: read the status flags with F_GETFL, set or clear O_NONBLOCK, write them with F_SETFL
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0) syslab::throw_errno("fcntl(F_GETFL)", fd_name(fd));
  const int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags && ::fcntl(fd.get(), F_SETFL, wanted) < 0) {
    syslab::throw_errno("fcntl(F_SETFL)", fd_name(fd));
  }
  // END SOLUTION
}

}  // namespace fdio
