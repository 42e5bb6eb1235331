"""Slide code sync: the code on a slide is the code of a solution region, never typed by hand.

A deck says where a block comes from,

    <!-- code: solutions/01-getpid/identity.cpp#current_identity -->
    ```cpp
    ...
    ```

and the solution marks the region:

    // [slide:current_identity]
    Identity current_identity() { ... }
    // [/slide]

So the code on the slides is the code that compiles and passes the tests. `slides-check` (and
`make test`, through check_decks) fails when a block no longer matches its region, and
`slides-update` rewrites the blocks. `// BEGIN SOLUTION` / `// END SOLUTION` lines inside a
region are left out of the slide: they are the skeleton generator's business, not the audience's.
The markers of both kinds are defined in markers.py, which the skeleton generator shares.

Nothing here renders: this module needs neither node nor a browser (slides.py renders).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from . import labs as labs_mod
from .markers import SLIDE_BEGIN as REGION_BEGIN
from .markers import SLIDE_END as REGION_END
from .markers import SLIDE_LOOSE as LOOSE_REGION
from .markers import SOLUTION_LINE as SOLUTION_MARKER

DECK_GLOB = "[0-9][0-9]-*.md"
CODE_COMMENT = re.compile(r"^\s*<!--\s*code:\s*(?P<path>[^#\s]+)#(?P<name>[\w-]+)\s*-->\s*$")
LOOSE_CODE_COMMENT = re.compile(r"^\s*<!--\s*code:")
FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
REGION_SUFFIXES = {".cpp", ".hpp", ".cc", ".h"}


# ---------------------------------------------------------------------------------------------
# Regions in source files


@dataclass
class Region:
    name: str
    line: int      # the line of `// [slide:NAME]`, 1-based
    code: str      # the lines between the markers, solution markers dropped, dedented


def region_code(lines: list[str]) -> str:
    """The slide version of a region: what the audience should read, nothing the tools need."""
    kept = [line.rstrip() for line in lines if not SOLUTION_MARKER.match(line)]
    return normalise_block("\n".join(kept))


def normalise_block(text: str) -> str:
    """Common indentation, trailing spaces and blank edges do not count as a difference."""
    lines = [line.rstrip() for line in textwrap.dedent(text).splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def extract_regions(text: str, where: str) -> tuple[dict[str, Region], list[str]]:
    """Every `// [slide:NAME]` ... `// [/slide]` region of one file, and what is wrong with them.

    A broken marker is reported rather than skipped: a region that silently vanished would make
    a deck's reference fail with a misleading "no region" message.
    """
    regions: dict[str, Region] = {}
    problems: list[str] = []
    open_name, open_line, body = None, 0, []
    for number, line in enumerate(text.splitlines(), start=1):
        begin, end = REGION_BEGIN.match(line), REGION_END.match(line)
        if begin:
            if open_name is not None:
                problems.append(f"{where}:{number}: [slide:{begin['name']}] inside the region "
                                f"[slide:{open_name}] opened at line {open_line} (regions do not nest)")
                continue
            open_name, open_line, body = begin["name"], number, []
        elif end:
            if open_name is None:
                problems.append(f"{where}:{number}: [/slide] without a [slide:NAME] before it")
                continue
            if open_name in regions:
                problems.append(f"{where}:{open_line}: region [slide:{open_name}] is used twice "
                                f"in this file (first at line {regions[open_name].line})")
            else:
                regions[open_name] = Region(open_name, open_line, region_code(body))
            open_name = None
        elif LOOSE_REGION.search(line):
            problems.append(f"{where}:{number}: malformed slide marker {line.strip()!r} "
                            "(write `// [slide:NAME]` or `// [/slide]` alone on a line)")
        elif open_name is not None:
            body.append(line)
    if open_name is not None:
        problems.append(f"{where}:{open_line}: region [slide:{open_name}] is never closed by // [/slide]")
    return regions, problems


# ---------------------------------------------------------------------------------------------
# Code references in decks


@dataclass
class CodeRef:
    line: int            # the line of the `<!-- code: ... -->` comment, 1-based
    path: str            # relative to the repository root
    name: str
    fence_start: int     # index (0-based) of the opening fence line, -1 when there is none
    fence_end: int       # index of the closing fence line
    code: str            # the block's text as it stands in the deck

    @property
    def ref(self) -> str:
        return f"{self.path}#{self.name}"


def find_fenced_block(lines: list[str], start: int) -> tuple[int, int] | str:
    """(opening, closing) line indexes of the fenced block at or after `start`, or why not.

    Only blank lines may stand between the comment and the block: anything else means the
    comment has lost its block, and rewriting whatever block comes later would eat a slide.
    """
    index = start
    while index < len(lines) and not lines[index].strip():
        index += 1
    opening = FENCE_OPEN.match(lines[index]) if index < len(lines) else None
    if not opening:
        return "no fenced code block right after the code comment"
    fence = opening["fence"]
    for close in range(index + 1, len(lines)):
        stripped = lines[close].strip()
        if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
            return index, close
    return "the code block after the code comment is never closed"


def parse_deck(text: str, where: str) -> tuple[list[CodeRef], list[str]]:
    """The code references of one deck, and the comments that are broken.

    Fenced blocks are skipped whole, so a deck may show the comment syntax itself in a block.
    """
    lines = text.splitlines()
    refs: list[CodeRef] = []
    problems: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        match = CODE_COMMENT.match(line)
        if FENCE_OPEN.match(line):
            block = find_fenced_block(lines, index)
            index = block[1] + 1 if isinstance(block, tuple) else len(lines)
            continue
        index += 1
        if not match:
            if LOOSE_CODE_COMMENT.match(line):
                problems.append(f"{where}:{index}: malformed code comment {line.strip()!r} "
                                "(write <!-- code: PATH#NAME -->)")
            continue
        block = find_fenced_block(lines, index)
        if isinstance(block, str):
            problems.append(f"{where}:{index}: {block}")
            continue
        start, end = block
        code = "\n".join(line.rstrip() for line in lines[start + 1:end])
        refs.append(CodeRef(index, match["path"], match["name"], start, end, code))
        index = end + 1
    return refs, problems


# ---------------------------------------------------------------------------------------------
# Checking and updating


def deck_paths(root: Path) -> list[Path]:
    return sorted((root / "slides").glob(DECK_GLOB))


class RegionCache:
    """Reads and parses each source file once, however many slides quote it."""

    def __init__(self, root: Path):
        self.root = root
        self.files: dict[str, tuple[dict[str, Region], list[str]] | None] = {}

    def get(self, path: str) -> tuple[dict[str, Region], list[str]] | None:
        if path not in self.files:
            source = (self.root / path).resolve()
            inside = source.is_relative_to(self.root.resolve())
            self.files[path] = (extract_regions(source.read_text(), path)
                                if inside and source.is_file() else None)
        return self.files[path]


def resolve_ref(ref: CodeRef, cache: RegionCache, where: str) -> Region | str:
    """The region a reference names, or the message that says why there is none."""
    parsed = cache.get(ref.path)
    if parsed is None:
        return f"{where}:{ref.line}: no file {ref.path} (paths are relative to the repository root)"
    regions, _ = parsed
    if ref.name not in regions:
        return f"{where}:{ref.line}: no region [slide:{ref.name}] in {ref.path}"
    return regions[ref.name]


def check_deck(deck: Path, root: Path, cache: RegionCache) -> list[str]:
    """The problems of one deck's code, including broken markers in the files it quotes."""
    where = str(deck.relative_to(root))
    refs, problems = parse_deck(deck.read_text(), where)
    for ref in refs:
        region = resolve_ref(ref, cache, where)
        if isinstance(region, str):
            problems.append(region)
        elif normalise_block(ref.code) != region.code:
            problems.append(f"{where}:{ref.line}: code from {ref.ref} is stale (make slides-update)")
    for path in dict.fromkeys(ref.path for ref in refs):
        parsed = cache.get(path)
        problems.extend(parsed[1] if parsed else [])
    return problems


