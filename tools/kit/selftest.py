"""The runner's own test: every verdict, each on its own, none affecting the others, and the
words that make a failure teach (named exceptions, labelled stacks, spinning or blocked, ...).

tests/runner/selftest.cpp has one test per verdict and per such failure; this runs the runner on
it and compares."""

from __future__ import annotations

from pathlib import Path

from .labs import BUILD
from .learner import run_cases
from .runner import list_tests

BINARY = BUILD / "tests" / "runner" / "tests-runner-selftest"

# test -> (verdict, a piece of text the detail must contain)
EXPECTED = {
    "Verdicts.Passes": ("PASS", ""),
    "Verdicts.FailsWithExpectedAndActual": ("FAIL", "41"),
    "Verdicts.ReachesTodo": ("TODO", "unfinished_function(): not written yet: return the answer"),
    "Verdicts.ReachesTodoInAChild": ("TODO", "unfinished_function()"),
    "Verdicts.CrashesWithSegv": ("CRASH", "SIGSEGV"),
    "Verdicts.CrashesOnUndefinedBehaviour": ("CRASH", "runtime error"),
    "Verdicts.ThrowsUnexpectedly": ("FAIL", "Verdicts.ThrowsUnexpectedly ended with an exception "
                                            "that nothing caught: std::runtime_error: boom"),
    "Verdicts.Hangs": ("HANG", "read(2)"),
    "Verdicts.LeaksAnFd": ("LEAK", "pipe:"),
    "Verdicts.LeaksAZombie": ("LEAK", "zombie"),
    "Verdicts.PassesAfterOthersFailed": ("PASS", ""),
    # The verdicts that teach (issue 11, section 4): several pieces of text each.
    "Teaching.EscapingExceptionIsNamedWithItsType": (
        "FAIL", ("ended with an exception that nothing caught: std::system_error: readdir",)),
    "Teaching.ChildExceptionIsReportedAsItself": (
        "FAIL", ("threw std::runtime_error: pipe2: Too many open files",)),
    "Teaching.OwnBoundedWaitIsAHang": (
        "HANG", ("the forked child", "blocked in read(2)", "tests/runner/selftest.cpp:")),
    "Teaching.SpinningIsToldFromBlocked": ("HANG", ("spinning", "spin_forever")),
    "Teaching.ASpinningChildIsNamedWhenTheTestWaitsForIt": (
        "HANG", ("blocked in poll(2)", "its child process", "spinning", "spin_forever")),
    "Teaching.UseAfterFreeShowsWhereItWasFreed": (
        "CRASH", ("heap-use-after-free", "used at", "freed at", "allocated at")),
    "Teaching.LongStringMismatchIsSummarised": (
        "FAIL", ("32000 bytes", "14 bytes", "they differ from byte 14 on")),
    "Teaching.NposIsPrintedAsNpos": ("FAIL", ("Which is: npos",)),
    "Teaching.ExitWithoutReportShowsTheTail": (
        "CRASH", ("before its report was written", "Too many open files")),
}
LONGEST_LINE = 250  # no line of a detail is longer (report.LINE_WIDTH and a little)


def run_selftest(binary: Path = BINARY) -> list[str]:
    """Problems found; empty when every verdict is right."""
    cases = list_tests(binary)
    problems = []
    missing = set(EXPECTED) - {c.name for c in cases}
    problems += [f"{name}: not in {binary.name}" for name in sorted(missing)]
    for outcome in run_cases(binary, [c for c in cases if c.name in EXPECTED]):
        verdict, texts = EXPECTED[outcome.case.name]
        texts = (texts,) if isinstance(texts, str) else texts
        missing_text = [text for text in texts if text not in outcome.detail]
        if outcome.verdict != verdict or missing_text:
            problems.append(f"{outcome.case.name}: expected {verdict} mentioning {missing_text!r}, "
                            f"got {outcome.verdict}: {outcome.detail[:600]}")
        longest = max((len(line) for line in outcome.detail.splitlines()), default=0)
        if longest > LONGEST_LINE:
            problems.append(f"{outcome.case.name}: a line of {longest} characters in its detail")
    return problems
