"""make test: the kit proves itself against its reference solutions.

For every lab: the solution and the fresh skeleton compile without a warning; every test passes
on the solution (under ASan and UBSan); every test fails on the untouched skeleton (exceptions are
listed by name with a reason in tests/skeleton-exceptions.txt); labs/ matches the skeletons (an
error in the kit's CI, a notice for a learner working in labs/). Then the runner's own verdicts,
the test library's own tests, the decks' code, the demos, the tools' tests and the student kit."""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field

from . import build as build_mod
from . import report, selftest, skeleton
from .labs import BUILD, ROOT, Lab, all_labs, have_solutions
from .learner import print_outcome, run_cases, run_jobs
from .runner import list_tests

EXCEPTIONS_FILE = ROOT / "tests" / "skeleton-exceptions.txt"
SELFTEST_TARGET = "tests/runner/tests-runner-selftest"
BENCH_TARGETS = ("tools/bench/echo-load", "tools/bench/tests-bench-histogram")  # the bench smoke test's


@dataclass
class Tally:
    passed: int = 0
    failures: list[str] = field(default_factory=list)

    def ok(self, count: int = 1) -> None:
        self.passed += count

    def fail(self, what: str) -> None:
        self.failures.append(what)
        print(report.paint("  FAILED ", "31") + what)


