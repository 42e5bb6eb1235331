"""tools/syslab's command line: the optional tool modules.

Run from the repository root: python3 -m unittest discover -s tests/tools -t .
"""

from __future__ import annotations

import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import kit  # noqa: E402
from kit import cli  # noqa: E402


class OptionalModules(unittest.TestCase):
    def setUp(self) -> None:
        scratch = tempfile.TemporaryDirectory(prefix="syslab-cli-")
        self.addCleanup(scratch.cleanup)
        directory = Path(scratch.name)
        (directory / "fine_tool.py").write_text("def register(commands):\n    pass\n")
        (directory / "tool_missing_a_dependency.py").write_text("import no_such_dependency_here\n")
        kit.__path__.append(str(directory))
        self.addCleanup(kit.__path__.remove, str(directory))
        for name in ("kit.fine_tool", "kit.tool_missing_a_dependency"):
            self.addCleanup(sys.modules.pop, name, None)

    def test_an_absent_module_adds_no_command(self) -> None:
        found = cli.optional_modules(("fine_tool", "no_such_tool"))
        self.assertEqual([module.__name__ for module in found], ["kit.fine_tool"])

    def test_a_module_missing_a_dependency_is_an_error_not_a_silently_dropped_command(self) -> None:
        with self.assertRaises(ModuleNotFoundError) as raised:
            cli.optional_modules(("fine_tool", "tool_missing_a_dependency"))
        self.assertEqual(raised.exception.name, "no_such_dependency_here")

    def test_the_kits_own_modules_all_load(self) -> None:
        found = cli.optional_modules()
        self.assertEqual(len(found), len(cli.OPTIONAL_MODULES))


if __name__ == "__main__":
    unittest.main()
