// Orphans adopted and reaped, for tests whose processes outlive their parents: this process as a
// child subreaper for a scope, a guard that kills and reaps what a failed test leaves behind, and
// a wait for a (perhaps adopted) child with a deadline. Header-only; shared by labs 06 and 08.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "syslab/deadline.hpp"
#include "syslab/files.hpp"
#include "syslab/proc.hpp"  // parent_of
#include "syslab/process.hpp"
#include "syslab/report.hpp"

namespace syslab::test {

// This process as a child subreaper for a scope: the orphans of its descendants (a child's
// children, once the child has died) become its children, so a test can wait for them and see
// how they ended instead of leaving them to PID 1.
class SubreaperGuard {
 public:
  SubreaperGuard() {
    int previous = 0;
    ::prctl(PR_GET_CHILD_SUBREAPER, &previous);
    previous_ = previous != 0;
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  ~SubreaperGuard() { ::prctl(PR_SET_CHILD_SUBREAPER, previous_ ? 1 : 0); }
  SubreaperGuard(const SubreaperGuard&) = delete;
  SubreaperGuard& operator=(const SubreaperGuard&) = delete;

 private:
  bool previous_ = false;
};

// Kills and reaps, on destruction, each listed pid that is (still, or by adoption) a child of
// this process: what a test that failed half-way leaves behind.
class ReapOnExit {
 public:
  ReapOnExit() = default;
  ~ReapOnExit() {
    for (const pid_t pid : pids_) {
      if (parent_of(pid) != ::getpid()) continue;
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  ReapOnExit(const ReapOnExit&) = delete;
  ReapOnExit& operator=(const ReapOnExit&) = delete;
  void add(pid_t pid) { pids_.push_back(pid); }

 private:
  std::vector<pid_t> pids_;
};

// Waits until pid, a child of ours (perhaps adopted as a subreaper), has ended, and reaps it:
// how it ended, or nullopt if it is not our child or the deadline passed.
inline std::optional<ExitStatus> wait_for_pid(pid_t pid, const Deadline& deadline) {
  const long pidfd = ::syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return std::nullopt;
  const bool readable = wait_readable(static_cast<int>(pidfd), deadline);
  ::close(static_cast<int>(pidfd));
  if (!readable) {
    report_stuck(pid, "process", deadline.budget());  // for the runner's HANG, if the test fails
    return std::nullopt;
  }
  int raw = 0;
  pid_t got;
  while ((got = ::waitpid(pid, &raw, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (got != pid) return std::nullopt;
  return decode_wait_status(raw);
}

}  // namespace syslab::test
