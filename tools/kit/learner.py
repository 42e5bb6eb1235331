"""The learner's commands: check (one lab, every verdict), grade (all labs, one table),
hint (the next hint for the first failing test) and watch (check again on every save)."""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import build as build_mod
from . import explain, report
from .labs import BUILD, ROOT, Lab, all_labs, max_points_from_source
from .runner import Outcome, TestCase, list_tests, run_case


def default_workers() -> int:
    """How many tests run at once: SYSLAB_JOBS, else twice the cores. A test spends much of its
    time waiting (for a server to start, a timer, a peer's bytes), so two per core keep the cores
    busy; each test is its own process, so they share nothing but the machine."""
    try:
        return max(1, int(os.environ.get("SYSLAB_JOBS", "")))
    except ValueError:
        return 2 * len(os.sched_getaffinity(0))


WORKERS = default_workers()


@dataclass
class LabResult:
    lab: Lab
    built: bool
    build_output: build_mod.BuildResult | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    all_cases: list[TestCase] = field(default_factory=list)  # before TEST= chose some

    @property
    def score(self) -> int:
        return sum(o.case.points for o in self.outcomes if o.passed)

    @property
    def max_score(self) -> int:
        if self.outcomes:
            return sum(o.case.points for o in self.outcomes)
        return max_points_from_source(self.lab)

    def first_failure(self) -> Outcome | None:
        return next((o for o in self.outcomes if not o.passed), None)


def run_cases(binary: Path, cases: list[TestCase], repeat: int = 1,
              on_outcome: Callable[[Outcome], None] | None = None,
              run: Callable[[Path, TestCase], Outcome] | None = None) -> list[Outcome]:
    """Runs every case of one binary; see run_jobs."""
    return run_jobs([(binary, case) for case in cases], repeat, on_outcome, run)


def run_jobs(jobs: list[tuple[Path, TestCase]], repeat: int = 1,
             on_outcome: Callable[[Outcome], None] | None = None,
             run: Callable[[Path, TestCase], Outcome] | None = None) -> list[Outcome]:
    """Runs every case (repeat times; its outcome is its first non-PASS), WORKERS at once, each
    in its own process (runner.run_case). A serial case (tests/serial-tests.txt) runs alone
    once the others are done. Outcomes come back, and go to on_outcome as soon as every case
    before them is done, in the order of the jobs. run: what runs one case (default run_case;
    faults.py's runs it under faults)."""
    def run_repeated(binary: Path, case: TestCase) -> Outcome:
        first = None
        for attempt in range(repeat):
            outcome = (run or run_case)(binary, case)
            first = first or outcome
            if not outcome.passed:
                if repeat > 1:
                    outcome.detail = f"(on run {attempt + 1} of {repeat})\n" + outcome.detail
                return outcome
        return first

    outcomes: list[Outcome | None] = [None] * len(jobs)
    reported = 0

    def settle(index: int, outcome: Outcome) -> None:
        nonlocal reported
        outcomes[index] = outcome
        while reported < len(jobs) and outcomes[reported] is not None:
            if on_outcome:
                on_outcome(outcomes[reported])
            reported += 1

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        running = {pool.submit(run_repeated, binary, case): index
                   for index, (binary, case) in enumerate(jobs) if not case.serial}
        for future in as_completed(running):
            settle(running[future], future.result())
    for index, (binary, case) in enumerate(jobs):
        if case.serial:
            settle(index, run_repeated(binary, case))
    return outcomes


def evaluate(lab: Lab, side: str = "learner", pattern: str = "", repeat: int = 1,
             progress: bool = True, before_run: Callable[[list[TestCase]], None] | None = None,
             on_outcome: Callable[[Outcome], None] | None = None,
             run: Callable[[Path, TestCase], Outcome] | None = None) -> LabResult:
    """Builds the lab's targets on one side (showing the progress when there is work) and runs
    its tests: before_run sees the cases first (and may drop some from the list), on_outcome
    each outcome in order, run runs each case (run_jobs)."""
    shown = build_mod.Progress(f"building lab {lab.number}") if progress else None
    built = build_mod.build_lab(lab, side, shown)
    if not built.ok:
        return LabResult(lab, False, built)
    all_cases = list_tests(lab.test_binary(side))
    cases = select_cases(all_cases, pattern)
    if before_run:
        before_run(cases)
    return LabResult(lab, True, built,
                     run_cases(lab.test_binary(side), cases, repeat, on_outcome, run), all_cases)


