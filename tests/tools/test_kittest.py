"""make test's own bookkeeping: the table of where the time went.

Run from the repository root: python3 -m unittest discover -s tests/tools -t .
"""

from __future__ import annotations

import subprocess
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from kit import kittest  # noqa: E402


class PhaseTable(unittest.TestCase):
    def test_one_row_per_phase_in_order_with_its_parts_and_a_total(self) -> None:
        clock = kittest.PhaseClock()
        clock.rows = {"lab 01-getpid": {"build": 3.0, "solution": 4.25, "skeleton": 1.0},
                      "slides": {"": 0.5}, "demos": {"": 75.0}}
        clock.cpu = {"lab 01-getpid": 12.0, "slides": 0.25, "demos": 30.0}
        lines = clock.table().splitlines()
        self.assertEqual(lines[0].split(), ["phase", "time", "cpu"])
        self.assertEqual(lines[1].split()[:6], ["lab", "01-getpid", "8.2", "s", "12.0", "s"])
        self.assertIn("(build 3.0 s, solution 4.2 s, skeleton 1.0 s)", lines[1])
        self.assertEqual(lines[2].split(), ["slides", "0.5", "s", "0.2", "s"])
        self.assertEqual(lines[3].split(), ["demos", "1:15", "30.0", "s"])
        self.assertEqual(lines[4].split(), ["total", "1:24", "42.2", "s"])

    def test_a_phase_is_timed_even_when_it_fails(self) -> None:
        clock = kittest.PhaseClock()
        with self.assertRaises(RuntimeError), clock.phase("broken"):
            raise RuntimeError("boom")
        with clock.phase("lab 02", "build"):
            pass
        with clock.phase("lab 02", "build"):  # a part timed twice adds up
            pass
        self.assertEqual(list(clock.rows), ["broken", "lab 02"])
        self.assertEqual(list(clock.rows["lab 02"]), ["build"])

    def test_the_cpu_time_of_the_phases_processes_is_counted(self) -> None:
        clock = kittest.PhaseClock()
        with clock.phase("busy child"):
            subprocess.run([sys.executable, "-c", "sum(range(3_000_000))"], check=True)
        self.assertGreater(clock.cpu["busy child"], 0.0)

    def test_durations(self) -> None:
        self.assertEqual(kittest.duration_text(0.04), "0.0 s")
        self.assertEqual(kittest.duration_text(59.94), "59.9 s")
        self.assertEqual(kittest.duration_text(60), "1:00")
        self.assertEqual(kittest.duration_text(305.4), "5:05")


if __name__ == "__main__":
    unittest.main()
