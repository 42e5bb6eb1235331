"""Slides that fit: no slide's content may run past the bottom (or the side) of its box.

A slide that overflows is cut: the end of a function simply is not there on the projector, and
nothing warns the speaker. Two checks, one exact and slow, one fast and everywhere:

- the measurement (`tools/syslab slides-fit --chromium`): marp renders every deck, headless
  Chromium lays it out with the theme's fonts, and a script measures each slide: the bottom of
  its lowest element against the bottom of the slide's content box (the slide less its bottom
  padding, where the footer and the page number sit), the right edge likewise, and any element
  that clips its own content (a code block is `overflow: hidden`). This is the truth, but it needs
  node, marp and Chromium, and takes a minute.

- the budget (`tools/syslab slides-fit`, `make slides-check`, `make test`): the height of every
  slide estimated from its Markdown with the theme's sizes (slides/theme/syslab.css): so many
  pixels for a heading, a line of text, a line of code, a table row, an image. No browser, a
  fraction of a second. It is calibrated against the measurement (`--calibrate` prints both for
  every slide) to err on the safe side: every slide the measurement finds too tall, the budget
  finds too tall too; a slide close to the limit may be refused by the budget although it would
  just fit, and is then split or shortened a line early.

`make test` runs the budget always, and the measurement as well when Chromium is installed.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import labs as labs_mod
from .slide_code import FENCE_OPEN, deck_paths

# ---------------------------------------------------------------------------------------------
# Decks as slides


@dataclass
class Slide:
    number: int          # 1-based, as the page number shows it
    line: int            # the deck line where the slide's content starts, 1-based
    lines: list[str]     # the slide's Markdown
    title: str = ""      # its first heading, for messages
    directives: dict[str, str] = field(default_factory=dict)  # _class and friends, this slide only
    start: int = 1       # the deck line of lines[0]


SEPARATOR = re.compile(r"^ {0,3}---+\s*$")
HEADING = re.compile(r"^ {0,3}(?P<level>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
DIRECTIVE = re.compile(r"^\s*<!--\s*(?P<local>_?)(?P<name>class|paginate|header|footer)\s*:\s*(?P<value>.*?)\s*-->\s*$")
FRONT_DIRECTIVE = re.compile(r"^(?P<name>class|header|footer|paginate)\s*:\s*(?P<value>.*?)\s*$")


def split_slides(text: str) -> list[Slide]:
    """The slides of a Marp deck: `---` lines (after a blank line, outside code blocks) part them.

    A `---` right under a line of text would be a heading underline in Markdown, not a break;
    the decks always leave a blank line before a break.
    """
    lines = text.splitlines()
    start = 0
    global_directives: dict[str, str] = {}
    if lines and SEPARATOR.match(lines[0]):
        end = next((i for i in range(1, len(lines)) if SEPARATOR.match(lines[i])), None)
        if end is not None:
            for line in lines[1:end]:
                match = FRONT_DIRECTIVE.match(line)
                if match:
                    global_directives[match["name"]] = match["value"].strip("\"'")
            start = end + 1
    slides: list[Slide] = []
    current: list[str] = []
    current_start = start
    fence: str | None = None
    for index in range(start, len(lines)):
        line = lines[index]
        opening = FENCE_OPEN.match(line)
        if fence is None and opening:
            fence = opening["fence"]
        elif fence is not None and line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            fence = None
        elif fence is None and SEPARATOR.match(line) and (not current or not current[-1].strip()):
            slides.append(make_slide(len(slides) + 1, current_start, current, global_directives))
            current, current_start = [], index + 1
            continue
        current.append(line)
    slides.append(make_slide(len(slides) + 1, current_start, current, global_directives))
    return slides


def make_slide(number: int, start: int, lines: list[str], inherited: dict[str, str]) -> Slide:
    """A slide with its directives: `<!-- class: x -->` holds from here on, `_class` here only."""
    directives = dict(inherited)
    for line in lines:
        match = DIRECTIVE.match(line)
        if match:
            directives[match["name"]] = match["value"]
            if not match["local"]:
                inherited[match["name"]] = match["value"]
    first = next((i for i, line in enumerate(lines) if line.strip() and not DIRECTIVE.match(line)), 0)
    title = next((m["text"] for line in lines if (m := HEADING.match(line))), "")
    return Slide(number, start + first + 1, lines, title, directives, start + 1)


# ---------------------------------------------------------------------------------------------
# The measurement: marp renders, Chromium lays out, a script measures


MEASURE_SCRIPT = """
<script>
(() => {
  const px = (value) => parseFloat(value) || 0;
  function measure() {
    const slides = [];
    for (const section of document.querySelectorAll('svg[data-marpit-svg] > foreignObject > section')) {
      const box = section.getBoundingClientRect();
      const k = box.height / section.offsetHeight;  // screen pixels per slide pixel
      const style = getComputedStyle(section);
      const top = px(style.paddingTop), limitBottom = section.offsetHeight - px(style.paddingBottom);
      const limitRight = section.offsetWidth - px(style.paddingRight);
      let bottom = top, right = 0, first = Infinity, lowest = '', widest = '';
      const clipped = [];
      const clippers = new Set();
      for (const element of section.querySelectorAll('*')) {
        if (element.closest('header, footer')) continue;
        let inside = false;  // in an element that clips: that element reports what it hides
        for (let up = element.parentElement; up && up !== section; up = up.parentElement) {
          if (clippers.has(up)) { inside = true; break; }
        }
        if (inside) continue;
        const rect = element.getBoundingClientRect();
        if (rect.width === 0 && rect.height === 0) continue;
        const elementBottom = (rect.bottom - box.top) / k, elementRight = (rect.right - box.left) / k;
        const name = element.tagName.toLowerCase() + ' "' +
          (element.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 50) + '"';
        first = Math.min(first, (rect.top - box.top) / k);
        if (elementBottom > bottom + 0.5) { bottom = elementBottom; lowest = name; }
        if (elementRight > right + 0.5) { right = elementRight; widest = name; }
        const overflow = getComputedStyle(element);
        const hiddenX = overflow.overflowX !== 'visible' ? element.scrollWidth - element.clientWidth : 0;
        const hiddenY = overflow.overflowY !== 'visible' ? element.scrollHeight - element.clientHeight : 0;
        if (overflow.overflowX !== 'visible' || overflow.overflowY !== 'visible') clippers.add(element);
        if (hiddenX > 1 || hiddenY > 1) clipped.push({name, hiddenX, hiddenY});
      }
      slides.push({bottom, limitBottom, right, limitRight, top: Math.min(top, first), lowest, widest, clipped});
    }
    const out = document.createElement('pre');
    out.id = 'syslab-fit';
    out.textContent = JSON.stringify(slides);
    document.body.replaceChildren(out);
  }
  // After the fonts are in and marp's auto-scaling (a ResizeObserver) has settled. Chromium
  // runs on virtual time here (--virtual-time-budget): the timeout costs no real second.
  window.addEventListener('load', () => setTimeout(measure, 1000));
})();
</script>
"""

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--window-size=1280,720"]


@dataclass
class Measured:
    """One slide as Chromium laid it out, in slide pixels (the slide is 1280 x 720)."""
    bottom: float        # the lowest element's bottom edge
    limit_bottom: float  # the bottom of the content box: 720 less the bottom padding
    right: float
    limit_right: float
    top: float           # the top of the content: the content box's, or higher on a centred slide
    lowest: str          # the element that reaches lowest, for the message
    widest: str
    clipped: list[dict]  # elements that hide part of their content: name, hiddenX, hiddenY

    @property
    def height(self) -> float:
        """The content's height: what the budget estimates."""
        return self.bottom - self.top


