// Lab 05: making a pipe close-on-exec, and sizing its kernel buffer with fcntl(F_SETPIPE_SZ).
#include "pipe_buffer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace pipes {

fdio::Pipe make_sized_pipe(std::size_t capacity, int extra_flags) {
  SYSLAB_TODO("pipe2 with O_CLOEXEC | extra_flags; if capacity > 0, F_SETPIPE_SZ to at least capacity; errors name the call");
}

std::size_t pipe_capacity(fdio::BorrowedFd end) {
  SYSLAB_TODO("fcntl(F_GETPIPE_SZ) on the end; throw naming the call when it fails");
}

}  // namespace pipes
