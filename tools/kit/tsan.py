"""make tsan: the thread labs' solutions under ThreadSanitizer, in a build of their own.

TSan cannot be combined with ASan, so the thread labs get a second build directory, build-tsan,
configured with -Db_sanitize=thread and only what it needs: -Dlabs=<the thread labs> (meson adds
the labs they build on) and -Dsides=solution. tests/tsan-labs.txt lists the thread labs; make test
runs them all as one phase, make tsan LAB=NN runs one lab (any lab). A TSan report ends the test
process (TSAN_OPTIONS halt_on_error=1, set by the runner) and the runner shows it as a CRASH.

make check LAB=NN of a thread lab also builds the LEARNER side there (check_learner), once every
test has passed in build/: the first time costs a build of the lab and those it builds on, which
is said with its time; afterwards ninja rebuilds only what changed. TSAN=0 leaves it out."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from . import build as build_mod
from . import report
from .labs import ROOT, Lab, all_labs, find_lab, have_solutions
from .runner import TestCase
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


def is_thread_lab(lab: Lab) -> bool:
    return any(lab.name == listed.name for listed in thread_labs())


def configure(labs: list[Lab], side: str = "solution") -> build_mod.BuildResult:
    """Sets build-tsan up for these labs and this side (a reconfigure only when something
    changed). A side once configured stays (make test and make check share the directory); the
    learner side follows build/'s REFERENCE setting, which needs the solution side."""
    wanted = [lab.name for lab in labs]
    options = {"labs": wanted}
    if side == "learner":
        reference = build_mod.reference_labs()
        options["reference"] = reference
        had = build_mod.build_option("sides", TSAN_BUILD) or [] if (TSAN_BUILD / "build.ninja").is_file() else []
        sides = set(had) | {"learner"} | ({"solution"} if reference or have_solutions() and "solution" in had else set())
    else:
        had = build_mod.build_option("sides", TSAN_BUILD) or [] if (TSAN_BUILD / "build.ninja").is_file() else []
        sides = set(had) | {"solution"}
    options["sides"] = [s for s in ("learner", "solution") if s in sides]
    flags = [f"-D{name}=" + ",".join(value) for name, value in options.items()]
    if not (TSAN_BUILD / "build.ninja").is_file():
        command = ["meson", "setup", str(TSAN_BUILD), "-Db_sanitize=thread", *flags]
    elif any(build_mod.build_option(name, TSAN_BUILD) != value for name, value in options.items()):
        command = ["meson", "configure", str(TSAN_BUILD), *flags]
    else:
        return build_mod.BuildResult(True, "")
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    return build_mod.BuildResult(result.returncode == 0, result.stdout + result.stderr)


def test_binary(lab: Lab, side: str = "solution") -> Path:
    return TSAN_BUILD / "tests" / f"tests-{lab.name}-{side}"


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


def check_learner(lab: Lab, cases: list[TestCase], repeat: int = 1) -> int:
    """make check's run of a thread lab with the learner's code under ThreadSanitizer (cases: the
    ones the plain run passed). A race is a CRASH with both stacks. Exit status 0 when all pass."""
    print("\n" + report.bold(f"lab {lab.number} under ThreadSanitizer") +
          report.dim(f"  ({TSAN_BUILD.name}/, your code built again to find data races; TSAN=0 skips it)"))
    configured = configure(thread_labs(), side="learner")
    if not configured.ok:
        print(f"{TSAN_BUILD.name} cannot be configured:\n" + report.indent(configured.output, limit=25))
        return 1
    first = not test_binary(lab, "learner").is_file()
    if first:
        print(report.dim("  the first time, this builds the lab and the labs it builds on once more "
                         "(a few minutes); later checks rebuild only what you change"))
    started = time.monotonic()
    built = build_mod.ninja(lab.build_target("learner"), build_dir=TSAN_BUILD,
                            progress=build_mod.Progress(f"  building lab {lab.number} under TSan"))
    if not built.ok:
        print(f"  lab {lab.number} does not compile under TSan:\n" + report.indent(built.output, limit=25))
        return 1
    if first:
        print(report.dim(f"  that build took {time.monotonic() - started:.0f} s, once"))
    wanted = {case.name for case in cases}
    chosen = [case for case in list_tests(test_binary(lab, "learner")) if case.name in wanted]
    outcomes = run_cases(test_binary(lab, "learner"), chosen, repeat, on_outcome=print_outcome)
    failure = next((o for o in outcomes if not o.passed), None)
    if failure is None:
        print(report.paint("no data race: every test passes under ThreadSanitizer too.", "32"))
        return 0
    print(f"\n{sum(not o.passed for o in outcomes)} of {len(outcomes)} fail under ThreadSanitizer "
          "and pass without it: two threads touch the same memory, one of them writing, with "
          "nothing ordering them (a mutex, an atomic, a join). The two stacks above are the two "
          "accesses; guard that data with the same mutex on both sides.")
    print(f"\nfirst failure under ThreadSanitizer: {failure.case.name}")
    print(f"  re-run just that test:  make check LAB={lab.number} TEST={failure.case.name}")
    return 1


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
