"""Seeded fault injection: the environment that turns it on, the log it leaves, the labs' tests
run under it, and its own proof.

The library is tests/support/faults/faults.cpp, preloaded (LD_PRELOAD) into a test and every
program the test starts. check_faults() runs its probe (tests/support/faults/probe.cpp) and proves
that each fault happens, only where the kernel could make it, the same way for the same seed, and
not while the test library has paused it.

A lab whose tests directory holds faults.txt runs its tests under faults too: every test but the
ones that file leaves out, each with its reason ("Suite.Test-or-pattern reason"). make check runs
them after the plain run has passed (with a seed it picks and prints), make check FAULTS=SEED with
that seed only, and make test runs the reference under them (check_reference_under_faults)."""

from __future__ import annotations

import fnmatch
import os
import random
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import build as build_mod
from . import report
from .labs import BUILD, ROOT, Lab, all_labs
from .runner import TEST_ENV, Outcome, TestCase, list_tests, run_case

LIBRARY = BUILD / "tests" / "support" / "faults" / "libsyslab-faults.so"
PROBE = BUILD / "tests" / "support" / "faults" / "faults-probe"
TARGET = "faults"
EVERY_KIND = "short,eintr,eagain,econnaborted,erange,fork"

# The log's layout in faults.cpp: a 64-bit count, then 64 lines of 120 bytes.
LOG_ENTRIES, LOG_LINE = 64, 120


def environment(seed: int, kinds: str | None = None, log: Path | None = None,
                asan: str | None = None) -> dict[str, str]:
    """The variables that run a program under faults from this seed. ASan insists on being the
    first library loaded; the fault library must come before it to see the calls first, and ASan
    copes with that when told not to check the order. asan: the ASAN_OPTIONS to add to (default:
    this process's)."""
    env = {"LD_PRELOAD": str(LIBRARY), "SYSLAB_FAULTS": str(seed)}
    asan = os.environ.get("ASAN_OPTIONS", "") if asan is None else asan
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    if kinds:
        env["SYSLAB_FAULT_KINDS"] = kinds
    if log:
        env["SYSLAB_FAULT_LOG"] = str(log)
    return env


def fault_count(log: Path) -> int:
    """How many faults every process of the test made together (the log's first 8 bytes)."""
    try:
        with open(log, "rb") as file:
            data = file.read(8)
    except OSError:
        return 0
    return struct.unpack("<Q", data)[0] if len(data) == 8 else 0


def read_log(log: Path, last: int = 4) -> list[str]:
    """The last faults made, oldest first ("pid 12 write(fd 5, 4096) -> at most 17 (short)")."""
    try:
        data = log.read_bytes()
    except OSError:
        return []
    if len(data) < 8:
        return []
    (count,) = struct.unpack_from("<Q", data)
    lines = []
    for index in range(max(0, count - last), count):
        offset = 8 + (index % LOG_ENTRIES) * LOG_LINE
        raw = data[offset:offset + LOG_LINE].split(b"\0", 1)[0]
        lines.append(raw.decode(errors="replace"))
    return lines


def probe(mode: str, seed: int | None, kinds: str = EVERY_KIND, log: Path | None = None) -> dict[str, int]:
    """Runs faults-probe MODE (seed None: without the library) and returns its counts."""
    env = dict(os.environ)
    if seed is not None:
        env.update(environment(seed, kinds, log))
    result = subprocess.run([str(PROBE), mode], capture_output=True, text=True, env=env, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"faults-probe {mode} exited {result.returncode}: {result.stderr[-500:]}")
    counts = {}
    for line in result.stdout.split():
        name, _, value = line.partition("=")
        counts[name] = int(value)
    return counts


