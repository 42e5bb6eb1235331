"""Building one lab's targets with ninja, and telling a compile error apart from the noise.
A build that has work to do shows ninja's [n/N] progress; one that has none says nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .labs import BUILD, ROOT, Lab

NINJA_STATUS = re.compile(r"^\[(?P<done>\d+)/(?P<total>\d+)\] (?P<what>.*)$")
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

    def first_error_block(self) -> str:
        """The first compiler error with what explains it: the context lines before it ("In
        function", "In instantiation of", "required from"), the error, the source line it shows,
        and its notes (the candidates, "required from"), up to the next error. Paths are made
        relative to the repository. '' when the output holds no compiler error."""
        lines = self.output.splitlines()
        first = next((i for i, line in enumerate(lines) if ERROR_LINE.match(line)), None)
        if first is None:
            return ""
        start = first
        while start > 0 and CONTEXT_LINE.search(lines[start - 1]):
            start -= 1
        end = first + 1
        while end < len(lines) and not ERROR_LINE.match(lines[end]) and \
                not lines[end].startswith(("ninja:", "FAILED:", "[")):
            end += 1
        block = lines[start:end]
        if end < len(lines) and ERROR_LINE.match(lines[end]):
            while block and CONTEXT_LINE.search(block[-1]):  # they introduce the next error
                block.pop()
        # The error keeps the source line it quotes; its notes keep their text only (a list of
        # candidates is long enough without a quoted header line and an include chain for each).
        quoted = first - start + 1
        while quoted < len(block) and SOURCE_EXCERPT.match(block[quoted]):
            quoted += 1
        block = block[:quoted] + [line for line in block[quoted:] if not SOURCE_EXCERPT.match(line)
                                  and not INCLUDE_CHAIN.match(line)]
        return relative_to_root("\n".join(block).rstrip())

    def meson_errors(self) -> str:
        """meson's own 'ERROR:' lines, when regenerating the build failed (a mistake in a
        meson.build, an option meson refuses), paths made relative; '' when there are none."""
        return relative_to_root("\n".join(line.strip() for line in self.output.splitlines()
                                          if "ERROR:" in line))

    def first_error(self) -> str:
        errors = self.errors()
        return errors[0] if errors else (self.output.strip().splitlines() or ["build failed"])[-1]


# The lines GCC prints before an error to say where it happened and how it got there.
CONTEXT_LINE = re.compile(r": In (?:member )?function|: In instantiation of|: In constructor|"
                          r": In destructor|: At global scope|: In lambda function|"
                          r"^In file included from|^\s+from \S+:\d+[,:]$|required from|"
                          r"required by substitution|In substitution of")


# "  112 |   return x;" and "      |          ^~~": GCC quoting the source under a message.
SOURCE_EXCERPT = re.compile(r"^\s*(?:\d+\s)?\s*\|")
INCLUDE_CHAIN = re.compile(r"^(?:In file included from |\s+from )\S+:\d+[,:]$")


def relative_to_root(text: str) -> str:
    """Compilers name sources relative to the build directory: '../labs/...' -> 'labs/...'."""
    prefix = os.path.relpath(ROOT, BUILD) + "/"
    return text.replace(prefix, "") if prefix != "./" else text


def save_log(result: BuildResult, name: str, build_dir: Path = BUILD) -> str:
    """Keeps a build's whole output in build/logs/NAME, for the errors not shown; returns the
    path to print (relative to the repository where it can be), or '' if it cannot be written."""
    path = build_dir / "logs" / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(result.output)
    except OSError:
        return ""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


class Progress:
    """Shows a build's progress from ninja's "[n/N] what" lines: in a terminal, one line rewritten
    in place; elsewhere (a CI log), a line at the start, at every tenth and at the end. Nothing at
    all when ninja has nothing to do."""

    def __init__(self, label: str, stream: IO[str] | None = None):
        self.label = label
        self.stream = stream or sys.stdout
        self.started = time.monotonic()
        self.shown_tenth = -1
        self.total = 0

    def step(self, done: int, total: int, what: str) -> None:
        self.total = total
        if self.stream.isatty():
            line = f"{self.label} [{done}/{total}] {what}"
            self.stream.write("\r\033[K" + line[:terminal_width() - 1])
            self.stream.flush()
            return
        tenth = done * 10 // max(total, 1)
        if tenth > self.shown_tenth:
            self.shown_tenth = tenth
            print(f"{self.label} [{done}/{total}]", file=self.stream, flush=True)

    def finish(self) -> None:
        if not self.total:
            return  # nothing was built: say nothing
        if self.stream.isatty():
            self.stream.write("\r\033[K")
        seconds = time.monotonic() - self.started
        print(f"{self.label}: {self.total} build steps in {seconds:.0f} s", file=self.stream, flush=True)


def terminal_width() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 100


def ninja(*targets: str, build_dir: Path = BUILD, progress: Progress | None = None,
          keep_going: bool = False) -> BuildResult:
    """Builds the given targets; ninja only redoes what changed. keep_going: build all that can
    be built even after a failure (one lab that does not compile must not stop the others)."""
    command = ["ninja", "-C", str(build_dir), *(["-k", "0"] if keep_going else []), *targets]
    if progress is None:
        result = subprocess.run(command, capture_output=True, text=True)
        return BuildResult(result.returncode == 0, result.stdout + result.stderr)
    # NINJA_STATUS: ninja's default format, whatever the caller's environment says.
    output = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env={**os.environ, "NINJA_STATUS": "[%f/%t] "}) as process:
        for line in process.stdout:
            output.append(line)
            status = NINJA_STATUS.match(line.rstrip("\n"))
            if status:
                progress.step(int(status["done"]), int(status["total"]), status["what"])
    progress.finish()
    return BuildResult(process.returncode == 0, "".join(output))


def build_lab(lab: Lab, side: str, progress: Progress | None = None) -> BuildResult:
    return ninja(lab.build_target(side), progress=progress)


def build_labs(labs: list[Lab], sides: list[str], label: str) -> BuildResult:
    """Builds several labs' sides in one ninja run, so that both cores stay busy across labs,
    with progress; each lab's own result comes from build_lab afterwards (a no-op when built)."""
    targets = [lab.build_target(side) for lab in labs for side in sides]
    return ninja(*targets, progress=Progress(label), keep_going=True)


def build_option(name: str, build_dir: Path = BUILD):
    """The value of one meson option of the build directory (None when it cannot be read): from
    the file meson keeps up to date at every (re)configure, which is much cheaper than starting
    meson introspect."""
    try:
        text = (build_dir / "meson-info" / "intro-buildoptions.json").read_text()
    except OSError:
        try:
            text = subprocess.run(["meson", "introspect", "--buildoptions", str(build_dir)],
                                  capture_output=True, text=True, check=True).stdout
        except (subprocess.CalledProcessError, OSError):
            return None
    return next((option["value"] for option in json.loads(text) if option["name"] == name), None)


def configured_labs(labs: list[Lab], build_dir: Path = BUILD) -> list[Lab]:
    """The labs that the build holds: every lab, unless it was configured with -Dlabs=... (then
    those and the labs they build on, as meson.build chooses them)."""
    wanted = set(build_option("labs", build_dir) or [])
    if not wanted:
        return labs
    for lab in reversed(labs):  # a lab builds on earlier labs only
        if lab.name in wanted:
            wanted.update(lab.builds_on)
    return [lab for lab in labs if lab.name in wanted]


def reference_labs() -> list[str]:
    """The labs that the learner side takes from the reference (make ... REFERENCE=02,04)."""
    return list(build_option("reference") or [])
