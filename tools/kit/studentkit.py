"""make student-kit: the kit without its solutions, as one tarball for learners.

The tarball ($SYSLAB_BUILD/syslab-student-kit.tar.gz, top directory syslab/) holds the repository's
tracked files (a walk of the tree when it is not a git checkout) minus the instructor's material.
Its labs/NN-name directories are the skeletons generated afresh from solutions/, whatever the
instructor's own labs/ holds, so a kit never ships a half-solved or stale skeleton. In the kit,
meson builds only the learner side; make check, grade, watch and hint work as they do here.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import tarfile
import time
from pathlib import Path

from . import labs as labs_mod
from . import skeleton

TARBALL = "syslab-student-kit.tar.gz"
TOP = "syslab"

# What a student kit leaves out, and why (a path ending in / is a directory).
EXCLUDED: list[tuple[str, str]] = [
    ("solutions/", "the reference solutions"),
    ("slides/", "the decks show solution code"),
    ("tools/demos/", "the instructor's live demos run the reference programs"),
    ("tools/fresh-machine.sh", "the kit's own fresh-machine proof runs make test"),
    ("tests/tools/", "tests of the kit's own tools"),
    (".ci/", "the kit's CI runs make test"),
    ("docs/authoring.md", "for kit authors"),
    ("package.json", "the slide renderer"),
    ("package-lock.json", "the slide renderer"),
]

# Never in a kit, tracked or not (the walk used outside git skips them).
NOT_SOURCE_DIRS = {".git", ".fresh", "node_modules", "__pycache__", ".cache"}
NOT_SOURCE_FILES = {"compile_commands.json", "results.json"}


def exclusion(path: str) -> str | None:
    """The EXCLUDED rule that leaves `path` (relative, with /) out, or None."""
    for rule, _ in EXCLUDED:
        if path == rule.rstrip("/") or (rule.endswith("/") and path.startswith(rule)):
            return rule
    return None


def tracked_files(root: Path) -> list[str] | None:
    """git ls-files of the checkout at root, or None when it is not one."""
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached"],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return sorted(name for name in out.decode().split("\0") if name)


def untracked_files(root: Path) -> list[str]:
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--others", "--exclude-standard"],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return sorted(name for name in out.decode().split("\0") if name)


def walked_files(root: Path, build: Path) -> list[str]:
    """Every file under root but build output and caches (for a copy that is not a checkout)."""
    found = []
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        subdirs[:] = sorted(d for d in subdirs
                            if d not in NOT_SOURCE_DIRS and not d.startswith("build")
                            and (here / d).resolve() != build.resolve())
        for name in files:
            if name in NOT_SOURCE_FILES or name.endswith(".pyc"):
                continue
            found.append((here / name).relative_to(root).as_posix())
    return sorted(found)


def human_size(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} MiB"


class KitWriter:
    """A gzip'd tarball under TOP/, owned by root:root, files in the order they are added."""

    def __init__(self, path: Path):
        self.path = path
        self.tar = tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT)
        self.count = 0

    def _info(self, name: str, mode: int, mtime: float) -> tarfile.TarInfo:
        info = tarfile.TarInfo(f"{TOP}/{name}")
        info.mode, info.mtime = mode, int(mtime)
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    def add_file(self, root: Path, name: str) -> None:
        path = root / name
        st = path.lstat()
        info = self._info(name, st.st_mode & 0o7777, st.st_mtime)
        if path.is_symlink():
            info.type, info.linkname = tarfile.SYMTYPE, os.readlink(path)
            self.tar.addfile(info)
        else:
            info.size = st.st_size
            with path.open("rb") as data:
                self.tar.addfile(info, data)
        self.count += 1

    def add_text(self, name: str, text: str, mode: int = 0o644) -> None:
        data = text.encode()
        info = self._info(name, mode, time.time())
        info.size = len(data)
        self.tar.addfile(info, io.BytesIO(data))
        self.count += 1

    def close(self) -> None:
        self.tar.close()


def generated_labs(root: Path) -> dict[str, tuple[str, int]]:
    """labs/NN-name/... -> (skeleton text, mode) for every lab, with each lab's manifest."""
    files: dict[str, tuple[str, int]] = {}
    for lab in labs_mod.all_labs():
        generated = skeleton.generated_files(lab)
        for relative, text in generated.items():
            source = root / "solutions" / relative
            files[f"labs/{relative}"] = (text, source.stat().st_mode & 0o777)
        files[f"labs/{lab.name}/{skeleton.MANIFEST_NAME}"] = (skeleton.manifest_text(lab, generated), 0o644)
    return files


def cmd_student_kit(args: argparse.Namespace) -> int:
    """Writes $SYSLAB_BUILD/syslab-student-kit.tar.gz."""
    root = labs_mod.ROOT
    if not labs_mod.have_solutions():
        print("syslab: this is a student kit already (there is no solutions/ to leave out)")
        return 1
    build = labs_mod.BUILD
    out = Path(args.output) if args.output else build / TARBALL

    names = tracked_files(root)
    source = "git ls-files"
    if names is None:
        names, source = walked_files(root, build), "every file (not a git checkout)"
    names = [n for n in names if (root / n).exists() or (root / n).is_symlink()]

    lab_dirs = {f"labs/{lab.name}/" for lab in labs_mod.all_labs()}
    generated = generated_labs(root)
    differences = [d for d in skeleton.compare_labs(labs_mod.all_labs()) if d.kind != "missing"]

    excluded: dict[str, int] = {}
    kept: list[str] = []
    for name in names:
        rule = exclusion(name)
        if rule:
            excluded[rule] = excluded.get(rule, 0) + 1
        elif any(name.startswith(d) for d in lab_dirs):
            continue  # written from the generator below
        else:
            kept.append(name)

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    writer = KitWriter(partial)
    try:
        for name in kept:
            writer.add_file(root, name)
        for name, (text, mode) in sorted(generated.items()):
            writer.add_text(name, text, mode)
    finally:
        writer.close()
    partial.replace(out)

    print(f"syslab: the student kit has {writer.count} files ({source}; labs/NN-name generated "
          f"from solutions/); left out:")
    for rule, reason in EXCLUDED:
        if rule in excluded:
            print(f"  {rule:<24} {excluded[rule]:>4} file(s)  {reason}")
    if differences:
        print(f"  your labs/ differs from the generated skeletons in {len(differences)} file(s) "
              f"(e.g. labs/{differences[0].path}, {differences[0].kind}): the kit has the generated ones")
    if source == "git ls-files":
        new = [n for n in untracked_files(root) if not exclusion(n)]
        if new:
            shown = ", ".join(new[:5]) + (", ..." if len(new) > 5 else "")
            print(f"  note: {len(new)} untracked file(s) are not in it (git add them first): {shown}")
    shown_path = os.path.relpath(out) if out.resolve().is_relative_to(Path.cwd()) else str(out)
    print(f"syslab: wrote {shown_path} ({human_size(out.stat().st_size)}); "
          f"unpack it with: tar xzf {out.name}   (it makes {TOP}/)")
    return 0


def register(commands) -> None:
    """Adds `student-kit` to tools/syslab's subcommands."""
    p = commands.add_parser("student-kit", help="write $SYSLAB_BUILD/syslab-student-kit.tar.gz, the kit without solutions")
    p.add_argument("--output", "-o", help=f"where to write it (default: $SYSLAB_BUILD/{TARBALL})")
    p.set_defaults(run=cmd_student_kit)
