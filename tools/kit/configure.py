"""REFERENCE=02,04 on a make command line: which labs the learner side takes from the reference.

The setting is a meson option of the build (-Dreference). Setting it reconfigures the build at
once, so that a mistake shows now, with meson's own ERROR: lines, and a setting that fails is
put back as it was instead of breaking every later run. Where solutions/ is absent (the student
kit) it is refused with one sentence."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Callable

from . import build as build_mod
from . import labs as labs_mod
from .labs import BUILD, ROOT

Runner = Callable[[list[str]], subprocess.CompletedProcess]


def run_meson(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)


def meson_errors(output: str) -> list[str]:
    """meson's own 'ERROR: ...' lines (with the 'meson.build:148:0:' place before them), or the
    last lines of its output when it failed without one."""
    errors = [line.strip() for line in output.splitlines() if "ERROR:" in line]
    return errors or [line for line in output.strip().splitlines()[-5:]]


def wanted_labs(value: str) -> list[str]:
    return [word.strip() for word in value.replace(" ", ",").split(",") if word.strip()]


def set_reference(value: str, build_dir: Path = BUILD, run: Runner = run_meson,
                  have_solutions: Callable[[], bool] = labs_mod.have_solutions) -> int:
    """make ... REFERENCE=value: 0 when the build now takes those labs from the reference (or
    from the learner again, for an empty value); otherwise says why, keeps the previous setting
    and returns non-zero."""
    wanted = wanted_labs(value)
    if wanted and not have_solutions():
        print("syslab: REFERENCE= builds labs from the reference solutions, and this kit has no "
              "solutions/ directory, so every lab is built from your own code.")
        return 2
    names = []
    for name in wanted:
        try:
            names.append(labs_mod.find_lab(name).name)  # 2, 02, fd-raii: meson gets 02-fd-raii
        except labs_mod.UnknownLab:
            print(f"syslab: REFERENCE={value}: there is no lab {name!r}; the labs are:\n"
                  f"{labs_mod.lab_list_text()}")
            return 2
    wanted = list(dict.fromkeys(names))
    previous = list(build_mod.build_option("reference", build_dir) or [])
    if previous == wanted:
        return 0
    result = run(["meson", "setup", "--reconfigure", str(build_dir), f"-Dreference={','.join(wanted)}"])
    if result.returncode == 0:
        return 0
    print(f"syslab: meson refused REFERENCE={value}:")
    for line in meson_errors(result.stdout + result.stderr):
        print(f"  {line}")
    undone = run(["meson", "setup", "--reconfigure", str(build_dir),
                  f"-Dreference={','.join(previous)}"])
    if undone.returncode == 0:
        print(f"the build is as it was (REFERENCE={','.join(previous)}).")
    else:
        print(f"putting REFERENCE={','.join(previous)} back failed too; "
              f"rm -rf {build_dir} starts afresh.")
    return 1


def register(commands) -> None:
    p = commands.add_parser("reference", help="make ... REFERENCE=02,04: labs built from the reference")
    p.add_argument("value", nargs="?", default="")
    p.set_defaults(run=lambda args: set_reference(args.value))
