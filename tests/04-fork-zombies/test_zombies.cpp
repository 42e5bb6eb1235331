// Lab 04, tasks 5-6: zombies and orphans as the kernel shows them in /proc, and the zombies
// program. A zombie is awaited with a pipe handshake, then by polling /proc against a deadline:
// "has become a zombie" is a state nothing notifies us of.
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "child_process.hpp"
#include "fork_zombies_test_util.hpp"
#include "process_table.hpp"
#include "syslab/test.hpp"

using namespace fork_zombies_test;
using proc::ChildProcess;

namespace {

bool is_subreaper() {
  int on = 0;
  if (::prctl(PR_GET_CHILD_SUBREAPER, &on, 0, 0, 0) != 0) {
    throw std::system_error(errno, std::generic_category(), "prctl");
  }
  return on != 0;
}

// One row of the zombies program's process table: "  PID PPID  S  COMM  STATE".
struct Row {
  pid_t pid;
  pid_t ppid;
  char state;
};

std::vector<Row> table_rows(const std::string& output) {
  static const std::regex row(R"(^\s+(\d+)\s+(\d+)\s+([A-Za-z])\s+\S.*$)");
  std::vector<Row> rows;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_match(line, match, row)) {
      rows.push_back({std::stoi(match[1]), std::stoi(match[2]), match[3].str()[0]});
    }
  }
  return rows;
}

}  // namespace

SYSLAB_TEST(Zombie, VisibleInProcUntilReaped, 3,
            "read_process_info: open /proc/PID/stat and parse it with parse_process_stat",
            "comm is between the first '(' and the LAST ')'; after it come the state letter and "
            "the ppid",
            "a reaped process has no /proc/PID: opening its stat fails with ENOENT, which is "
            "nullopt, not an error") {
  TestPipe said = make_pipe();
  ChildProcess child = proc::fork_child([&] { return send(said.write_end.get(), "x") ? 0 : 1; });
  const pid_t pid = child.pid();
  char byte;
  ASSERT_TRUE(receive_exact(said.read_end.get(), &byte, 1, Deadline(5s)));  // it is about to exit
  ASSERT_TRUE(poll_until(Deadline(5s), [&] { return process_state(pid) == 'Z'; }))
      << "child " << pid << " exited but never showed as a zombie";

  const std::optional<proc::ProcessInfo> zombie = proc::read_process_info(pid);
  ASSERT_TRUE(zombie) << "read_process_info found no process " << pid;
  EXPECT_EQ(zombie->pid, pid);
  EXPECT_EQ(zombie->state, 'Z');
  EXPECT_EQ(zombie->ppid, ::getpid());
  EXPECT_EQ(proc::state_name(zombie->state), "zombie");
  const std::vector<proc::ProcessInfo> children = proc::children_of(::getpid());
  ASSERT_EQ(children.size(), 1U) << "children_of(getpid()) must list the zombie";
  EXPECT_EQ(children[0], *zombie);

  const std::optional<proc::WaitStatus> status = wait_within(child);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->success()) << *status;
  EXPECT_EQ(process_state(pid), '?') << "reaped: gone from /proc";
  EXPECT_FALSE(proc::read_process_info(pid)) << "a reaped process has no /proc entry";
  EXPECT_TRUE(proc::children_of(::getpid()).empty());
}

SYSLAB_TEST(Zombie, WaitUntilEndedLeavesAZombie, 1,
            "waitid(2) with WEXITED | WNOWAIT waits for the child to end but does not reap it",
            "waitid(P_PID, pid, &info, WEXITED | WNOWAIT), restarted after EINTR") {
  ChildProcess child = proc::fork_child([] { return 4; });
  proc::wait_until_ended(child.pid());
  EXPECT_EQ(process_state(child.pid()), 'Z') << "no need to poll: waitid said it has ended";
  const std::optional<proc::WaitStatus> status = child.try_wait();
  ASSERT_TRUE(status) << "the zombie is still there to be reaped";
  EXPECT_EQ(status->describe(), "exited 4");
}

