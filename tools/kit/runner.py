"""Runs one test case in its own process with a deadline and gives it a verdict.

Verdicts, in the order they are decided:
  HANG   the deadline passed (we say where it was blocked when the kernel or gdb can tell)
  TODO   a stub was reached ("syslab TODO:" on the output)
  CRASH  killed by a signal, or a sanitizer report (ASan, UBSan, TSan)
  FAIL   an assertion failed: GoogleTest's expected-vs-actual message
  LEAK   fds or child processes left behind ("syslab LEAK:"), or LeakSanitizer's memory leaks
  PASS
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import explain
from .labs import BUILD, ROOT

DEFAULT_TIMEOUT = 10  # seconds per test case; a test can ask for more with SYSLAB_TIMEOUT
# Tests that must run alone, not beside another test: "NN-name Suite.Test-or-pattern reason".
SERIAL_FILE = ROOT / "tests" / "serial-tests.txt"
TEST_BINARY = re.compile(r"tests-(?P<lab>\d\d-[a-z0-9-]+)-(?:learner|solution|skeleton)")
TODO_MARKER = "syslab TODO:"
LEAK_MARKER = "syslab LEAK:"
SANITIZER = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|"
                       r"WARNING: ThreadSanitizer:|FATAL: ThreadSanitizer")

SYSCALLS = explain.SYSCALLS  # the calls a test is most often blocked in, by x86-64 number

# Each sanitizer reads its own variable and ignores the others', so one environment serves the
# ASan+UBSan build and build-tsan alike. TSan only warns and goes on unless told otherwise: a
# report must end the process (exit status 66), as a UBSan report does.
TEST_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:print_summary=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    "TSAN_OPTIONS": "halt_on_error=1:second_deadlock_stack=1:print_summary=1",
    "GTEST_COLOR": "no",
}


@dataclass
class TestCase:
    name: str                      # "Suite.Test"
    points: int = 1
    hints: list[str] = field(default_factory=list)
    timeout: int = 0
    serial: bool = False           # runs alone (tests/serial-tests.txt)


@dataclass
class Outcome:
    case: TestCase
    verdict: str
    detail: str = ""               # what the learner should read first
    output: str = ""               # the test's whole output
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.verdict == "PASS"


def list_tests(binary: Path) -> list[TestCase]:
    """The test cases of a binary, with their points and hints (tests-NN --syslab-list)."""
    result = subprocess.run([str(binary), "--syslab-list"], capture_output=True, text=True,
                            timeout=30, env={**os.environ, **TEST_ENV})
    if result.returncode != 0:
        raise RuntimeError(f"{binary} --syslab-list failed:\n{result.stderr}")
    lab = TEST_BINARY.fullmatch(binary.name)
    serial = serial_patterns(lab["lab"]) if lab else []
    cases = []
    for line in result.stdout.splitlines():
        meta = json.loads(line)
        cases.append(TestCase(meta["name"], meta["points"], meta["hints"], meta["timeout"],
                              serial=any(fnmatch.fnmatchcase(meta["name"], p) for p in serial)))
    return cases


def serial_patterns(lab: str, path: Path = SERIAL_FILE) -> list[str]:
    """The tests of one lab that must run alone: each opens thousands of connections with its
    fd limit raised to the hard limit, which loads the machine-wide resources (loopback ports,
    socket memory, the CPU its deadline counts on) that a neighbour would share."""
    if not path.is_file():
        return []
    patterns = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        words = line.split("#", 1)[0].split(maxsplit=2)
        if words and len(words) < 3:
            raise ValueError(f"{path}:{number}: a line is \"NN-name Suite.Test reason\"")
        if words and words[0] == lab:
            patterns.append(words[1])
    return patterns


def run_case(binary: Path, case: TestCase, timeout: int = 0,
             env: dict[str, str] | None = None) -> Outcome:
    """Runs one test case in a new session, so that its whole process group can be killed.
    env: variables added to the test's environment (faults.py's fault injection)."""
    limit = timeout or case.timeout or DEFAULT_TIMEOUT
    with tempfile.TemporaryDirectory(prefix="syslab-run-") as scratch:
        report = Path(scratch) / "report.json"
        log_path = Path(scratch) / "output.txt"
        argv = [str(binary), f"--gtest_filter={case.name}", f"--gtest_output=json:{report}"]
        started = time.monotonic()
        with open(log_path, "w+b") as log:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                       start_new_session=True, cwd=scratch,
                                       env={**os.environ, **TEST_ENV, **(env or {}), "TMPDIR": scratch})
            try:
                returncode = process.wait(timeout=limit)
                blocked = ""
            except subprocess.TimeoutExpired:
                blocked = where_blocked(process.pid)
                returncode = None
            kill_group(process)
        seconds = time.monotonic() - started
        output = log_path.read_bytes().decode(errors="replace")
        failures = read_failures(report, case.name)
    outcome = Outcome(case, "PASS", output=output, seconds=seconds)
    decide(outcome, returncode, failures, limit, blocked)
    return outcome


def kill_group(process: subprocess.Popen) -> None:
    """Kills whatever the test left in its process group, and reaps the test process."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def read_failures(report: Path, name: str) -> list[str] | None:
    """GoogleTest's failure messages for the test, or None if it never wrote its report."""
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError):
        return None
    for suite in data.get("testsuites", []):
        for test in suite.get("testsuite", []):
            if f"{suite['name']}.{test['name']}" == name:
                return [failure["failure"] for failure in test.get("failures", [])]
    return None


