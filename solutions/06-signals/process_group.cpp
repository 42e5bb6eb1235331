// Lab 06: process groups: who a signal to "the job" reaches.
#include "process_group.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

#include "syslab/error.hpp"
#include "wait_status.hpp"

namespace sig {

pid_t make_group_leader(pid_t pid) {
  // BEGIN SOLUTION: setpgid(pid, 0); return the new pgid (pid, or the caller's pid for 0); throw naming setpgid and the pid
  if (::setpgid(pid, 0) != 0) syslab::throw_errno("setpgid", std::to_string(pid));
  return pid == 0 ? ::getpid() : pid;
  // END SOLUTION
}

pid_t group_of(pid_t pid) {
  // BEGIN SOLUTION: getpgid(pid); throw naming getpgid and the pid when it fails
  const pid_t pgid = ::getpgid(pid);
  if (pgid < 0) syslab::throw_errno("getpgid", std::to_string(pid));
  return pgid;
  // END SOLUTION
}

pid_t start_new_session() {
  // BEGIN SOLUTION: setsid(2): return the new session id; throw naming setsid when it fails
  const pid_t sid = ::setsid();
  if (sid < 0) syslab::throw_errno("setsid");
  return sid;
  // END SOLUTION
}

// [slide:signal_group]
bool signal_group(pid_t pgid, int signal) {
  // BEGIN SOLUTION: refuse pgid <= 1 (std::invalid_argument); kill(-pgid, signal): true if sent, false on ESRCH, throw otherwise
  // kill(0, s) and kill(-1, s) are legal and mean "my own group" and "everyone I may signal":
  // a pgid of 0 or 1 is always a bug here, and sending it on could end the whole session.
  if (pgid <= 1) {
    throw std::invalid_argument("signal_group: " + std::to_string(pgid) +
                                " is not a process group id");
  }
  if (::kill(-pgid, signal) == 0) return true;
  if (errno == ESRCH) return false;
  syslab::throw_errno("kill", "group " + std::to_string(pgid) + ", " + proc::signal_name(signal));
  // END SOLUTION
}
// [/slide]

}  // namespace sig
