// What the test library tells the runner (tools/kit/runner.py, explain.py) when a test goes wrong
// in a way GoogleTest cannot describe: an exception's type, and where a process that outlived a
// test's own bounded wait is stuck. Each is a line on stderr that starts with "syslab WORD:".
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace syslab::test {

// "std::system_error: open \"x\": No such file or directory" for the exception being handled
// (call it inside a catch block); "an exception of unknown type" for one that is not a
// std::exception, with its type when the runtime knows it.
std::string current_exception_text();

// Prints the runner's HANG report of process pid, which did not end within a test's bounded
// wait: "syslab HANG: <what> (pid N) was still running after <waited>", one "syslab THREAD:"
// line per thread (tid, state, system call number or -1, wait channel, CPU ticks gained while
// watched) and gdb's backtrace as "syslab GDB:" lines when gdb is installed and may attach.
// The runner turns a test that then fails into a HANG with the blocked call and the line.
// ForkedChild::wait and run_program call it before they give up on a process.
void report_stuck(pid_t pid, const std::string& what, std::chrono::milliseconds waited);

// The "syslab THREAD:" lines of pid's threads, their CPU watched for `watch` (no gdb): the part
// of report_stuck that the library's own tests can check.
std::string thread_lines(pid_t pid, std::chrono::milliseconds watch);

}  // namespace syslab::test