class PhaseClock:
    """How long each phase of make test took, printed as one table at the end, so that the cost
    of every part of the kit is visible (a benchmark of the kit: nothing asserts a time). A phase
    may have parts (a lab: its build, its tests). Beside the time on the clock, the CPU time of
    the processes the phase ran (compilers, tests), which a busy machine does not inflate."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, float]] = {}   # phase -> part -> seconds
        self.cpu: dict[str, float] = {}                # phase -> CPU seconds of its processes

    @contextlib.contextmanager
    def phase(self, name: str, part: str = ""):
        started, cpu_before = time.monotonic(), children_cpu()
        try:
            yield
        finally:
            parts = self.rows.setdefault(name, {})
            parts[part] = parts.get(part, 0.0) + time.monotonic() - started
            self.cpu[name] = self.cpu.get(name, 0.0) + children_cpu() - cpu_before

    def table(self) -> str:
        width = max([len(name) for name in self.rows] + [len("total")])
        lines = [f"{'phase':<{width}}  {'time':>8}  {'cpu':>8}"]
        for name, parts in self.rows.items():
            detail = ", ".join(f"{part} {duration_text(seconds)}" for part, seconds in parts.items() if part)
            lines.append(f"{name:<{width}}  {duration_text(sum(parts.values())):>8}  "
                         f"{duration_text(self.cpu.get(name, 0.0)):>8}" + (f"   ({detail})" if detail else ""))
        total = sum(sum(parts.values()) for parts in self.rows.values())
        lines.append(f"{'total':<{width}}  {duration_text(total):>8}  {duration_text(sum(self.cpu.values())):>8}")
        return "\n".join(lines)


def children_cpu() -> float:
    """User and system time of every finished child process (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def duration_text(seconds: float) -> str:
    """'0.4 s', '12.0 s', '3:05' (minutes:seconds from a minute on)."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def skeleton_exceptions() -> dict[str, str]:
    """'NN-name Suite.Test reason...' lines: tests allowed to pass on the skeleton."""
    if not EXCEPTIONS_FILE.is_file():
        return {}
    allowed = {}
    for line in EXCEPTIONS_FILE.read_text().splitlines():
        words = line.split("#", 1)[0].split(maxsplit=2)
        if len(words) == 3:
            allowed[f"{words[0]} {words[1]}"] = words[2]
        elif words:
            raise SystemExit(f"{EXCEPTIONS_FILE}: every exception needs a reason: {line!r}")
    return allowed


def skeleton_problem(key: str, passed: bool, allowed: dict[str, str]) -> str | None:
    """What is wrong with a test's result on the untouched skeleton, if anything: it must fail
    there, unless it is listed as an exception, and then it must pass (or the entry is stale)."""
    if passed and key not in allowed:
        return f"{key} passes on the untouched skeleton: it tests nothing the learner writes"
    if not passed and key in allowed:
        return f"{key} is listed in {EXCEPTIONS_FILE.name} but fails on the skeleton"
    return None


def check_sanitizers(tally: Tally) -> None:
    sanitizers = set((build_mod.build_option("b_sanitize") or "").split(","))
    if {"address", "undefined"} <= sanitizers:
        tally.ok()
    else:
        tally.fail(f"{BUILD} is not built with ASan and UBSan: "
                   f"meson configure {BUILD} -Db_sanitize=address,undefined")


def check_lab(lab: Lab, allowed: dict[str, str], tally: Tally, clock: PhaseClock) -> None:
    """The solution passes every test; the fresh skeleton compiles and fails every test."""
    with clock.phase(f"lab {lab.name}", "build"):
        for side in ("solution", "skeleton"):
            built = build_mod.build_lab(lab, side)
            if not built.ok:
                tally.fail(f"{lab.name}: the {side} does not compile (or warns):\n"
                           + report.indent(built.output, limit=25))
                return
    tally.ok(2)
    cases = list_tests(lab.test_binary("solution"))
    with clock.phase(f"lab {lab.name}", "tests"):
        # Both sides in one run, so that a long test's tail leaves no core idle.
        outcomes = run_jobs([(lab.test_binary(side), case)
                             for side in ("solution", "skeleton") for case in cases])
    solution, fresh = outcomes[:len(cases)], outcomes[len(cases):]
    for outcome in solution:
        if outcome.passed:
            tally.ok()
        else:
            print_outcome(outcome)
            tally.fail(f"{lab.name} {outcome.case.name} does not pass on the solution")
    for outcome in fresh:
        problem = skeleton_problem(f"{lab.name} {outcome.case.name}", outcome.passed, allowed)
        if problem:
            tally.fail(problem)
        else:
            tally.ok()
    todo = sum(o.verdict == "TODO" for o in fresh)
    print(f"  {lab.name:<22} solution {sum(o.passed for o in solution)}/{len(cases)} pass"
          f"   skeleton {sum(not o.passed for o in fresh)}/{len(cases)} fail ({todo} TODO)")


def check_drift(labs: list[Lab], strict: bool, tally: Tally) -> None:
    differences = skeleton.compare_labs(labs)
    if not differences:
        tally.ok()
        print("  labs/ matches the skeletons generated from solutions/")
        return
    listing = "\n".join(f"    {d.kind:<8} labs/{d.path}" for d in differences)
    if strict:
        tally.fail("labs/ differs from the skeletons generated from solutions/ "
                   "(edit solutions/, then make skeletons):\n" + listing)
    else:
        print(f"  notice: labs/ differs from the generated skeletons in {len(differences)} files "
              "(your work, as expected; in the kit's CI this is an error):")
        print("\n".join(listing.splitlines()[:12]) + ("\n    ..." if len(differences) > 12 else ""))
        tally.ok()


def run_phase(title: str, check, tally: Tally) -> None:
    """Prints the phase's title, then runs check() -> problems."""
    print(report.bold(title), flush=True)
    problems = check()
    if problems:
        for problem in problems:
            tally.fail(problem)
    else:
        tally.ok()
        print("  ok")


def kit_test(strict: bool) -> int:
    if not have_solutions():
        print("make test proves the kit against its reference solutions, which are not part of the "
              "student kit.\nUse make check LAB=NN for one lab, or make grade for all of them.")
        return 2
    strict = strict or os.environ.get("CI", "").lower() in ("1", "true", "yes")
    clock = PhaseClock()
    tally = Tally()
    labs = all_labs()
    print(report.bold("build and sanitizers"))
    check_sanitizers(tally)
    with clock.phase("build"):
        # Everything make test runs, in one ninja run: both cores stay busy across labs. A lab
        # that does not compile is reported by its own phase below.
        build_mod.ninja(*[lab.build_target(side) for lab in labs for side in ("solution", "skeleton")],
                        SELFTEST_TARGET, *BENCH_TARGETS, progress=build_mod.Progress("  building"),
                        keep_going=True)
    print(report.bold("labs: every test passes on the solution and fails on the fresh skeleton"))
    allowed = skeleton_exceptions()
    for lab in labs:
        check_lab(lab, allowed, tally, clock)
    with clock.phase("labs/ against the skeletons"):
        print(report.bold("labs/ against the generated skeletons" + (" (strict)" if strict else "")))
        check_drift(labs, strict, tally)
    with clock.phase("runner self-test"):
        built = build_mod.ninja(SELFTEST_TARGET)
        run_phase("the runner's own verdicts",
                  lambda: selftest.run_selftest() if built.ok
                  else ["the runner self-test does not compile:\n" + built.output], tally)
    with clock.phase("test library"):
        run_phase("the test library's own tests", check_test_library, tally)
    for name, title, check in extra_phases():
        with clock.phase(name):
            run_phase(title, check, tally)
    print("\n" + report.bold("where the time went"))
    print(clock.table())
    if tally.failures:
        print(report.paint(f"{len(tally.failures)} problems:", "31"))
        for failure in tally.failures:
            print("  - " + failure.splitlines()[0])
    print(f"syslab: {tally.passed} passed, {len(tally.failures)} failed")
    return 1 if tally.failures else 0


LIBRARY_TESTS = "tests/library/tests-library"


def check_test_library() -> list[str]:
    """tests/library: the test library's own tests (its /proc readers, ...); every one must pass."""
    built = build_mod.ninja(LIBRARY_TESTS)
    if not built.ok:
        return ["the test library's tests do not compile:\n" + built.output]
    binary = BUILD / LIBRARY_TESTS
    problems = []
    for outcome in run_cases(binary, list_tests(binary)):
        if not outcome.passed:
            print_outcome(outcome)
            problems.append(f"{outcome.case.name} (tests/library) does not pass")
    return problems


def python_unit_tests() -> list[str]:
    tests_dir = ROOT / "tests" / "tools"
    if not any(tests_dir.glob("test_*.py")):
        return []
    result = subprocess.run([sys.executable, "-m", "unittest", "discover", "-s", str(tests_dir),
                             "-t", str(ROOT), "-q"], capture_output=True, text=True, cwd=ROOT)
    return [] if result.returncode == 0 else ["the tools' unit tests failed:\n" + result.stderr[-3000:]]


def check_demos(demo) -> list[str]:
    """Runs every lab's demo unattended; the output is shown only for one that fails."""
    import tempfile
    problems = []
    for lab in demo.demo_labs():
        with tempfile.TemporaryFile("w+") as log:
            try:
                status = demo.run_demo(lab, interactive=False, log=log)
            except demo.DemoError as error:  # e.g. the lab's programs do not build: say so, go on
                problems.append(f"the demo of lab {lab.name} could not start: {error}")
                continue
            if status != 0:
                log.seek(0)
                problems.append(f"the demo of lab {lab.name} failed:\n" + report.indent(log.read(), limit=30))
            else:
                print(f"  {lab.name}: ran to the end")
    if hasattr(demo, "run_finale"):  # make demo with no LAB, unattended
        with tempfile.TemporaryFile("w+") as log:
            try:
                status = demo.run_finale(interactive=False, log=log)
            except demo.DemoError as error:
                problems.append(f"the finale (make demo) could not start: {error}")
                return problems
            if status != 0:
                log.seek(0)
                problems.append("the finale (make demo) failed:\n" + report.indent(log.read(), limit=30))
            else:
                print("  finale: ran to the end")
    return problems


def check_format() -> list[str]:
    from . import format as format_mod
    tool = format_mod.clang_format()
    if tool is None:
        return ["clang-format is missing: bash tools/bootstrap.sh format installs it"]
    changed = format_mod.changes(tool, format_mod.kit_sources())
    return [f"{format_mod.rel(path)} is not formatted (make format)" for path, _, _ in changed]


def extra_phases():
    """(short name for the time table, title, check) for the phases whose tools may be absent
    from an older checkout."""
    phases = [("tools' unit tests", "the tools' own unit tests", python_unit_tests),
              ("format-check", "make format-check: the kit's C++ follows .clang-format", check_format)]
    try:
        from . import slides
        phases.extend(slides.test_phases())
    except ImportError:
        pass
    try:
        from . import demo
        phases.append(("demos", "every demo runs to the end", lambda: check_demos(demo)))
    except ImportError:
        pass
    try:
        from . import faults
        phases.append(("fault library", "fault injection: each fault happens, only where it may, "
                       "repeatably", faults.check_faults))
        if faults.fault_labs():
            phases.append(("labs under faults", "the reference under injected faults (the labs with "
                           "tests/NN-name/faults.txt, one seed)", faults.check_reference_under_faults))
    except ImportError:
        pass
    try:
        from . import tsan
        if tsan.thread_labs():
            phases.append(("TSan (build and tests)",
                           "the thread labs under ThreadSanitizer (build-tsan, solution side)",
                           tsan.check_thread_labs))
    except ImportError:
        pass
    try:
        from . import bench
        phases.append(("bench smoke test", "make bench runs end to end (QUICK=1, the iterative model; "
                       "httpd, nginx, h2o and the floor on one load each; the seed's h1-vs-h2 cells "
                       "of httpd and Hypercorn)",
                       bench.smoke_test))
    except ImportError:
        pass
    if STUDENT_KIT_TEST.is_file():
        phases.append(("student kit", "the student kit builds, checks and grades on its own",
                       check_student_kit))
    return phases


STUDENT_KIT_TEST = ROOT / "tests" / "tools" / "test_studentkit.sh"


def check_student_kit() -> list[str]:
    """Unpacks make student-kit's tarball elsewhere and runs make grade, check and test there."""
    result = subprocess.run(["bash", str(STUDENT_KIT_TEST)], capture_output=True, text=True, cwd=ROOT)
    if result.returncode == 0:
        print(f"  {result.stdout.count('ok - ')} checks passed")
        return []
    failed = [line for line in result.stdout.splitlines() if line.startswith("not ok")]
    return [f"{STUDENT_KIT_TEST.relative_to(ROOT)}: {line}" for line in failed] or \
        [f"{STUDENT_KIT_TEST.relative_to(ROOT)} failed:\n" + report.indent(result.stdout + result.stderr, limit=30)]
