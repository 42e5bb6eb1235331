#include "identity.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace ids {

Identity current_identity() {
  SYSLAB_TODO("fill an Identity from getpid, getppid, getpgrp, getsid(0), getresuid and getresgid");
}

ProcStat parse_proc_stat(std::string_view line) {
  SYSLAB_TODO("split \"pid (comm) state ppid pgrp session ...\"; comm ends at the LAST ')'");
}

Identity read_proc_identity(pid_t pid) {
  SYSLAB_TODO("parse /proc/PID/stat for the pids and the Uid:/Gid: lines of /proc/PID/status");
}

}  // namespace ids
