"""Tests of tools/kit/skeleton.py (the generator and the drift check) and of the rules make test
applies to it. Run from the repository root: python3 -m unittest discover -s tests/tools -t .
Each drift test builds a small kit in a temporary directory."""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from kit import kittest, skeleton  # noqa: E402
from kit import labs as labs_mod  # noqa: E402

SOLUTION = textwrap.dedent("""\
    #include "x.hpp"

    #include <unistd.h>

    namespace x {

    // BEGIN SOLUTION
    namespace {
    int helper() { return 1; }
    }  // namespace
    // END SOLUTION

    // [slide:answer]
    int answer() {
      // BEGIN SOLUTION: return "the" answer
      return helper() + 41;
      // END SOLUTION
    }
    // [/slide]

    }  // namespace x
    """)


class StripSolution(unittest.TestCase):
    def test_a_region_with_text_becomes_a_stub_with_its_indentation(self):
        out = skeleton.strip_solution(SOLUTION)
        self.assertIn('  SYSLAB_TODO("return \\"the\\" answer");\n', out)
        self.assertNotIn("return helper() + 41", out)

    def test_a_region_without_text_goes_whole_without_leaving_two_blank_lines(self):
        out = skeleton.strip_solution(SOLUTION)
        self.assertNotIn("helper", out)
        self.assertNotIn("\n\n\n", out)

    def test_slide_markers_are_dropped(self):
        self.assertNotIn("[slide", skeleton.strip_solution(SOLUTION))
        self.assertNotIn("[/slide", skeleton.strip_solution(SOLUTION))

    def test_the_stub_header_is_included_after_the_last_include(self):
        out = skeleton.strip_solution(SOLUTION)
        self.assertIn('#include <unistd.h>\n#include "syslab/todo.hpp"\n', out)

    def test_a_file_without_stubs_gets_no_include(self):
        self.assertEqual(skeleton.strip_solution("#include <x>\nint y;\n"), "#include <x>\nint y;\n")

    def test_hash_comments_work_in_meson_files(self):
        text = "a = 1\n# BEGIN SOLUTION\nb = 2\n# END SOLUTION\nc = 3\n"
        self.assertEqual(skeleton.strip_solution(text), "a = 1\nc = 3\n")

    def test_broken_markers_name_the_file_and_line(self):
        cases = {
            "// BEGIN SOLUTION\n// BEGIN SOLUTION\n// END SOLUTION\n": "f.cpp:2: BEGIN SOLUTION inside",
            "int a;\n// END SOLUTION\n": "f.cpp:2: END SOLUTION without",
            "// BEGIN SOLUTION: x\nint a;\n": "f.cpp:1: BEGIN SOLUTION is never closed",
        }
        for text, message in cases.items():
            with self.subTest(message), self.assertRaises(skeleton.MarkerError) as raised:
                skeleton.strip_solution(text, "f.cpp")
            self.assertIn(message, str(raised.exception))


class TempKit:
    """A kit with one lab, 01-x, whose ROOT replaces the real one while the test runs."""

    def __init__(self, test: unittest.TestCase):
        directory = tempfile.TemporaryDirectory()
        test.addCleanup(directory.cleanup)
        self.root = Path(directory.name)
        (self.root / "labs").mkdir()
        (self.root / "labs" / "labs.txt").write_text("01-x\n")
        self.solution = self.root / "solutions" / "01-x" / "x.cpp"
        self.solution.parent.mkdir(parents=True)
        self.solution.write_text(SOLUTION)
        self.lab_file = self.root / "labs" / "01-x" / "x.cpp"
        old_root = labs_mod.ROOT
        labs_mod.ROOT = self.root
        test.addCleanup(setattr, labs_mod, "ROOT", old_root)
        self.lab = labs_mod.all_labs()[0]

    def kinds(self) -> dict[str, str]:
        return {d.path: d.kind for d in skeleton.compare_labs([self.lab])}


class Drift(unittest.TestCase):
    def setUp(self):
        self.kit = TempKit(self)
        written, refused = skeleton.update_labs([self.kit.lab], force=False)
        self.assertEqual((written, refused), (["01-x/x.cpp"], []))

    def test_generated_labs_match(self):
        self.assertEqual(self.kit.kinds(), {})
        self.assertTrue(skeleton.manifest_path(self.kit.lab).is_file())

    def test_a_changed_solution_makes_an_untouched_file_stale(self):
        self.kit.solution.write_text(SOLUTION.replace("int answer()", "long answer()"))
        self.assertEqual(self.kit.kinds(), {"01-x/x.cpp": "stale"})
        self.assertEqual(skeleton.update_labs([self.kit.lab], force=False)[1], [])
        self.assertEqual(self.kit.kinds(), {})

    def test_a_learners_edit_is_never_overwritten_unless_forced(self):
        self.kit.lab_file.write_text("my work\n")
        self.assertEqual(self.kit.kinds(), {"01-x/x.cpp": "edited"})
        self.assertEqual(skeleton.update_labs([self.kit.lab], force=False)[1], ["01-x/x.cpp"])
        self.assertEqual(self.kit.lab_file.read_text(), "my work\n")
        # Still the learner's after a refused update: the manifest kept the old hash.
        self.assertEqual(self.kit.kinds(), {"01-x/x.cpp": "edited"})
        skeleton.update_labs([self.kit.lab], force=True)
        self.assertEqual(self.kit.kinds(), {})

    def test_missing_and_extra_files_are_reported(self):
        self.kit.lab_file.unlink()
        (self.kit.lab_file.parent / "mine.cpp").write_text("")
        self.assertEqual(self.kit.kinds(), {"01-x/x.cpp": "missing", "01-x/mine.cpp": "extra"})

    def test_make_test_fails_on_drift_only_when_strict(self):
        self.kit.lab_file.write_text("a hand edit\n")
        for strict, failures in ((True, 1), (False, 0)):
            tally = kittest.Tally()
            with contextlib.redirect_stdout(io.StringIO()):
                kittest.check_drift([self.kit.lab], strict, tally)
            self.assertEqual(len(tally.failures), failures, f"strict={strict}")


class SkeletonRule(unittest.TestCase):
    def test_a_test_that_passes_on_the_skeleton_is_a_problem(self):
        self.assertIn("tests nothing", kittest.skeleton_problem("01-x A.B", True, {}))

    def test_a_failing_test_is_fine(self):
        self.assertIsNone(kittest.skeleton_problem("01-x A.B", False, {}))

    def test_a_listed_exception_must_really_pass(self):
        allowed = {"01-x A.B": "a reason"}
        self.assertIsNone(kittest.skeleton_problem("01-x A.B", True, allowed))
        self.assertIn("listed", kittest.skeleton_problem("01-x A.B", False, allowed))


if __name__ == "__main__":
    unittest.main()
