"""Failures that teach: the verdict's own hint first, readable failures, the truth about a test
that dies oddly, TEST= in GoogleTest's syntax, the first compiler error with its notes, and
REFERENCE= refused or undone cleanly (issue 11, section 4).

Run from the repository root: python3 -m unittest discover -s tests/tools -t .
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from kit import build, configure, explain, learner, report, runner  # noqa: E402


def outcome_of(output: str, returncode: int | None, failures: list[str] | None,
               name: str = "Suite.Test", blocked: str = "") -> runner.Outcome:
    outcome = runner.Outcome(runner.TestCase(name, hints=["the test's own hint"]), "PASS",
                             output=output)
    runner.decide(outcome, returncode, failures, 10, blocked)
    return outcome


class VerdictHintsComeFirst(unittest.TestCase):
    def test_a_leak_names_the_fd_and_its_target_and_says_close_on_every_path(self) -> None:
        outcome = outcome_of("syslab LEAK: Suite.Test: fd 4 -> pipe:[5156033] was left open\n", 1, [])
        self.assertEqual(outcome.verdict, "LEAK")
        hint = explain.verdict_hint(outcome.verdict, outcome.detail)
        self.assertIn("close on every path", hint)
        self.assertIn("fd 4 (pipe:[5156033])", hint)

    def test_a_zombie_says_wait_for_every_child(self) -> None:
        hint = explain.verdict_hint("LEAK", "child process 77 was never waited for (a zombie)")
        self.assertIn("wait for every child on every path: child 77", hint)

    def test_a_use_after_free_points_at_where_it_was_freed(self) -> None:
        self.assertIn("where it was freed",
                      explain.verdict_hint("CRASH", "AddressSanitizer stopped it: heap-use-after-free"))

    def test_a_hang_says_spinning_or_blocked(self) -> None:
        self.assertIn("spinning", explain.verdict_hint("HANG", "still running after 10 s: spinning: ..."))
        blocked = explain.verdict_hint("HANG", "still running after 10 s: blocked in read(2) (pipe_read)")
        self.assertTrue(blocked.startswith("blocked in read(2)"))

    def test_check_prints_the_verdicts_hint_before_the_tests_own(self) -> None:
        outcome = outcome_of("syslab LEAK: Suite.Test: fd 4 -> /tmp/x was left open\n", 1, [])
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            learner.print_hints(outcome, learner.Lab("02-fd-raii"))
        text = printed.getvalue()
        self.assertLess(text.index("close on every path"), text.index("the test's own hint"))

    def test_a_fail_gets_no_verdict_hint(self) -> None:
        self.assertEqual(explain.verdict_hint("FAIL", "Expected equality"), "")


ASAN_REPORT = """=================================================================
==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x6030 at pc 0x55 bp 0x7f sp 0x7e
READ of size 1 at 0x6030 thread T0
    #0 0x7f10 in memcpy (/lib/x86_64-linux-gnu/libasan.so.8+0x1)
    #1 0x5510 in std::string::string(std::string_view) /usr/include/c++/12/bits/basic_string.h:700
    #2 0x5520 in fdio::read_entry(int, std::string const&, char const*) ../labs/02-fd-raii/fd_table.cpp:161
    #3 0x5530 in fdio::list_fds(std::optional<int>) ../labs/02-fd-raii/fd_table.cpp:180
    #4 0x5540 in ListFds_Shows_Test::TestBody() ../tests/02-fd-raii/test_fd_table.cpp:60

0x6030 is located 0 bytes inside of 51-byte region [0x6030,0x6063)
freed by thread T0 here:
    #0 0x7f20 in operator delete(void*) (/lib/x86_64-linux-gnu/libasan.so.8+0x2)
    #1 0x5550 in fdio::read_entry(int, std::string const&, char const*) ../labs/02-fd-raii/fd_table.cpp:155

previously allocated by thread T0 here:
    #0 0x7f30 in operator new(unsigned long) (/lib/x86_64-linux-gnu/libasan.so.8+0x3)
    #1 0x5560 in fdio::fd_target(int, std::string const&, char const*) ../labs/02-fd-raii/fd_table.cpp:130

