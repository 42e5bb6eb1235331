"""make tsan: the thread labs' solutions under ThreadSanitizer, in a build of their own.

TSan cannot be combined with ASan, so the thread labs get a second build directory, build-tsan,
configured with -Db_sanitize=thread and only what it needs: -Dlabs=<the thread labs> (meson adds
the labs they build on) and -Dsides=solution. tests/tsan-labs.txt lists the thread labs; make test
runs them all as one phase, make tsan LAB=NN runs one lab (any lab). A TSan report ends the test
process (TSAN_OPTIONS halt_on_error=1, set by the runner) and the runner shows it as a CRASH."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from . import build as build_mod
from . import report
from .labs import ROOT, Lab, all_labs, find_lab, have_solutions
from .learner import print_outcome, run_cases
from .runner import list_tests

TSAN_LABS_FILE = ROOT / "tests" / "tsan-labs.txt"
TSAN_BUILD = Path(os.environ.get("SYSLAB_TSAN_BUILD", ROOT / "build-tsan"))


def thread_labs() -> list[Lab]:
    """The labs listed in tests/tsan-labs.txt, in the kit's order."""
    if not TSAN_LABS_FILE.is_file():
        return []
    names = {line.split("#", 1)[0].strip() for line in TSAN_LABS_FILE.read_text().splitlines()}
    return [lab for lab in all_labs() if lab.name in names]


def configure(labs: list[Lab]) -> build_mod.BuildResult:
    """Sets build-tsan up for these labs (a reconfigure only when the list changed)."""
    wanted = [lab.name for lab in labs]
    if not (TSAN_BUILD / "build.ninja").is_file():
        command = ["meson", "setup", str(TSAN_BUILD), "-Db_sanitize=thread", "-Dsides=solution",
                   "-Dlabs=" + ",".join(wanted)]
    elif build_mod.build_option("labs", TSAN_BUILD) != wanted:
        command = ["meson", "configure", str(TSAN_BUILD), "-Dlabs=" + ",".join(wanted)]
    else:
        return build_mod.BuildResult(True, "")
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    return build_mod.BuildResult(result.returncode == 0, result.stdout + result.stderr)


def test_binary(lab: Lab) -> Path:
    return TSAN_BUILD / "tests" / f"tests-{lab.name}-solution"


def check_labs(labs: list[Lab]) -> list[str]:
    """Builds each lab's solution side in build-tsan and runs its tests: the problems found."""
    if not labs:
        return []
    configured = configure(labs)
    if not configured.ok:
        return [f"{TSAN_BUILD.name} cannot be configured:\n" + report.indent(configured.output, limit=25)]
    problems = []
    for lab in labs:
        built = build_mod.ninja(lab.build_target("solution"), build_dir=TSAN_BUILD,
                                progress=build_mod.Progress(f"  building {lab.name} under TSan"))
        if not built.ok:
            problems.append(f"{lab.name}: the solution does not compile under TSan:\n"
                            + report.indent(built.output, limit=25))
            continue
        cases = list_tests(test_binary(lab))
        outcomes = run_cases(test_binary(lab), cases)
        for outcome in outcomes:
            if not outcome.passed:
                print_outcome(outcome)
                problems.append(f"{lab.name} {outcome.case.name} under TSan: {outcome.verdict}")
        print(f"  {lab.name:<22} {sum(o.passed for o in outcomes)}/{len(cases)} pass under TSan")
    return problems


def check_thread_labs() -> list[str]:
    """make test's phase: every lab of tests/tsan-labs.txt."""
    return check_labs(thread_labs())


def cmd_tsan(args) -> int:
    if not have_solutions():
        print("make tsan runs the reference solutions, which are not part of the student kit.")
        return 2
    labs = [find_lab(args.lab)] if args.lab else thread_labs()
    print(report.bold(f"ThreadSanitizer ({TSAN_BUILD.name}): " + ", ".join(l.name for l in labs)))
    problems = check_labs(labs)
    for problem in problems:
        print(report.paint("  FAILED ", "31") + problem.splitlines()[0])
    if not problems:
        print("  no report, every test passes")
    return 1 if problems else 0


def register(commands) -> None:
    """Adds `tsan` to tools/syslab's subcommands."""
    p = commands.add_parser("tsan", help="the thread labs' solutions under ThreadSanitizer")
    p.add_argument("lab", nargs="?", default="", help="one lab (default: tests/tsan-labs.txt)")
    p.set_defaults(run=cmd_tsan)
