// Lab 01, tasks 1 and 2: current_identity() against the kernel's own view of the process in
// /proc, in this process and in children that changed who they are (setsid, setresuid).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "identity.hpp"
#include "kernel_view.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace getpid_test;

namespace {

constexpr std::chrono::seconds kBudget{5};

// A held child's setup: report who it is.
std::string report_identity() { return to_line(ids::current_identity()); }

[[noreturn]] void fail(const char* call) {
  throw std::system_error(errno, std::generic_category(), call);
}

void expect_clean_exit(HeldChild& child) {
  const std::optional<ExitStatus> status = child.release(Deadline(kBudget));
  ASSERT_TRUE(status.has_value()) << "the child did not exit after it was released";
  EXPECT_TRUE(status->success()) << "the child " << *status;
}

}  // namespace

SYSLAB_TEST(
    CurrentIdentity, PidsMatchProcSelfStat, 2,
    "One system call per field: getpid(2), getppid(2), getpgrp(2), getsid(2). The name "
    "comes from prctl(2) with PR_GET_NAME.",
    "getsid takes a pid, and 0 means the caller. PR_GET_NAME fills a 16-byte buffer "
    "(15 characters and the NUL); copy it into comm.",
    "self.pid = getpid(); self.ppid = getppid(); self.pgid = getpgrp(); "
    "self.sid = getsid(0); char name[16] = {}; prctl(PR_GET_NAME, name); self.comm = name;") {
  const ids::Identity self = ids::current_identity();
  const ids::ProcStat kernel = kernel_stat(::getpid());  // what ps would show
  EXPECT_EQ(self.pid, kernel.pid) << "pid: the first field of /proc/self/stat";
  EXPECT_EQ(self.ppid, kernel.ppid) << "ppid: the 4th field of /proc/self/stat";
  EXPECT_EQ(self.pgid, kernel.pgid) << "pgid: the 5th field of /proc/self/stat";
  EXPECT_EQ(self.sid, kernel.sid) << "sid: the 6th field of /proc/self/stat";
  EXPECT_EQ(self.comm, kernel.comm) << "comm: the name in parentheses in /proc/self/stat";
}

SYSLAB_TEST(
    CurrentIdentity, IdsMatchProcSelfStatus, 2,
    "getresuid(2) and getresgid(2) give the real, effective and saved ids in one call each. "
    "Compare with the Uid: and Gid: lines of /proc/self/status.",
    "The order is real, effective, saved, as in /proc/self/status (whose 4th column, the "
    "filesystem id, the lab does not need). Check the return value: -1 means it failed.",
    "if (getresuid(&self.ruid, &self.euid, &self.suid) != 0) "
    "syslab::throw_errno(\"getresuid\"); and the same with getresgid for the gids.") {
  // As root, the child first becomes nobody (65534), so that an id left at 0 cannot pass.
  HeldChild child([] {
    if (::geteuid() == 0) {
      if (::setresgid(65534, 65534, 65534) != 0) fail("setresgid");
      if (::setresuid(65534, 65534, 65534) != 0) fail("setresuid");
    }
    return report_identity();
  });
  const std::optional<ids::Identity> reported = from_line(child.report(Deadline(kBudget)));
  ASSERT_TRUE(reported.has_value()) << "the child did not report its identity (see stderr)";
  EXPECT_EQ(ids_of(*reported), kernel_ids(child.pid()))
      << "current_identity() in the child vs the Uid:/Gid: lines of /proc/" << child.pid()
      << "/status";
  expect_clean_exit(child);
}

SYSLAB_TEST(CurrentIdentity, ChildSeesParentAsPpid, 2,
            "A forked child has its own pid; its ppid is the parent's pid. Everything else (group, "
            "session, name, ids) it inherits.",
            "getppid(2) is the parent's pid. If a value is 0 or the parent's own pid, a field was "
            "left unset or filled from the wrong call.",
            "current_identity() must ask the kernel each time it is called: nothing may be cached "
            "from before a fork.") {
  HeldChild child(report_identity);
  const std::optional<ids::Identity> reported = from_line(child.report(Deadline(kBudget)));
  ASSERT_TRUE(reported.has_value()) << "the child did not report its identity (see stderr)";
  EXPECT_EQ(reported->pid, child.pid()) << "the child's pid, as fork() returned it to the parent";
  EXPECT_EQ(reported->ppid, ::getpid()) << "the child's parent is this test process";
  EXPECT_EQ(reported->pgid, ::getpgrp()) << "a child stays in its parent's process group";
  EXPECT_EQ(reported->sid, ::getsid(0)) << "a child stays in its parent's session";
  EXPECT_EQ(reported->comm, kernel_stat(::getpid()).comm) << "fork copies the name";
  EXPECT_EQ(ids_of(*reported), own_ids()) << "fork copies the ids";
  expect_clean_exit(child);
}