SYSLAB_TEST(ProcessTable, ParsesStatWithAnyCommAndListsChildren, 2,
            "man 5 proc, /proc/PID/stat: \"pid (comm) state ppid pgrp ...\"",
            "a process may name itself \"a) b (c\" (prctl PR_SET_NAME): find the last ')', not "
            "the first",
            "children_of: every numeric name in /proc, read_process_info each, keep ppid == the "
            "given pid; skip the ones that vanished; sort by pid") {
  const proc::ProcessInfo parsed = proc::parse_process_stat("42 (a) b (c) S 7 42 42 0 -1 4194560");
  EXPECT_EQ(parsed, (proc::ProcessInfo{42, 7, 'S', "a) b (c"}));
  EXPECT_THROW((void)proc::parse_process_stat("no parentheses here"), std::invalid_argument);

  TestPipe ready = make_pipe(), gate = make_pipe();
  ChildProcess child = proc::fork_child([&] {
    ::prctl(PR_SET_NAME, "odd) (name", 0, 0, 0);
    if (!send(ready.write_end.get(), "r")) return 2;
    return block_until_told(gate.write_end, gate.read_end);
  });
  char byte;
  ASSERT_TRUE(receive_exact(ready.read_end.get(), &byte, 1, Deadline(5s)));
  const std::optional<proc::ProcessInfo> info = proc::read_process_info(child.pid());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->comm, "odd) (name");
  EXPECT_EQ(info->ppid, ::getpid());
  EXPECT_NE(info->state, 'Z');
  const std::vector<proc::ProcessInfo> children = proc::children_of(::getpid());
  ASSERT_EQ(children.size(), 1U);
  EXPECT_EQ(children[0].pid, child.pid());
  EXPECT_EQ(children[0].comm, "odd) (name");
}

SYSLAB_TEST(Orphan, ReparentedToTheSubreaper, 3,
            "man 2 prctl: PR_SET_CHILD_SUBREAPER; PR_GET_CHILD_SUBREAPER for the previous value",
            "an orphan goes to the nearest ancestor that is a subreaper; this test makes itself "
            "one, so the grandchild must become its child",
            "SubreaperScope restores the previous setting: return it from set_child_subreaper") {
  const bool before = is_subreaper();
  {
    const proc::SubreaperScope subreaper;
    EXPECT_TRUE(is_subreaper());
    TestPipe hold = make_pipe(), report = make_pipe();
    ChildProcess middle = proc::fork_child([&] {
      ChildProcess grandchild =
          proc::fork_child([&] { return block_until_told(hold.write_end, hold.read_end); });
      const pid_t pid = grandchild.release();  // the middle child leaves it behind, on purpose
      const ssize_t sent =
          without_faults([&] { return ::write(report.write_end.get(), &pid, sizeof pid); });
      return sent == sizeof pid ? 0 : 1;
    });
    report.write_end.reset();
    pid_t grandchild = -1;
    ASSERT_TRUE(receive_exact(report.read_end.get(), &grandchild, sizeof grandchild, Deadline(5s)));
    const std::optional<proc::WaitStatus> middle_status = wait_within(middle);
    ASSERT_TRUE(middle_status);
    EXPECT_TRUE(middle_status->success()) << *middle_status;

    // The kernel re-parents the orphan when its parent exits, before the parent can be reaped.
    const std::optional<proc::ProcessInfo> orphan = proc::read_process_info(grandchild);
    ASSERT_TRUE(orphan) << "the grandchild " << grandchild << " is gone";
    EXPECT_EQ(orphan->ppid, ::getpid()) << "the orphan went to " << orphan->ppid << ", not to us";
    const std::vector<pid_t> children = child_pids();
    EXPECT_NE(std::find(children.begin(), children.end(), grandchild), children.end());

    ChildProcess adopted(grandchild, proc::KillPolicy::kWaitOnly);
    ASSERT_TRUE(send(hold.write_end.get(), "g"));
    const std::optional<proc::WaitStatus> status = wait_within(adopted);
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->success()) << *status;
  }
  EXPECT_EQ(is_subreaper(), before) << "SubreaperScope must restore the previous setting";
}

