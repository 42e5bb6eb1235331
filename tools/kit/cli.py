"""The command line of tools/syslab; every Makefile target that is not plain meson lands here."""

from __future__ import annotations

import argparse
import sys

from . import configure, kittest, learner, skeleton
from . import labs as labs_mod


def cmd_skeletons(args: argparse.Namespace) -> int:
    """Regenerates labs/ from solutions/ (and .fresh/, the copy that make test checks)."""
    if not labs_mod.have_solutions():
        print("syslab: this is a student kit: there are no solutions/ to generate skeletons from")
        return 1
    skeleton.write_fresh(labs_mod.ROOT / ".fresh")
    if args.fresh_only:
        return 0
    selected = [labs_mod.find_lab(name) for name in args.labs] if args.labs else labs_mod.all_labs()
    written, refused = skeleton.update_labs(selected, force=args.force)
    for path in written:
        print(f"  generated labs/{path}")
    for path in refused:
        print(f"  kept      labs/{path}: it was edited since it was generated (FORCE=1 overwrites it)")
    return 1 if refused else 0


def need_lab(args: argparse.Namespace) -> labs_mod.Lab:
    if not args.lab:
        raise labs_mod.UnknownLab("")
    return labs_mod.find_lab(args.lab)


def cmd_check(args: argparse.Namespace) -> int:
    from . import checks  # the runs after the plain one: ThreadSanitizer, faults
    return checks.check(need_lab(args), pattern=args.test, repeat=args.repeat, faults=args.faults,
                        kinds=args.fault_kinds, tsan=args.tsan)


def cmd_grade(args: argparse.Namespace) -> int:
    return learner.grade(args.format)


def cmd_hint(args: argparse.Namespace) -> int:
    return learner.hint(need_lab(args))


def cmd_watch(args: argparse.Namespace) -> int:
    return learner.watch(need_lab(args))


def cmd_test(args: argparse.Namespace) -> int:
    return kittest.kit_test(strict=args.strict)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tools/syslab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("skeletons", help="generate labs/ (and .fresh/) from solutions/")
    p.add_argument("labs", nargs="*")
    p.add_argument("--force", action="store_true", help="overwrite files a learner edited")
    p.add_argument("--fresh-only", action="store_true", help="only write .fresh/")
    p.set_defaults(run=cmd_skeletons)
    p = commands.add_parser("check", help="one lab: each test with a verdict")
    p.add_argument("lab", nargs="?", default="")
    p.add_argument("--test", default="", help="only the tests matching this name or pattern")
    p.add_argument("--repeat", type=int, default=1, help="run each test N times; any failure counts")
    p.add_argument("--faults", default="", help="SEED: only the run under faults, from that seed; "
                   "0: none (default: one after the plain run passes, with a seed picked here)")
    p.add_argument("--fault-kinds", default="", help="which faults (short,eintr,eagain,...)")
    p.add_argument("--tsan", default="", help="0: no ThreadSanitizer run of a thread lab")
    p.set_defaults(run=cmd_check)
    p = commands.add_parser("grade", help="every lab: one table")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(run=cmd_grade)
    p = commands.add_parser("hint", help="the next hint for the first failing test of a lab")
    p.add_argument("lab", nargs="?", default="")
    p.set_defaults(run=cmd_hint)
    p = commands.add_parser("watch", help="check a lab again on every save")
    p.add_argument("lab", nargs="?", default="")
    p.set_defaults(run=cmd_watch)
    p = commands.add_parser("test", help="the kit against its reference solutions")
    p.add_argument("--strict", action="store_true", help="labs/ must match the skeletons exactly")
    p.set_defaults(run=cmd_test)
    configure.register(commands)
    for module in optional_modules():
        module.register(commands)
    return parser


OPTIONAL_MODULES = ("slides", "demo", "studentkit", "format", "bench", "tsan")


def optional_modules(names: tuple[str, ...] = OPTIONAL_MODULES) -> list:
    """Tool modules that add their own subcommands (slides, demo, student kit, format, bench, tsan).
    A module that is absent (an older checkout) adds nothing; a module that is there but cannot
    import something it needs is an error, not a command that silently disappears."""
    import importlib
    found = []
    for name in names:
        try:
            found.append(importlib.import_module(f"{__package__}.{name}"))
        except ModuleNotFoundError as missing:
            if missing.name != f"{__package__}.{name}":
                raise
    return found


def main(argv: list[str]) -> int:
    sys.stdout.reconfigure(line_buffering=True)  # so CI logs keep our lines in order with ninja's
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except labs_mod.UnknownLab as unknown:
        what = f"there is no lab {str(unknown)!r}" if str(unknown) else "which lab? say LAB=NN"
        print(f"syslab: {what}; the labs are:\n{labs_mod.lab_list_text()}", file=sys.stderr)
        return 2
    except (skeleton.MarkerError, labs_mod.BadLabList) as error:
        print(f"syslab: {error}", file=sys.stderr)
        return 2