def expectations(seed: int) -> list[tuple[str, str, callable]]:
    """(mode, what must hold, check(counts)) for one seed."""
    return [
        ("io", "writes and reads come back short and with EINTR",
         lambda c: c.get("write.short", 0) > 0 and c.get("read.short", 0) > 0
         and c.get("write.EINTR", 0) > 0 and c.get("read.EINTR", 0) > 0),
        ("nonblocking", "a level-triggered non-blocking read gets a spurious EAGAIN",
         lambda c: c.get("level.EAGAIN", 0) > 0),
        ("nonblocking", "an edge-triggered fd never gets a spurious EAGAIN",
         lambda c: c.get("edge.EAGAIN", 0) == 0),
        ("eventfd", "an eventfd read is never short", lambda c: c.get("short", 0) == 0),
        ("accept", "accept4 fails with ECONNABORTED and EINTR, and every client is still accepted",
         lambda c: c.get("ECONNABORTED", 0) > 0 and c.get("EINTR", 0) > 0 and c.get("accepted") == 60),
        ("erange", "getpwuid_r gives ERANGE until the buffer is big enough",
         lambda c: c.get("ERANGE", 0) > 0 and c.get("found") == 1),
        ("fork", "fork fails with EAGAIN and waitpid with EINTR",
         lambda c: c.get("fork.EAGAIN", 0) > 0 and c.get("waitpid.EINTR", 0) > 0),
        ("paused", "nothing is faulted while the test library has paused faults",
         lambda c: c.get("write.full") == 400 and c.get("read.full") == 400),
    ]


def check_faults() -> list[str]:
    """Problems found with the fault library; empty when it does what it says."""
    built = build_mod.ninja(TARGET)
    if not built.ok:
        return ["the fault library does not compile:\n" + built.output[-3000:]]
    problems = []
    seed = 7
    for mode, promise, holds in expectations(seed):
        counts = probe(mode, seed)
        if not holds(counts):
            problems.append(f"faults-probe {mode} (seed {seed}): expected that {promise}; got {counts}")
    if probe("io", None) != {"read.full": 400, "write.full": 400}:
        problems.append("faults-probe io without the library: expected only full reads and writes")
    if probe("io", 11) != probe("io", 11):
        problems.append("faults-probe io: the same seed gave different faults")
    if probe("io", 11) == probe("io", 12):
        problems.append("faults-probe io: seeds 11 and 12 gave the same faults")
    if probe("io", 11, kinds="eintr").get("write.short", 0) != 0:
        problems.append("SYSLAB_FAULT_KINDS=eintr still made short writes")
    log = BUILD / "faults-selftest.log"
    log.unlink(missing_ok=True)
    probe("fork", seed, kinds="fork", log=log)
    recorded = read_log(log)
    if not recorded or not any("fork() -> EAGAIN" in line for line in recorded):
        problems.append(f"the fault log does not show the faults made: {recorded}")
    log.unlink(missing_ok=True)
    return problems


# ------------------------------------------------------------------------------------------------
# The labs' tests under faults

FAULTS_FILE = "faults.txt"  # tests/NN-name/faults.txt: the lab runs under faults; what it leaves out
KIND_NAMES = {"short": "short reads and writes", "eintr": "EINTR", "eagain": "EAGAIN",
              "econnaborted": "ECONNABORTED from accept", "erange": "ERANGE from getpwuid_r",
              "fork": "fork failing with EAGAIN"}
DEFAULT_KINDS = "short,eintr,eagain,econnaborted,erange"  # the library's own default set
MEANING = ("the kernel may do that to any call, at any time (a signal arrives, a socket buffer is "
           "nearly full): loop until all is read or written, restart on EINTR, wait on EAGAIN")


@dataclass
class FaultRun:
    """The settings of one run under faults."""
    seed: int
    kinds: str = ""                # "" = the library's default set

    def describe(self) -> str:
        kinds = (self.kinds or DEFAULT_KINDS).split(",")
        return f"seed {self.seed}: " + ", ".join(KIND_NAMES.get(k, k) for k in kinds if k)

    def make_arguments(self) -> str:
        """What make check needs to repeat this run: 'FAULTS=123' (and the kinds if narrowed)."""
        return f"FAULTS={self.seed}" + (f" FAULT_KINDS={self.kinds}" if self.kinds else "")


def pick_seed() -> int:
    return random.SystemRandom().randint(1, 99999)


def faults_file(lab: Lab) -> Path:
    return ROOT / "tests" / lab.name / FAULTS_FILE


def runs_under_faults(lab: Lab) -> bool:
    return faults_file(lab).is_file()


def fault_labs() -> list[Lab]:
    return [lab for lab in all_labs() if runs_under_faults(lab)]


