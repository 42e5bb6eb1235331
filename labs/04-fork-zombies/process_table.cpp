// Lab 04: processes as /proc shows them. Reading /proc races with the processes it describes:
// a process may end between listing /proc and opening its stat file, so "gone" is an ordinary
// outcome (nullopt), never an error.
#include "process_table.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <stdexcept>

#include "fd_io.hpp"
#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace proc {

ProcessInfo parse_process_stat(std::string_view line) {
  SYSLAB_TODO("split \"pid (comm) state ppid ...\"; comm ends at the LAST ')' (it may hold \") \")");
}

std::optional<ProcessInfo> read_process_info(pid_t pid) {
  SYSLAB_TODO("read /proc/PID/stat and parse it; nullopt when the file does not exist (ENOENT, ESRCH)");
}

// Scans every process, as ps does. (/proc/PID/task/TID/children lists one thread's children
// directly, but only where the kernel was built with CONFIG_PROC_CHILDREN.)
std::vector<ProcessInfo> children_of(pid_t ppid) {
  SYSLAB_TODO("every process in /proc whose ppid is ppid, sorted by pid; skip those that end while you look");
}

std::string_view state_name(char state) {
  switch (state) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "disk sleep";
    case 'T': return "stopped";
    case 't': return "tracing stop";
    case 'Z': return "zombie";
    case 'X': return "dead";
    case 'I': return "idle";
    case 'P': return "parked";
    default: return "unknown";
  }
}

bool set_child_subreaper(bool on) {
  SYSLAB_TODO("prctl PR_GET_CHILD_SUBREAPER for the previous setting, then PR_SET_CHILD_SUBREAPER");
}

SubreaperScope::~SubreaperScope() {
  try {
    set_child_subreaper(previous_);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "~SubreaperScope: %s\n", error.what());
  }
}

void wait_until_ended(pid_t pid) {
  SYSLAB_TODO("waitid(P_PID, pid, ..., WEXITED | WNOWAIT), restarted after EINTR: the child stays a zombie");
}

}  // namespace proc
