// The test library's own tests: syslab/report.hpp, what the library tells the runner when a test
// goes wrong in a way GoogleTest cannot describe (tools/kit/explain.py reads it), and ForkedChild's
// report of an exception in the child.
#include <sys/syscall.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <system_error>

#include "syslab/proc.hpp"
#include "syslab/report.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;

namespace {

// Everything written to this process's stderr while `body` runs (the library's markers go there).
template <typename Body>
std::string stderr_of(Body body) {
  TestPipe capture = make_pipe();
  const OwnedFd saved(::dup(STDERR_FILENO));
  ::dup2(capture.write_end.get(), STDERR_FILENO);
  body();
  ::dup2(saved.get(), STDERR_FILENO);
  capture.write_end.reset();
  return read_until_eof(capture.read_end.get(), Deadline(5s)).value_or("(nothing)");
}

// The "syslab THREAD: tid state syscall wchan cpu" line of a child's only thread.
std::string thread_line_of(pid_t pid) { return thread_lines(pid, 300ms); }

}  // namespace

SYSLAB_TEST(Report, NamesTheTypeOfTheExceptionBeingHandled, 1,
            "abi::__cxa_current_exception_type, demangled") {
  try {
    throw std::system_error(EBADF, std::generic_category(), "readdir");
  } catch (...) {
    EXPECT_EQ(current_exception_text(), "std::system_error: readdir: Bad file descriptor");
  }
  try {
    throw 42;
  } catch (...) {
    EXPECT_EQ(current_exception_text(), "int (not a std::exception)");
  }
}

SYSLAB_TEST(Report, TellsABlockedChildFromASpinningOne, 2,
            "state S in read(2) with no CPU gained; state R with CPU rising") {
  TestPipe never = make_pipe();
  ForkedChild blocked([&] {
    char byte;
    return static_cast<int>(::read(never.read_end.get(), &byte, 1));
  });
  ASSERT_TRUE(poll_until(Deadline(5s), [&] { return blocked_in(blocked.pid(), read_call()); }));
  const std::string line = thread_line_of(blocked.pid());
  EXPECT_TRUE(line.starts_with("syslab THREAD: " + std::to_string(blocked.pid()) + " S " +
                               std::to_string(SYS_read) + " "))
      << line;
  EXPECT_TRUE(line.ends_with(" 0\n")) << "no CPU used while blocked: " << line;

  ForkedChild spinning([] {
    for (volatile unsigned long turns = 0;;) turns = turns + 1;
    return 0;
  });
  const std::string busy = thread_line_of(spinning.pid());
  EXPECT_TRUE(busy.starts_with("syslab THREAD: " + std::to_string(spinning.pid()) + " R -1 "))
      << busy;
  EXPECT_FALSE(busy.ends_with(" 0\n")) << "CPU time rising while it spins: " << busy;
}

SYSLAB_TEST(Report, ABoundedWaitThatRunsOutSaysWhereTheChildIsStuck, 2,
            "ForkedChild::wait reports before it gives up") {
  TestPipe never = make_pipe();
  ForkedChild child([&] {
    char byte;
    return static_cast<int>(::read(never.read_end.get(), &byte, 1));
  });
  ASSERT_TRUE(poll_until(Deadline(5s), [&] { return blocked_in(child.pid(), read_call()); }));
  std::optional<ExitStatus> status;
  const std::string said = stderr_of([&] { status = child.wait(Deadline(50ms)); });
  EXPECT_FALSE(status.has_value());
  EXPECT_NE(said.find("syslab HANG: the forked child (pid " + std::to_string(child.pid()) +
                      ") was still running after 50 ms\n"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("syslab THREAD: " + std::to_string(child.pid()) + " S "), std::string::npos)
      << said;
}

SYSLAB_TEST(Report, AnExceptionInAForkedChildIsReportedAsItself, 1,
            "the child prints its type and what() before it exits kThrew") {
  TestPipe said = make_pipe();
  ForkedChild child([&]() -> int {
    ::dup2(said.write_end.get(), STDERR_FILENO);
    throw std::runtime_error("pipe2: Too many open files");
  });
  said.write_end.reset();
  const pid_t pid = child.pid();
  const std::optional<std::string> text = read_until_eof(said.read_end.get(), Deadline(5s));
  const std::optional<ExitStatus> status = child.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code, ForkedChild::kThrew);
  EXPECT_EQ(text.value_or(""), "syslab CHILD THREW: " + std::to_string(pid) +
                                   " std::runtime_error: pipe2: Too many open files\n");
}
