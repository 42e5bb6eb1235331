"""The slide decks: Marp Markdown in slides/, rendered to self-contained HTML (and PDF).

The decks' code comes from the solutions (slide_code.py keeps it in sync); whether every slide
fits its box is slide_fit.py's business. This module renders and registers the commands.

Rendering uses the marp-cli pinned in package.json / package-lock.json, installed into
node_modules/ by `npm ci`; once that has run, rendering needs no network, and the theme
(slides/theme/) loads no web font, so the HTML works offline in the lecture room.
"""

from __future__ import annotations

import argparse
import base64
import html
import mimetypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from . import labs as labs_mod
from . import slide_fit
from .slide_code import RegionCache, check_deck, check_decks, deck_paths, unused_regions, update_decks

THEME_DIR = Path("slides") / "theme"
MARP_CONFIG = THEME_DIR / "marp.config.json"
MARP_BIN = Path("node_modules") / ".bin" / "marp"
# Everything marp's output depends on besides the deck: a change to one re-renders every deck.
RENDER_INPUTS = [THEME_DIR / "syslab.css", MARP_CONFIG, Path("package-lock.json")]
CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
MIN_NODE_MAJOR = 18


# ---------------------------------------------------------------------------------------------
# The renderer: node, npm ci, marp


class ToolMissing(Exception):
    """Something rendering needs is not installed; the message says what to install."""


def node_major(node: str) -> int:
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    match = re.match(r"v(\d+)", version.strip())
    return int(match.group(1)) if match else 0


def node_modules_stale(root: Path) -> str | None:
    """Why `npm ci` must run, or None when node_modules matches the lock file.

    npm writes node_modules/.package-lock.json on every install, so its age against the
    committed lock tells whether the lock changed since (a pull that bumped marp-cli).
    """
    if not (root / MARP_BIN).exists():
        return "node_modules/ has no marp yet"
    installed = root / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < (root / "package-lock.json").stat().st_mtime:
        return "node_modules/ is older than package-lock.json"
    return None


def ensure_marp(root: Path) -> Path:
    """The local marp binary, running `npm ci` first when node_modules is missing or stale."""
    node, npm = shutil.which("node") or shutil.which("nodejs"), shutil.which("npm")
    if not node or not npm:
        missing = " and ".join(name for name, found in (("node", node), ("npm", npm)) if not found)
        raise ToolMissing(f"rendering slides needs {missing}: install the Debian packages "
                          "with `apt-get install nodejs npm` (make bootstrap does it)")
    if node_major(node) < MIN_NODE_MAJOR:
        raise ToolMissing(f"marp-cli needs Node.js {MIN_NODE_MAJOR} or later; {node} is older "
                          "(Debian 12's nodejs package is recent enough)")
    reason = node_modules_stale(root)
    if reason:
        print(f"syslab: {reason}: running npm ci (installs the pinned marp-cli from package-lock.json)")
        result = subprocess.run([npm, "ci", "--prefer-offline", "--no-audit", "--no-fund"], cwd=root)
        if result.returncode != 0:
            raise ToolMissing("npm ci failed: it needs the npm registry once; after that slides "
                              "render offline")
    return root / MARP_BIN


def find_chromium() -> str | None:
    """The browser for PDF export: $CHROME_PATH, else Debian's chromium. None: HTML only."""
    if os.environ.get("CHROME_PATH"):
        return os.environ["CHROME_PATH"]
    return next((path for path in CHROMIUM_CANDIDATES if os.access(path, os.X_OK)), None)


def marp_env(chromium: str | None) -> dict[str, str]:
    """Headless Chromium as root needs --no-sandbox; marp-cli adds it (and --disable-gpu) on these."""
    env = dict(os.environ)
    if chromium:
        env.update(CHROME_PATH=chromium, CHROME_NO_SANDBOX="1", CHROME_DISABLE_GPU="1")
    return env


def marp_command(marp: Path, root: Path, deck: Path, output: Path, pdf: bool) -> list[str]:
    command = [str(marp), "--no-stdin", "--config-file", str(root / MARP_CONFIG),
               "--output", str(output)]
    if pdf:
        command += ["--pdf", "--allow-local-files", "--browser", "chrome", "--browser-timeout", "120"]
    return command + [str(deck)]


def up_to_date(output: Path, deck: Path, root: Path) -> bool:
    """Skips re-rendering a deck whose output is newer than the deck, the theme, the images and
    the lock file: make slides before a lecture should take seconds, not minutes."""
    if not output.exists():
        return False
    inputs = [deck] + [root / path for path in RENDER_INPUTS if (root / path).exists()]
    inputs += [path for path in (root / "slides").rglob("*") if path.is_file() and path.suffix != ".md"]
    return output.stat().st_mtime >= max(path.stat().st_mtime for path in inputs)


REMOTE = r"""(?:https?:)?//[^"'\s>)&]+"""
REMOTE_LOAD = re.compile(
    r"""<(?:script|img|link|iframe|source|video|audio|embed)\b[^>]*?\b(?:src|href|srcset)\s*=\s*["']?\s*"""
    rf"""(?P<a>{REMOTE})"""
    rf"""|url\(\s*(?:&quot;|["'])?\s*(?P<b>{REMOTE})"""
    rf"""|@import\s+(?:url\()?\s*["'](?P<c>{REMOTE})""",
    re.IGNORECASE)