def decide(outcome: Outcome, returncode: int | None, failures: list[str] | None,
           limit: int, blocked: str) -> None:
    """Sets the verdict and the detail from what the test process did."""
    output = outcome.output
    todo = [line for line in output.splitlines() if TODO_MARKER in line]
    leaks = [line.split(": ", 2)[-1] for line in output.splitlines() if LEAK_MARKER in line]
    stuck = explain.parse_hang_marker(output, source_path)
    if returncode is None:
        outcome.verdict = "HANG"
        outcome.detail = f"still running after {limit} s" + (f": {blocked}" if blocked else "")
        if todo:
            outcome.detail += "\n" + todo[0].split(TODO_MARKER, 1)[1].strip()
    elif todo:
        outcome.verdict = "TODO"
        outcome.detail = todo[0].split(TODO_MARKER, 1)[1].strip()
    elif returncode < 0 or (SANITIZER.search(output) and "LeakSanitizer" not in output):
        outcome.verdict = "CRASH"
        outcome.detail = crash_detail(returncode, output)
    elif stuck and returncode != 0:
        # The test's own bounded wait ran out (ForkedChild::wait, run_program): a hang, told
        # like the runner's own deadline, not the assertion that followed it.
        outcome.verdict = "HANG"
        outcome.detail = stuck
    elif failures:
        outcome.verdict = "FAIL"
        outcome.detail = failure_detail(outcome.case.name, failures, output)
    elif failures is None:
        outcome.verdict = "CRASH"
        tail = explain.output_tail(output)
        outcome.detail = (f"the test process exited with status {returncode} before its report "
                          "was written" + ("; the end of its output:\n" + tail if tail else
                                           " (it printed nothing: did something call exit()?)"))
    elif leaks or "LeakSanitizer" in output:
        outcome.verdict = "LEAK"
        outcome.detail = "\n".join(leaks) if leaks else sanitizer_excerpt(output)
    elif returncode != 0:
        outcome.verdict = "FAIL"
        outcome.detail = f"the test passed its assertions but the process exited {returncode}"


