// Lab 06: reaping on SIGCHLD. A standard signal does not queue: while one SIGCHLD is pending,
// more exits add nothing, so one notification may stand for a hundred dead children. The
// handler of that notification must therefore reap in a loop until nothing is left.
// Look at: ./supervisor, and strace -e trace=wait4 on it: one wait4 more than children, WNOHANG.
#pragma once

#include <sys/types.h>

#include <vector>

#include "wait_status.hpp"

namespace sig {

// One child reaped: its pid and how it ended.
struct Reaped {
  pid_t pid = -1;
  proc::WaitStatus status;
};

// Reaps every child in `which` that has ended, without blocking: waitpid(which, WNOHANG) until
// it says "none ended" (0) or "no children" (ECHILD), restarting after EINTR. `which` is -1
// (any child) or -pgid (the children in process group pgid). Returns them in the order reaped;
// empty when none had ended. Throws syslab::SystemError for any other error.
//
// It reaps children that a ChildProcess may own: use it where every child is yours to reap,
// and release() a child's ChildProcess as soon as its pid comes back from here.
[[nodiscard]] std::vector<Reaped> reap_children(pid_t which = -1);

}  // namespace sig
