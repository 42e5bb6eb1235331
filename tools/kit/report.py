"""How results look on a terminal: verdict colours, indentation, the score line."""

from __future__ import annotations

import os
import sys

COLOURS = {"PASS": "32", "FAIL": "31", "TODO": "33", "CRASH": "35", "HANG": "35", "LEAK": "36",
           "BUILD": "31"}


def use_colour() -> bool:
    return sys.stdout.isatty() and os.environ.get("NO_COLOR") is None and os.environ.get("TERM") != "dumb"


def paint(text: str, code: str) -> str:
    return f"\033[{code}m{text}\033[0m" if use_colour() else text


def verdict(name: str) -> str:
    return paint(f"{name:<5}", COLOURS.get(name, "0"))


def bold(text: str) -> str:
    return paint(text, "1")


def dim(text: str) -> str:
    return paint(text, "2")


def indent(text: str, prefix: str = "        ", limit: int = 12) -> str:
    """The first `limit` lines of text, indented under a verdict line."""
    lines = [cut(line) for line in text.rstrip().splitlines()]
    shown = lines[:limit] + ([f"... ({len(lines) - limit} more lines)"] if len(lines) > limit else [])
    return "\n".join(prefix + line for line in shown)


LINE_WIDTH = 200  # a failure's line longer than this is cut: nobody reads 32,000 characters


def cut(line: str, width: int = LINE_WIDTH) -> str:
    return line if len(line) <= width else line[:width] + f"... ({len(line) - width} more characters)"


def wrap(text: str, first: str, rest: str, width: int = 100) -> str:
    """A long sentence wrapped under a label: first line after `first`, the others after `rest`."""
    import textwrap
    return textwrap.fill(text, width=width, initial_indent=first, subsequent_indent=rest)