def render_bare(marp: Path, root: Path, out_dir: Path) -> None:
    """Every deck as marp's `bare` HTML (every slide laid out at once) with the kit's theme.

    One marp run for the whole directory (marp's start-up is most of its time); the images are
    linked next to the pages so that an image takes its real height.
    """
    from .slides import MARP_CONFIG
    result = subprocess.run([str(marp), "--no-stdin", "--config-file", str(root / MARP_CONFIG),
                             "--template", "bare", "--input-dir", str(root / "slides"),
                             "--output", str(out_dir)],
                            cwd=root, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"marp failed:\n{result.stdout}{result.stderr}")
    for path in (root / "slides").iterdir():
        if path.is_dir() and not (out_dir / path.name).exists():
            (out_dir / path.name).symlink_to(path)


def measure_page(chromium: str, page: Path, profile: Path) -> list[Measured]:
    """Loads one rendered deck (with the measuring script) in headless Chromium."""
    text = page.read_text()
    page.write_text(text.replace("</body>", MEASURE_SCRIPT + "</body>", 1))
    # On a busy machine Chromium now and then writes the page out before the script has run:
    # then the page is as marp made it, and another try measures it.
    for attempt in range(3):
        result = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}-{attempt}",
                                 "--virtual-time-budget=20000", "--dump-dom", page.as_uri()],
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
        match = re.search(r'<pre id="syslab-fit">(.*?)</pre>', result.stdout, re.DOTALL)
        if match:
            break
    else:
        raise RuntimeError(f"Chromium gave no measurement for {page.name}:\n{result.stderr[-2000:]}")
    return [Measured(s["bottom"], s["limitBottom"], s["right"], s["limitRight"], s["top"],
                     s["lowest"], s["widest"], s["clipped"])
            for s in json.loads(html.unescape(match.group(1)))]


