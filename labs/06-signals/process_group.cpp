// Lab 06: process groups: who a signal to "the job" reaches.
#include "process_group.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

#include "syslab/error.hpp"
#include "wait_status.hpp"
#include "syslab/todo.hpp"

namespace sig {

pid_t make_group_leader(pid_t pid) {
  SYSLAB_TODO("setpgid(pid, 0); return the new pgid (pid, or the caller's pid for 0); throw naming setpgid and the pid");
}

pid_t group_of(pid_t pid) {
  SYSLAB_TODO("getpgid(pid); throw naming getpgid and the pid when it fails");
}

pid_t start_new_session() {
  SYSLAB_TODO("setsid(2): return the new session id; throw naming setsid when it fails");
}

bool signal_group(pid_t pgid, int signal) {
  SYSLAB_TODO("refuse pgid <= 1 (std::invalid_argument); kill(-pgid, signal): true if sent, false on ESRCH, throw otherwise");
}

}  // namespace sig