def check_decks(root: Path | None = None) -> list[str]:
    """Every problem with every deck's code, one message each; empty when all is fresh.

    `make test` calls this, so a solution change that makes a slide lie fails the build.
    Every file under solutions/ is scanned for broken markers too, quoted or not. A student kit
    has no solutions/ to compare with: its decks are taken as they are.
    """
    root = root or labs_mod.ROOT
    if not (root / "solutions").is_dir():
        return []
    cache = RegionCache(root)
    problems: list[str] = []
    for deck in deck_paths(root):
        problems.extend(check_deck(deck, root, cache))
    for source in solution_sources(root):
        parsed = cache.get(str(source.relative_to(root)))
        problems.extend(parsed[1] if parsed else [])
    return list(dict.fromkeys(problems))


def solution_sources(root: Path) -> list[Path]:
    solutions = root / "solutions"
    if not solutions.is_dir():
        return []
    return sorted(p for p in solutions.rglob("*") if p.is_file() and p.suffix in REGION_SUFFIXES)


def unused_regions(root: Path | None = None) -> list[str]:
    """Regions in solutions/ that no deck quotes: harmless, but usually a forgotten slide."""
    root = root or labs_mod.ROOT
    used = set()
    for deck in deck_paths(root):
        refs, _ = parse_deck(deck.read_text(), str(deck))
        used.update((ref.path, ref.name) for ref in refs)
    warnings = []
    for source in solution_sources(root):
        relative = str(source.relative_to(root))
        regions, _ = extract_regions(source.read_text(), relative)
        for region in regions.values():
            if (relative, region.name) not in used:
                warnings.append(f"{relative}:{region.line}: region [slide:{region.name}] is not "
                                "used by any deck")
    return warnings


