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

namespace proc {

// [slide:parse_stat]
ProcessInfo parse_process_stat(std::string_view line) {
  // BEGIN SOLUTION: split "pid (comm) state ppid ..."; comm ends at the LAST ')' (it may hold ") ")
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    throw std::invalid_argument("not a /proc/PID/stat line: " + std::string(line.substr(0, 80)));
  }
  ProcessInfo info;
  info.comm = std::string(line.substr(open + 1, close - open - 1));
  std::istringstream head{std::string(line.substr(0, open))};
  std::istringstream tail{std::string(line.substr(close + 1))};
  if (!(head >> info.pid) || !(tail >> info.state >> info.ppid)) {
    throw std::invalid_argument("not a /proc/PID/stat line: " + std::string(line.substr(0, 80)));
  }
  return info;
  // END SOLUTION
}
// [/slide]

std::optional<ProcessInfo> read_process_info(pid_t pid) {
  // BEGIN SOLUTION: read /proc/PID/stat and parse it; nullopt when the file does not exist (ENOENT, ESRCH)
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::string line;
  try {
    const fdio::UniqueFd stat = fdio::open_file(path, O_RDONLY);
    line = fdio::read_to_eof(stat);
  } catch (const std::system_error& error) {
    // ENOENT: no such process now. ESRCH: it was reaped between open and read.
    if (error.code().value() == ENOENT || error.code().value() == ESRCH) return std::nullopt;
    throw;
  }
  if (line.empty()) return std::nullopt;  // it was reaped while we read
  return parse_process_stat(line);
  // END SOLUTION
}

// BEGIN SOLUTION
namespace {

// The numeric names in /proc: one per process (the thread ids hide under /proc/PID/task).
std::vector<pid_t> all_pids() {
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) syslab::throw_errno("opendir", "/proc");
  std::vector<pid_t> pids;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (pid > 0 && *end == '\0') pids.push_back(static_cast<pid_t>(pid));
  }
  const int error = errno;  // readdir returns nullptr at the end and on error; errno tells which
  ::closedir(dir);
  if (error != 0) syslab::throw_error(error, "readdir", "/proc");
  return pids;
}

}  // namespace
// END SOLUTION

// Scans every process, as ps does. (/proc/PID/task/TID/children lists one thread's children
// directly, but only where the kernel was built with CONFIG_PROC_CHILDREN.)
std::vector<ProcessInfo> children_of(pid_t ppid) {
  // BEGIN SOLUTION: every process in /proc whose ppid is ppid, sorted by pid; skip those that end while you look
  std::vector<ProcessInfo> children;
  for (const pid_t pid : all_pids()) {
    const std::optional<ProcessInfo> info = read_process_info(pid);
    if (info && info->ppid == ppid) children.push_back(*info);
  }
  std::sort(children.begin(), children.end(),
            [](const ProcessInfo& a, const ProcessInfo& b) { return a.pid < b.pid; });
  return children;
  // END SOLUTION
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

// [slide:subreaper]
bool set_child_subreaper(bool on) {
  // BEGIN SOLUTION: prctl PR_GET_CHILD_SUBREAPER for the previous setting, then PR_SET_CHILD_SUBREAPER
  int previous = 0;
  if (::prctl(PR_GET_CHILD_SUBREAPER, &previous, 0, 0, 0) < 0) {
    syslab::throw_errno("prctl", "PR_GET_CHILD_SUBREAPER");
  }
  if (::prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0) < 0) {
    syslab::throw_errno("prctl", "PR_SET_CHILD_SUBREAPER");
  }
  return previous != 0;
  // END SOLUTION
}
// [/slide]

SubreaperScope::~SubreaperScope() {
  try {
    set_child_subreaper(previous_);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "~SubreaperScope: %s\n", error.what());
  }
}

// [slide:wait_until_ended]
void wait_until_ended(pid_t pid) {
  // BEGIN SOLUTION: waitid(P_PID, pid, ..., WEXITED | WNOWAIT), restarted after EINTR: the child stays a zombie
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0) {
    if (errno != EINTR) syslab::throw_errno("waitid", std::to_string(pid));
  }
  // END SOLUTION
}
// [/slide]

}  // namespace proc
