// Lab 05: writing into a pipe that nobody reads any more. When every read end is closed, write(2)
// has nowhere to put the bytes: the kernel sends the writer SIGPIPE, whose default action ends
// the process. Only a writer that ignores (or blocks) SIGPIPE lives on to see write fail with
// EPIPE. That is why `yes | head -1` ends: head exits, and yes dies of SIGPIPE (status 141 in
// the shell: 128 + 13).
// Look at: ./pipeline --status yes 'head -1', and pipe(7), "Pipe I/O on a closed pipe".
#pragma once

#include <optional>

#include "fd_io.hpp"
#include "wait_status.hpp"

namespace pipes {

// What the writer does with SIGPIPE.
enum class SigpipeAction {
  kDefault,  // SIG_DFL: the signal ends the writer
  kIgnore,   // SIG_IGN: the write fails with EPIPE instead, and the writer carries on
};

// How a write into a pipe without readers went.
struct BrokenPipeWrite {
  // How the writer process ended: killed by SIGPIPE, or exited 0.
  proc::WaitStatus writer;
  // What write_all returned, if the writer lived to report it.
  std::optional<fdio::IoResult> result;
};

// Forks a writer that makes a pipe, closes its read end (the only one), sets SIGPIPE as asked
// (and unblocks it there: the caller's mask, inherited through fork, may block it; the caller's
// own mask and disposition are left alone) and writes into the pipe with fdio::write_all; the
// writer sends back write_all's result if it survives. With kDefault the writer is killed by
// SIGPIPE and result is empty; with kIgnore it exits 0 and result is kPeerClosed with error EPIPE.
// Throws syslab::SystemError when pipe2 or fork fails.
[[nodiscard]] BrokenPipeWrite write_after_reader_closed(SigpipeAction action);

}  // namespace pipes