def fence_for(code: str, current: str) -> str:
    """A fence longer than any run of the same character that starts a line of the code."""
    char = current[0]
    longest = max((len(line.strip()) - len(line.strip().lstrip(char))
                   for line in code.splitlines()), default=0)
    return char * max(len(current), longest + 1)


def update_deck_text(text: str, where: str, cache: RegionCache) -> tuple[str, list[str]]:
    """The deck with every quoted block replaced by its region, and the references it could not fix."""
    lines = text.splitlines()
    refs, problems = parse_deck(text, where)
    unresolved = []
    for ref in reversed(refs):  # from the end, so earlier indexes stay valid
        region = resolve_ref(ref, cache, where)
        if isinstance(region, str):
            unresolved.insert(0, region)
            continue
        opening = FENCE_OPEN.match(lines[ref.fence_start])
        fence = fence_for(region.code, opening["fence"])
        new_block = [f"{opening['indent']}{fence}{opening['info']}",
                     *region.code.splitlines(), f"{opening['indent']}{fence}"]
        lines[ref.fence_start:ref.fence_end + 1] = new_block
    for path in dict.fromkeys(ref.path for ref in refs):
        parsed = cache.get(path)
        unresolved.extend(parsed[1] if parsed else [])
    ending = "\n" if text.endswith("\n") else ""
    return "\n".join(lines) + ending, problems + unresolved


def update_decks(root: Path | None = None) -> tuple[list[Path], list[str]]:
    """Rewrites the quoted code of every deck; returns the decks changed and what could not be fixed."""
    root = root or labs_mod.ROOT
    cache = RegionCache(root)
    changed, problems = [], []
    for deck in deck_paths(root):
        text = deck.read_text()
        new_text, deck_problems = update_deck_text(text, str(deck.relative_to(root)), cache)
        problems.extend(deck_problems)
        if new_text != text:
            deck.write_text(new_text)
            changed.append(deck)
    return changed, list(dict.fromkeys(problems))
