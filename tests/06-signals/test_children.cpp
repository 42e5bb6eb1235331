// Lab 06 tests: reaping with a WNOHANG loop (a hundred children, one SIGCHLD), and process
// groups: who kill(-pgid) reaches. The kernel's view (/proc, getpgid, getsid, wait statuses) is
// the judge.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "process_group.hpp"
#include "reap_children.hpp"
#include "signal_fd.hpp"
#include "signals_test_util.hpp"
#include "syslab/test.hpp"

using namespace signals_test;

namespace {

// Forks a child that waits on gate (until every write end is closed) and then exits with code.
// It closes its copy of the write end first, or it would wait for itself.
pid_t fork_gated_child(TestPipe& gate, int code) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    gate.write_end.reset();
    char byte;
    while (::read(gate.read_end.get(), &byte, 1) < 0 && errno == EINTR) {
    }
    ::_exit(code);
  }
  return pid;
}

// In a group leader's child: forks `count` children that block on gate, sends their pids to
// report, and returns them.
std::vector<pid_t> fork_members(int count, TestPipe& gate, int report_fd) {
  std::vector<pid_t> members;
  for (int i = 0; i < count; ++i) {
    const pid_t pid = fork_gated_child(gate, 0);
    if (pid < 0) break;
    members.push_back(pid);
  }
  write_line(report_fd, [&] {
    std::string line;
    for (const pid_t pid : members) line += std::to_string(pid) + " ";
    return line;
  }());
  return members;
}

// The pids on one line of report, written by fork_members.
std::vector<pid_t> read_members(int report_fd, std::size_t count) {
  std::string line;
  if (!read_until(report_fd, line, "\n", Deadline(10s))) return {};
  std::vector<pid_t> pids;
  std::istringstream words(line);
  for (pid_t pid; words >> pid;) pids.push_back(pid);
  return pids.size() == count ? pids : std::vector<pid_t>{};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// reap_children

SYSLAB_TEST(
    ReapChildren, ReapsEveryEndedChildAndNeverWaitsForARunningOne, 2,
    "waitpid(2) with WNOHANG returns 0 while children remain but none has ended: stop there",
    "a loop: > 0 is one child reaped (decode its status), 0 means stop, -1 with ECHILD means no "
    "children left",
    "without WNOHANG, waitpid blocks for the child that is still running: that is the bug this "
    "test catches") {
  ReapOnExit cleanup;
  TestPipe gate = make_pipe();
  std::map<pid_t, int> codes;
  for (const int code : {0, 3, 42}) {
    TestPipe open_gate = make_pipe();
    open_gate.write_end.reset();  // at EOF already: the child exits at once
    const pid_t pid = fork_gated_child(open_gate, code);
    ASSERT_GT(pid, 0);
    cleanup.add(pid);
    codes[pid] = code;
  }
  const pid_t killed = fork_gated_child(gate, 0);
  ASSERT_GT(killed, 0);
  cleanup.add(killed);
  ASSERT_EQ(::kill(killed, SIGKILL), 0);
  // A running child that ends by itself 5 s from now, in case reap_children waits for it.
  const pid_t running = ::fork();
  if (running == 0) {
    gate.write_end.reset();
    pollfd entry{gate.read_end.get(), POLLIN, 0};
    ::poll(&entry, 1, 5000);
    ::_exit(77);
  }
  ASSERT_GT(running, 0);
  cleanup.add(running);
  const Deadline deadline(10s);
  ASSERT_TRUE(std::all_of(codes.begin(), codes.end(),
                          [&](auto& entry) { return wait_ended(entry.first, deadline); }) &&
              wait_ended(killed, deadline))
      << "the children did not all end";

  const std::vector<sig::Reaped> reaped = sig::reap_children();
  std::map<pid_t, proc::WaitStatus> statuses;
  for (const sig::Reaped& one : reaped) statuses[one.pid] = one.status;
  EXPECT_FALSE(statuses.contains(running))
      << "reap_children waited for a child that was still running: use WNOHANG";
  ASSERT_EQ(reaped.size(), 4u) << "four children had ended, each must be reaped once";
  for (const auto& [pid, code] : codes) {
    ASSERT_TRUE(statuses.contains(pid)) << "child " << pid << " was not reaped";
    EXPECT_TRUE(statuses[pid].exited()) << statuses[pid];
    EXPECT_EQ(statuses[pid].code, code);
    EXPECT_EQ(process_state(pid), '?') << "child " << pid << " is still in /proc";
  }
  ASSERT_TRUE(statuses.contains(killed));
  EXPECT_TRUE(statuses[killed].killed() && statuses[killed].signal == SIGKILL) << statuses[killed];
  EXPECT_TRUE(sig::reap_children().empty()) << "nothing more has ended";

  gate.write_end.reset();  // lets the running child end
  ASSERT_TRUE(wait_ended(running, Deadline(10s)));
  const std::vector<sig::Reaped> last = sig::reap_children();
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].pid, running);
  EXPECT_TRUE(sig::reap_children().empty())
      << "no children at all (ECHILD) is an empty result, not an error";
}

