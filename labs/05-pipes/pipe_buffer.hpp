// Lab 05: the pipe itself. A pipe is a buffer in the kernel with two ends: bytes written to the
// write end come out of the read end, in order. It holds a fixed number of bytes (64 KiB unless
// changed with fcntl F_SETPIPE_SZ); a writer that finds it full waits, a reader that finds it
// empty waits, and a write of at most PIPE_BUF (4096) bytes is never interleaved with another's.
// Look at: pipe(7), the "Pipe capacity" and "PIPE_BUF" sections.
#pragma once

#include <cstddef>

#include "unique_fd.hpp"

namespace pipes {

// pipe2(O_CLOEXEC | extra_flags), then, when capacity > 0, fcntl(F_SETPIPE_SZ) to hold at least
// capacity bytes (the kernel rounds up to a power-of-two number of pages). Throws
// syslab::SystemError naming the call: pipe2: ... (EMFILE), fcntl F_SETPIPE_SZ "1048577": ...
// (EPERM) when an unprivileged process asks for more than /proc/sys/fs/pipe-max-size.
[[nodiscard]] fdio::Pipe make_sized_pipe(std::size_t capacity, int extra_flags = 0);

// How many bytes the pipe holds before a writer must wait: fcntl(F_GETPIPE_SZ) on either end.
[[nodiscard]] std::size_t pipe_capacity(fdio::BorrowedFd end);

}  // namespace pipes
