// Lab 04, task 1: decoding wait statuses. The raw values are built with glibc's W_EXITCODE and
// W_STOPCODE, which follow the kernel's layout (wait(2)), so the "core dumped" flag can be tested
// without dumping a core; real exits and kills are in test_child_process.cpp.
#include <signal.h>
#include <sys/wait.h>

#include <sstream>

#include "syslab/test.hpp"
#include "wait_status.hpp"

using namespace syslab::test;
using Kind = proc::WaitStatus::Kind;

namespace {

constexpr int kContinuedStatus = 0xffff;  // what waitpid(WCONTINUED) reports: __W_CONTINUED

}  // namespace

SYSLAB_TEST(WaitStatus, DecodesExitCodes, 2,
            "man 2 wait: WIFEXITED(raw) says it exited; WEXITSTATUS(raw) is the code",
            "an exit code is 8 bits, 0..255: it sits in bits 8-15 of the raw status",
            "if (WIFEXITED(raw)) return {Kind::kExited, WEXITSTATUS(raw), 0, false};") {
  for (const int code : {0, 3, 255}) {
    const proc::WaitStatus status = proc::decode_wait_status(W_EXITCODE(code, 0));
    EXPECT_EQ(status.kind, Kind::kExited) << "raw status " << W_EXITCODE(code, 0);
    EXPECT_TRUE(status.exited());
    EXPECT_FALSE(status.killed());
    EXPECT_EQ(status.code, code);
    EXPECT_EQ(status.success(), code == 0);
  }
}

SYSLAB_TEST(
    WaitStatus, DecodesKillsStopsAndContinues, 2,
    "man 2 wait: WIFSIGNALED/WTERMSIG/WCOREDUMP, WIFSTOPPED/WSTOPSIG, WIFCONTINUED",
    "test WIFEXITED first, then WIFSIGNALED, WIFSTOPPED and WIFCONTINUED: the kinds exclude "
    "each other",
    "a kill keeps the signal in the low 7 bits and 0x80 when a core was dumped; a stop is "
    "(signal << 8) | 0x7f; continued is 0xffff") {
  const proc::WaitStatus segv = proc::decode_wait_status(W_EXITCODE(0, SIGSEGV) | WCOREFLAG);
  EXPECT_EQ(segv.kind, Kind::kKilled);
  EXPECT_TRUE(segv.killed());
  EXPECT_EQ(segv.signal, SIGSEGV);
  EXPECT_TRUE(segv.core_dumped) << "0x80 is the core dumped flag (WCOREDUMP)";
  EXPECT_FALSE(segv.success());

  const proc::WaitStatus killed = proc::decode_wait_status(W_EXITCODE(0, SIGKILL));
  EXPECT_EQ(killed.kind, Kind::kKilled);
  EXPECT_EQ(killed.signal, SIGKILL);
  EXPECT_FALSE(killed.core_dumped);

  const proc::WaitStatus stopped = proc::decode_wait_status(W_STOPCODE(SIGTSTP));
  EXPECT_EQ(stopped.kind, Kind::kStopped);
  EXPECT_TRUE(stopped.stopped());
  EXPECT_EQ(stopped.signal, SIGTSTP);

  const proc::WaitStatus continued = proc::decode_wait_status(kContinuedStatus);
  EXPECT_EQ(continued.kind, Kind::kContinued);
  EXPECT_TRUE(continued.continued());
}

SYSLAB_TEST(
    WaitStatus, DescribesEachKind, 2,
    "\"exited 3\", \"killed by SIGSEGV\", \"stopped by SIGTSTP\", \"continued\": signal_name "
    "gives the SIG name",
    "add \" (core dumped)\" after a kill that dumped a core",
    "switch (kind) { case Kind::kExited: return \"exited \" + std::to_string(code); ... }") {
  EXPECT_EQ((proc::WaitStatus{Kind::kExited, 0, 0, false}).describe(), "exited 0");
  EXPECT_EQ((proc::WaitStatus{Kind::kExited, 3, 0, false}).describe(), "exited 3");
  EXPECT_EQ((proc::WaitStatus{Kind::kKilled, 0, SIGKILL, false}).describe(), "killed by SIGKILL");
  EXPECT_EQ((proc::WaitStatus{Kind::kKilled, 0, SIGSEGV, true}).describe(),
            "killed by SIGSEGV (core dumped)");
  EXPECT_EQ((proc::WaitStatus{Kind::kStopped, 0, SIGTSTP, false}).describe(), "stopped by SIGTSTP");
  EXPECT_EQ((proc::WaitStatus{Kind::kContinued, 0, 0, false}).describe(), "continued");
  std::ostringstream printed;
  printed << proc::decode_wait_status(W_EXITCODE(0, SIGTERM));
  EXPECT_EQ(printed.str(), "killed by SIGTERM");
}
