// What the tests of lab 01 compare against: the kernel's own answers, read here independently of
// the learner's code (a parser written by the test, never the lab's), and a child process held
// alive while the test looks at it in /proc.
#pragma once

#include <sys/types.h>

#include <array>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "identity.hpp"
#include "syslab/test.hpp"

namespace getpid_test {

// The fields of /proc/PID/stat the lab reads, parsed by the test library (syslab/proc.hpp).
ids::ProcStat kernel_stat(pid_t pid);

// The real, effective and saved ids from the Uid: and Gid: lines of /proc/PID/status.
struct KernelIds {
  std::array<uid_t, 3> uids{};
  std::array<gid_t, 3> gids{};

  bool operator==(const KernelIds&) const = default;
};
void PrintTo(const KernelIds& ids, std::ostream* out);
KernelIds kernel_ids(pid_t pid);

// The calling process's ids, from getresuid and getresgid.
KernelIds own_ids();

// The ids of an Identity, in the same shape, to compare with the above.
KernelIds ids_of(const ids::Identity& identity);

// A pid that no process has: pids are always below /proc/sys/kernel/pid_max.
pid_t unused_pid();

// An Identity as one line of text and back, for a child to report to its parent over a pipe.
std::string to_line(const ids::Identity& identity);
std::optional<ids::Identity> from_line(const std::string& line);

// "1000(alice)" or "1000", as whoami prints an id, from getpwuid/getgrgid.
std::string user_text(uid_t uid);
std::string group_text(gid_t gid);

// A user and a group id that the user database does not know.
uid_t uid_without_name();
gid_t gid_without_name();

// whoami's "key value" lines, in order.
std::vector<std::pair<std::string, std::string>> key_values(const std::string& output);

// A forked child that runs setup() (which may change who the child is: setsid, setresuid, a new
// name), sends what setup() returned to the parent, then stays alive until released, so that the
// parent can look at it in /proc. Killed and reaped on destruction if still there.
class HeldChild {
 public:
  explicit HeldChild(const std::function<std::string()>& setup);

  [[nodiscard]] pid_t pid() const { return child_->pid(); }

  // What setup() returned; "" if it threw (its message is then on stderr) or the deadline passed.
  std::string report(const syslab::test::Deadline& deadline);

  // Lets the child exit and waits for it.
  std::optional<syslab::test::ExitStatus> release(const syslab::test::Deadline& deadline);

 private:
  syslab::test::TestPipe report_ = syslab::test::make_pipe();  // child -> parent
  syslab::test::TestPipe hold_ = syslab::test::make_pipe();    // parent closes it: "you may go"
  std::optional<syslab::test::ForkedChild> child_;             // after the pipes: destroyed first
};

}  // namespace getpid_test

// How GoogleTest prints the lab's types in a failure message.
namespace ids {
void PrintTo(const Identity& identity, std::ostream* out);
void PrintTo(const ProcStat& stat, std::ostream* out);
}  // namespace ids
