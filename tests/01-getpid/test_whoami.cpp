// Lab 01, task 7: the whoami program, run as a child of the test and read by its output and exit
// status, as a user (or a script) would.
#include <gmock/gmock.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "kernel_view.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace getpid_test;
using testing::HasSubstr;
using testing::StartsWith;

namespace {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// The lines whoami prints for a process with these pids and name, and this test's ids.
KeyValues expected_lines(pid_t pid, pid_t ppid, pid_t pgid, pid_t sid, const std::string& comm) {
  const KernelIds own = own_ids();
  return {{"pid", std::to_string(pid)},
          {"ppid", std::to_string(ppid)},
          {"pgid", std::to_string(pgid)},
          {"sid", std::to_string(sid)},
          {"comm", comm},
          {"ruid", user_text(own.uids[0])},
          {"euid", user_text(own.uids[1])},
          {"suid", user_text(own.uids[2])},
          {"rgid", group_text(own.gids[0])},
          {"egid", group_text(own.gids[1])},
          {"sgid", group_text(own.gids[2])}};
}

// One row of whoami --tree: "PID PPID PGID SID COMM", the command indented.
struct TreeRow {
  pid_t pid = 0, ppid = 0, pgid = 0, sid = 0;
  std::string comm;
};

std::vector<TreeRow> tree_rows(const std::string& output) {
  std::vector<TreeRow> rows;
  std::istringstream lines(output);
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    TreeRow row;
    fields >> row.pid >> row.ppid >> row.pgid >> row.sid >> std::ws;
    std::getline(fields, row.comm);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

SYSLAB_TEST(Whoami, PrintsItsOwnIdentity, 2,
            "whoami prints format_identity(current_identity()): run it by hand and compare with "
            "`ps -o pid,ppid,pgid,sid,comm` and `id`.",
            "The test starts whoami, so whoami's ppid is the test's pid, and it shares the test's "
            "process group, session and ids. Its comm is \"whoami\", the name exec gave it.",
            "When the library tests pass, this one does too: whoami.cpp is given. Run "
            "build/labs/01-getpid/whoami and look for the line that differs.") {
  const ProgramResult result = run_program({program_path("whoami")});
  ASSERT_TRUE(result.status.success()) << "whoami " << result.status << "\n" << result.err;
  EXPECT_EQ(key_values(result.out),
            expected_lines(result.pid, ::getpid(), ::getpgrp(), ::getsid(0), "whoami"))
      << "whoami printed:\n"
      << result.out;
}

SYSLAB_TEST(Whoami, PidOfAnotherProcess, 1,
            "whoami --pid N prints format_identity(read_proc_identity(N)): process N as /proc "
            "sees it.",
            "Here N is the test process: its parent is the shell or runner that started the test.",
            "Compare `whoami --pid $$` with `cat /proc/$$/stat` and `grep id: /proc/$$/status`.") {
  const ProgramResult result =
      run_program({program_path("whoami"), "--pid", std::to_string(::getpid())});
  ASSERT_TRUE(result.status.success()) << "whoami " << result.status << "\n" << result.err;
  EXPECT_EQ(key_values(result.out), expected_lines(::getpid(), ::getppid(), ::getpgrp(),
                                                   ::getsid(0), kernel_stat(::getpid()).comm))
      << "whoami --pid " << ::getpid() << " printed:\n"
      << result.out;
}

SYSLAB_TEST(
    Whoami, ErrorsAndUsage, 1,
    "whoami --pid N for a pid that no process has must exit with 1 and say which /proc file "
    "it could not read.",
    "read_proc_identity throws std::system_error with errno ENOENT, and a message naming "
    "/proc/N/stat; whoami prints it on stderr.",
    "syslab::throw_errno(\"open\", path) right after open() fails gives exactly that "
    "message.") {
  const pid_t missing = unused_pid();
  const ProgramResult gone =
      run_program({program_path("whoami"), "--pid", std::to_string(missing)});
  EXPECT_EQ(gone.status.describe(), "exited 1") << "whoami --pid " << missing << "\n" << gone.err;
  EXPECT_THAT(gone.err, HasSubstr("/proc/" + std::to_string(missing) + "/"))
      << "the message should name the file that could not be read";
  EXPECT_EQ(gone.out, "") << "an error goes to stderr, not stdout";

  for (const std::vector<std::string>& usage_error : {std::vector<std::string>{"--pid", "abc"},
                                                      {"--pid", "-3"},
                                                      {"--pid"},
                                                      {"--bogus"},
                                                      {"extra"}}) {
    std::vector<std::string> argv{program_path("whoami")};
    argv.insert(argv.end(), usage_error.begin(), usage_error.end());
    const ProgramResult result = run_program(argv);
    EXPECT_EQ(result.status.describe(), "exited 2") << "whoami " << usage_error[0] << "...";
    EXPECT_NE(result.err, "") << "a usage error must say what is wrong";
  }

  const ProgramResult help = run_program({program_path("whoami"), "--help"});
  EXPECT_TRUE(help.status.success()) << "whoami --help " << help.status;
  EXPECT_THAT(help.out, StartsWith("usage: whoami"));
  EXPECT_THAT(help.out, HasSubstr("--pid"));
}

SYSLAB_TEST(Whoami, TreeEndsWithItself, 1,
            "whoami --tree prints format_ancestry(ancestry(getpid())): the oldest ancestor first, "
            "whoami last.",
            "Each row's ppid is the pid of the row above it; the first row's ppid is 0.",
            "If the order is reversed or a row is missing, look at the loop in ancestry: it must "
            "include the process itself and stop after the process whose ppid is 0.") {
  const ProgramResult result = run_program({program_path("whoami"), "--tree"});
  ASSERT_TRUE(result.status.success()) << "whoami --tree " << result.status << "\n" << result.err;
  EXPECT_THAT(result.out, StartsWith("    PID    PPID    PGID     SID  COMM\n"));
  const std::vector<TreeRow> rows = tree_rows(result.out);
  ASSERT_GE(rows.size(), 2U) << "at least the test and whoami:\n" << result.out;
  EXPECT_EQ(rows.front().ppid, 0) << "the oldest ancestor has no parent:\n" << result.out;
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].ppid, rows[i - 1].pid) << "row " << i << " of\n" << result.out;
  }
  EXPECT_EQ(rows.back().pid, result.pid) << "whoami itself comes last";
  EXPECT_EQ(rows.back().comm, "whoami");
  EXPECT_EQ(rows[rows.size() - 2].pid, ::getpid()) << "then its parent, this test";
  EXPECT_EQ(rows.back().sid, ::getsid(0));
}
