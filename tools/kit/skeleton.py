"""The skeleton generator: labs/NN-name is solutions/NN-name with the solution regions cut out.

In a solution file, a region

    // BEGIN SOLUTION: read pid, ppid, pgid and sid with the syscalls
    ...the reference code...
    // END SOLUTION

becomes one stub line, SYSLAB_TODO("read pid, ppid, ..."), which fails at run time with a
message naming the lab, the function and that text. A region without text after BEGIN SOLUTION
is removed entirely (helpers that only the solution needs). `#` comments work the same way in
non-C++ files. Slide markers (// [slide:name] and // [/slide]) are dropped from skeletons.
The markers are defined in markers.py, shared with the slide code sync.

labs/NN-name/.skeleton-manifest records a hash of every file as last generated, so the generator can tell
a learner's edit from a stale skeleton and never overwrites a learner's work unless forced.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import labs as labs_mod
from .markers import SLIDE_MARKER_LINE as SLIDE
from .markers import SOLUTION_BEGIN as BEGIN
from .markers import SOLUTION_END as END

INCLUDE = re.compile(r'^#include [<"]')
TODO_INCLUDE = '#include "syslab/todo.hpp"'
CXX_SUFFIXES = {".cpp", ".hpp", ".cc", ".h"}
MANIFEST_NAME = ".skeleton-manifest"  # one per lab directory, so that labs merge independently


class MarkerError(Exception):
    pass


def c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def strip_solution(text: str, where: str = "<text>") -> str:
    """The skeleton version of one solution file."""
    out: list[str] = []
    region_start = None
    removed_region = False  # the region just closed was removed whole: don't leave two blank lines
    needs_todo_include = False
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if region_start is not None:
                raise MarkerError(f"{where}:{number}: BEGIN SOLUTION inside the region opened at line {region_start}")
            region_start = number
            removed_region = not begin.group("todo")
            if begin.group("todo"):
                out.append(f"{begin.group('indent')}SYSLAB_TODO({c_string(begin.group('todo'))});\n")
                needs_todo_include = True
        elif end:
            if region_start is None:
                raise MarkerError(f"{where}:{number}: END SOLUTION without a BEGIN SOLUTION")
            region_start = None
        elif region_start is None and not SLIDE.match(line):
            if removed_region and not line.strip() and (not out or not out[-1].strip()):
                continue
            removed_region = False
            out.append(line)
    if region_start is not None:
        raise MarkerError(f"{where}:{region_start}: BEGIN SOLUTION is never closed by END SOLUTION")
    if needs_todo_include and not any(TODO_INCLUDE in line for line in out):
        out = insert_include(out)
    return "".join(out)


def insert_include(lines: list[str]) -> list[str]:
    """Adds the stub's header after the file's last #include (or after #pragma once)."""
    anchor = max((i for i, line in enumerate(lines) if INCLUDE.match(line)), default=None)
    if anchor is None:
        anchor = next((i for i, line in enumerate(lines) if line.startswith("#pragma once")), -1)
        return lines[: anchor + 1] + ["\n", TODO_INCLUDE + "\n"] + lines[anchor + 1 :]
    return lines[: anchor + 1] + [TODO_INCLUDE + "\n"] + lines[anchor + 1 :]


def generated_files(lab: labs_mod.Lab) -> dict[str, str]:
    """Relative path ("01-getpid/identity.cpp") -> skeleton text, for every file of the lab."""
    files = {}
    source_dir = labs_mod.ROOT / "solutions" / lab.name
    for path in sorted(p for p in source_dir.rglob("*") if p.is_file()):
        relative = f"{lab.name}/{path.relative_to(source_dir)}"
        text = path.read_text()
        files[relative] = strip_solution(text, str(path.relative_to(labs_mod.ROOT))) if (
            path.suffix in CXX_SUFFIXES or path.name == "meson.build") else text
    return files


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def manifest_path(lab: labs_mod.Lab) -> Path:
    return labs_mod.ROOT / "labs" / lab.name / MANIFEST_NAME


def manifest_text(lab: labs_mod.Lab, files: dict[str, str]) -> str:
    """The manifest of a lab's generated files: {"identity.cpp": sha256, ...}."""
    prefix = lab.name + "/"
    hashes = {relative.removeprefix(prefix): digest(text) for relative, text in files.items()}
    return json.dumps(dict(sorted(hashes.items())), indent=1) + "\n"


def load_manifest(lab: labs_mod.Lab) -> dict[str, str]:
    """Hashes of the lab's files as last generated, keyed like generated_files ("NN-name/x.cpp")."""
    path = manifest_path(lab)
    if not path.is_file():
        return {}
    return {f"{lab.name}/{name}": sha for name, sha in json.loads(path.read_text()).items()}


def write_if_changed(path: Path, text: str) -> bool:
    """Writes only when the text differs, so that the build does not redo unchanged work."""
    if path.is_file() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def write_fresh(into: Path) -> int:
    """Writes every lab's skeleton under `into` (the .fresh/ copy that make test checks)."""
    changed = 0
    for lab in labs_mod.all_labs():
        for relative, text in generated_files(lab).items():
            changed += write_if_changed(into / relative, text)
    return changed


@dataclass
class Difference:
    path: str        # "01-getpid/identity.cpp", relative to labs/
    kind: str        # "missing", "stale" (untouched but out of date), "edited", "extra"


def compare_labs(selected: list[labs_mod.Lab]) -> list[Difference]:
    """How labs/ differs from freshly generated skeletons."""
    differences = []
    for lab in selected:
        manifest = load_manifest(lab)
        expected = generated_files(lab)
        for relative, text in expected.items():
            path = labs_mod.ROOT / "labs" / relative
            if not path.is_file():
                differences.append(Difference(relative, "missing"))
            elif (current := path.read_text()) != text:
                untouched = manifest.get(relative) == digest(current)
                differences.append(Difference(relative, "stale" if untouched else "edited"))
        lab_dir = labs_mod.ROOT / "labs" / lab.name
        for path in sorted(p for p in lab_dir.rglob("*") if p.is_file()):
            relative = f"{lab.name}/{path.relative_to(lab_dir)}"
            if relative not in expected and path.name != MANIFEST_NAME:
                differences.append(Difference(relative, "extra"))
    return differences


def update_labs(selected: list[labs_mod.Lab], force: bool) -> tuple[list[str], list[str]]:
    """Regenerates labs/ from solutions/. Returns (written, refused): a file that the learner
    changed since it was generated is refused unless force is set."""
    written, refused = [], []
    for lab in selected:
        manifest = load_manifest(lab)
        files = generated_files(lab)
        for relative, text in files.items():
            path = labs_mod.ROOT / "labs" / relative
            current = path.read_text() if path.is_file() else None
            learner_edited = current is not None and current != text and manifest.get(relative) != digest(current)
            if learner_edited and not force:
                refused.append(relative)
                continue
            if write_if_changed(path, text):
                written.append(relative)
        # A refused file keeps its old hash, so that it still counts as the learner's edit.
        recorded = {r: (manifest[r] if r in refused and r in manifest else digest(t)) for r, t in files.items()}
        write_if_changed(manifest_path(lab), json.dumps(
            {r.removeprefix(lab.name + "/"): h for r, h in sorted(recorded.items())}, indent=1) + "\n")
    return written, refused