def measure_decks(root: Path, decks: list[Path], chromium: str) -> dict[Path, list[Measured]]:
    """Every deck rendered and measured; each Chromium gets a fresh profile of its own."""
    from .slides import ensure_marp
    marp = ensure_marp(root)
    with tempfile.TemporaryDirectory(prefix="syslab-fit-") as tmp:
        out_dir = Path(tmp) / "pages"
        render_bare(marp, root, out_dir)
        # A browser per core at most: most of a run is Chromium starting up.
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            pages = pool.map(lambda deck: measure_page(chromium, out_dir / f"{deck.stem}.html",
                                                       Path(tmp) / f"profile-{deck.stem}"), decks)
            return dict(zip(decks, pages))


def measured_problems(where: str, slides: list[Slide], measured: list[Measured]) -> list[str]:
    """One message per slide that Chromium found too tall, too wide or clipping its code."""
    if len(slides) != len(measured):
        return [f"{where}: marp made {len(measured)} slides, the deck reads as {len(slides)} "
                "(a `---` not preceded by a blank line?)"]
    problems = []
    for slide, fit in zip(slides, measured):
        at = f"{where}:{slide.line}: slide {slide.number} ({slide.title or 'untitled'})"
        if fit.bottom > fit.limit_bottom + 0.5:
            problems.append(f"{at} runs {fit.bottom - fit.limit_bottom:.0f}px past the bottom "
                            f"in Chromium (lowest: {fit.lowest})")
        if fit.right > fit.limit_right + 0.5:
            problems.append(f"{at} runs {fit.right - fit.limit_right:.0f}px past the right edge "
                            f"in Chromium (widest: {fit.widest})")
        problems += [f"{at} cuts {clip['hiddenY']}px off the bottom"
                     + (f" and {clip['hiddenX']}px off the side" if clip["hiddenX"] > 1 else "")
                     + f" of {clip['name']} in Chromium" for clip in fit.clipped]
    return problems


# ---------------------------------------------------------------------------------------------
# The budget: each slide's height estimated from its Markdown with the theme's sizes
#
# The numbers are slides/theme/syslab.css's (a change there must change them): a 1280 x 720
# slide with padding 56 64 48 64 leaves a content box of 1152 x 616 pixels; text is 30 px
# (24 px on a `small` slide) with a line height of 1.35; code is 0.8 of that, line height 1.3,
# and a code block wider than the box is scaled down as a whole (marp's auto-scaling). The
# widths of proportional text are averages, set by `--calibrate` a little above what Chromium
# measured, so that the budget errs towards "does not fit".


