// Lab 01, task 3: parse_proc_stat(), on lines as the kernel writes them, on the names that trip
// up a parser that splits on spaces, on a real child that renamed itself, and on garbage.
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "identity.hpp"
#include "kernel_view.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace getpid_test;

namespace {

constexpr std::chrono::seconds kBudget{5};

// The tail of a real /proc/PID/stat line after the session field (tty_nr, tpgid, flags, ...).
const std::string kTail =
    " 34816 4242 4194304 1092 0 0 0 2 1 0 0 20 0 1 0 2345678 8937472 1281 18446744073709551615"
    " 94 95 0 0 0 0 65536 3670020 1266777851 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

}  // namespace

SYSLAB_TEST(
    ProcStat, ParsesEveryField, 1,
    "proc(5) lists the fields of /proc/PID/stat: (1) pid, (2) comm in parentheses, "
    "(3) state, (4) ppid, (5) pgrp, (6) session, then 46 more that the lab ignores.",
    "The line ends with a newline, and a kernel thread has 0 for its ppid, pgrp and session.",
    "Take the pid before the '(', the comm between the parentheses, then read state, ppid, "
    "pgrp and session after the ')'.") {
  const struct {
    std::string line;
    ids::ProcStat expected;
  } cases[] = {
      {"4242 (bash) S 4100 4242 4100" + kTail, {4242, "bash", 'S', 4100, 4242, 4100}},
      {"2 (kthreadd) S 0 0 0" + kTail, {2, "kthreadd", 'S', 0, 0, 0}},
      {"31337 (make) Z 1 31000 30999" + kTail, {31337, "make", 'Z', 1, 31000, 30999}},
      {"7 (R) R 6 5 4\n", {7, "R", 'R', 6, 5, 4}},
  };
  for (const auto& [line, expected] : cases) {
    SCOPED_TRACE("parse_proc_stat(\"" + line.substr(0, 40) + "...\")");
    EXPECT_EQ(ids::parse_proc_stat(line), expected);
  }
}

SYSLAB_TEST(
    ProcStat, CommWithSpacesAndParens, 2,
    "A process may call itself anything up to 15 bytes, spaces and ')' included, so "
    "splitting the line on spaces gets the fields wrong.",
    "The comm starts after the first '(' and ends at the LAST ')' of the line: nothing after "
    "the comm can hold a ')'.",
    "line.find('(') and line.rfind(')'); comm is what lies between them; the fields after "
    "rfind(')') + 1 are plain numbers.") {
  const struct {
    std::string line;
    std::string comm;
    pid_t ppid;
  } cases[] = {
      {"42 (a) b (c) S 1 42 42" + kTail, "a) b (c", 1},
      {"42 (my prog) R 10 42 42" + kTail, "my prog", 10},
      {"42 (x) S 1 2 3) S 7 8 9" + kTail, "x) S 1 2 3", 7},  // a name that looks like fields
      {"42 ()) S 11 42 42" + kTail, ")", 11},
      {"42 (() S 12 42 42" + kTail, "(", 12},
      {"42 (() ()) S 13 42 42" + kTail, "() ()", 13},
      {"42 () S 14 42 42" + kTail, "", 14},  // prctl(PR_SET_NAME, "") is allowed
  };
  for (const auto& [line, comm, ppid] : cases) {
    SCOPED_TRACE("parse_proc_stat(\"" + line.substr(0, 30) + "...\")");
    const ids::ProcStat stat = ids::parse_proc_stat(line);
    EXPECT_EQ(stat.pid, 42);
    EXPECT_EQ(stat.comm, comm);
    EXPECT_EQ(stat.ppid, ppid);
  }
}

SYSLAB_TEST(
    ProcStat, RejectsMalformedLines, 2,
    "A line that is not a /proc/PID/stat line must throw std::invalid_argument, never give "
    "zeros or garbage.",
    "Check that there is a '(' and a ')' after it, that the pid, ppid, pgrp and session are "
    "whole numbers, and that none is missing.",
    "std::from_chars (or operator>> with a check) on each field, and throw "
    "std::invalid_argument when it fails or does not use up the whole field.") {
  const std::vector<std::string> bad = {
      "",                          // nothing
      "\n",                        // an empty line
      "42",                        // no comm
      "42 bash S 1 2 3",           // no parentheses
      "42 (bash S 1 2 3",          // no ')'
      "42 bash) S 1 2 3",          // no '('
      "42 )bash( S 1 2 3",         // ')' before '('
      "(bash) S 1 2 3",            // no pid
      "x (bash) S 1 2 3",          // a pid that is not a number
      "4 2 (bash) S 1 2 3",        // two words before the comm
      "42 (bash)",                 // nothing after the comm
      "42 (bash) S",               // no ppid
      "42 (bash) S 1 2",           // no session
      "42 (bash) S one 2 3",       // a ppid that is not a number
      "42 (bash) S 1 2 3x",        // a session that is not a whole number
      "42 (bash) Sleeping 1 2 3",  // the state is one letter
  };
  for (const std::string& line : bad) {
    EXPECT_THROW(static_cast<void>(ids::parse_proc_stat(line)), std::invalid_argument)
        << "parse_proc_stat(\"" << line << "\")";
  }
}

SYSLAB_TEST(
    ProcStat, RenamedChildComm, 1,
    "A process can rename itself with prctl(PR_SET_NAME); the new name shows in "
    "/proc/PID/stat, in ps, and in current_identity().comm.",
    "This child calls itself \"a) b (c\": find the comm's end with rfind(')'), and read the "
    "name with prctl(PR_GET_NAME) in current_identity.",
    "parse_proc_stat: comm = line.substr(open + 1, close - open - 1) with close = "
    "line.rfind(')'). current_identity: char name[16] = {}; prctl(PR_GET_NAME, name);") {
  HeldChild child([] {
    if (::prctl(PR_SET_NAME, "a) b (c") != 0) {
      throw std::system_error(errno, std::generic_category(), "prctl");
    }
    return ids::current_identity().comm;
  });
  EXPECT_EQ(child.report(Deadline(kBudget)), "a) b (c") << "current_identity().comm in the child";
  const std::string path = "/proc/" + std::to_string(child.pid()) + "/stat";
  const ids::ProcStat stat = ids::parse_proc_stat(read_file(path));
  EXPECT_EQ(stat.comm, "a) b (c") << path;
  EXPECT_EQ(stat.pid, child.pid()) << path;
  EXPECT_EQ(stat.ppid, ::getpid()) << path;
  EXPECT_EQ(stat.sid, ::getsid(0)) << path;
  EXPECT_EQ(ids::read_proc_identity(child.pid()).comm, "a) b (c") << "read_proc_identity";
  const std::optional<ExitStatus> status = child.release(Deadline(kBudget));
  ASSERT_TRUE(status.has_value()) << "the child did not exit after it was released";
  EXPECT_TRUE(status->success()) << "the child " << *status;
}
