"""The lab list (labs/labs.txt) and where each lab's pieces live."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("SYSLAB_BUILD", ROOT / "build"))
SIDE_DIRS = {"learner": "labs", "solution": "solutions", "skeleton": ".fresh"}


@dataclass
class Lab:
    name: str                      # "01-getpid"
    builds_on: list[str] = field(default_factory=list)

    @property
    def number(self) -> str:
        return self.name.split("-", 1)[0]

    @property
    def topic(self) -> str:
        return self.name.split("-", 1)[1]

    def source_dir(self, side: str) -> Path:
        return ROOT / SIDE_DIRS[side] / self.name

    def test_binary(self, side: str) -> Path:
        return BUILD / "tests" / f"tests-{self.name}-{side}"

    def build_target(self, side: str) -> str:
        return f"lab-{self.name}-{side}"


LAB_NAME = re.compile(r"\d\d-[a-z0-9]+(?:-[a-z0-9]+)*")


class BadLabList(Exception):
    pass


def all_labs() -> list[Lab]:
    """The labs of labs/labs.txt, in order. A line that is not "NN-name builds-on..." (such as a
    merge's conflict marker) is an error, not a lab: the generator would make a directory for it."""
    labs = []
    path = ROOT / "labs" / "labs.txt"
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        for word in words:
            if not LAB_NAME.fullmatch(word):
                raise BadLabList(f"{path}:{number}: \"{word}\" is not a lab name such as 07-echo-server")
        labs.append(Lab(words[0], words[1:]))
    return labs


def have_solutions() -> bool:
    return (ROOT / "solutions").is_dir()


class UnknownLab(Exception):
    pass


def find_lab(wanted: str) -> Lab:
    """LAB=1, LAB=01, LAB=getpid and LAB=01-getpid all name lab 01."""
    wanted = wanted.strip()
    for lab in all_labs():
        if wanted in (lab.name, lab.topic) or (wanted.isdigit() and int(wanted) == int(lab.number)):
            return lab
    raise UnknownLab(wanted)


def lab_list_text() -> str:
    return "\n".join(f"  {lab.number}  {lab.topic}" for lab in all_labs())


def max_points_from_source(lab: Lab) -> int:
    """A lab's total points read from its test sources, for a lab whose tests do not build."""
    total = 0
    for source in sorted((ROOT / "tests" / lab.name).glob("*.cpp")):
        for match in re.finditer(r"SYSLAB_TEST(?:_F)?\(\s*\w+\s*,\s*\w+\s*,\s*(\d+)", source.read_text()):
            total += int(match.group(1))
    return total