@dataclass(frozen=True)
class Theme:
    width: float = 1152.0          # the content box
    height: float = 616.0
    font: float = 30.0             # section { font-size }
    small_font: float = 24.0       # section.small
    line: float = 1.35             # section { line-height }
    heading_line: float = 1.15
    heading_sizes: tuple = (1.75, 1.45, 1.1, 1.0)   # h1..h4, in em
    heading_margin: float = 0.45   # em of the heading, below it
    title_h1: float = 2.3          # section.title h1
    h2_rule: float = 4.0           # h2's bottom border, px
    h2_padding: float = 0.12       # and padding, em of the h2
    block_margin: float = 0.6      # p, ul, ol, pre, table, blockquote: below, in em
    li_margin: float = 0.12        # above and below each item, in em (they do not collapse in flex)
    list_indent: float = 1.2       # em
    nested_list: float = 0.9       # a list inside an item: font-size
    code_font: float = 0.8         # pre, in em of the section
    code_line: float = 1.3
    code_padding: tuple = (0.5, 0.7)  # pre padding, vertical and horizontal, em of the code
    code_edge: float = 8.0         # pre's left border, px
    mono_advance: float = 0.602    # DejaVu Sans Mono: every glyph is 0.602 em wide
    table_font: float = 0.85
    cell_padding: tuple = (0.2, 0.55)
    cell_border: float = 2.0
    # Average advance of a character of prose (DejaVu Sans; measured, rounded up), in em.
    text_advance: float = 0.54
    bold_advance: float = 0.58     # headings are bold
    space_advance: float = 0.318   # a space in DejaVu Sans
    inline_code: float = 0.9 * 0.602  # `code` in text: 0.9 em of DejaVu Sans Mono


THEME = Theme()

FENCE_CLOSE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})\s*$")
LIST_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?P<text>.*)$")
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
IMAGE = re.compile(r"^\s*!\[(?P<alt>[^\]]*)\]\((?P<path>[^)\s]+)[^)]*\)\s*$")
COMMENT_START = re.compile(r"^\s*<!--")
HTML_TAG = re.compile(r"^\s*</?(div|span|br)\b[^>]*>\s*$", re.IGNORECASE)


@dataclass
class Block:
    """One piece of a slide and the height the budget gives it (margin below included)."""
    kind: str
    line: int
    height: float
    margin: float
    what: str = ""


def visible_text(markdown: str) -> tuple[str, str]:
    """(prose, inline code) of one line of Markdown: what the reader sees, in two fonts."""
    code = "".join(re.findall(r"`([^`]*)`", markdown))
    prose = re.sub(r"`[^`]*`", "", markdown)
    prose = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", prose)   # links: their text
    prose = re.sub(r"<[^>]+>", "", prose)                          # inline HTML tags
    prose = re.sub(r"[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}", "", prose)  # emphasis marks
    prose = prose.replace("\\", "")
    return prose, code


def char_width(ch: str) -> float:
    """Wide characters (CJK, most emoji) take two cells."""
    return 2.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 1.0


def text_lines(markdown: str, width: float, font: float, advance: float, theme: Theme) -> int:
    """How many lines one source line of Markdown takes at this width (marp keeps line breaks).

    Words are laid out greedily, as the browser does: a word that does not fit starts a new line,
    so a line of long words (a heading with a signature in it) takes more lines than its length
    alone says. Inline code is in the monospace font, with a little padding either side.
    """
    words: list[float] = []
    for index, part in enumerate(re.split(r"`([^`]*)`", markdown)):
        if index % 2:  # inline code
            pieces = part.split(" ")
            words += [(len(piece) * theme.inline_code + (0.25 if n == 0 else 0)
                       + (0.25 if n == len(pieces) - 1 else 0)) * font for n, piece in enumerate(pieces)]
        else:
            prose, _ = visible_text(part)
            words += [sum(map(char_width, word)) * advance * font for word in prose.split()]
    space = theme.space_advance * font
    lines, used = 1, 0.0
    for word in words:
        needed = word if used == 0 else used + space + word
        if needed <= width or used == 0:
            used = needed
        else:
            lines, used = lines + 1, word
            while used > width:  # a word longer than the line breaks anywhere
                lines, used = lines + 1, used - width
    return lines


