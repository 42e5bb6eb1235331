"""Tests run several at once, one per core, but are reported in their own order; a serial test
(tests/serial-tests.txt) runs alone.

Run from the repository root: python3 -m unittest discover -s tests/tools -t .
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from kit import learner, runner  # noqa: E402


class FakeRuns:
    """Stands in for runner.run_case: each case takes the time in its name ("slow" or not),
    and the fake records how many ran at once beside each case."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[str] = set()
        self.neighbours: dict[str, set[str]] = {}
        self.started: list[str] = []

    def __call__(self, binary: Path, case: runner.TestCase) -> runner.Outcome:
        with self.lock:
            self.started.append(case.name)
            self.neighbours.setdefault(case.name, set()).update(self.running)
            for other in self.running:
                self.neighbours.setdefault(other, set()).add(case.name)
            self.running.add(case.name)
        time.sleep(0.3 if "Slow" in case.name else 0.05)
        with self.lock:
            self.running.discard(case.name)
        return runner.Outcome(case, "FAIL" if "Fails" in case.name else "PASS")


def cases(*names: str, serial: tuple[str, ...] = ()) -> list[runner.TestCase]:
    return [runner.TestCase(name, serial=name in serial) for name in names]


class ParallelRuns(unittest.TestCase):
    def run_jobs(self, tests: list[runner.TestCase], workers: int = 2):
        fake = FakeRuns()
        reported: list[str] = []
        with mock.patch.object(learner, "run_case", fake), mock.patch.object(learner, "WORKERS", workers):
            outcomes = learner.run_cases(Path("tests-x"), tests,
                                         on_outcome=lambda o: reported.append(o.case.name))
        return fake, [o.case.name for o in outcomes], reported

    def test_outcomes_come_back_and_are_reported_in_the_tests_order(self) -> None:
        names = ["A.Slow", "A.Quick", "A.Fails", "B.Quick", "B.Slow", "B.Last"]
        fake, outcomes, reported = self.run_jobs(cases(*names))
        self.assertEqual(outcomes, names)
        self.assertEqual(reported, names)
        self.assertTrue(fake.neighbours["A.Slow"], "with two cores, tests run beside each other")

    def test_a_serial_test_runs_alone_after_the_others(self) -> None:
        names = ["C10k.Slow", "A.Quick", "A.Slow", "C10k.Other", "B.Quick"]
        fake, outcomes, reported = self.run_jobs(cases(*names, serial=("C10k.Slow", "C10k.Other")))
        self.assertEqual(outcomes, names)
        self.assertEqual(reported, names)
        self.assertEqual(fake.neighbours["C10k.Slow"], set())
        self.assertEqual(fake.neighbours["C10k.Other"], set())
        self.assertEqual(fake.started[-2:], ["C10k.Slow", "C10k.Other"])

    def test_repeat_keeps_the_first_failure(self) -> None:
        fake = FakeRuns()
        with mock.patch.object(learner, "run_case", fake):
            outcomes = learner.run_cases(Path("tests-x"), cases("A.Fails", "A.Quick"), repeat=3)
        self.assertEqual([o.verdict for o in outcomes], ["FAIL", "PASS"])
        self.assertIn("(on run 1 of 3)", outcomes[0].detail)
        self.assertEqual(fake.started.count("A.Quick"), 3)


class SerialList(unittest.TestCase):
    def test_the_kits_list_names_the_c10k_tests(self) -> None:
        self.assertIn("C10k.*", runner.serial_patterns("11-epoll"))
        self.assertEqual(runner.serial_patterns("01-getpid"), [])

    def test_a_line_needs_a_reason(self) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
            listing.write("# comment\n11-epoll C10k.*\n")
            listing.flush()
            with self.assertRaisesRegex(ValueError, ":2: a line is"):
                runner.serial_patterns("11-epoll", Path(listing.name))


if __name__ == "__main__":
    unittest.main()
