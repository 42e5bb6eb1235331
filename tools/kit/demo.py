"""make demo LAB=NN: the instructor's narrated live demonstration of a lab's reference program.

A demo is tools/demos/NN-name.sh, a bash script built on tools/demos/lib.sh: each step prints
the command, waits for Enter (in a terminal), runs it and says what to look at. This module
builds the lab's reference programs, then runs the script with SYSLAB_ROOT, DEMO_BIN and the
terminal it was given. `make test` runs every demo without a terminal (run_demo(lab, False)),
so a demo that no longer works against its lab fails the build before it fails in front of a room.
With no LAB, the finale (tools/demos/finale.sh): the finished httpd and its demo page.
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


# The finale (make demo with no LAB): the finished server and its demo page. The server is the
# newest of these labs that the lab list has and the build is configured for, with its flags.
FINALE_SCRIPT = DEMO_DIR / "finale.sh"
FINALE_SERVERS = (("14-finale", "--workers 2"), ("13-http2", ""))


def configured(lab: labs_mod.Lab, side: str) -> bool:
    """True when the build knows the lab's programs (meson -Dlabs may have left it out)."""
    ninja_file = labs_mod.BUILD / "build.ninja"
    return ninja_file.is_file() and f"build {lab.build_target(side)}:" in ninja_file.read_text()


def finale_server(side: str) -> tuple[labs_mod.Lab, str]:
    """The lab whose httpd the finale runs, and the flags it adds: lab 14's with two workers when
    the lab list has it and the build is configured for it, else lab 13's."""
    listed = {lab.name: lab for lab in labs_mod.all_labs()}
    for name, flags in FINALE_SERVERS:
        if name in listed and configured(listed[name], side):
            return listed[name], flags
    raise DemoError("the finale needs lab 13 (13-http2) in the build: configure it with "
                    "`meson setup build -Dlabs=13-http2`, or without -Dlabs")


def run_finale(interactive: bool, log: IO | None = None) -> int:
    """make demo with no LAB: httpd serving the demo page in clear text and over TLS, the URLs
    and the commands to try, then (in a terminal) until Ctrl-C; unattended it runs the commands
    itself, checks what they print, stops the server and checks that nothing is left."""
    if not (labs_mod.ROOT / FINALE_SCRIPT).is_file():
        raise DemoError(f"this kit has no {FINALE_SCRIPT} (a student kit has no demos); "
                        f"the lab demos:\n{demo_list_text()}")
    side = program_side()
    lab, flags = finale_server(side)
    build_programs(lab, side, None if interactive else log)
    env = demo_env(lab, side, interactive)
    # The certificate: beside the programs (lab 13's meson.build makes it), else lab 13's.
    cert_dir = program_dir(lab, side)
    if not (cert_dir / "tls-cert.pem").is_file():
        cert_dir = program_dir(labs_mod.find_lab("13-http2"), side)
        build_programs(labs_mod.find_lab("13-http2"), side, None if interactive else log)
    env.update(DEMO_HTTPD_FLAGS=flags, DEMO_CERT_DIR=str(cert_dir), DEMO_SERVER_LAB=lab.name)
    if not interactive:
        env["DEMO_AUTO"] = "1"
    return run_script(labs_mod.ROOT / FINALE_SCRIPT, env, interactive,
                      None if interactive else log)


def cmd_demo(args: argparse.Namespace) -> int:
    """With a lab, its demo; without, the finale (the finished server and its demo page).

    In a terminal the demo waits for Enter before each step (DEMO_PAUSE=0 in the environment
    runs it straight through, still in the terminal). DEMO_AUTO=1 runs it unattended, as make
    test does: no pauses, and the finale stops at the end instead of serving until Ctrl-C.
    """
    interactive = sys.stdin.isatty() and os.environ.get("DEMO_AUTO", "0") == "0"
    try:
        if not args.lab:
            return run_finale(interactive)
        return run_demo(args.lab, interactive)
    except DemoError as error:
        print(f"syslab: {error}", file=sys.stderr)
        return 1


def register(commands) -> None:
    """Adds `demo [LAB]` to tools/syslab's subcommands."""
    p = commands.add_parser("demo", help="the narrated live demo of a lab (no LAB: the finished "
                            "server and its demo page)")
    p.add_argument("lab", nargs="?", help="the lab: 1, 01, getpid or 01-getpid")
    p.set_defaults(run=cmd_demo)