def code_block_height(lines: list[str], font: float, width: float, theme: Theme) -> float:
    """A fenced block: its lines, scaled down as a whole when the longest is wider than the box."""
    size = font * theme.code_font
    pad_v, pad_h = theme.code_padding
    inner = width - theme.code_edge - 2 * pad_h * size
    longest = max((sum(map(char_width, line.expandtabs(8))) for line in lines), default=0)
    natural = longest * theme.mono_advance * size
    scale = min(1.0, inner / natural) if natural else 1.0
    return 2 * pad_v * size + max(1, len(lines)) * theme.code_line * size * scale


def image_height(path: Path, alt: str, width: float) -> float:
    """An image's height on the slide: `h:N`, or `w:N` (or its natural width) and its ratio."""
    sizes = dict(re.findall(r"\b(w|h|width|height):(\d+)(?:px)?\b", alt))
    if "h" in sizes or "height" in sizes:
        return float(sizes.get("h") or sizes["height"])
    natural = png_size(path) or svg_size(path)
    if not natural:
        return 0.6 * 616  # unknown: assume a large picture
    shown = min(float(sizes.get("w") or sizes.get("width") or natural[0]), width)
    return shown * natural[1] / natural[0]


def png_size(path: Path) -> tuple[int, int] | None:
    try:
        head = path.read_bytes()[:24]
    except OSError:
        return None
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def svg_size(path: Path) -> tuple[float, float] | None:
    try:
        text = path.read_text(errors="replace")[:2000]
    except OSError:
        return None
    match = re.search(r'viewBox="[\d.]+[ ,]+[\d.]+[ ,]+([\d.]+)[ ,]+([\d.]+)"', text)
    return (float(match[1]), float(match[2])) if match else None


def table_height(rows: list[list[str]], font: float, width: float, theme: Theme) -> float:
    """Rows as tall as their most wrapped cell; columns as wide as their share of the text."""
    size = font * theme.table_font
    columns = max(len(row) for row in rows)
    lengths = [max((sum(map(char_width, visible_text(row[c])[0])) + len(visible_text(row[c])[1])
                    if c < len(row) else 0) for row in rows) + 2 for c in range(columns)]
    padding = 2 * theme.cell_padding[1] * size + theme.cell_border
    room = width - columns * padding
    total = sum(lengths)
    height = 0.0
    for row in rows:
        lines = 1
        for c, cell in enumerate(row):
            cell_width = max(room * lengths[c] / total, size * 2)
            lines = max(lines, text_lines(cell, cell_width, size, theme.text_advance, theme))
        height += lines * theme.line * size + 2 * theme.cell_padding[0] * size + theme.cell_border
    return height + theme.cell_border