SYSLAB_TEST(CurrentIdentity, SetsidChildLeadsNewSessionAndGroup, 2,
            "After setsid(2) the caller leads a new session and a new process group, both numbered "
            "with its own pid.",
            "getsid(0) is the caller's session; getsid(getppid()) would be the parent's. getpgrp() "
            "is the caller's group.",
            "Ask again on every call: self.pgid = getpgrp(); self.sid = getsid(0);") {
  HeldChild child([] {
    if (::setsid() < 0) fail("setsid");
    return report_identity();
  });
  const std::optional<ids::Identity> reported = from_line(child.report(Deadline(kBudget)));
  ASSERT_TRUE(reported.has_value()) << "the child did not report its identity (see stderr)";
  EXPECT_EQ(reported->pid, child.pid());
  EXPECT_EQ(reported->sid, child.pid()) << "setsid: the new session is numbered with its pid";
  EXPECT_EQ(reported->pgid, child.pid()) << "setsid also makes a new process group";
  EXPECT_EQ(reported->ppid, ::getpid()) << "setsid does not change the parent";
  EXPECT_NE(reported->sid, ::getsid(0)) << "the child left this test's session";
  EXPECT_EQ(kernel_stat(child.pid()).sid, child.pid()) << "and the kernel agrees, in /proc";
  expect_clean_exit(child);
}

SYSLAB_TEST(
    Credentials, DistinctRealEffectiveSavedIds, 2,
    "Real, effective and saved ids may all differ (a set-user-ID program, or root calling "
    "setresuid(2)). Each must land in its own field.",
    "getresuid(&ruid, &euid, &suid): the order is real, effective, saved. In /proc/PID/status "
    "the Uid: line has real, effective, saved, then filesystem.",
    "Check every field: ruid/euid/suid from getresuid and rgid/egid/sgid from getresgid in "
    "current_identity; columns 1, 2, 3 of Uid: and Gid: in read_proc_identity.") {
  if (::geteuid() == 0) {
    // Root can set all six ids to different values. Groups first: after setresuid, the child is
    // no longer root and may not change its groups.
    HeldChild child([] {
      if (::setresgid(1001, 1002, 1003) != 0) fail("setresgid");
      if (::setresuid(2001, 2002, 2003) != 0) fail("setresuid");
      return to_line(ids::current_identity()) + "\n" + to_line(ids::read_proc_identity(::getpid()));
    });
    const std::string report = child.report(Deadline(kBudget));
    const auto newline = report.find('\n');
    ASSERT_NE(newline, std::string::npos) << "the child did not report (see stderr): " << report;
    const std::optional<ids::Identity> from_syscalls = from_line(report.substr(0, newline));
    const std::optional<ids::Identity> from_proc = from_line(report.substr(newline + 1));
    ASSERT_TRUE(from_syscalls && from_proc) << "the child's report: " << report;
    const KernelIds expected{{2001, 2002, 2003}, {1001, 1002, 1003}};
    EXPECT_EQ(ids_of(*from_syscalls), expected) << "current_identity() in the child";
    EXPECT_EQ(ids_of(*from_proc), expected) << "read_proc_identity(getpid()) in the child";
    EXPECT_EQ(ids_of(ids::read_proc_identity(child.pid())), expected)
        << "read_proc_identity(" << child.pid() << ") in the parent";
    expect_clean_exit(child);
  } else {
    // Without privilege all three ids are usually equal, and setresuid may only choose among
    // them: the ids must match /proc and survive a refused change unchanged.
    const KernelIds before = kernel_ids(::getpid());
    EXPECT_EQ(ids_of(ids::current_identity()), before) << "current_identity() vs /proc/self/status";
    EXPECT_EQ(ids_of(ids::read_proc_identity(::getpid())), before)
        << "read_proc_identity(getpid())";
    const uid_t other = std::max({before.uids[0], before.uids[1], before.uids[2]}) + 1;
    EXPECT_NE(::setresuid(static_cast<uid_t>(-1), other, static_cast<uid_t>(-1)), 0)
        << "an unprivileged process cannot take an effective uid it does not already have";
    EXPECT_EQ(errno, EPERM);
    EXPECT_EQ(ids_of(ids::current_identity()), before) << "after the refused setresuid";
  }
}
