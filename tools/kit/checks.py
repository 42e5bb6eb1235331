"""make check's runs beyond the plain one: once every test of the lab passes, a thread lab
(tests/tsan-labs.txt) runs again with the learner's code under ThreadSanitizer, and an I/O lab
(tests/NN-name/faults.txt) under injected faults from a seed the runner picks and prints.

They come only after the plain run passed: a learner sees the plain failures first, one problem
at a time, and does not pay for a TSan build or a second run while the code is still unfinished.
A failure that appears only here is then known to be a race or a fault the code did not expect.

  make check LAB=NN FAULTS=SEED   only the run under faults, from that seed (the repro line's form)
  FAULT_KINDS=short,eintr         narrow the faults (the library's names; `fork` only by name)
  FAULTS=0                        no run under faults; TSAN=0: no run under ThreadSanitizer"""

from __future__ import annotations

from . import faults as faults_mod
from . import learner, report
from .labs import Lab
from .runner import TestCase

OFF = ("0", "off", "no", "none")


def check(lab: Lab, pattern: str = "", repeat: int = 1, faults: str = "", kinds: str = "",
          tsan: str = "") -> int:
    """make check LAB=NN [FAULTS=...] [FAULT_KINDS=...] [TSAN=0]."""
    if faults and faults.lower() not in OFF:
        return check_with_seed(lab, pattern, repeat, faults_mod.FaultRun(parse_seed(faults), kinds))

    def after_pass(cases: list[TestCase]) -> int:
        status = 0
        if tsan.lower() not in OFF:
            from . import tsan as tsan_mod
            if tsan_mod.is_thread_lab(lab):
                status |= tsan_mod.check_learner(lab, cases, repeat)
        if faults.lower() not in OFF and faults_mod.runs_under_faults(lab):
            status |= faults_mod.check_learner(lab, cases, faults_mod.FaultRun(faults_mod.pick_seed(), kinds),
                                               repeat)
        return status

    return learner.check(lab, pattern, repeat, after_pass=after_pass)


def parse_seed(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise SystemExit(f"syslab: FAULTS={text} is not a seed: a number such as FAULTS=1234 "
                         "(FAULTS=0 turns the run under faults off)")


def check_with_seed(lab: Lab, pattern: str, repeat: int, run: faults_mod.FaultRun) -> int:
    """make check LAB=NN FAULTS=SEED: the lab's tests that run under faults, from that seed only."""
    if not faults_mod.runs_under_faults(lab):
        print(f"lab {lab.number} does not run under faults (no tests/{lab.name}/{faults_mod.FAULTS_FILE}); "
              "the labs that do: " + ", ".join(l.number for l in faults_mod.fault_labs()))
        return 2
    built = faults_mod.build_library()
    if not built.ok:
        print("the fault library does not compile:\n" + report.indent(built.output, limit=20))
        return 1

    def choose(cases: list[TestCase]) -> None:
        chosen, skipped = faults_mod.select(lab, cases)
        cases[:] = chosen  # evaluate runs what is left in the list
        print(faults_mod.header(lab, run, chosen, skipped))
        if pattern:
            faults_mod.print_skipped(lab, skipped)

    result = learner.evaluate(lab, pattern=pattern, repeat=repeat, before_run=choose,
                              on_outcome=learner.print_outcome,
                              run=lambda binary, case: faults_mod.run_case_under_faults(binary, case, run))
    if not result.built:
        learner.print_build_failure(result)
        return 1
    if not result.outcomes:
        print(f"no test of lab {lab.number} runs under faults" + (f" and matches {pattern!r}" if pattern else ""))
        return 1
    return faults_mod.print_summary(lab, result.outcomes, run)
