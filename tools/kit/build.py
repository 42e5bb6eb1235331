"""Building one lab's targets with ninja, and telling a compile error apart from the noise."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .labs import BUILD, ROOT, Lab

ERROR_LINE = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):(?:\d+:)? (?:fatal )?error: (?P<text>.*)$")


@dataclass
class BuildResult:
    ok: bool
    output: str

    def errors(self) -> list[str]:
        """Compiler and linker errors, with paths relative to the repository."""
        found = []
        for line in self.output.splitlines():
            match = ERROR_LINE.match(line)
            if match:
                path = os.path.relpath(os.path.normpath(BUILD / match["file"]), ROOT)
                found.append(f"{path}:{match['line']}: error: {match['text']}")
            elif "undefined reference to" in line or line.startswith("ninja: error"):
                found.append(line.strip())
        return found

    def first_error(self) -> str:
        errors = self.errors()
        return errors[0] if errors else (self.output.strip().splitlines() or ["build failed"])[-1]


def ninja(*targets: str, build_dir: Path = BUILD) -> BuildResult:
    """Builds the given targets; ninja only redoes what changed."""
    result = subprocess.run(["ninja", "-C", str(build_dir), *targets], capture_output=True, text=True)
    return BuildResult(result.returncode == 0, result.stdout + result.stderr)


def build_lab(lab: Lab, side: str) -> BuildResult:
    return ninja(lab.build_target(side))


def build_option(name: str, build_dir: Path = BUILD):
    """The value of one meson option of the build directory (None when it cannot be read)."""
    try:
        text = subprocess.run(["meson", "introspect", "--buildoptions", str(build_dir)],
                              capture_output=True, text=True, check=True).stdout
    except (subprocess.CalledProcessError, OSError):
        return None
    return next((option["value"] for option in json.loads(text) if option["name"] == name), None)


def reference_labs() -> list[str]:
    """The labs that the learner side takes from the reference (make ... REFERENCE=02,04)."""
    return list(build_option("reference") or [])
