"""make format-check (and make test's phase): which files clang-format would change.

Run from the repository root: python3 -m unittest discover -s tests/tools -t .
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from kit import format as format_mod  # noqa: E402


@unittest.skipUnless(shutil.which("clang-format"), "clang-format is not installed")
class Unformatted(unittest.TestCase):
    def test_only_the_files_clang_format_would_change_are_named(self) -> None:
        with tempfile.TemporaryDirectory(prefix="syslab-format-") as scratch:
            directory = Path(scratch)
            shutil.copyfile(ROOT / ".clang-format", directory / ".clang-format")
            files = {"bad.cpp": "int  main( ){return 0;}\n", "good.cpp": "int main() { return 0; }\n",
                     "bad.hpp": "int   x;\n", "good.hpp": "int x;\n", "also_good.cpp": "int y;\n"}
            for name, text in files.items():
                (directory / name).write_text(text)
            paths = sorted(directory / name for name in files)
            tool = shutil.which("clang-format")
            self.assertEqual([p.name for p in format_mod.unformatted(tool, paths)], ["bad.cpp", "bad.hpp"])
            changed = format_mod.changes(tool, paths)
            self.assertEqual(changed[0][2], "int main() { return 0; }\n")
            self.assertEqual(format_mod.unformatted(tool, []), [])


if __name__ == "__main__":
    unittest.main()