def failure_detail(name: str, failures: list[str], output: str) -> str:
    """GoogleTest's failure messages made readable (explain.readable), after what matters more:
    an exception that escaped the test (named with its type), one that escaped a forked child."""
    first = [explain.exception_summary(name, failures, output)] + explain.child_exceptions(output)
    text = explain.readable(relative_paths("\n".join(failures)))
    return "\n".join([line for line in first if line] + [text])


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def crash_detail(returncode: int, output: str) -> str:
    deadly = re.search(r"AddressSanitizer: (SEGV|BUS|FPE|ILL)\b", output)
    if returncode < 0:
        head = f"killed by {signal_name(-returncode)}"
    elif deadly:  # ASan catches these signals itself, to print where they happened
        head = f"crashed with SIG{deadly.group(1)}"
    elif "runtime error:" in output:
        head = "undefined behaviour (UBSan stopped it)"
    elif "ThreadSanitizer" in output:
        race = re.search(r"WARNING: ThreadSanitizer: ([^(\n]+)", output)
        head = f"ThreadSanitizer stopped it: {race.group(1).strip()}" if race else \
            "ThreadSanitizer stopped it"
    else:
        kind = re.search(r"ERROR: AddressSanitizer: ([\w-]+(?: on address 0x[0-9a-f]+)?)", output)
        head = "AddressSanitizer stopped it" + (f": {kind.group(1)}" if kind else "")
    excerpt = sanitizer_excerpt(output)
    return head + ("\n" + excerpt if excerpt else "")