def remote_loads(page: str) -> list[str]:
    """URLs the page would fetch when opened (links to follow, <a href>, are fine).

    A projector room often has no network: a web font or a CDN emoji would silently fail there.
    """
    return sorted({next(group for group in match.groups() if group)
                   for match in REMOTE_LOAD.finditer(page)})


def front_matter(text: str) -> str:
    """The YAML front matter of a deck (between the first two `---` lines), or ""."""
    match = re.match(r"---\s*\n(.*?)\n---\s*\n", text, re.DOTALL)
    return match.group(1) if match else ""


def deck_title(deck: Path) -> str:
    """The deck's `title:` in its front matter, else its first heading, else its file name."""
    text = deck.read_text()
    match = re.search(r"^title:\s*(.+?)\s*$", front_matter(text), re.MULTILINE) or \
        re.search(r"^#{1,2}\s+(.+?)\s*$", text, re.MULTILINE)
    return match.group(1).strip("\"'") if match else deck.stem


LOCAL_REFERENCE = re.compile(
    r"""(?P<pre>\bsrc=["']|url\((?:&quot;|["'])?)(?P<path>(?![a-z][a-z0-9+.-]*:|/|#)[^"'&)\s]+)""",
    re.IGNORECASE)


def inline_local_files(page: str, base: Path) -> str:
    """Replaces references to the deck's own images by data: URLs, so one HTML file is the deck.

    Marp leaves `![](img/x.svg)` as a relative link; from build/slides/ it would point nowhere,
    and a deck copied to a USB stick should still show its diagrams.
    """
    def replace(match: re.Match) -> str:
        path = (base / html.unescape(match["path"])).resolve()
        if not path.is_file() or not path.is_relative_to(base.resolve()):
            return match.group(0)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = base64.b64encode(path.read_bytes()).decode()
        return f"{match['pre']}data:{kind};base64,{data}"
    return LOCAL_REFERENCE.sub(replace, page)


def write_index(out_dir: Path, decks: list[Path]) -> Path:
    """build/slides/index.html: one page that links every rendered deck and its PDF."""
    rows = []
    for deck in decks:
        html_file, pdf_file = out_dir / f"{deck.stem}.html", out_dir / f"{deck.stem}.pdf"
        if not html_file.exists():
            continue
        pdf_link = f' · <a href="{html.escape(pdf_file.name)}">PDF</a>' if pdf_file.exists() else ""
        rows.append(f'<li><a href="{html.escape(html_file.name)}">'
                    f'<span class="n">{html.escape(deck.stem[:2])}</span> '
                    f'{html.escape(deck_title(deck))}</a>{pdf_link}</li>')
    body = "\n".join(rows) or "<li>no deck rendered: see what make slides said</li>"
    path = out_dir / "index.html"
    path.write_text(INDEX_TEMPLATE.replace("@ROWS@", body))
    return path


INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>syslab slides</title>
<style>
body { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; max-width: 46em; margin: 3em auto;
       padding: 0 1em; color: #111418; line-height: 1.5; }
h1 { color: #0b4f9c; border-bottom: 4px solid #0b4f9c; }
ul { list-style: none; padding: 0; font-size: 1.2em; }
li { margin: .4em 0; }
a { color: #0b4f9c; }
.n { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; color: #444c56; }
p { color: #444c56; }
</style></head>
<body>
<h1>syslab: the slides</h1>
<ul>
@ROWS@
</ul>
<p>In a deck: arrow keys or space to move, <kbd>f</kbd> for full screen, <kbd>p</kbd> for the
presenter view (notes, next slide, timer) in a second window.</p>
</body></html>
"""


def run_marp(marp: Path, root: Path, deck: Path, output: Path, chromium: str | None) -> str | None:
    """Runs marp once (HTML, or PDF when output ends in .pdf); returns its complaint on failure."""
    pdf = output.suffix == ".pdf"
    result = subprocess.run(marp_command(marp, root, deck, output, pdf), cwd=root,
                            env=marp_env(chromium), stdin=subprocess.DEVNULL,
                            capture_output=True, text=True)
    if result.returncode != 0 or not output.exists():
        return f"marp failed to write {output.name}:\n{result.stdout}{result.stderr}".rstrip()
    return None


def render_deck(marp: Path, root: Path, deck: Path, out_dir: Path, chromium: str | None) -> list[str]:
    """Renders one deck to HTML (and PDF); returns the problems (empty on success)."""
    where = str(deck.relative_to(root))
    outputs = [out_dir / f"{deck.stem}.html"] + ([out_dir / f"{deck.stem}.pdf"] if chromium else [])
    outputs = [output for output in outputs if not up_to_date(output, deck, root)]
    if outputs:
        print(f"  rendering {where} to {', '.join(output.suffix[1:].upper() for output in outputs)}",
              flush=True)
    problems: list[str] = []
    for output in outputs:  # HTML first: a deck whose HTML is refused gets no PDF either
        if problems:
            break
        failure = run_marp(marp, root, deck, output, chromium)
        if failure:
            problems.append(f"{where}: {failure}")
        elif output.suffix == ".html":
            page = inline_local_files(output.read_text(), deck.parent)
            output.write_text(page)
            problems += [f"{where}: the HTML would load {url} when opened; slides must work "
                         "offline (use a file next to the deck: no web fonts, no CDN images)"
                         for url in remote_loads(page)]
    if problems:  # a half-good output must not look up to date next time
        for output in outputs:
            output.unlink(missing_ok=True)
    return problems


def render_all(root: Path, out_dir: Path) -> int:
    """Checks every deck's code, renders the fresh decks and writes the index."""
    decks = deck_paths(root)
    if not decks:
        print("syslab: no decks yet (slides/NN-name.md); see slides/README.md")
        return 0
    cache = RegionCache(root)
    checkable = (root / "solutions").is_dir()  # a student kit's decks are taken as they are
    stale = {deck: check_deck(deck, root, cache) if checkable else [] for deck in decks}
    fresh = [deck for deck in decks if not stale[deck]]
    for message in dict.fromkeys(m for problems in stale.values() for m in problems):
        print(f"  {message}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for deck in decks:
        if stale[deck]:  # an old rendering of a stale deck must not be presented by mistake
            for suffix in ("html", "pdf"):
                (out_dir / f"{deck.stem}.{suffix}").unlink(missing_ok=True)
    failures = 0
    chromium = find_chromium()
    if fresh:
        marp = ensure_marp(root)
        for deck in fresh:
            problems = render_deck(marp, root, deck, out_dir, chromium)
            for message in problems:
                print(f"  {message}")
            failures += bool(problems)
    index = write_index(out_dir, decks)
    report_outputs(out_dir, fresh, chromium, index)
    refused = len(decks) - len(fresh)
    if refused:
        print(f"syslab: {refused} deck(s) not rendered: their code is stale or broken "
              "(make slides-update, then make slides)")
    return 1 if refused or failures else 0


def report_outputs(out_dir: Path, decks: list[Path], chromium: str | None, index: Path) -> None:
    for deck in decks:
        outputs = [str(out_dir / f"{deck.stem}.{suffix}") for suffix in ("html", "pdf")]
        written = [path for path in outputs if Path(path).exists()]
        if written:
            print("  " + "  ".join(written))
    if not chromium:
        print("  (no PDF: Chromium is not installed; `apt-get install chromium` adds PDF export)")
    print(f"syslab: slides in {out_dir}; open {index}")


# ---------------------------------------------------------------------------------------------
# Commands


def cmd_slides(args: argparse.Namespace) -> int:
    """Renders every deck; stale decks are refused, so a projected slide never shows old code."""
    out_dir = Path(args.output).resolve() if args.output else labs_mod.BUILD / "slides"
    try:
        return render_all(labs_mod.ROOT, out_dir)
    except ToolMissing as missing:
        print(f"syslab: {missing}", file=sys.stderr)
        return 1


def test_phases() -> list[tuple[str, str, object]]:
    """make test's slide phases as (short name, title, check); kittest.extra_phases takes them all:
    the code is in sync with the solutions, and every slide fits its box (the budget; measured too
    where Chromium is)."""
    return [("slides", "slide code is in sync with the solutions", check_decks),
            *slide_fit.test_phases()]


def cmd_slides_check(args: argparse.Namespace) -> int:
    """Checks without rendering: quick, needs no node: the code is fresh and every slide fits
    (by the budget; `tools/syslab slides-fit --chromium` measures)."""
    for warning in unused_regions():
        print(f"  warning: {warning}")
    problems = check_decks() + slide_fit.check_budget()
    for problem in problems:
        print(f"  {problem}")
    if problems:
        print(f"syslab: {len(problems)} problem(s) with the slides")
        return 1
    print(f"syslab: the code on {len(deck_paths(labs_mod.ROOT))} deck(s) matches the solutions, "
          "and every slide fits its box")
    return 0


def cmd_slides_update(args: argparse.Namespace) -> int:
    changed, problems = update_decks()
    for deck in changed:
        print(f"  updated {deck.relative_to(labs_mod.ROOT)}")
    for problem in problems:
        print(f"  {problem}")
    if not changed and not problems:
        print("syslab: the code on every deck is already up to date")
    return 1 if problems else 0


def register(commands) -> None:
    """Adds slides, slides-check and slides-update to tools/syslab's subcommands."""
    p = commands.add_parser("slides", help="render every deck to HTML (and PDF where Chromium is present)")
    p.add_argument("--output", help="where to write (default: $SYSLAB_BUILD/slides)")
    p.set_defaults(run=cmd_slides)
    p = commands.add_parser("slides-check", help="check that the code on the slides matches the solutions and every slide fits")
    p.set_defaults(run=cmd_slides_check)
    p = commands.add_parser("slides-update", help="rewrite the slides' code blocks from the solutions")
    p.set_defaults(run=cmd_slides_update)
    slide_fit.register(commands)