def select_cases(cases: list[TestCase], pattern: str) -> list[TestCase]:
    """The cases TEST= names, in GoogleTest's filter syntax: patterns separated by ':' ('*' and
    '?' wildcards), then optionally '-' and patterns to leave out ('A.*:B.*-A.Slow'). A pattern
    without a '.' names a whole suite ('UniqueFd' is 'UniqueFd.*')."""
    if not pattern:
        return cases
    positive, _, negative = pattern.partition("-")

    def patterns(text: str) -> list[str]:
        found = [p.strip() for p in text.split(":") if p.strip()]
        return [p if "." in p or p == "*" else p + ".*" for p in found]

    wanted, unwanted = patterns(positive) or ["*"], patterns(negative)
    return [c for c in cases
            if any(fnmatch.fnmatchcase(c.name, p) for p in wanted)
            and not any(fnmatch.fnmatchcase(c.name, p) for p in unwanted)]


def suites_text(cases: list[TestCase]) -> str:
    """'  UniqueFd (7 tests)' for each suite, in order: what TEST= can name."""
    counts: dict[str, int] = {}
    for case in cases:
        suite = case.name.split(".", 1)[0]
        counts[suite] = counts.get(suite, 0) + 1
    return "\n".join(f"  {suite} ({n} test{'s' if n != 1 else ''})" for suite, n in counts.items())


def rerun_command(lab: Lab, case: TestCase) -> str:
    return f"make check LAB={lab.number} TEST={case.name}"


def print_build_failure(result: LabResult) -> None:
    errors = result.build_output.errors()
    print(f"{report.verdict('BUILD')} lab {result.lab.number} {result.lab.topic} does not compile:")
    block = result.build_output.first_error_block() or result.build_output.meson_errors()
    if block:
        print(report.indent(explain.cap_lines(block), limit=30))
        if len(errors) > 1:
            print(report.dim(f"        ({len(errors) - 1} more error{'s' if len(errors) > 2 else ''}"
                             " after it: fix this one first, the others often follow from it)"))
    else:
        print(report.indent(explain.cap_lines(result.build_output.output), limit=30))
    log = build_mod.save_log(result.build_output, f"build-{result.lab.name}.log")
    if log:
        print(f"        the whole build log: {log}")
    upstream = [up for up in result.lab.builds_on if any(f"labs/{up}/" in e for e in errors)]
    for up in upstream:
        print(f"        (that is lab {up}, which this lab builds on: "
              f"REFERENCE={up.split('-')[0]} builds it from the reference instead)")


def print_hints(outcome: Outcome, lab: Lab, prefix: str = "  ") -> None:
    """The verdict's own hint first (a LEAK, a CRASH, a HANG say much by themselves), then the
    test's first hint."""
    own = explain.verdict_hint(outcome.verdict, outcome.detail)
    if own:
        print(report.wrap(own, f"{prefix}{outcome.verdict.lower()}:  ", prefix + "       "))
    if outcome.case.hints:
        print(f"{prefix}hint:  {outcome.case.hints[0]}")
        if len(outcome.case.hints) > 1:
            print(report.dim(f"{prefix}       (more with: make hint LAB={lab.number})"))


def print_outcome(outcome: Outcome) -> None:
    points = f"{outcome.case.points if outcome.passed else 0}/{outcome.case.points}"
    print(f"  {report.verdict(outcome.verdict)} {outcome.case.name:<58} {points:>5}")
    if not outcome.passed:
        # A CRASH or a HANG shows labelled stacks (used, freed, allocated; or the stuck frames).
        print(report.indent(outcome.detail, limit=16 if outcome.verdict in ("CRASH", "HANG") else 12))


def summary_counts(outcomes: list[Outcome]) -> str:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.verdict] = counts.get(outcome.verdict, 0) + 1
    return ", ".join(f"{n} {verdict}" for verdict, n in counts.items())