SUMMARY: AddressSanitizer: heap-use-after-free in memcpy
Shadow bytes around the buggy address:
"""


class CrashStacksAreLabelled(unittest.TestCase):
    def test_use_after_free_shows_used_freed_and_allocated_with_our_frames(self) -> None:
        outcome = outcome_of(ASAN_REPORT, 1, None)
        self.assertEqual(outcome.verdict, "CRASH")
        lines = outcome.detail.splitlines()
        self.assertEqual(lines[0], "AddressSanitizer stopped it: heap-use-after-free on address 0x6030")
        text = outcome.detail
        used, freed, allocated = (text.index("used at (read of 1 bytes, thread T0):"),
                                  text.index("freed at (thread T0):"),
                                  text.index("allocated at (thread T0):"))
        self.assertLess(used, freed)
        self.assertLess(freed, allocated)
        self.assertIn("fd_table.cpp:155", text[freed:allocated])
        self.assertIn("fd_table.cpp:130", text[allocated:])
        self.assertNotIn("==4242==", text)
        self.assertNotIn("Shadow bytes", text)


class ReadableFailures(unittest.TestCase):
    def test_npos_is_printed_as_npos(self) -> None:
        text = "  s.find(']')\n    Which is: 18446744073709551615\n  7u\n    Which is: 7"
        self.assertIn("Which is: npos", explain.readable(text))

    def test_a_long_string_mismatch_shows_lengths_offset_and_a_window(self) -> None:
        long = '"pipe:[5155576]' + "\\0" * 32000 + '"'
        failure = ("tests/02-fd-raii/test_fd_table.cpp:74\nExpected equality of these values:\n"
                   f"  entry->target\n    Which is: {long}\n  \"pipe:[5155576]\"")
        text = explain.readable(failure)
        self.assertIn("Which is: 32014 bytes:", text)
        self.assertIn("Which is: 14 bytes:", text)
        self.assertIn("they differ from byte 14 on", text)
        self.assertIn('"\\0" x', text)
        self.assertLess(max(len(line) for line in text.splitlines()), 120)

    def test_short_printable_strings_keep_googletests_text(self) -> None:
        failure = 'Expected equality of these values:\n  a\n    Which is: "abc"\n  "abd"'
        self.assertEqual(explain.readable(failure), failure)

    def test_a_string_literal_is_decoded_as_googletest_escapes_it(self) -> None:
        self.assertEqual(explain.parse_string_literal(r'"a\0b\n\x1F" "A\\\""'), 'a\0b\n\x1fA\\"')
        self.assertIsNone(explain.parse_string_literal("{ 1, 2 }"))

    def test_lines_are_capped(self) -> None:
        text = explain.cap_lines("x" * 5000)
        self.assertLess(len(text), 260)
        self.assertIn("(4800 more characters)", text)
        self.assertIn("(4800 more characters)", report.indent("y" * 5000))

    def test_an_escaping_exception_names_the_test_and_its_type(self) -> None:
        output = 'syslab EXCEPTION: ListFds.Shows: syslab::SystemError: readdir: Bad file descriptor\n'
        failures = ['unknown file\nC++ exception with description "readdir: Bad file descriptor" '
                    "thrown in the test body."]
        outcome = outcome_of(output, 1, failures, name="ListFds.Shows")
        self.assertEqual(outcome.verdict, "FAIL")
        self.assertEqual(outcome.detail.splitlines()[0],
                         "ListFds.Shows ended with an exception that nothing caught: "
                         "syslab::SystemError: readdir: Bad file descriptor")


class OddDeaths(unittest.TestCase):
    def test_a_process_that_ends_without_its_report_shows_the_tail_of_its_output(self) -> None:
        output = ("[ RUN      ] Limits.Guard\nterminate called after throwing an instance of "
                  "'std::system_error'\n  what():  opendir /proc/42/fd: Too many open files\n")
        outcome = outcome_of(output, 1, None)
        self.assertEqual(outcome.verdict, "CRASH")
        self.assertIn("opendir /proc/42/fd: Too many open files", outcome.detail)
        self.assertNotIn("did something call exit()", outcome.detail)
        self.assertNotIn("[ RUN", outcome.detail)

    def test_a_bounded_wait_that_ran_out_is_a_hang_with_the_call_and_the_line(self) -> None:
        output = (
            "syslab HANG: the forked child (pid 900) was still running after 5000 ms\n"
            "syslab THREAD: 900 S 0 pipe_read 0\n"
            "syslab GDB: Thread 1 (Thread 0x7f (LWP 900) \"tests\"):\n"
            "syslab GDB: #0  0x7f in read () from /lib/x86_64-linux-gnu/libc.so.6\n"
            f"syslab GDB: #1  0x55 in fdio::read_some (fd=...) at {ROOT}/labs/05-pipes/pipeline.cpp:42\n"
            f"syslab GDB: #2  0x55 in operator() (this=0x1) at {ROOT}/tests/05-pipes/test_pipeline.cpp:88\n"
            "tests/05-pipes/test_pipeline.cpp:90\nValue of: status.has_value()\n")
        outcome = outcome_of(output, 1, ["tests/05-pipes/test_pipeline.cpp:90\nValue of: ..."])
        self.assertEqual(outcome.verdict, "HANG")
        self.assertEqual(outcome.detail.splitlines()[0],
                         "the forked child (pid 900) was still running after 5000 ms: "
                         "blocked in read(2) (pipe_read)")
        self.assertIn("at labs/05-pipes/pipeline.cpp:42 (fdio::read_some)", outcome.detail)
        self.assertIn("called from tests/05-pipes/test_pipeline.cpp:88", outcome.detail)
        self.assertNotIn("Value of", outcome.detail)

    def test_a_forked_childs_exception_comes_first(self) -> None:
        output = "syslab CHILD THREW: 901 std::runtime_error: pipe2: Too many open files\n"
        outcome = outcome_of(output, 1, ["x.cpp:3\nValue of: status->success()\n  Actual: false"])
        self.assertEqual(outcome.detail.splitlines()[0],
                         "a forked child (pid 901) threw std::runtime_error: pipe2: Too many open files")


GDB_TRACE = f"""Thread 2 (Thread 0x7f1 (LWP 11) "tests"):
#0  0x7f in epoll_wait () from /lib/libc.so.6
#1  0x55 in loop::run (this=0x1) at {ROOT}/labs/11-epoll/event_loop.cpp:50
Thread 1 (Thread 0x7f2 (LWP 10) "tests"):
#0  (anonymous namespace)::drain (fd=3) at {ROOT}/labs/02-fd-raii/fd_io.cpp:77
#1  0x55 in fdio::read_exact (fd=...) at {ROOT}/labs/02-fd-raii/fd_io.cpp:106
#2  0x55 in fdio::read_exact (fd=...) at {ROOT}/labs/02-fd-raii/fd_io.cpp:123
#3  0x55 in fdio::copy (fd=...) at {ROOT}/labs/02-fd-raii/copy.cpp:12
#4  0x55 in syslab::test::helper () at {ROOT}/tests/support/syslab/files.cpp:20
#5  0x55 in ReadExact_Test::TestBody (this=0x1) at {ROOT}/tests/02-fd-raii/test_fd_io.cpp:204
"""


class HangFrames(unittest.TestCase):
    def test_three_frames_of_the_learners_code_and_the_tests_line_of_the_stuck_thread(self) -> None:
        frames = explain.gdb_frames(GDB_TRACE, runner.source_path)
        text = explain.frames_text(frames, prefer_tid=10)
        self.assertEqual(text.splitlines(), [
            "  at labs/02-fd-raii/fd_io.cpp:77 (drain)",
            "  called from labs/02-fd-raii/fd_io.cpp:106 (fdio::read_exact)",
            "  called from labs/02-fd-raii/fd_io.cpp:123 (fdio::read_exact)",
            "  called from tests/02-fd-raii/test_fd_io.cpp:204 (ReadExact_Test::TestBody)"])

    def test_spinning_is_told_from_blocked(self) -> None:
        spinning = [explain.ThreadState(10, "R", None, "", 29)]
        self.assertTrue(explain.describe_threads(spinning).startswith("spinning: thread 10"))
        blocked = [explain.ThreadState(10, "S", 0, "pipe_read", 0),
                   explain.ThreadState(11, "S", 232, "ep_poll", 0)]
        self.assertEqual(explain.describe_threads(blocked),
                         "blocked in read(2) (pipe_read), epoll_wait(2) (ep_poll)")


def case(name: str) -> runner.TestCase:
    return runner.TestCase(name)


CASES = [case(n) for n in ("UniqueFd.DestructorCloses", "UniqueFd.MoveAssigns", "DupFd.Shares",
                           "ReadExact.Restarts", "ReadExact.ReportsEof")]


class TestFilter(unittest.TestCase):
    def names(self, pattern: str) -> list[str]:
        return [c.name for c in learner.select_cases(CASES, pattern)]

    def test_googletest_filter_syntax(self) -> None:
        self.assertEqual(self.names("UniqueFd.*:DupFd.*"),
                         ["UniqueFd.DestructorCloses", "UniqueFd.MoveAssigns", "DupFd.Shares"])
        self.assertEqual(self.names("UniqueFd"), ["UniqueFd.DestructorCloses", "UniqueFd.MoveAssigns"])
        self.assertEqual(self.names("*-UniqueFd.*:ReadExact.R?starts"), ["DupFd.Shares", "ReadExact.ReportsEof"])
        self.assertEqual(self.names("DupFd.Shares"), ["DupFd.Shares"])
        self.assertEqual(self.names(""), [c.name for c in CASES])

    def test_the_suites_are_listed_for_a_filter_that_matches_nothing(self) -> None:
        self.assertEqual(self.names("NoSuch"), [])
        self.assertEqual(learner.suites_text(CASES),
                         "  UniqueFd (2 tests)\n  DupFd (1 test)\n  ReadExact (2 tests)")


GCC_OUTPUT = """[1/3] Compiling C++ object labs/01-getpid/libids.a.p/identity.cpp.o
FAILED: labs/01-getpid/libids.a.p/identity.cpp.o
ccache c++ -Ilabs/01-getpid -I../labs/01-getpid -std=c++20 -o labs/01-getpid/libids.a.p/identity.cpp.o -c ../labs/01-getpid/identity.cpp
../labs/01-getpid/identity.cpp: In function 'std::string ids::describe(const Identity&)':
../labs/01-getpid/identity.cpp:40:24: error: no matching function for call to 'to_string(const ids::Identity&)'
   40 |   return std::to_string(identity);
      |          ~~~~~~~~~~~~~~^~~~~~~~~~
