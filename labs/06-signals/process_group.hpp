// Lab 06: process groups and sessions. A shell puts each pipeline in a process group of its own
// and gives the terminal to one group at a time: Ctrl-C sends SIGINT to the whole foreground
// group, so every stage of `a | b | c` stops, and nothing else does. kill(-pgid, sig) does the
// same from a program. A session (setsid) is a set of groups sharing one controlling terminal.
// Look at: ps -o pid,ppid,pgid,sid,stat,comm -t $(tty), and `sleep 100 | sleep 200 &` in a shell.
#pragma once

#include <sys/types.h>

namespace sig {

// Makes process pid (0: the caller) the leader of a new process group whose id is its pid:
// setpgid(pid, 0). A parent may do it for its child until the child execs. Returns the new pgid.
// Throws syslab::SystemError: setpgid "1234": Operation not permitted (EPERM) for a session leader.
pid_t make_group_leader(pid_t pid = 0);

// The process group of pid (0: the caller), from getpgid(2). Throws syslab::SystemError (ESRCH).
[[nodiscard]] pid_t group_of(pid_t pid = 0);

// Starts a new session with the caller as its leader, and a new group in it: setsid(2). The new
// session has no controlling terminal. Returns the session id (the caller's pid). Throws
// syslab::SystemError (EPERM when the caller already leads a process group).
pid_t start_new_session();

// Sends signal to every process in group pgid: kill(-pgid, signal). True when at least one
// process got it, false when the group is empty or gone (ESRCH). signal 0 sends nothing and only
// asks whether the group exists. Throws std::invalid_argument for pgid <= 1 (kill(0, s) is the
// caller's own group, kill(-1, s) every process it may signal), syslab::SystemError otherwise.
// Signal a group only while you know it exists (its leader not yet reaped): a group id that
// nobody holds any more can be taken by a new process.
[[nodiscard]] bool signal_group(pid_t pgid, int signal);

}  // namespace sig
