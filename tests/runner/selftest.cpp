// The runner's own test subject: one test for each verdict the runner can give. It is not a lab;
// tools/syslab/selftest.py runs the runner on this binary and checks each verdict.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "syslab/test.hpp"
#include "syslab/todo.hpp"

using namespace syslab::test;

namespace {

int unfinished_function() { SYSLAB_TODO("return the answer"); }

}  // namespace

SYSLAB_TEST(Verdicts, Passes, 1, "nothing to do") { EXPECT_EQ(2 + 2, 4); }

SYSLAB_TEST(Verdicts, FailsWithExpectedAndActual, 2, "first hint", "second hint") {
  const int answer = 41;
  EXPECT_EQ(answer, 42) << "the answer is off by one";
}

SYSLAB_TEST(Verdicts, ReachesTodo, 3, "write unfinished_function") {
  EXPECT_EQ(unfinished_function(), 42);
}

SYSLAB_TEST(Verdicts, ReachesTodoInAChild, 1, "a stub reached in a forked child") {
  ForkedChild child([] { return unfinished_function(); });
  const auto status = child.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->success());
}

SYSLAB_TEST(Verdicts, CrashesWithSegv, 1, "a null pointer") { ::raise(SIGSEGV); }

SYSLAB_TEST(Verdicts, CrashesOnUndefinedBehaviour, 1, "signed overflow") {
  volatile int big = 2147483647;
  const int sum = big + 1;  // UBSan halts here
  EXPECT_NE(sum, 0);
}

SYSLAB_TEST(Verdicts, ThrowsUnexpectedly, 1, "an exception escapes") {
  throw std::runtime_error("boom");
}

SYSLAB_TEST(Verdicts, Hangs, 1, "blocked in read") {
  int ends[2];
  ASSERT_EQ(::pipe(ends), 0);
  char byte;
  [[maybe_unused]] const ssize_t n = ::read(ends[0], &byte, 1);  // nobody ever writes
}
SYSLAB_TIMEOUT(Verdicts, Hangs, 2);

SYSLAB_TEST(Verdicts, LeaksAnFd, 1, "close what you open") {
  int ends[2];
  ASSERT_EQ(::pipe(ends), 0);
  ::close(ends[1]);
}

SYSLAB_TEST(Verdicts, LeaksAZombie, 1, "wait for your children") {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(0);
  // Wait until it has exited but leave it unreaped (WNOWAIT), so that the leak check always
  // meets a zombie, never a child that has not yet run to its _exit.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);
}

SYSLAB_TEST(Verdicts, PassesAfterOthersFailed, 1, "each test runs on its own") {
  EXPECT_EQ(child_pids().size(), 0u);
}

// The verdicts that must teach (issue 11, section 4): each below is a mistake a learner makes,
// and tools/kit/selftest.py checks that the runner's words point at it.

SYSLAB_TEST(Teaching, EscapingExceptionIsNamedWithItsType, 1, "an exception escapes") {
  throw std::system_error(EBADF, std::generic_category(), "readdir \"/proc/self/fd\"");
}

SYSLAB_TEST(Teaching, ChildExceptionIsReportedAsItself, 1, "a forked child throws") {
  ForkedChild child([]() -> int { throw std::runtime_error("pipe2: Too many open files"); });
  const auto status = child.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value()) << "the child did not end";
  EXPECT_TRUE(status->success()) << "the child " << *status;
}

SYSLAB_TEST(Teaching, OwnBoundedWaitIsAHang, 1, "a forked child blocks in read") {
  TestPipe never = make_pipe();
  ForkedChild child([&] {
    char byte;
    return static_cast<int>(::read(never.read_end.get(), &byte, 1));  // nobody writes
  });
  const auto status = child.wait(Deadline(300ms));
  ASSERT_TRUE(status.has_value()) << "the child did not end";
}

namespace {

// volatile: the optimiser must not remove the loop that never ends.
void spin_forever() {
  volatile unsigned long turns = 0;
  for (;;) turns = turns + 1;
}

}  // namespace

SYSLAB_TEST(Teaching, SpinningIsToldFromBlocked, 1, "a loop that never ends") { spin_forever(); }
SYSLAB_TIMEOUT(Teaching, SpinningIsToldFromBlocked, 2);

SYSLAB_TEST(Teaching, UseAfterFreeShowsWhereItWasFreed, 1, "a pointer outlives its owner") {
  int* raw = nullptr;
  {
    const auto owner = std::make_unique<int>(42);
    raw = owner.get();
  }
  EXPECT_EQ(*raw, 42);
}

SYSLAB_TEST(Teaching, LongStringMismatchIsSummarised, 1, "a readlink buffer never resized") {
  std::string target(32000, '\0');
  target.replace(0, 14, "pipe:[5155576]");
  EXPECT_EQ(target, "pipe:[5155576]");
}

SYSLAB_TEST(Teaching, NposIsPrintedAsNpos, 1, "find found nothing") {
  EXPECT_EQ(std::string("pipe:[1]").find(']', 8), 7u);
}

SYSLAB_TEST(Teaching, ExitWithoutReportShowsTheTail, 1, "a limit left lowered") {
  // The fd limit left at what is open now: GoogleTest cannot open its report, the leak check
  // cannot list /proc/self/fd, and the process ends without the report the runner reads.
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = open_fds().size();
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
}

SYSLAB_TEST(Teaching, ASpinningChildIsNamedWhenTheTestWaitsForIt, 1, "the child is stuck") {
  ForkedChild child([] {
    spin_forever();
    return 0;
  });
  EXPECT_TRUE(child.wait(Deadline(60s)).has_value());  // the runner's deadline comes first
}
SYSLAB_TIMEOUT(Teaching, ASpinningChildIsNamedWhenTheTestWaitsForIt, 2);
