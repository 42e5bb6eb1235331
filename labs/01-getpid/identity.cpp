// Who a process is, asked two ways: the calling process asks the kernel with system calls, and any
// process can be looked up in /proc, which is how ps and top see the system.
#include "identity.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <stdexcept>
#include <string>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace ids {

Identity current_identity() {
  SYSLAB_TODO("fill an Identity from getpid, getppid, getpgrp, getsid(0), prctl(PR_GET_NAME), getresuid and getresgid");
}

ProcStat parse_proc_stat(std::string_view line) {
  SYSLAB_TODO("split \"pid (comm) state ppid pgrp session ...\"; comm ends at the LAST ')'; throw std::invalid_argument for a malformed line");
}

Identity read_proc_identity(pid_t pid) {
  SYSLAB_TODO("parse /proc/PID/stat for the pids and comm, and the Uid:/Gid: lines of /proc/PID/status for the ids");
}

std::vector<ProcStat> ancestry(pid_t pid) {
  SYSLAB_TODO("follow ppid through /proc/PID/stat from pid up to the process whose ppid is 0");
}

}  // namespace ids
