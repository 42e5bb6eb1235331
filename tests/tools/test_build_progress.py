"""The build shows its progress while ninja has work, and says nothing when it has none.

Run from the repository root: python3 -m unittest discover -s tests/tools -t .
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from kit import build  # noqa: E402

# Twelve outputs, each made by one step, so that a build from scratch has twelve steps.
BUILD_NINJA = "rule touch\n  command = touch $out\n  description = TOUCH $out\n" + \
    "".join(f"build out{i}: touch\n" for i in range(12)) + \
    "build all: phony " + " ".join(f"out{i}" for i in range(12)) + "\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@unittest.skipUnless(shutil.which("ninja"), "ninja is not installed")
class BuildProgress(unittest.TestCase):
    def setUp(self) -> None:
        scratch = tempfile.TemporaryDirectory(prefix="syslab-progress-")
        self.addCleanup(scratch.cleanup)
        self.dir = Path(scratch.name)
        (self.dir / "build.ninja").write_text(BUILD_NINJA)

    def build(self, stream: io.StringIO) -> build.BuildResult:
        return build.ninja("all", build_dir=self.dir, progress=build.Progress("building lab 03", stream))

    def test_a_build_from_scratch_shows_progress_lines_then_nothing_once_built(self) -> None:
        log = io.StringIO()
        self.assertTrue(self.build(log).ok)
        lines = log.getvalue().splitlines()
        self.assertEqual(lines[0], "building lab 03 [1/12]")
        self.assertIn("building lab 03 [12/12]", lines)
        self.assertRegex(lines[-1], r"^building lab 03: 12 build steps in \d+ s$")
        self.assertLessEqual(len(lines), 12, "a log gets a line per tenth, not one per step")

        again = io.StringIO()
        result = self.build(again)
        self.assertTrue(result.ok)
        self.assertEqual(again.getvalue(), "", "nothing to build: nothing to say")
        self.assertIn("no work to do", result.output)

    def test_a_terminal_gets_one_line_rewritten_in_place(self) -> None:
        terminal = Terminal()
        self.assertTrue(self.build(terminal).ok)
        text = terminal.getvalue()
        self.assertIn("\r\033[Kbuilding lab 03 [1/12] TOUCH out", text)
        self.assertIn("\r\033[Kbuilding lab 03 [12/12] TOUCH out", text)
        self.assertEqual(text.count("\n"), 1, "only the final line ends with a newline")
        self.assertRegex(text, r"\r\033\[Kbuilding lab 03: 12 build steps in \d+ s\n$")

    def test_a_failed_step_keeps_the_compilers_output_for_the_verdict(self) -> None:
        (self.dir / "build.ninja").write_text(
            "rule fail\n  command = echo 'x.cpp:3:1: error: boom' && false\n  description = CXX x.o\n"
            "build x.o: fail\n")
        log = io.StringIO()
        result = build.ninja("x.o", build_dir=self.dir, progress=build.Progress("building lab 03", log))
        self.assertFalse(result.ok)
        self.assertIn("x.cpp:3:1: error: boom", result.output)
        self.assertIn("building lab 03 [1/1]", log.getvalue())

    def test_without_progress_the_build_is_silent(self) -> None:
        result = build.ninja("all", build_dir=self.dir)
        self.assertTrue(result.ok)
        self.assertIn("[12/12]", result.output)


if __name__ == "__main__":
    unittest.main()
