// Lab 05: running a program and capturing what it says on stdout and stderr, separately, through
// two pipes (and feeding it input through a third). Reading one pipe to its end, then the other,
// deadlocks as soon as the child fills the pipe that nobody reads: the child waits for room, the
// parent waits for EOF. capture polls all the pipes at once and serves whichever is ready.
// Look at: strace -f -e trace=pipe2,poll,read,write of a test that captures megabytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "wait_status.hpp"

namespace pipes {

// What a captured program said and how it ended.
struct Captured {
  std::string out;          // everything it wrote to stdout
  std::string err;          // everything it wrote to stderr
  proc::WaitStatus status;  // how it ended
};

// Runs argv (argv[0] is searched in $PATH) with stdin, stdout and stderr on three new pipes,
// writes input to its stdin while reading both outputs (then closes stdin, so the program sees
// EOF), and waits for it. Returns once the program has closed both outputs and ended. A program
// that stops reading its input early is not an error: the rest of the input is dropped (without
// a SIGPIPE reaching the caller, whatever its SIGPIPE disposition). Throws syslab::SystemError
// when the program cannot be started: exec "nosuch": No such file or directory (ENOENT).
[[nodiscard]] Captured capture(const std::vector<std::string>& argv, std::string_view input = {});

}  // namespace pipes