In file included from /usr/include/c++/12/string:53,
                 from ../labs/01-getpid/identity.hpp:4:
/usr/include/c++/12/bits/basic_string.h:4086:3: note: candidate: 'std::string std::__cxx11::to_string(int)'
 4086 |   to_string(int __val)
      |   ^~~~~~~~~
/usr/include/c++/12/bits/basic_string.h:4086:17: note:   no known conversion for argument 1 from 'const ids::Identity' to 'int'
../labs/01-getpid/identity.cpp: In function 'int ids::other()':
../labs/01-getpid/identity.cpp:50:3: error: 'frobnicate' was not declared in this scope
ninja: build stopped: subcommand failed.
"""


class CompileErrors(unittest.TestCase):
    def test_the_first_error_comes_with_its_context_and_notes_only(self) -> None:
        block = build.BuildResult(False, GCC_OUTPUT).first_error_block().splitlines()
        self.assertTrue(block[0].startswith("labs/01-getpid/identity.cpp: In function"))
        self.assertIn("labs/01-getpid/identity.cpp:40:24: error: no matching function for call to "
                      "'to_string(const ids::Identity&)'", block)
        self.assertTrue(any("note: candidate: 'std::string std::__cxx11::to_string(int)'" in line
                            for line in block))
        self.assertTrue(any("no known conversion for argument 1" in line for line in block))
        self.assertFalse(any("frobnicate" in line or "ids::other" in line for line in block))
        self.assertFalse(any(line.startswith(("ccache", "FAILED", "ninja")) for line in block))
        self.assertIn("   40 |   return std::to_string(identity);", block, "the error's source line")
        self.assertFalse(any("4086 |" in line or "included from" in line for line in block),
                         "a note's quoted header line and include chain are left out")

    def test_template_context_is_kept(self) -> None:
        output = ("../x.hpp: In instantiation of 'void f(T) [with T = int]':\n"
                  "../x.cpp:9:4:   required from here\n"
                  "../x.hpp:3:10: error: 'int' is not a class\n")
        block = build.BuildResult(False, output).first_error_block()
        self.assertIn("In instantiation of", block)
        self.assertIn("required from here", block)

    def test_the_whole_log_is_kept_and_its_path_printed(self) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            path = build.save_log(build.BuildResult(False, GCC_OUTPUT), "build-01.log", Path(scratch))
            self.assertEqual(Path(path).read_text(), GCC_OUTPUT)

    def test_print_build_failure_shows_the_block_and_the_log(self) -> None:
        result = learner.LabResult(learner.Lab("01-getpid"), False, build.BuildResult(False, GCC_OUTPUT))
        printed = io.StringIO()
        with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(printed):
            saved = build.save_log
            build.save_log = lambda result, name: saved(result, name, Path(scratch))
            try:
                learner.print_build_failure(result)
            finally:
                build.save_log = saved
        text = printed.getvalue()
        self.assertIn("note: candidate", text)
        self.assertIn("1 more error after it", text)
        self.assertIn("the whole build log: ", text)


class MesonErrorsInABuild(unittest.TestCase):
    def test_a_failed_regeneration_shows_mesons_error_lines(self) -> None:
        output = ("ninja: Entering directory `build'\n[0/1] Regenerating build files.\n"
                  "The Meson build system\nVersion: 1.0.1\n" + "Message: x\n" * 40 +
                  "../labs/02-fd-raii/meson.build:7:12: ERROR: Unknown variable \"lab_srcs\".\n"
                  "A full log can be found at build/meson-logs/meson-log.txt\n"
                  "FAILED: build.ninja\nninja: error: rebuilding 'build.ninja': subcommand failed\n")
        result = learner.LabResult(learner.Lab("02-fd-raii"), False, build.BuildResult(False, output))
        printed = io.StringIO()
        with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(printed):
            saved = build.save_log
            build.save_log = lambda result, name: saved(result, name, Path(scratch))
            try:
                learner.print_build_failure(result)
            finally:
                build.save_log = saved
        self.assertIn('labs/02-fd-raii/meson.build:7:12: ERROR: Unknown variable "lab_srcs".',
                      printed.getvalue())
        self.assertNotIn("Message: x", printed.getvalue())


class FakeMeson:
    """Records meson's command lines; fails the ones whose -Dreference is in `refused`."""

    def __init__(self, refused: set[str]):
        self.calls: list[list[str]] = []
        self.refused = refused

    def __call__(self, argv: list[str]) -> subprocess.CompletedProcess:
        self.calls.append(argv)
        value = argv[-1].split("=", 1)[1]
        if value in self.refused:
            return subprocess.CompletedProcess(argv, 1, "The Meson build system\n"
                                               "meson.build:148:0: ERROR: Problem encountered: "
                                               "-Dreference needs the solution side\n", "")
        return subprocess.CompletedProcess(argv, 0, "", "")