SYSLAB_TEST(
    ReapChildren, HundredExitsOneSigchldNoZombie, 4,
    "standard signals do not queue: 100 children ending while SIGCHLD is pending make one SIGCHLD",
    "so one notification must reap every ended child: loop on waitpid(-1, WNOHANG) until it "
    "returns 0 or ECHILD",
    "a reap_children that reaps one child per call (one call per SIGCHLD, as here) leaves 99 "
    "zombies") {
  const SignalStateGuard guard;
  ReapOnExit cleanup;
  sig::SignalFd sigchld({SIGCHLD});  // blocked from here on: notifications wait in the signalfd
  while (sigchld.read()) {
  }
  TestPipe gate = make_pipe();
  std::map<pid_t, int> codes;
  for (int i = 0; i < 100; ++i) {
    const pid_t pid = fork_gated_child(gate, i);
    ASSERT_GT(pid, 0) << "fork failed";
    cleanup.add(pid);
    codes[pid] = i;
  }
  gate.write_end.reset();  // all 100 see EOF at once and exit together
  const Deadline all_ended(20s);
  ASSERT_TRUE(std::all_of(codes.begin(), codes.end(), [&](auto& entry) {
    return wait_ended(entry.first, all_ended);
  })) << "the children did not all end";
  // Every one of them is a zombie now, and SIGCHLD has been pending since the first one ended.

  int notifications = 0;
  std::map<pid_t, proc::WaitStatus> reaped;
  const Deadline deadline(10s);
  while (reaped.size() < codes.size() && wait_readable(sigchld.fd().get(), deadline)) {
    while (sigchld.read()) {
      ++notifications;
      for (const sig::Reaped& one : sig::reap_children()) reaped[one.pid] = one.status;
    }
  }
  EXPECT_EQ(notifications, 1) << "100 exits while SIGCHLD was blocked: one pending SIGCHLD";
  ASSERT_EQ(reaped.size(), codes.size()) << "one SIGCHLD, and only " << reaped.size()
                                         << " children reaped: reap in a loop until none is left";
  for (const auto& [pid, code] : codes) {
    ASSERT_TRUE(reaped.contains(pid)) << "child " << pid << " was not reaped";
    EXPECT_EQ(reaped[pid].code, code) << reaped[pid];
  }
  EXPECT_TRUE(child_pids().empty()) << child_pids().size() << " children (zombies?) are left";
  EXPECT_TRUE(std::all_of(codes.begin(), codes.end(), [](auto& entry) {
    return process_state(entry.first) == '?';
  })) << "a reaped child must be gone from /proc";
}

// ---------------------------------------------------------------------------------------------
// Process groups

SYSLAB_TEST(
    ProcessGroup, LeaderAndItsChildrenShareTheGroup, 2,
    "setpgid(0, 0) makes the caller the leader of a new group whose id is its pid",
    "children inherit their parent's group at fork; getpgid(2) shows it",
    "make_group_leader(pid): setpgid(pid, 0), return pid (or getpid() for 0); group_of: getpgid") {
  ReapOnExit cleanup;
  TestPipe gate = make_pipe(), report = make_pipe();
  ForkedChild leader([&] {
    report.read_end.reset();
    if (sig::make_group_leader() != ::getpid()) return 2;
    const std::vector<pid_t> members = fork_members(3, gate, report.write_end.get());
    gate.write_end.reset();
    int failures = 0;
    for (const pid_t pid : members) {
      int raw = 0;
      failures += ::waitpid(pid, &raw, 0) != pid || !WIFEXITED(raw);
    }
    return failures == 0 ? 0 : 3;
  });
  report.write_end.reset();
  const std::vector<pid_t> members = read_members(report.read_end.get(), 3);
  ASSERT_EQ(members.size(), 3u) << "the leader did not report its three children";
  EXPECT_EQ(::getpgid(leader.pid()), leader.pid())
      << "the child is not the leader of a group of its own";
  EXPECT_NE(::getpgrp(), leader.pid()) << "the test itself must stay in its own group";
  for (const pid_t pid : members) {
    EXPECT_EQ(::getpgid(pid), leader.pid()) << "member " << pid << " is not in the leader's group";
    EXPECT_EQ(sig::group_of(pid), leader.pid()) << "group_of(" << pid << ")";
  }
  EXPECT_EQ(sig::group_of(), ::getpgrp()) << "group_of(0) is the caller's group";
  gate.write_end.reset();  // lets the members end
  const std::optional<ExitStatus> status = leader.wait(Deadline(10s));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->success()) << *status;
}

