// Lab 04: the kernel's view of processes, from /proc (see proc(5)). A child that has ended but
// has not been waited for is a zombie: state Z in /proc/PID/stat, holding nothing but its pid and
// its exit status. A child whose parent dies is an orphan: the kernel gives it a new parent, the
// nearest ancestor that is a "child subreaper" (prctl(2)), or else PID 1 of its pid namespace.
// Look at: ./zombies --orphan, and ps -o pid,ppid,stat,comm while it waits for Enter.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proc {

// The fields of /proc/PID/stat that show a process's place in the tree.
struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;    // its parent now (after re-parenting: the subreaper or PID 1)
  char state = '?';  // R running, S sleeping, D disk sleep, T stopped, Z zombie, ... (proc(5))
  std::string comm;  // the command name, at most 15 bytes; may hold spaces and parentheses

  bool operator==(const ProcessInfo&) const = default;
};

// Parses one /proc/PID/stat line: "pid (comm) state ppid ...". comm ends at the LAST ')'.
// Throws std::invalid_argument for a malformed line.
[[nodiscard]] ProcessInfo parse_process_stat(std::string_view line);

// Process pid as /proc/PID/stat shows it now; nullopt when there is no such process (it never
// existed, or it has been reaped).
[[nodiscard]] std::optional<ProcessInfo> read_process_info(pid_t pid);

// Every process whose parent is ppid, sorted by pid: running children and zombies alike.
[[nodiscard]] std::vector<ProcessInfo> children_of(pid_t ppid);

// "zombie" for 'Z', "sleeping" for 'S', ... (proc(5)); "unknown" for a letter it does not know.
[[nodiscard]] std::string_view state_name(char state);

// Makes this process a child subreaper (on) or an ordinary process (off): orphans among its
// descendants are re-parented to it instead of to PID 1. Returns the previous setting.
// Throws syslab::SystemError when prctl(2) fails.
bool set_child_subreaper(bool on);

// The subreaper setting held for a scope: on in the constructor, the previous one restored in
// the destructor.
class SubreaperScope {
 public:
  SubreaperScope() : previous_(set_child_subreaper(true)) {}
  ~SubreaperScope();
  SubreaperScope(const SubreaperScope&) = delete;
  SubreaperScope& operator=(const SubreaperScope&) = delete;

 private:
  bool previous_;
};

// Blocks until child pid has ended, without reaping it (waitid(2) with WEXITED | WNOWAIT): when
// it returns, the child is a zombie, still there to be seen in /proc and waited for. Restarts
// after EINTR. Throws syslab::SystemError (ECHILD when pid is not an unwaited child of ours).
void wait_until_ended(pid_t pid);

}  // namespace proc
