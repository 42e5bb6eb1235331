"""The runner's verdict on a ThreadSanitizer report (make tsan, and make test's TSan phase).

Run from the repository root: python3 -m unittest discover -s tests/tools -t .
"""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from kit import runner  # noqa: E402

REPORT = """[ RUN      ] ThreadGroup.JoinsThreadsAsTheyFinish
==================
WARNING: ThreadSanitizer: data race (pid=24668)
  Read of size 8 at 0x7ffcd24b7198 by thread T2:
    #0 std::vector<unsigned long>::push_back(unsigned long const&) /usr/include/c++/12/bits/stl_vector.h:1281 (tests+0x1)
    #1 tmodels::ThreadGroup::mark_finished(unsigned long) ../solutions/09-thread-models/thread_group.cpp:15 (tests-09-thread-models-solution+0x92e19)

  Previous write of size 8 at 0x7ffcd24b7198 by main thread (mutexes: write M82):
    #3 tmodels::ThreadGroup::join_finished() ../solutions/09-thread-models/thread_group.cpp:27 (tests-09-thread-models-solution+0x92ed9)

SUMMARY: ThreadSanitizer: data race ../solutions/09-thread-models/thread_group.cpp:15 in tmodels::ThreadGroup::mark_finished(unsigned long)
==================
"""


class TsanVerdict(unittest.TestCase):
    def test_a_report_is_a_crash_with_both_sides_of_the_race(self) -> None:
        outcome = runner.Outcome(runner.TestCase("ThreadGroup.JoinsThreadsAsTheyFinish"), "PASS",
                                 output=REPORT)
        runner.decide(outcome, 66, None, 10, "")  # halt_on_error=1: exit status 66, no JSON
        self.assertEqual(outcome.verdict, "CRASH")
        lines = outcome.detail.splitlines()
        self.assertEqual(lines[0], "ThreadSanitizer stopped it: data race")
        self.assertIn("Read of size 8 at 0x7ffcd24b7198 by thread T2:", outcome.detail)
        self.assertIn("in tmodels::ThreadGroup::mark_finished(unsigned long) "
                      "solutions/09-thread-models/thread_group.cpp:15", outcome.detail)
        self.assertIn("in tmodels::ThreadGroup::join_finished() "
                      "solutions/09-thread-models/thread_group.cpp:27", outcome.detail)
        self.assertTrue(lines[-1].startswith("SUMMARY: ThreadSanitizer: data race solutions/"))

    def test_the_test_environment_makes_tsan_stop_at_its_first_report(self) -> None:
        self.assertIn("halt_on_error=1", runner.TEST_ENV["TSAN_OPTIONS"])


if __name__ == "__main__":
    unittest.main()