SYSLAB_TEST(
    ProcessGroup, SignalGroupReachesEveryMember, 3,
    "kill(2) with a negative pid signals every process in group -pid",
    "kill(0, s) and kill(-1, s) mean the caller's own group and every process: refuse pgid <= 1",
    "return true on success, false on ESRCH (nobody in the group), throw for anything else") {
  const SubreaperGuard subreaper;  // the members, orphaned when the leader dies, come to us
  ReapOnExit cleanup;
  TestPipe gate = make_pipe(), report = make_pipe();
  ForkedChild leader([&] {
    report.read_end.reset();
    if (::setpgid(0, 0) != 0) return 2;
    fork_members(3, gate, report.write_end.get());
    gate.write_end.reset();
    char byte;
    while (::read(gate.read_end.get(), &byte, 1) < 0 && errno == EINTR) {
    }
    return 0;
  });
  const pid_t pgid = leader.pid();
  report.write_end.reset();
  const std::vector<pid_t> members = read_members(report.read_end.get(), 3);
  for (const pid_t pid : members) cleanup.add(pid);
  ASSERT_EQ(members.size(), 3u) << "the leader did not report its three children";
  EXPECT_THROW((void)sig::signal_group(0, SIGTERM), std::invalid_argument);
  EXPECT_THROW((void)sig::signal_group(1, SIGTERM), std::invalid_argument);
  EXPECT_THROW((void)sig::signal_group(-pgid, SIGTERM), std::invalid_argument);

  EXPECT_TRUE(sig::signal_group(pgid, 0)) << "signal 0 asks whether the group exists: it does";
  EXPECT_TRUE(sig::signal_group(pgid, SIGTERM));
  const std::optional<ExitStatus> status = leader.wait(Deadline(10s));
  ASSERT_TRUE(status.has_value()) << "the leader did not end";
  EXPECT_TRUE(status->signaled && status->signal == SIGTERM) << "the leader " << *status;
  const Deadline members_end(10s);
  for (const pid_t pid : members) {
    const std::optional<ExitStatus> member = wait_for_pid(pid, members_end);
    ASSERT_TRUE(member.has_value()) << "member " << pid << " did not end";
    EXPECT_TRUE(member->signaled && member->signal == SIGTERM)
        << "member " << pid << " " << *member;
  }
  EXPECT_FALSE(sig::signal_group(pgid, 0))
      << "everyone in the group is gone: ESRCH is false, not an error";
}

SYSLAB_TEST(ProcessGroup, NewSessionLeadsANewGroupToo, 1,
            "setsid(2) makes the caller the leader of a new session and of a new group in it",
            "it fails with EPERM in a process that already leads a group",
            "start_new_session: setsid(), throw syslab errors naming setsid") {
  TestPipe gate = make_pipe(), report = make_pipe();
  ForkedChild child([&] {
    report.read_end.reset();
    gate.write_end.reset();
    const pid_t sid = sig::start_new_session();
    bool refused = false;
    try {
      sig::start_new_session();  // a session leader leads a group: setsid fails (EPERM)
    } catch (const std::system_error& error) {
      refused = error.code().value() == EPERM;
    }
    write_line(report.write_end.get(), std::to_string(sid) + (refused ? " refused" : " allowed"));
    char byte;
    while (::read(gate.read_end.get(), &byte, 1) < 0 && errno == EINTR) {
    }
    return 0;
  });
  report.write_end.reset();
  std::string line;
  ASSERT_TRUE(read_until(report.read_end.get(), line, "\n", Deadline(10s)))
      << "the child reported nothing";
  EXPECT_EQ(line, std::to_string(child.pid()) + " refused\n")
      << "the session id is the caller's pid, and a second setsid must fail with EPERM";
  EXPECT_EQ(::getsid(child.pid()), child.pid()) << "the child leads no session of its own";
  EXPECT_EQ(::getpgid(child.pid()), child.pid()) << "a new session starts a new group";
  EXPECT_NE(::getsid(0), child.pid());
  gate.write_end.reset();
  const std::optional<ExitStatus> status = child.wait(Deadline(10s));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->success()) << *status;
}

SYSLAB_TIMEOUT(ReapChildren, HundredExitsOneSigchldNoZombie, 60);
SYSLAB_TIMEOUT(ReapChildren, ReapsEveryEndedChildAndNeverWaitsForARunningOne, 30);
SYSLAB_TIMEOUT(ProcessGroup, LeaderAndItsChildrenShareTheGroup, 30);
SYSLAB_TIMEOUT(ProcessGroup, SignalGroupReachesEveryMember, 30);
SYSLAB_TIMEOUT(ProcessGroup, NewSessionLeadsANewGroupToo, 30);
