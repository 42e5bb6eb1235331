"""make demo LAB=NN: the instructor's narrated live demonstration of a lab's reference program.

A demo is tools/demos/NN-name.sh, a bash script built on tools/demos/lib.sh: each step prints
the command, waits for Enter (in a terminal), runs it and says what to look at. This module
builds the lab's reference programs, then runs the script with SYSLAB_ROOT, DEMO_BIN and the
terminal it was given. `make test` runs every demo without a terminal (run_demo(lab, False)),
so a demo that no longer works against its lab fails the build before it fails in front of a room.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

from . import labs as labs_mod

DEMO_DIR = Path("tools") / "demos"
# A demo without a terminal runs straight through; one that takes longer is stuck, not slow.
UNATTENDED_TIMEOUT = 300


class DemoError(Exception):
    """The demo cannot start; the message says what to do."""


def demo_script(lab: labs_mod.Lab) -> Path | None:
    path = labs_mod.ROOT / DEMO_DIR / f"{lab.name}.sh"
    return path if path.is_file() else None


def demo_labs() -> list[labs_mod.Lab]:
    """The labs that have a demo, in lab order."""
    return [lab for lab in labs_mod.all_labs() if demo_script(lab)]


def program_side() -> str:
    """Demos show the reference programs; a student kit has none, so it shows the learner's own."""
    return "solution" if labs_mod.have_solutions() else "learner"


def program_dir(lab: labs_mod.Lab, side: str) -> Path:
    return labs_mod.BUILD / labs_mod.SIDE_DIRS[side] / lab.name


def build_programs(lab: labs_mod.Lab, side: str, log: IO | None = None) -> None:
    """Builds the lab's programs (the alias target lab-NN-name-SIDE) so the demo runs today's code."""
    if not (labs_mod.BUILD / "build.ninja").is_file():
        raise DemoError(f"{labs_mod.BUILD} is not configured: run `make demo LAB={lab.number}`, "
                        "which configures it first")
    ninja = shutil.which("ninja")
    if not ninja:
        raise DemoError("ninja is not installed: `apt-get install ninja-build` (make bootstrap does it)")
    target = lab.build_target(side)
    result = subprocess.run([ninja, "-C", str(labs_mod.BUILD), target], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=log)
    if result.returncode != 0:
        raise DemoError(f"building {target} failed: the demo needs the lab's programs")


def demo_env(lab: labs_mod.Lab, side: str, interactive: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(SYSLAB_ROOT=str(labs_mod.ROOT), DEMO_BIN=str(program_dir(lab, side)),
               SYSLAB_LAB=lab.name)
    if not interactive:
        env["DEMO_PAUSE"] = "0"
    return env


def run_script(script: Path, env: dict[str, str], interactive: bool, log: IO | None = None) -> int:
    """Runs the demo; interactively it shares the terminal, otherwise it has a deadline.

    Unattended, the demo gets its own session so that on a timeout the whole process group
    (servers it started, clients stuck on them) is killed, not only bash.
    """
    command = ["bash", str(script)]
    if interactive:
        process = subprocess.Popen(command, env=env, cwd=labs_mod.ROOT)
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:  # Ctrl-C reached the demo too: let its cleanup finish
                continue
    process = subprocess.Popen(command, env=env, cwd=labs_mod.ROOT, stdin=subprocess.DEVNULL,
                               stdout=log, stderr=log, start_new_session=True)
    try:
        return process.wait(timeout=UNATTENDED_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        print(f"syslab: the demo {script.name} was still running after {UNATTENDED_TIMEOUT} s: "
              "killed (a step waits for input or for a server that never answers)", file=sys.stderr)
        return 124


def run_demo(lab: labs_mod.Lab | str, interactive: bool, log: IO | None = None) -> int:
    """Builds the lab's programs and runs its demo; the exit status is the demo's.

    interactive=False is for make test: stdin is /dev/null, nothing waits for Enter, a failing
    step fails the demo, and `log` (an open file) can take the output, to show only on failure.
    """
    lab = labs_mod.find_lab(lab) if isinstance(lab, str) else lab
    script = demo_script(lab)
    if not script:
        raise DemoError(f"lab {lab.number} ({lab.topic}) has no demo yet "
                        f"({DEMO_DIR}/{lab.name}.sh); the demos are:\n{demo_list_text()}")
    side = program_side()
    if side == "learner":
        print(f"syslab: this kit has no reference solutions: the demo runs your own programs "
              f"from {program_dir(lab, side)}")
    build_programs(lab, side, None if interactive else log)
    return run_script(script, demo_env(lab, side, interactive), interactive,
                      None if interactive else log)


def demo_list_text() -> str:
    labs = demo_labs()
    if not labs:
        return "  (none yet)"
    return "\n".join(f"  make demo LAB={lab.number}   {lab.topic}" for lab in labs)


def cmd_demo(args: argparse.Namespace) -> int:
    """With a lab, its demo; without, the final server's demo (which arrives with lab 13).

    In a terminal the demo waits for Enter before each step (DEMO_PAUSE=0 in the environment
    runs it straight through, still in the terminal).
    """
    if not args.lab:
        print("syslab: the demo of the finished HTTP/1.1 + HTTP/2 server comes with lab 13 "
              "and is not there yet.\nThe lab demos:\n" + demo_list_text())
        return 0
    interactive = sys.stdin.isatty()
    try:
        return run_demo(args.lab, interactive)
    except DemoError as error:
        print(f"syslab: {error}", file=sys.stderr)
        return 1


def register(commands) -> None:
    """Adds `demo [LAB]` to tools/syslab's subcommands."""
    p = commands.add_parser("demo", help="the narrated live demo of a lab (no LAB: list the demos)")
    p.add_argument("lab", nargs="?", help="the lab: 1, 01, getpid or 01-getpid")
    p.set_defaults(run=cmd_demo)
