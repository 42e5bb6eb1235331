// Lab 01: who am I? The identity of a process, read two ways: from the system calls, and from
// the kernel's view of any process in /proc/PID/stat and /proc/PID/status.
// Try it: ./whoami, ./whoami --tree, ./whoami --pid 1, and compare with `ps -o
// pid,ppid,pgid,sid,comm`.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ids {

// Everything that says who a process is and where it belongs.
struct Identity {
  pid_t pid = 0;     // this process
  pid_t ppid = 0;    // its parent (1, or a subreaper, once the parent has died)
  pid_t pgid = 0;    // its process group (a shell puts each pipeline in one)
  pid_t sid = 0;     // its session (one per login or terminal)
  std::string comm;  // its name as the kernel keeps it: at most 15 bytes, set by exec or prctl
  uid_t ruid = 0, euid = 0, suid = 0;  // real, effective and saved user ids
  gid_t rgid = 0, egid = 0, sgid = 0;  // the same for groups

  bool operator==(const Identity&) const = default;
};

// The calling process's identity, from getpid, getppid, getpgrp, getsid, prctl(PR_GET_NAME),
// getresuid and getresgid. Throws std::system_error naming the call if one fails.
Identity current_identity();

// The fields of /proc/PID/stat that this lab needs.
struct ProcStat {
  pid_t pid = 0;
  std::string comm;  // the command name; may hold spaces and parentheses
  char state = '?';  // R running, S sleeping, Z zombie, ...
  pid_t ppid = 0;
  pid_t pgid = 0;
  pid_t sid = 0;

  bool operator==(const ProcStat&) const = default;
};

// Parses one /proc/PID/stat line ("1234 (bash) S 1200 1234 1100 ..."; fields after the session
// are ignored). Throws std::invalid_argument for a malformed line.
ProcStat parse_proc_stat(std::string_view line);

// Any process's identity, from /proc/PID/stat and the Uid:/Gid: lines of /proc/PID/status.
// Throws std::system_error naming the file when the process does not exist.
Identity read_proc_identity(pid_t pid);

// The process pid, its parent, its parent's parent, ... up to the first process whose parent is
// 0 (init, or kthreadd, or the first process of a pid namespace), from /proc. Throws
// std::system_error naming the file if one of them cannot be read (it may have just exited).
std::vector<ProcStat> ancestry(pid_t pid);

// The name of a user or group id from the user database (getpwuid_r, getgrgid_r), or nullopt when
// the id has no entry. Throws std::system_error when the lookup itself fails.
std::optional<std::string> user_name(uid_t uid);
std::optional<std::string> group_name(gid_t gid);

// What whoami prints: one "key value" line each for pid, ppid, pgid, sid, comm, ruid, euid, suid,
// rgid, egid and sgid, in that order; an id is written "1000(alice)", or "1000" without a name.
std::string format_identity(const Identity& identity);

// What whoami --tree prints: a header line, then one line per process from the oldest ancestor
// down to the process itself: "PID PPID PGID SID COMM", the command indented by its depth.
std::string format_ancestry(const std::vector<ProcStat>& chain);

}  // namespace ids
