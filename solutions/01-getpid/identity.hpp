// Lab 01: who am I? The identity of a process, read two ways: from the system calls, and from
// the kernel's view of any process in /proc/PID/stat and /proc/PID/status.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace ids {

// Everything that says who a process is and where it belongs.
struct Identity {
  pid_t pid = 0;    // this process
  pid_t ppid = 0;   // its parent (1, or a subreaper, once the parent has died)
  pid_t pgid = 0;   // its process group (a shell puts each pipeline in one)
  pid_t sid = 0;    // its session (one per login or terminal)
  uid_t ruid = 0, euid = 0, suid = 0;  // real, effective and saved user ids
  gid_t rgid = 0, egid = 0, sgid = 0;  // the same for groups

  bool operator==(const Identity&) const = default;
};

// The calling process's identity, from getpid, getppid, getpgrp, getsid, getresuid, getresgid.
Identity current_identity();

// The fields of /proc/PID/stat that this lab needs.
struct ProcStat {
  pid_t pid = 0;
  std::string comm;  // the command name; may hold spaces and parentheses
  char state = '?';  // R running, S sleeping, Z zombie, ...
  pid_t ppid = 0;
  pid_t pgid = 0;
  pid_t sid = 0;
};

// Parses one /proc/PID/stat line. Throws std::invalid_argument for a malformed line.
ProcStat parse_proc_stat(std::string_view line);

// Any process's identity, from /proc/PID/stat and the Uid:/Gid: lines of /proc/PID/status.
// Throws std::system_error naming the file when the process does not exist.
Identity read_proc_identity(pid_t pid);

}  // namespace ids