def sanitizer_excerpt(output: str) -> str:
    """The sanitizer's first lines and its SUMMARY line, or the last lines of output."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if SANITIZER.search(line):
            summary = [l for l in lines[index:] if l.startswith("SUMMARY:")]
            frames = [short_frame(l) for l in lines[index + 1:index + 40] if re.match(r"\s+#\d+ ", l)]
            ours = [f for f in frames if OUR_SOURCE.search(f) and "tests/support/" not in f]
            if "ThreadSanitizer" in line:
                return tsan_excerpt(lines[index:], summary)
            if "ERROR: AddressSanitizer" in line:
                return relative_paths(explain.asan_excerpt(lines[index:], short_frame, is_ours))
            return "\n".join([relative_paths(line.strip())] + (ours or frames)[:6] + summary[:1])
    return explain.output_tail(output)


def is_ours(frame: str) -> bool:
    """A frame in the kit's sources other than the test library's."""
    return bool(OUR_SOURCE.search(frame)) and "tests/support/" not in frame


def tsan_excerpt(report: list[str], summary: list[str]) -> str:
    """A TSan report has a stack for each side of the race: keep each heading ("Write of size 4
    at ... by thread T1:") with the first frames in the kit's own sources under it."""
    kept = [relative_paths(report[0].strip())]
    frames_left = 0
    for line in report[1:60]:
        if line.startswith("SUMMARY:") or line.startswith("=================="):
            break
        if re.match(r"\s+#\d+ ", line):
            # "#1 f() solutions/x.cpp:15 (echo-server+0x10729)" -> "in f() solutions/x.cpp:15"
            frame = "in " + re.sub(r" \([^()]*\+0x[0-9a-f]+\)$", "", short_frame(
                re.sub(r"^\s*#\d+ (?!0x)", "    #0 0x0 ", line)))
            if frames_left and OUR_SOURCE.search(frame) and "tests/support/" not in frame:
                kept.append("    " + frame)
                frames_left -= 1
        elif line.strip():
            kept.append("  " + relative_paths(line.strip()))
            frames_left = 3
    return "\n".join(kept + [relative_paths(line) for line in summary[:1]])


OUR_SOURCE = re.compile(r"(?:^|[\s/])(?:labs|solutions|tests|\.fresh)/\S+\.(?:cpp|hpp|h|cc):\d+")


def short_frame(line: str) -> str:
    """'    #2 0x5562 in f() ../labs/x.cpp:39' -> 'in f() labs/x.cpp:39'."""
    return relative_paths(re.sub(r"^\s*#\d+ 0x[0-9a-f]+ ", "", line).strip())


def relative_paths(text: str) -> str:
    """Compilers and sanitizers name sources relative to the build directory: '../labs/...'."""
    prefix = os.path.relpath(ROOT, BUILD) + "/"
    return text.replace(prefix, "") if prefix != "./" else text


def where_blocked(pid: int) -> str:
    """Whether the test's threads were spinning or blocked (and in which system call), and 2-3
    frames of the learner's code with the test's line that called them, if gdb can tell:
    'blocked in read(2) (pipe_read)\n  at labs/02-fd-raii/fd_io.cpp:77 (fdio::read_some)\n...'.
    The test often waits for a process it started (a program, a server, a forked child) that is
    the one stuck: the first few of its descendants are described the same way. Their CPU use is
    watched first; then the test's process group is stopped, so that nothing moves (nor kills
    the child being looked at) while gdb reads the stacks."""
    processes = [pid] + descendants(pid)[:CHILDREN_SHOWN]
    names = {p: process_name(p) for p in processes}
    samples = sample_threads(processes)
    try:
        os.killpg(pid, signal.SIGSTOP)
    except (ProcessLookupError, PermissionError):
        pass
    parts = []
    for process in processes:
        threads = samples.get(process, [])
        text = explain.describe_threads(threads)
        spinning = next((t.tid for t in threads if t.state == "R" and t.cpu_gained > 0), 0)
        frames = explain.frames_text(explain.gdb_frames(gdb_backtrace(process), source_path),
                                     spinning)
        text += ("\n" if text else "") + frames if frames else ""
        if process == pid:
            parts.append(text)
        elif text:
            parts.append(f"its child process {process} ({names[process]}): {text}")
    return "\n".join(part for part in parts if part)


CHILDREN_SHOWN = 2


def descendants(pid: int) -> list[int]:
    """The processes pid started, and theirs, parents first (from /proc/PID/task/TID/children)."""
    found, index = [pid], 0
    while index < len(found):
        for children in Path(f"/proc/{found[index]}/task").glob("*/children"):
            try:
                found.extend(int(word) for word in children.read_text().split())
            except (OSError, ValueError):
                continue
        index += 1
    return found[1:]


def process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


SAMPLE_SECONDS = 0.3  # how long the CPU time of a stuck test is watched: rising means spinning


def sample_threads(pids: list[int]) -> dict[int, list[explain.ThreadState]]:
    """Each thread's state, system call and kernel wait channel, and the CPU it used over
    SAMPLE_SECONDS (from /proc/PID/task/TID/{stat,syscall,wchan}), for each process."""
    before = {pid: {tid: ticks for tid, (_, ticks) in thread_stats(pid).items()} for pid in pids}
    time.sleep(SAMPLE_SECONDS)
    found = {}
    for pid in pids:
        threads = []
        for tid, (state, ticks) in thread_stats(pid).items():
            task = Path(f"/proc/{pid}/task/{tid}")
            try:
                first = (task / "syscall").read_text().split()[0]
                syscall = int(first) if first.lstrip("-").isdigit() and int(first) >= 0 else None
            except (OSError, IndexError):
                syscall = None
            try:
                wchan = (task / "wchan").read_text().strip()
            except OSError:
                wchan = ""
            threads.append(explain.ThreadState(tid, state, syscall, "" if wchan == "0" else wchan,
                                               ticks - before[pid].get(tid, ticks)))
        found[pid] = threads
    return found


def thread_stats(pid: int) -> dict[int, tuple[str, int]]:
    """tid -> (state letter, utime + stime in clock ticks) of each thread of pid."""
    stats = {}
    for task in sorted(Path(f"/proc/{pid}/task").glob("*")):
        try:
            fields = task.joinpath("stat").read_text().rsplit(")", 1)[1].split()
            stats[int(task.name)] = (fields[0], int(fields[11]) + int(fields[12]))
        except (OSError, ValueError, IndexError):
            continue
    return stats


def gdb_backtrace(pid: int) -> str:
    """gdb's backtrace of every thread of pid ('' when gdb is absent or cannot attach)."""
    if not shutil.which("gdb"):
        return ""
    try:
        return subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "thread apply all bt"],
                              capture_output=True, text=True, timeout=15).stdout
    except (subprocess.TimeoutExpired, OSError):
        return ""


def source_path(path: str) -> str | None:
    """A source path as gdb or a compiler names it (relative to the build directory, or
    absolute), relative to the repository; None for a file outside it."""
    full = os.path.realpath(path if os.path.isabs(path) else os.path.join(BUILD, path))
    relative = os.path.relpath(full, ROOT)
    return None if relative.startswith("..") else relative
