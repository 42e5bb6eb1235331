"""make format and make format-check: the kit's own C++ in the style of .clang-format.

The kit's C++ is labs/common, solutions/, tests/ and tools/bench/ (the load client). The skeletons
in labs/NN-name are not formatted here: they are generated from solutions/, so `make skeletons`
brings them along.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import labs as labs_mod

KIT_DIRS = ("labs/common", "solutions", "tests", "tools/bench")
CXX_SUFFIXES = {".cpp", ".hpp", ".cc", ".h", ".c"}
STYLE_CHECKED_WITH = 14  # the clang-format version the style was tuned with (Debian 12's)


def kit_sources(root: Path | None = None) -> list[Path]:
    """Every C++ file of the kit, sorted; generated and build directories are not walked."""
    root = root or labs_mod.ROOT
    found = []
    for top in KIT_DIRS:
        base = root / top
        if base.is_dir():
            found += [p for p in base.rglob("*") if p.suffix in CXX_SUFFIXES and p.is_file()]
    return sorted(found)


def clang_format() -> str | None:
    tool = shutil.which("clang-format")
    if tool is None:
        print("syslab: clang-format is missing: install the Debian package clang-format "
              "(bash tools/bootstrap.sh format does it)", file=sys.stderr)
    return tool


def version_note(tool: str) -> None:
    """Other versions of clang-format format a few constructs differently: say so once."""
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout
        major = int(out.split("version", 1)[1].split(".", 1)[0])
    except (IndexError, ValueError, OSError):
        return
    if major != STYLE_CHECKED_WITH:
        print(f"syslab: note: this is clang-format {major}; the kit's style is checked with "
              f"clang-format {STYLE_CHECKED_WITH} (Debian 12), and versions differ in details",
              file=sys.stderr)


def formatted(tool: str, path: Path) -> str:
    """The file as clang-format would write it (style from the .clang-format above it)."""
    result = subprocess.run([tool, "--style=file", str(path)], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"clang-format failed on {path}: {result.stderr.strip()}")
    return result.stdout


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(labs_mod.ROOT))
    except ValueError:
        return str(path)


def unformatted(tool: str, files: list[Path]) -> list[Path]:
    """The files that clang-format would change. One clang-format --dry-run per core, each over
    its share of the files: starting clang-format once per file cost more than the formatting."""
    if not files:
        return []
    cores = len(os.sched_getaffinity(0))
    shares = [files[i::cores] for i in range(cores) if files[i::cores]]

    def flagged(share: list[Path]) -> set[str]:
        result = subprocess.run([tool, "--style=file", "--dry-run", "--Werror", *map(str, share)],
                                capture_output=True, text=True, check=False)
        # "path:line:col: error: code should be clang-formatted [-Wclang-format-violations]"
        paths = {line.split(":", 1)[0] for line in result.stderr.splitlines()
                 if "[-Wclang-format-violations]" in line}
        if result.returncode != 0 and not paths:
            raise RuntimeError(f"clang-format failed: {result.stderr.strip()[-500:]}")
        return paths

    with ThreadPoolExecutor(max_workers=len(shares)) as pool:
        found = set().union(*pool.map(flagged, shares))
    return [path for path in files if str(path) in found]


def changes(tool: str, files: list[Path]) -> list[tuple[Path, str, str]]:
    """(path, text now, text formatted) for every file that formatting would change."""
    return [(path, path.read_text(), formatted(tool, path)) for path in unformatted(tool, files)]


def cmd_format(args: argparse.Namespace) -> int:
    """Formats the kit's C++ in place."""
    tool = clang_format()
    if tool is None:
        return 1
    version_note(tool)
    try:
        changed = changes(tool, kit_sources())
    except RuntimeError as error:
        print(f"syslab: {error}", file=sys.stderr)
        return 1
    for path, _, text in changed:
        path.write_text(text)
        print(f"  formatted {rel(path)}")
    if not changed:
        print("syslab: the kit's C++ is formatted already")
        return 0
    if any(rel(path).startswith("solutions/") for path, _, _ in changed):
        print("syslab: solutions/ changed: run `make skeletons` to regenerate labs/ from them")
    return 0


def cmd_format_check(args: argparse.Namespace) -> int:
    """Lists the files that `make format` would change; exit status 1 if there are any."""
    tool = clang_format()
    if tool is None:
        return 1
    try:
        changed = changes(tool, kit_sources())
    except RuntimeError as error:
        print(f"syslab: {error}", file=sys.stderr)
        return 1
    if not changed:
        return 0
    version_note(tool)
    print(f"syslab: {len(changed)} file(s) are not formatted (make format fixes them):")
    for path, before, after in changed:
        print(f"  {rel(path)}")
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(
                before.splitlines(keepends=True), after.splitlines(keepends=True),
                fromfile=f"a/{rel(path)}", tofile=f"b/{rel(path)}"))
    return 1


def register(commands) -> None:
    """Adds `format` and `format-check` to tools/syslab's subcommands."""
    p = commands.add_parser("format", help="clang-format the kit's C++ (labs/common, solutions, tests)")
    p.set_defaults(run=cmd_format)
    p = commands.add_parser("format-check", help="list the kit's C++ files that make format would change")
    p.add_argument("--diff", action="store_true", help="show what would change")
    p.set_defaults(run=cmd_format_check)