def from_reference(lab: Lab, reference: list[str]) -> bool:
    """Whether REFERENCE=... (the meson option) names this lab."""
    return any(lab.name == r or lab.topic == r or (r.isdigit() and int(r) == int(lab.number))
               for r in reference)


def check(lab: Lab, pattern: str = "", repeat: int = 1,
          after_pass: Callable[[list[TestCase]], int] | None = None) -> int:
    """make check LAB=NN: exit 0 only when every test passes. after_pass: what runs once every
    test passed (checks.py: ThreadSanitizer, faults), given the cases; its exit status counts."""
    reference = build_mod.reference_labs()
    if from_reference(lab, reference):
        print(report.dim(f"lab {lab.number} is built from the reference solution "
                         f"(REFERENCE={','.join(reference)}; make check LAB={lab.number} REFERENCE= "
                         "goes back to your code)"))
    def header(cases: list[TestCase]) -> None:
        if cases:
            print(report.bold(f"lab {lab.number} {lab.topic}") +
                  report.dim(f"  ({len(cases)} test{'s' if len(cases) != 1 else ''}" +
                             (f", each run {repeat} times" if repeat > 1 else "") + ")"))

    # Each verdict is printed as soon as it and every test before it are done.
    result = evaluate(lab, pattern=pattern, repeat=repeat, before_run=header, on_outcome=print_outcome)
    if not result.built:
        print_build_failure(result)
        return 1
    if not result.outcomes:
        print(f"no test of lab {lab.number} matches TEST={pattern}; its suites are:\n"
              f"{suites_text(result.all_cases)}\n"
              "TEST= takes a suite (UniqueFd), a test (UniqueFd.ReleaseGivesUpOwnershipWithoutClosing) "
              "or GoogleTest's patterns (\"UniqueFd.*:DupFd.*\", \"UniqueFd.*-UniqueFd.Move*\")")
        return 1
    print(f"\nscore: {result.score}/{result.max_score}   ({summary_counts(result.outcomes)})")
    failure = result.first_failure()
    if failure is None:
        print(report.paint("every test passes.", "32"))
        return after_pass([o.case for o in result.outcomes]) if after_pass else 0
    print(f"\nfirst failure: {failure.case.name}  ({failure.verdict})")
    print(f"  re-run just that test:  {rerun_command(lab, failure.case)}")
    print_hints(failure, lab)
    return 1


# ------------------------------------------------------------------------------------------------
# grade

def grade(fmt: str = "text") -> int:
    """make grade: one table for all labs, filled lab by lab. Exit 0 whatever the score."""
    labs = [lab for lab in build_mod.configured_labs(all_labs()) if lab.source_dir("learner").is_dir()]
    if len(labs) < len(all_labs()):
        print(report.dim(f"this build holds labs {', '.join(lab.number for lab in labs)} only "
                         f"(meson configure {BUILD} -Dlabs= adds the others)"))
    # One build of every lab first keeps both cores busy (a lab that does not compile shows in
    # its row); then each lab's tests, its row printed as soon as they have run.
    build_mod.build_labs(labs, ["learner"], "building the labs")
    reference = build_mod.reference_labs()
    print(report.bold(f"{'lab':<22} {'score':>9}   tests"))
    results = []
    for lab in labs:
        results.append(evaluate(lab, progress=False))  # built above: quiet
        print(grade_row(results[-1], reference))
    total, maximum = sum(r.score for r in results), sum(r.max_score for r in results)
    print(report.bold(f"{'total':<22} {total:>3} / {maximum:<3}"))
    print(report.dim("details of one lab: make check LAB=NN"))
    if fmt == "json":
        path = Path(os.environ.get("RESULTS", ROOT / "results.json"))
        path.write_text(json.dumps(gradescope(results), indent=2) + "\n")
        print(f"wrote {path}")
    return 0


def grade_row(result: LabResult, reference: list[str]) -> str:
    """One lab's line of the grade table."""
    name = f"{result.lab.number} {result.lab.topic}"
    if not result.built:
        first = result.build_output.first_error()
        return f"{name:<22} {'-':>3} / {result.max_score:<3}  {report.verdict('BUILD')} does not compile: {first}"
    passed = sum(o.passed for o in result.outcomes)
    others = summary_counts([o for o in result.outcomes if not o.passed])
    note = report.dim("  (built from the reference: REFERENCE)") if from_reference(result.lab, reference) else ""
    return (f"{name:<22} {result.score:>3} / {result.max_score:<3}  "
            f"{passed} of {len(result.outcomes)} pass" + (f" ({others})" if others else "") + note)