SYSLAB_TEST(ZombiesProgram, ShowsZombiesAndReapsThem, 2,
            "zombies uses fork_child, wait_until_ended, read_process_info, children_of and "
            "wait: make the tests above pass first",
            "run it yourself: ./build/labs/04-fork-zombies/zombies --count 3") {
  const ProgramResult help = run_program({program_path("zombies"), "--help"});
  EXPECT_TRUE(help.status.success()) << help.status;
  EXPECT_NE(help.out.find("usage: zombies"), std::string::npos) << help.out;
  const ProgramResult wrong = run_program({program_path("zombies"), "--count", "none"});
  EXPECT_TRUE(wrong.status.exited && wrong.status.code != 0) << wrong.status;

  const ProgramResult result = run_program({program_path("zombies"), "--count", "3"});
  ASSERT_TRUE(result.status.success()) << result.status << "\n" << result.out << result.err;
  const std::vector<Row> rows = table_rows(result.out);
  const auto zombies = std::count_if(rows.begin(), rows.end(), [&](const Row& row) {
    return row.ppid == result.pid && row.state == 'Z';
  });
  EXPECT_EQ(zombies, 3) << "three rows with state Z and the program as parent:\n" << result.out;
  EXPECT_EQ(count_of(result.out, "reaped "), 3) << result.out;
  for (int code = 1; code <= 3; ++code) {
    EXPECT_EQ(count_of(result.out, ": exited " + std::to_string(code) + "\n"), 1) << result.out;
  }
  EXPECT_NE(result.out.find("no children left"), std::string::npos) << result.out;
}

SYSLAB_TEST(ZombiesProgram, ShowsAnOrphanAdopted, 1,
            "zombies --orphan uses set_child_subreaper (through SubreaperScope) and fork_child",
            "run it yourself: ./build/labs/04-fork-zombies/zombies --count 1 --orphan") {
  const ProgramResult result = run_program({program_path("zombies"), "--count", "1", "--orphan"});
  ASSERT_TRUE(result.status.success()) << result.status << "\n" << result.out << result.err;
  static const std::regex adopted(R"(grandchild (\d+): parent was (\d+), is now (\d+) .*adopted)");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(result.out, match, adopted)) << result.out;
  EXPECT_EQ(std::stoi(match[3]), result.pid) << "the subreaper is the zombies program itself";
  EXPECT_NE(std::stoi(match[2]), result.pid) << "its first parent was the middle child";
  EXPECT_NE(result.out.find("reaped our adopted grandchild " + match[1].str() + ": exited 0"),
            std::string::npos)
      << result.out;
}

SYSLAB_TEST(ZombiesProgram, SpawnsAProgramAndReportsExecErrors, 1,
            "zombies --spawn uses spawn and wait: make the Spawn tests pass first",
            "run it yourself: ./build/labs/04-fork-zombies/zombies --spawn nosuch") {
  const ProgramResult ran =
      run_program({program_path("zombies"), "--spawn", "sh", "-c", "echo from sh; exit 3"});
  ASSERT_TRUE(ran.status.success()) << ran.status << "\n" << ran.out << ran.err;
  EXPECT_NE(ran.out.find("from sh\n"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find(" ended: exited 3\n"), std::string::npos) << ran.out;

  const ProgramResult missing = run_program({program_path("zombies"), "--spawn", "syslab-nosuch"});
  EXPECT_TRUE(missing.status.exited && missing.status.code == 1) << missing.status;
  EXPECT_NE(missing.err.find("exec \"syslab-nosuch\": No such file or directory (ENOENT)"),
            std::string::npos)
      << missing.err;
}
