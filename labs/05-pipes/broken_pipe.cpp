// Lab 05: SIGPIPE and EPIPE, seen from a writer whose reader has gone. The writer is a forked
// child, because with SIGPIPE at its default the write kills the process that makes it.
#include "broken_pipe.hpp"

#include <signal.h>

#include <span>
#include <stdexcept>

#include "child_process.hpp"
#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace pipes {

BrokenPipeWrite write_after_reader_closed(SigpipeAction action) {
  SYSLAB_TODO("fork a writer that closes the only read end of a pipe, sets SIGPIPE, write_alls into it and reports write_all's result back; return how it ended and what it reported");
}

}  // namespace pipes