def left_out(lab: Lab) -> list[tuple[str, str]]:
    """(pattern, reason) for each test the lab's faults.txt leaves out of the run under faults."""
    path = faults_file(lab)
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        words = line.split("#", 1)[0].split(maxsplit=1)
        if not words:
            continue
        if len(words) < 2:
            shown = os.path.relpath(path, ROOT)
            raise ValueError(f"{shown}:{number}: a line is \"Suite.Test reason\" "
                             "(a pattern such as Suite.* is allowed): the reason is missing")
        entries.append((words[0], words[1].strip()))
    return entries


def reason_left_out(name: str, entries: list[tuple[str, str]]) -> str | None:
    return next((reason for pattern, reason in entries if fnmatch.fnmatchcase(name, pattern)), None)


def select(lab: Lab, cases: list[TestCase]) -> tuple[list[TestCase], list[TestCase]]:
    """The cases that run under faults, and the ones faults.txt leaves out."""
    entries = left_out(lab)
    chosen = [c for c in cases if reason_left_out(c.name, entries) is None]
    return chosen, [c for c in cases if c not in chosen]


def fault_environment(run: FaultRun, log: Path) -> dict[str, str]:
    """What run_case adds to the test's environment: the library, the seed, the kinds, the log.
    The ASan options extend the runner's own (leak detection stays on)."""
    return environment(run.seed, run.kinds or None, log, asan=TEST_ENV["ASAN_OPTIONS"])


def run_case_under_faults(binary: Path, case: TestCase, run: FaultRun) -> Outcome:
    """runner.run_case with the fault library preloaded; a failure's detail ends with the faults
    made just before it, from the log every process of the test shares. outcome.faults_made is
    how many faults the test saw (make test proves that each selected suite saw some)."""
    with tempfile.TemporaryDirectory(prefix="syslab-faults-") as scratch:
        log = Path(scratch) / "faults.log"
        outcome = run_case(binary, case, env=fault_environment(run, log))
        made, last = fault_count(log), read_log(log)
    outcome.faults_made = made
    if not outcome.passed:  # first, so that the cut of a long detail never hides them
        outcome.detail = faults_before(run, made, last) + "\n" + outcome.detail
    return outcome


def faults_before(run: FaultRun, made: int, last: list[str]) -> str:
    """'under faults (FAULTS=12): 31 injected; the last before it ended, oldest first:' and the
    log's lines ('pid 812 read(fd 5, 4096) -> EINTR')."""
    if made == 0:
        return (f"under faults ({run.make_arguments()}), but none was injected in this test: "
                "the failure is not theirs (does it fail without FAULTS= too?)")
    shown = "\n".join("  " + line for line in last)
    return (f"under faults ({run.make_arguments()}): {made} injected; the last "
            f"{'one' if len(last) == 1 else len(last)} before it ended, oldest first:\n{shown}")


def rerun_command(lab: Lab, case: TestCase, run: FaultRun) -> str:
    return f"make check LAB={lab.number} TEST={case.name} {run.make_arguments()}"


def build_library() -> build_mod.BuildResult:
    return build_mod.ninja(TARGET)


def run_lab(lab: Lab, binary: Path, cases: list[TestCase], run: FaultRun, repeat: int = 1,
            on_outcome=None) -> list[Outcome]:
    """Runs the cases under faults, several at once as the plain run does."""
    from .learner import run_cases  # learner imports nothing of this module; this keeps it so
    return run_cases(binary, cases, repeat, on_outcome,
                     run=lambda b, c: run_case_under_faults(b, c, run))


def header(lab: Lab, run: FaultRun, chosen: list[TestCase], skipped: list[TestCase]) -> str:
    return report.bold(f"lab {lab.number} under faults") + report.dim(
        f"  ({run.describe()}; {len(chosen)} test{'s' if len(chosen) != 1 else ''}"
        + (f", {len(skipped)} left out by tests/{lab.name}/{FAULTS_FILE}" if skipped else "") + ")")


def print_skipped(lab: Lab, skipped: list[TestCase]) -> None:
    entries = left_out(lab)
    for case in skipped:
        print(report.dim(f"  {case.name}: not run under faults: {reason_left_out(case.name, entries)}"))


