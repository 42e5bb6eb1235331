"""The runner's own test: every verdict, each on its own, none affecting the others.

tests/runner/selftest.cpp has one test per verdict; this runs the runner on it and compares."""

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
    "Verdicts.ThrowsUnexpectedly": ("FAIL", "boom"),
    "Verdicts.Hangs": ("HANG", "read(2)"),
    "Verdicts.LeaksAnFd": ("LEAK", "pipe:"),
    "Verdicts.LeaksAZombie": ("LEAK", "zombie"),
    "Verdicts.PassesAfterOthersFailed": ("PASS", ""),
}


def run_selftest(binary: Path = BINARY) -> list[str]:
    """Problems found; empty when every verdict is right."""
    cases = list_tests(binary)
    problems = []
    missing = set(EXPECTED) - {c.name for c in cases}
    problems += [f"{name}: not in {binary.name}" for name in sorted(missing)]
    for outcome in run_cases(binary, [c for c in cases if c.name in EXPECTED]):
        verdict, text = EXPECTED[outcome.case.name]
        if outcome.verdict != verdict or text not in outcome.detail:
            problems.append(f"{outcome.case.name}: expected {verdict} mentioning {text!r}, "
                            f"got {outcome.verdict}: {outcome.detail[:300]}")
    return problems
