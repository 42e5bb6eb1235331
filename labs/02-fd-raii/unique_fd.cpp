// Lab 02: owning a file descriptor, and creating descriptors that are close-on-exec from birth.
#include "unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace fdio {

int UniqueFd::release() noexcept {
  SYSLAB_TODO("give up ownership: return the fd and own nothing, without closing it");
}

void UniqueFd::reset(int fd) noexcept {
  SYSLAB_TODO("close the fd owned now (if any; never retry close on EINTR), then own fd");
}

UniqueFd open_file(const std::string& path, int flags, mode_t mode) {
  SYSLAB_TODO("open(2) the path with O_CLOEXEC added; on failure throw an error naming open and the path (syslab::throw_errno)");
}

Pipe make_pipe(int extra_flags) {
  SYSLAB_TODO("pipe2(2) with O_CLOEXEC | extra_flags; on failure throw an error naming pipe2 (syslab::throw_errno)");
}

UniqueFd dup_fd(BorrowedFd fd) {
  SYSLAB_TODO("a new close-on-exec fd for the same open file: fcntl(F_DUPFD_CLOEXEC)");
}

void set_nonblocking(BorrowedFd fd, bool on) {
  SYSLAB_TODO("read the status flags with F_GETFL, set or clear O_NONBLOCK, write them with F_SETFL");
}

}  // namespace fdio