class Reference(unittest.TestCase):
    def run_reference(self, value: str, meson: FakeMeson, solutions: bool = True) -> tuple[int, str]:
        printed = io.StringIO()
        with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(printed):
            status = configure.set_reference(value, Path(scratch), meson, lambda: solutions)
        return status, printed.getvalue()

    def test_refused_with_one_sentence_where_there_are_no_solutions(self) -> None:
        meson = FakeMeson(set())
        status, text = self.run_reference("02", meson, solutions=False)
        self.assertNotEqual(status, 0)
        self.assertEqual(len(text.strip().splitlines()), 1)
        self.assertIn("no solutions/ directory", text)
        self.assertEqual(meson.calls, [], "nothing is configured")

    def test_meson_errors_are_shown_and_the_failed_setting_is_undone(self) -> None:
        meson = FakeMeson({"02-fd-raii"})
        status, text = self.run_reference("02", meson)
        self.assertNotEqual(status, 0)
        self.assertIn("ERROR: Problem encountered: -Dreference needs the solution side", text)
        self.assertEqual([call[-1] for call in meson.calls], ["-Dreference=02-fd-raii", "-Dreference="])
        self.assertIn("the build is as it was", text)

    def test_an_unknown_lab_is_refused_before_meson_runs(self) -> None:
        meson = FakeMeson(set())
        status, text = self.run_reference("99", meson)
        self.assertNotEqual(status, 0)
        self.assertIn("there is no lab '99'", text)
        self.assertEqual(meson.calls, [])

    def test_a_good_setting_is_applied(self) -> None:
        meson = FakeMeson(set())
        self.assertEqual(self.run_reference("02,04", meson)[0], 0)
        self.assertEqual(meson.calls[-1][-1], "-Dreference=02-fd-raii,04-fork-zombies")


if __name__ == "__main__":
    unittest.main()