def gradescope(results: list[LabResult]) -> dict:
    """Gradescope's results.json: one entry per test, and one per lab that does not compile."""
    tests = []
    for result in results:
        label = f"{result.lab.number} {result.lab.topic}"
        if not result.built:
            tests.append({"name": f"{label}: build", "score": 0, "max_score": result.max_score,
                          "status": "failed", "output": "does not compile:\n" + "\n".join(result.build_output.errors()[:20])})
            continue
        for outcome in result.outcomes:
            tests.append({"name": f"{label}: {outcome.case.name}",
                          "score": outcome.case.points if outcome.passed else 0,
                          "max_score": outcome.case.points,
                          "status": "passed" if outcome.passed else "failed",
                          "output": outcome.verdict + ("\n" + outcome.detail if outcome.detail else "")})
    return {"score": sum(t["score"] for t in tests), "stdout_visibility": "visible", "tests": tests}


# ------------------------------------------------------------------------------------------------
# hint

def hint(lab: Lab) -> int:
    """make hint LAB=NN: each call shows the next tier of hints for the first failing test."""
    result = evaluate(lab)
    if not result.built:
        print_build_failure(result)
        print("\nhint: fix the first compiler error first; the line and column point at it.")
        return 1
    failure = result.first_failure()
    if failure is None:
        print(f"every test of lab {lab.number} passes: no hint needed.")
        return 0
    state_path = BUILD / "hint-state.json"
    state = json.loads(state_path.read_text()) if state_path.is_file() else {}
    seen = state.get(lab.name, {})
    tier = seen.get("tier", 0) + 1 if seen.get("test") == failure.case.name else 1
    hints = failure.case.hints or ["this test has no hint: read its source in tests/ and the handout"]
    tier = min(tier, len(hints))
    state[lab.name] = {"test": failure.case.name, "tier": tier}
    state_path.write_text(json.dumps(state, indent=1))
    print(f"first failing test: {failure.case.name}  ({failure.verdict})")
    print(report.indent(failure.detail, prefix="  ", limit=6))
    own = explain.verdict_hint(failure.verdict, failure.detail)
    if own:
        print("\n" + report.wrap(own, f"what this {failure.verdict} means: ", "  "))
    for number in range(1, tier + 1):
        print(f"\nhint {number} of {len(hints)}: {hints[number - 1]}")
    if tier < len(hints):
        print(report.dim(f"\n(make hint LAB={lab.number} again for the next one)"))
    else:
        print(report.dim("\n(that was the last hint for this test; the handout's tasks say more)"))
    return 0


# ------------------------------------------------------------------------------------------------
# watch

def watch(lab: Lab) -> int:
    """make watch LAB=NN: check, then wait for a change to the lab's files, forever."""
    watched = [ROOT / "labs" / name for name in [lab.name, *lab.builds_on]] + [ROOT / "labs" / "common"]
    watched = [d for d in watched if d.is_dir()]
    try:
        while True:
            if sys.stdout.isatty():
                print("\033[2J\033[H", end="")
            check(lab)
            print(report.dim(f"\nwatching {', '.join(str(d.relative_to(ROOT)) for d in watched)} "
                             "(Ctrl-C stops)"))
            wait_for_change(watched)
    except KeyboardInterrupt:
        print()
        return 0


def wait_for_change(directories: list[Path]) -> None:
    """Blocks until a file under the directories changes: inotify where it works, else polling."""
    if shutil.which("inotifywait"):
        result = subprocess.run(["inotifywait", "-q", "-r", "-e", "close_write,create,delete,move",
                                 *map(str, directories)], capture_output=True)
        if result.returncode == 0:
            return
    before = snapshot(directories)
    while snapshot(directories) == before:
        time.sleep(0.5)


def snapshot(directories: list[Path]) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for d in directories for p in d.rglob("*") if p.is_file()}