def print_summary(lab: Lab, outcomes: list[Outcome], run: FaultRun) -> int:
    """After the verdicts: the first failure with its repro line. Exit status 0 when all pass."""
    failure = next((o for o in outcomes if not o.passed), None)
    if failure is None:
        print(report.paint(f"every test passes under faults too ({run.make_arguments()}).", "32"))
        return 0
    failed = sum(not o.passed for o in outcomes)
    print(f"\n{failed} of {len(outcomes)} fail under faults: the cause is a short read or write, "
          f"an EINTR or an EAGAIN your code did not expect; {MEANING}")
    print(f"\nfirst failure under faults: {failure.case.name}")
    print(f"  re-run just that test:  {rerun_command(lab, failure.case, run)}")
    if failure.case.hints:
        print(f"  hint:  {failure.case.hints[0]}")
    return 1


def check_learner(lab: Lab, cases: list[TestCase], run: FaultRun, repeat: int = 1) -> int:
    """make check's run under faults after the plain run passed (cases: the ones it ran)."""
    from .learner import print_outcome
    built = build_library()
    if not built.ok:
        print("the fault library does not compile:\n" + report.indent(built.output, limit=20))
        return 1
    chosen, skipped = select(lab, cases)
    print("\n" + header(lab, run, chosen, skipped))
    if not chosen:
        return 0
    outcomes = run_lab(lab, lab.test_binary("learner"), chosen, run, repeat, on_outcome=print_outcome)
    return print_summary(lab, outcomes, run)


# make test's seed: the reference passes every fault lab under it.
MAKE_TEST_SEED = 5749


def check_reference_under_faults(seed: int | None = None) -> list[str]:
    """make test's phase: every fault lab's solution passes its selected tests under faults from
    one seed (printed), and each lab's tests saw faults (else the run proves nothing). A suite
    that saw none under this seed is named, for the author to look at: one that makes no call a
    fault reaches belongs in faults.txt with that reason (whether a few calls are faulted depends
    on the seed, so that is a notice, not a failure)."""
    built = build_library()
    if not built.ok:
        return ["the fault library does not compile:\n" + built.output[-3000:]]
    if seed is None:
        wanted = os.environ.get("SYSLAB_FAULTS_SEED", "")
        # A fixed seed by default: make test must give the same verdict on every run (CI). A new
        # seed explores further (SYSLAB_FAULTS_SEED=random); one it fails on is a bug to fix,
        # then a seed worth making the default.
        seed = pick_seed() if wanted == "random" else int(wanted, 0) if wanted else MAKE_TEST_SEED
    run = FaultRun(seed)
    print(f"  {run.describe()}  (SYSLAB_FAULTS_SEED={run.seed} make test repeats it; "
          f"make check LAB=NN REFERENCE=NN {run.make_arguments()} one lab)")
    from .learner import print_outcome
    problems = []
    for lab in fault_labs():
        binary = lab.test_binary("solution")
        if not binary.is_file():
            problems.append(f"{lab.name}: {binary} is not built")
            continue
        try:
            chosen, skipped = select(lab, list_tests(binary))
        except ValueError as bad:
            problems.append(str(bad))
            continue
        outcomes = run_lab(lab, binary, chosen, run)
        for outcome in outcomes:
            if not outcome.passed:
                print_outcome(outcome)
                problems.append(f"{lab.name} {outcome.case.name} fails under faults ({run.make_arguments()})")
        made = sum(getattr(o, "faults_made", 0) for o in outcomes)
        if outcomes and made == 0:
            problems.append(f"{lab.name}: no fault reached any of its tests ({run.make_arguments()}): "
                            "is the fault library preloaded, and are the tests paused throughout?")
        quiet = unfaulted_suites(outcomes)
        if quiet:
            print(report.dim(f"  {lab.name}: no fault reached suite {', '.join(quiet)} with this seed "
                             f"(one that makes no call a fault reaches belongs in tests/{lab.name}/{FAULTS_FILE})"))
        print(f"  {lab.name:<22} {sum(o.passed for o in outcomes)}/{len(outcomes)} pass under "
              f"faults ({made} faults made; {len(skipped)} tests left out)")
    return problems


def unfaulted_suites(outcomes: list[Outcome]) -> list[str]:
    """The suites none of whose tests saw a fault."""
    made: dict[str, int] = {}
    for outcome in outcomes:
        suite = outcome.case.name.split(".", 1)[0]
        made[suite] = made.get(suite, 0) + getattr(outcome, "faults_made", 0)
    return [suite for suite, count in made.items() if count == 0]
