#include <unistd.h>

#include "identity.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;

SYSLAB_TEST(CurrentIdentity, PidMatchesGetpid, 2, "getpid(2) returns the caller's pid") {
  EXPECT_EQ(ids::current_identity().pid, ::getpid());
}

SYSLAB_TEST(ProcStat, ParsesCommWithParens, 2, "comm ends at the last ')'") {
  const ids::ProcStat stat = ids::parse_proc_stat("42 (a) b) S 1 42 42 0 -1");
  EXPECT_EQ(stat.pid, 42);
  EXPECT_EQ(stat.comm, "a) b");
  EXPECT_EQ(stat.ppid, 1);
}

SYSLAB_TEST(Whoami, PrintsItsOwnPid, 1, "print pid N on the first line") {
  const ProgramResult result = run_program({program_path("whoami")});
  ASSERT_TRUE(result.status.success()) << result.status << "\n" << result.err;
  EXPECT_EQ(result.out.substr(0, result.out.find('\n')), "pid " + std::to_string(result.pid));
}
