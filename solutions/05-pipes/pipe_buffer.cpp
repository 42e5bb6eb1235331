// Lab 05: making a pipe close-on-exec, and sizing its kernel buffer with fcntl(F_SETPIPE_SZ).
#include "pipe_buffer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "syslab/error.hpp"

namespace pipes {

// [slide:make_sized_pipe]
fdio::Pipe make_sized_pipe(std::size_t capacity, int extra_flags) {
  // BEGIN SOLUTION: pipe2 with O_CLOEXEC | extra_flags; if capacity > 0, F_SETPIPE_SZ to at least capacity; errors name the call
  int ends[2];
  // O_CLOEXEC in the same call: a child that a thread forks and execs in between must not
  // inherit an end, or a reader somewhere would wait for an EOF that never comes.
  if (::pipe2(ends, O_CLOEXEC | extra_flags) != 0) syslab::throw_errno("pipe2");
  fdio::Pipe pipe{fdio::UniqueFd(ends[0]), fdio::UniqueFd(ends[1])};
  if (capacity > 0) {
    // The size is a property of the pipe, not of an end: either end will do.
    const int size = capacity > INT_MAX ? INT_MAX : static_cast<int>(capacity);
    if (::fcntl(pipe.write_end.get(), F_SETPIPE_SZ, size) < 0) {
      syslab::throw_errno("fcntl F_SETPIPE_SZ", std::to_string(capacity));
    }
  }
  return pipe;  // on a throw above, the UniqueFds close both ends
  // END SOLUTION
}
// [/slide]

std::size_t pipe_capacity(fdio::BorrowedFd end) {
  // BEGIN SOLUTION: fcntl(F_GETPIPE_SZ) on the end; throw naming the call when it fails
  const int size = ::fcntl(end.get(), F_GETPIPE_SZ);
  if (size < 0) syslab::throw_errno("fcntl F_GETPIPE_SZ", "fd " + std::to_string(end.get()));
  return static_cast<std::size_t>(size);
  // END SOLUTION
}

}  // namespace pipes