def split_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def slide_blocks(slide: Slide, deck_dir: Path, theme: Theme = THEME) -> list[Block]:
    """The slide cut into blocks, each with its estimated height."""
    classes = slide.directives.get("class", "").split()
    font = theme.small_font if "small" in classes else theme.font
    width = theme.width / (2 if "columns" in classes else 1)
    blocks: list[Block] = []
    lines = slide.lines
    index = 0

    def add(kind: str, line: int, height: float, margin_em: float, size: float, what: str = ""):
        blocks.append(Block(kind, slide.start + line, height, margin_em * size, what))

    while index < len(lines):
        line = lines[index]
        start = index
        if not line.strip() or HTML_TAG.match(line):
            index += 1
        elif COMMENT_START.match(line):
            while index < len(lines) and "-->" not in lines[index]:
                index += 1
            index += 1
        elif (opening := FENCE_OPEN.match(line)):
            fence = opening["fence"]
            index += 1
            body = []
            while index < len(lines) and not (lines[index].strip().startswith(fence)
                                              and not lines[index].strip().strip(fence[0])):
                body.append(lines[index])
                index += 1
            index += 1
            size = font * theme.code_font
            add("code", start, code_block_height(body, font, width, theme), theme.block_margin, size,
                f"{len(body)} lines of code")
        elif (heading := HEADING.match(line)):
            level = min(len(heading["level"]), 4)
            size = font * theme.heading_sizes[level - 1]
            if level == 1 and "title" in classes:
                size = font * theme.title_h1
            count = text_lines(heading["text"], width, size, theme.bold_advance, theme)
            height = count * theme.heading_line * size
            if level == 2:
                height += theme.h2_rule + theme.h2_padding * size
            add(f"h{level}", start, height, theme.heading_margin, size, heading["text"])
            index += 1
        elif TABLE_ROW.match(line):
            rows = []
            while index < len(lines) and TABLE_ROW.match(lines[index]):
                if not TABLE_RULE.match(lines[index]):
                    rows.append(split_cells(lines[index]))
                index += 1
            add("table", start, table_height(rows, font, width, theme), theme.block_margin,
                font * theme.table_font, f"{len(rows)} rows")
        elif (image := IMAGE.match(line)):
            add("image", start, image_height(deck_dir / image["path"], image["alt"], width),
                0.6, font, image["path"])
            index += 1
        elif LIST_ITEM.match(line):
            height, count = 0.0, 0
            base_indent = len(LIST_ITEM.match(line)["indent"])
            while index < len(lines) and lines[index].strip() and (
                    LIST_ITEM.match(lines[index]) or lines[index].startswith(" ")):
                item = LIST_ITEM.match(lines[index])
                depth = (len(item["indent"]) - base_indent) // 2 if item else 0
                text = item["text"] if item else lines[index].strip()
                size = font * theme.nested_list ** min(depth, 2)
                item_width = width - (depth + 1) * theme.list_indent * font
                lines_here = text_lines(text, item_width, size, theme.text_advance, theme)
                height += lines_here * theme.line * size + (2 * theme.li_margin * size if item else 0)
                count += bool(item)
                index += 1
            add("list", start, height, theme.block_margin, font, f"{count} items")
        else:
            height = 0.0
            quote = line.lstrip().startswith(">")
            while index < len(lines) and lines[index].strip() and not (
                    FENCE_OPEN.match(lines[index]) or HEADING.match(lines[index])
                    or LIST_ITEM.match(lines[index]) or COMMENT_START.match(lines[index])
                    or TABLE_ROW.match(lines[index])):
                text = lines[index].lstrip().lstrip(">").strip() if quote else lines[index]
                room = width - (8 + 0.7 * font if quote else 0)
                height += text_lines(text, room, font, theme.text_advance, theme) * theme.line * font
                index += 1
            if quote:
                height += 0.4 * font
            add("quote" if quote else "text", start, height, theme.block_margin, font)
    return blocks


def estimate(slide: Slide, deck_dir: Path, theme: Theme = THEME) -> tuple[float, list[Block]]:
    """The height the slide's content needs: its blocks and the margins between them.

    The slide is a flex column: margins do not collapse. When the sum exceeds the box, Chromium
    squeezes the code blocks (they hide their overflow) and the end of the code is cut off
    without a trace. The theme gives the last block no margin.
    """
    blocks = slide_blocks(slide, deck_dir, theme)
    total = sum(block.height + block.margin for block in blocks)
    return (total - blocks[-1].margin if blocks else 0.0), blocks


# ---------------------------------------------------------------------------------------------
# The checks and the command

# What the budget allows beyond the content box: none. Calibration keeps its estimates above
# Chromium's measurements, so a slide the budget passes is one Chromium lays out inside the box.
TOLERANCE = 0.0


def budget_problems(deck: Path, root: Path, theme: Theme = THEME) -> list[str]:
    """One message per slide of the deck whose estimated height exceeds the content box."""
    where = str(deck.relative_to(root)) if deck.is_relative_to(root) else str(deck)
    problems = []
    for slide in split_slides(deck.read_text()):
        needed, blocks = estimate(slide, deck.parent, theme)
        if needed > theme.height + TOLERANCE:
            tallest = max(blocks, key=lambda block: block.height)
            problems.append(
                f"{where}:{slide.line}: slide {slide.number} ({slide.title or 'untitled'}) needs "
                f"about {needed:.0f}px of the {theme.height:.0f}px a slide has: "
                f"{needed - theme.height:.0f}px too tall (its largest block: {tallest.kind}"
                f"{', ' + tallest.what if tallest.what else ''} at line {tallest.line}, "
                f"{tallest.height:.0f}px); split it or quote a shorter region")
    return problems


