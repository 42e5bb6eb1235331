"""The command line of tools/syslab; every Makefile target that is not plain meson lands here."""

from __future__ import annotations

import argparse
import sys

from . import labs as labs_mod
from . import skeleton


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tools/syslab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("skeletons", help="generate labs/ (and .fresh/) from solutions/")
    p.add_argument("labs", nargs="*")
    p.add_argument("--force", action="store_true", help="overwrite files a learner edited")
    p.add_argument("--fresh-only", action="store_true", help="only write .fresh/")
    p.set_defaults(run=cmd_skeletons)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except labs_mod.UnknownLab as unknown:
        print(f"syslab: there is no lab {str(unknown)!r}; the labs are:\n{labs_mod.lab_list_text()}",
              file=sys.stderr)
        return 2
    except skeleton.MarkerError as error:
        print(f"syslab: {error}", file=sys.stderr)
        return 2
