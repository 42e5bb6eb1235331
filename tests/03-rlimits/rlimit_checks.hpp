// Lab 03's test helpers: the kernel's own view of limits (/proc/PID/limits, raw getrlimit), a
// parked child with a limit of its own, and children that report back through a pipe. None of
// them uses the lab's code, so a test compares the lab's answer with an independent one.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "syslab/test.hpp"

namespace rltest {

// getrlimit(2) and setrlimit(2), straight. They throw std::system_error on failure.
rlimit raw_limit(int resource);
void raw_set_limit(int resource, rlimit limit);

// "unlimited" or the number, as /proc/PID/limits writes a value.
std::string proc_text(rlim_t value);

// Puts a resource's limit back at the end of a test with setrlimit(2), whatever the code under
// test did (or failed to do). Only for soft limits and lowered-then-raised-back values that any
// process may set.
class RestoreAtEnd {
 public:
  explicit RestoreAtEnd(int resource);
  ~RestoreAtEnd();
  RestoreAtEnd(const RestoreAtEnd&) = delete;
  RestoreAtEnd& operator=(const RestoreAtEnd&) = delete;

  [[nodiscard]] const rlimit& saved() const { return saved_; }

 private:
  int resource_;
  rlimit saved_;
};

// One row of /proc/PID/limits: "Max open files   1024   524288   files".
struct ProcRow {
  std::string soft, hard, units;
};
// Every row, by its name ("Max open files"). The name is the first 25 columns (see proc(5)).
std::map<std::string, ProcRow> parse_proc_limits(const std::string& text);
// One row of /proc/self/limits (or /proc/PID/limits). Fails the test if the row is missing.
ProcRow proc_limit(const std::string& row, const std::string& pid = "self");

// Every resource as the test knows it: its number, its short name and its /proc row.
struct KnownResource {
  int id;
  std::string short_name;  // "NOFILE"
  std::string proc_row;    // "Max open files"
};
const std::vector<KnownResource>& all_resources();

// The open fds in `fds` numbered below limit.
std::size_t count_below(const std::map<int, std::string>& fds, rlim_t limit);

// A child whose soft RLIMIT_NOFILE is `nofile_soft` (set with setrlimit(2), not the lab's code),
// parked until this object is destroyed, which kills and reaps it.
class ParkedChild {
 public:
  explicit ParkedChild(rlim_t nofile_soft);
  [[nodiscard]] pid_t pid() const { return child_->pid(); }

 private:
  syslab::test::TestPipe ready_;
  std::optional<syslab::test::ForkedChild> child_;
};

// How a child ran: its exit status and the text its body returned (or "threw: ...").
struct ChildOutcome {
  syslab::test::ExitStatus status;
  std::string report;
};
// Runs body in a forked child, with a deadline; what body returns comes back through a pipe.
// An exception in body is reported as "threw: <what>" with exit code ForkedChild::kThrew.
ChildOutcome run_in_child(const std::function<std::string()>& body);

// In a child: if running as root, become uid and gid 65534 (nobody) with no supplementary
// groups, which also clears every capability. Returns what it did; throws when it cannot. Root in
// a user namespace (a rootless container) is left alone: its capabilities never reach the limits.
std::string drop_privileges_if_root();

// Whether this process is in the initial user namespace (/proc/self/uid_map maps every uid to
// itself). Only a capability held there counts for the hard limits.
bool in_initial_user_namespace();

// Whether this process may raise a hard limit: CAP_SYS_RESOURCE, in the initial user namespace.
bool can_raise_hard_limits();

// What a call threw, if it threw a std::system_error (anything else propagates and fails the test).
struct Thrown {
  bool threw = false;
  int code = 0;      // the errno
  std::string what;  // the message
};
Thrown system_error_from(const std::function<void()>& call);

// Whether this process has CAP_SYS_RESOURCE in its effective set (/proc/self/status, CapEff).
bool has_cap_sys_resource();

}  // namespace rltest