def check_budget(root: Path | None = None) -> list[str]:
    """The static check of every deck: what make test and make slides-check run."""
    root = root or labs_mod.ROOT
    return [problem for deck in deck_paths(root) for problem in budget_problems(deck, root)]


def check_chromium(root: Path | None = None, chromium: str | None = None) -> list[str]:
    """The measurement of every deck in Chromium (needs node, marp and Chromium)."""
    from .slides import find_chromium
    root = root or labs_mod.ROOT
    chromium = chromium or find_chromium()
    if not chromium:
        return ["Chromium is not installed (apt-get install chromium), so nothing was measured"]
    decks = deck_paths(root)
    measured = measure_decks(root, decks, chromium)
    return [problem for deck in decks
            for problem in measured_problems(str(deck.relative_to(root)),
                                             split_slides(deck.read_text()), measured[deck])]


def test_phases() -> list[tuple[str, str, object]]:
    """The fit's phases of make test, as (short name, title, check): the budget always; the
    measurement only when asked (SYSLAB_SLIDES_CHROMIUM=1, or make slides-fit on its own), since
    it takes minutes and the calibrated budget finds the same slides."""
    from .slides import find_chromium
    phases = [("slides fit", "every slide fits its box (the budget, from the theme's sizes)", check_budget)]
    asked = os.environ.get("SYSLAB_SLIDES_CHROMIUM", "") not in ("", "0")
    if asked and find_chromium() and shutil.which("node"):
        phases.append(("slides in Chromium", "every slide fits its box (measured in headless Chromium)",
                       check_chromium))
    return phases


def calibration(root: Path, chromium: str) -> list[str]:
    """Budget against measurement for every slide: the table that sets and checks the theme's
    averages. `natural` is the height the content would take if nothing were cut."""
    rows = [f"{'slide':<34} {'budget':>7} {'natural':>7} {'diff':>6}  title"]
    decks = deck_paths(root)
    measured = measure_decks(root, decks, chromium)
    under, over = [], []
    for deck in decks:
        slides = split_slides(deck.read_text())
        if len(slides) != len(measured[deck]):
            rows.append(f"{deck.name}: {len(measured[deck])} slides rendered, {len(slides)} read")
            continue
        for slide, fit in zip(slides, measured[deck]):
            natural = fit.height + sum(clip["hiddenY"] for clip in fit.clipped)
            budget, _ = estimate(slide, deck.parent)
            rows.append(f"{deck.stem + ':' + str(slide.line):<34} {budget:7.0f} {natural:7.0f} "
                        f"{budget - natural:+6.0f}  {slide.title[:40]}")
            too_tall = fit.bottom > fit.limit_bottom + 0.5 or bool(fit.clipped)
            refused = budget > THEME.height + TOLERANCE
            if too_tall and not refused:
                under.append(rows[-1])
            elif refused and not too_tall:
                over.append(rows[-1])
    rows.append(f"slides the budget refuses although they fit in Chromium: {len(over)}")
    rows += over
    rows.append(f"slides that do not fit in Chromium but pass the budget (must be none): {len(under)}")
    return rows + under


def cmd_slides_fit(args) -> int:
    root = labs_mod.ROOT
    if args.calibrate:
        from .slides import find_chromium
        chromium = find_chromium()
        if not chromium:
            print("syslab: --calibrate measures in Chromium: apt-get install chromium")
            return 1
        print("\n".join(calibration(root, chromium)))
        return 0
    problems = check_chromium(root) if args.chromium else check_budget(root)
    how = "measured in Chromium" if args.chromium else "by the budget"
    for problem in problems:
        print(f"  {problem}")
    if problems:
        print(f"syslab: {len(problems)} slide problem(s) {how}")
        return 1
    print(f"syslab: every slide of {len(deck_paths(root))} deck(s) fits its box ({how})")
    return 0


def register(commands) -> None:
    p = commands.add_parser("slides-fit", help="check that every slide fits its box "
                            "(--chromium: render and measure; --calibrate: budget against measurement)")
    p.add_argument("--chromium", action="store_true", help="render with marp and measure in headless Chromium")
    p.add_argument("--calibrate", action="store_true", help="print the budget and the measurement of every slide")
    p.set_defaults(run=cmd_slides_fit)
