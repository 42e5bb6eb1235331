"""Tests of the slide tools: slide_code.py (region extraction, the staleness check and the
update), markers.py (shared with the skeleton generator) and slides.py (rendering helpers).

Run from the repository root: python3 -m unittest discover -s tests/tools -t .
Every test builds a small repository in a temporary directory, so none depends on the real decks.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from kit import markers, skeleton, slide_code, slide_fit, slides  # noqa: E402

SOURCE = """\
#include "identity.hpp"

namespace ids {

  // [slide:current_identity]
  Identity current_identity() {
    // BEGIN SOLUTION: fill an Identity
    Identity self;
    self.pid = ::getpid();
    return self;
    // END SOLUTION
  }
  // [/slide]

// [slide:unused_helper]
int helper() { return 1; }
// [/slide]

}  // namespace ids
"""

REGION = """\
Identity current_identity() {
  Identity self;
  self.pid = ::getpid();
  return self;
}"""

DECK = """\
---
marp: true
theme: syslab
---

# Who am I?

---

## The code

<!-- code: solutions/01-getpid/identity.cpp#current_identity -->
```cpp
{code}
```

After the code.
"""


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


class FixtureRepo(unittest.TestCase):
    """A temporary repository with one solution file and one deck quoting it."""

    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        self.write("solutions/01-getpid/identity.cpp", SOURCE)
        self.write("slides/01-getpid.md", DECK.format(code=REGION))

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text()

    def code_comment_line(self, relative: str = "slides/01-getpid.md") -> int:
        lines = self.read(relative).splitlines()
        return next(i for i, line in enumerate(lines, start=1) if "<!-- code:" in line)


class ExtractRegions(unittest.TestCase):
    def test_region_is_dedented_without_markers_or_solution_lines(self):
        regions, problems = slide_code.extract_regions(SOURCE, "identity.cpp")
        self.assertEqual(problems, [])
        self.assertEqual(regions["current_identity"].code, REGION)
        self.assertEqual(regions["current_identity"].line, 5)
        self.assertEqual(regions["unused_helper"].code, "int helper() { return 1; }")

    def test_blank_lines_inside_a_region_are_kept_and_edges_dropped(self):
        text = "// [slide:a]\n\n  int x;\n\n  int y;\n   \n// [/slide]\n"
        regions, _ = slide_code.extract_regions(text, "f.cpp")
        self.assertEqual(regions["a"].code, "int x;\n\nint y;")

    def test_a_name_used_twice_in_one_file_is_an_error(self):
        text = "// [slide:a]\nint x;\n// [/slide]\n// [slide:a]\nint y;\n// [/slide]\n"
        regions, problems = slide_code.extract_regions(text, "f.cpp")
        self.assertEqual(regions["a"].code, "int x;")
        self.assertEqual(problems, ["f.cpp:4: region [slide:a] is used twice in this file "
                                    "(first at line 1)"])

    def test_unclosed_region(self):
        _, problems = slide_code.extract_regions("// [slide:a]\nint x;\n", "f.cpp")
        self.assertEqual(problems, ["f.cpp:1: region [slide:a] is never closed by // [/slide]"])

    def test_end_without_begin(self):
        _, problems = slide_code.extract_regions("int x;\n// [/slide]\n", "f.cpp")
        self.assertEqual(problems, ["f.cpp:2: [/slide] without a [slide:NAME] before it"])

    def test_regions_do_not_nest(self):
        text = "// [slide:a]\n// [slide:b]\nint x;\n// [/slide]\n"
        _, problems = slide_code.extract_regions(text, "f.cpp")
        self.assertIn("regions do not nest", problems[0])
        self.assertTrue(problems[0].startswith("f.cpp:2: "))

    def test_a_malformed_marker_is_reported_not_ignored(self):
        _, problems = slide_code.extract_regions("// [slide: a]\nint x;\n", "f.cpp")
        self.assertEqual(len(problems), 1)
        self.assertIn("f.cpp:1: malformed slide marker", problems[0])

    def test_a_file_without_regions(self):
        self.assertEqual(slide_code.extract_regions("int main() {}\n", "f.cpp"), ({}, []))


class ParseDeck(unittest.TestCase):
    def test_reference_and_its_block(self):
        refs, problems = slide_code.parse_deck(DECK.format(code=REGION), "d.md")
        self.assertEqual(problems, [])
        self.assertEqual(len(refs), 1)
        ref = refs[0]
        self.assertEqual((ref.line, ref.path, ref.name), (12, "solutions/01-getpid/identity.cpp",
                                                         "current_identity"))
        self.assertEqual(ref.code, REGION)

    def test_blank_lines_may_separate_comment_and_block(self):
        deck = "<!-- code: a.cpp#x -->\n\n```cpp\nint x;\n```\n"
        refs, problems = slide_code.parse_deck(deck, "d.md")
        self.assertEqual((problems, refs[0].code), ([], "int x;"))

    def test_comment_without_a_block(self):
        deck = "<!-- code: a.cpp#x -->\nSome text.\n```cpp\nint x;\n```\n"
        refs, problems = slide_code.parse_deck(deck, "d.md")
        self.assertEqual(refs, [])
        self.assertEqual(problems, ["d.md:1: no fenced code block right after the code comment"])

    def test_unclosed_block(self):
        _, problems = slide_code.parse_deck("<!-- code: a.cpp#x -->\n```cpp\nint x;\n", "d.md")
        self.assertEqual(problems, ["d.md:1: the code block after the code comment is never closed"])

    def test_comment_inside_a_code_block_is_an_example_not_a_reference(self):
        deck = "````md\n<!-- code: a.cpp#x -->\n```cpp\n```\n````\n"
        self.assertEqual(slide_code.parse_deck(deck, "d.md"), ([], []))

    def test_malformed_comment(self):
        _, problems = slide_code.parse_deck("<!-- code: a.cpp -->\n```\n```\n", "d.md")
        self.assertEqual(len(problems), 1)
        self.assertIn("d.md:1: malformed code comment", problems[0])


class CheckDecks(FixtureRepo):
    def test_fresh_deck_has_no_problems(self):
        self.assertEqual(slide_code.check_decks(self.root), [])

    def test_indentation_of_the_whole_block_does_not_count(self):
        self.write("slides/01-getpid.md", DECK.format(code=textwrap.indent(REGION, "    ")))
        self.assertEqual(slide_code.check_decks(self.root), [])

    def test_changed_solution_makes_the_deck_stale(self):
        self.write("solutions/01-getpid/identity.cpp", SOURCE.replace("::getpid()", "getpid()"))
        self.assertEqual(slide_code.check_decks(self.root), [
            f"slides/01-getpid.md:{self.code_comment_line()}: code from "
            "solutions/01-getpid/identity.cpp#current_identity is stale (make slides-update)"])

    def test_edited_slide_is_stale(self):
        self.write("slides/01-getpid.md", DECK.format(code=REGION.replace("self;", "me;")))
        self.assertEqual(len(slide_code.check_decks(self.root)), 1)

    def test_missing_region(self):
        self.write("slides/01-getpid.md",
                   DECK.format(code=REGION).replace("#current_identity", "#gone"))
        self.assertEqual(slide_code.check_decks(self.root), [
            f"slides/01-getpid.md:{self.code_comment_line()}: no region [slide:gone] in "
            "solutions/01-getpid/identity.cpp"])

    def test_missing_file(self):
        self.write("slides/01-getpid.md", DECK.format(code=REGION).replace("identity.cpp", "nope.cpp"))
        problems = slide_code.check_decks(self.root)
        self.assertEqual(len(problems), 1)
        self.assertIn(": no file solutions/01-getpid/nope.cpp", problems[0])

    def test_path_outside_the_repository_is_refused(self):
        outside = self.root.parent / "outside.cpp"
        self.write("slides/01-getpid.md", DECK.format(code=REGION).replace(
            "solutions/01-getpid/identity.cpp", f"../{outside.name}"))
        self.assertIn("no file", slide_code.check_decks(self.root)[0])

    def test_duplicate_region_in_any_solution_file_is_an_error(self):
        self.write("solutions/02-fd/fd.hpp", "// [slide:a]\n// [/slide]\n// [slide:a]\n// [/slide]\n")
        problems = slide_code.check_decks(self.root)
        self.assertEqual(len(problems), 1)
        self.assertIn("solutions/02-fd/fd.hpp:3: region [slide:a] is used twice", problems[0])

    def test_only_numbered_decks_are_checked(self):
        self.write("slides/README.md", "<!-- code: nowhere.cpp#x -->\n```\n```\n")
        self.assertEqual(slide_code.check_decks(self.root), [])

    def test_a_student_kit_without_solutions_is_not_checked(self):
        self.write("slides/01-getpid.md", DECK.format(code="anything"))
        (self.root / "solutions/01-getpid/identity.cpp").unlink()
        (self.root / "solutions/01-getpid").rmdir()
        (self.root / "solutions").rmdir()
        self.assertEqual(slide_code.check_decks(self.root), [])

    def test_unused_regions_are_warnings(self):
        self.assertEqual(slide_code.unused_regions(self.root), [
            "solutions/01-getpid/identity.cpp:15: region [slide:unused_helper] is not used by any deck"])


class UpdateDecks(FixtureRepo):
    def test_update_rewrites_stale_code_and_keeps_the_rest(self):
        self.write("slides/01-getpid.md", DECK.format(code="old code\n  more old code"))
        changed, problems = slide_code.update_decks(self.root)
        self.assertEqual((changed, problems), ([self.root / "slides/01-getpid.md"], []))
        self.assertEqual(self.read("slides/01-getpid.md"), DECK.format(code=REGION))
        self.assertEqual(slide_code.check_decks(self.root), [])

    def test_update_of_a_fresh_deck_changes_nothing(self):
        before = self.read("slides/01-getpid.md")
        self.assertEqual(slide_code.update_decks(self.root), ([], []))
        self.assertEqual(self.read("slides/01-getpid.md"), before)

    def test_update_reports_what_it_cannot_fix(self):
        deck = DECK.format(code="x").replace("#current_identity", "#gone")
        self.write("slides/01-getpid.md", deck)
        changed, problems = slide_code.update_decks(self.root)
        self.assertEqual(changed, [])
        self.assertEqual(len(problems), 1)
        self.assertIn("no region [slide:gone]", problems[0])
        self.assertEqual(self.read("slides/01-getpid.md"), deck)

    def test_several_blocks_and_fence_info_are_kept(self):
        deck = dedent("""
            <!-- code: solutions/01-getpid/identity.cpp#unused_helper -->
            ~~~cpp {data-line="1"}
            old
            ~~~
            middle
            <!-- code: solutions/01-getpid/identity.cpp#current_identity -->

            ```c++
            ```
            end
            """)
        self.write("slides/01-getpid.md", deck)
        slide_code.update_decks(self.root)
        self.assertEqual(self.read("slides/01-getpid.md"), dedent("""
            <!-- code: solutions/01-getpid/identity.cpp#unused_helper -->
            ~~~cpp {data-line="1"}
            int helper() { return 1; }
            ~~~
            middle
            <!-- code: solutions/01-getpid/identity.cpp#current_identity -->

            ```c++
            """) + REGION + "\n```\nend\n")

    def test_a_longer_fence_when_the_code_contains_one(self):
        self.assertEqual(slide_code.fence_for("x\n```\ny", "```"), "````")
        self.assertEqual(slide_code.fence_for("x", "~~~~"), "~~~~")


class SharedMarkers(unittest.TestCase):
    """The slide sync and the skeleton generator read one set of markers (markers.py)."""

    def test_both_tools_use_the_shared_patterns(self):
        self.assertIs(slide_code.REGION_BEGIN, markers.SLIDE_BEGIN)
        self.assertIs(slide_code.SOLUTION_MARKER, markers.SOLUTION_LINE)
        self.assertIs(skeleton.BEGIN, markers.SOLUTION_BEGIN)
        self.assertIs(skeleton.SLIDE, markers.SLIDE_MARKER_LINE)

    def test_what_the_slide_drops_the_skeleton_treats_as_a_marker(self):
        for line in ["  // BEGIN SOLUTION: fill it", "// BEGIN SOLUTION", "  // END SOLUTION",
                     "# BEGIN SOLUTION", "# END SOLUTION"]:
            self.assertTrue(markers.SOLUTION_LINE.match(line), line)
            self.assertTrue(markers.SOLUTION_BEGIN.match(line) or markers.SOLUTION_END.match(line), line)

    def test_every_slide_marker_the_sync_reads_is_dropped_from_skeletons(self):
        skeleton_text = skeleton.strip_solution(SOURCE, "identity.cpp")
        self.assertNotIn("[slide", skeleton_text)
        self.assertNotIn("[/slide]", skeleton_text)
        regions, problems = slide_code.extract_regions(SOURCE, "identity.cpp")
        self.assertEqual((sorted(regions), problems), (["current_identity", "unused_helper"], []))


class Rendering(unittest.TestCase):
    def test_remote_loads_are_found_and_links_are_not(self):
        page = dedent("""
            <script src="https://cdn.example/x.js"></script>
            <img src="//cdn.example/e.svg"><img src="data:image/png;base64,AAAA">
            <style>@import url("https://fonts.example/css");
            b { background: url('http://x.example/b.png') }</style>
            <a href="https://man7.org/linux/man-pages/man2/getpid.2.html">getpid(2)</a>
            <svg xmlns="http://www.w3.org/2000/svg"></svg>
            <figure style="background-image:url(&quot;https://img.example/bg.jpg&quot;);"></figure>
            """)
        self.assertEqual(slides.remote_loads(page), [
            "//cdn.example/e.svg", "http://x.example/b.png", "https://cdn.example/x.js",
            "https://fonts.example/css", "https://img.example/bg.jpg"])

    def test_local_images_are_inlined(self):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "img").mkdir()
            (Path(tmp) / "img" / "tree.svg").write_text("<svg/>")
            page = ('<img src="img/tree.svg">'
                    '<figure style="background-image:url(&quot;img/tree.svg&quot;);">'
                    '<img src="img/missing.png"><img src="https://x.example/a.png">')
            inlined = slides.inline_local_files(page, Path(tmp))
        self.assertEqual(inlined.count("data:image/svg+xml;base64,PHN2Zy8+"), 2)
        self.assertIn('src="img/missing.png"', inlined)
        self.assertIn('src="https://x.example/a.png"', inlined)

    def test_node_modules_older_than_the_lock_needs_npm_ci(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "package-lock.json").write_text("{}")
            self.assertIn("no marp", slides.node_modules_stale(root))
            marp = root / slides.MARP_BIN
            marp.parent.mkdir(parents=True)
            marp.write_text("")
            installed = root / "node_modules" / ".package-lock.json"
            installed.write_text("{}")
            old = time.time() - 100
            os.utime(installed, (old, old))
            self.assertIn("older", slides.node_modules_stale(root))
            os.utime(installed)
            self.assertIsNone(slides.node_modules_stale(root))

    def test_deck_title_from_front_matter_or_first_heading(self):
        with tempfile.TemporaryDirectory() as tmp:
            deck = Path(tmp) / "01-getpid.md"
            deck.write_text("---\nmarp: true\ntitle: \"Who am I\"\n---\n# Heading\n")
            self.assertEqual(slides.deck_title(deck), "Who am I")
            deck.write_text("---\nmarp: true\n---\n\ntitle: not this\n# Heading\n")
            self.assertEqual(slides.deck_title(deck), "Heading")


# Lab 11's "Across threads" slide as it was before the decks were fixed: Chromium cut the end of
# queue_in_loop and drain_wakeups off (53 px past the bottom, 59 and 79 px hidden in the blocks).
ACROSS_THREADS = """\
# Across threads: a queue and an eventfd

<!-- code: solutions/11-epoll/event_loop.cpp#queue_in_loop -->
```cpp
void EventLoop::queue_in_loop(Task task) {
  {
    const std::lock_guard lock(mutex_);
    queued_.push_back(std::move(task));
  }
  // From another thread the loop may be blocked in its wait. On the loop thread, a task queued
  // by a task would wait for the next event: wake up for it too.
  if (!in_loop_thread() || running_tasks_) wake_up();
}
```

<!-- code: solutions/11-epoll/event_loop.cpp#wake_up -->
```cpp
void EventLoop::wake_up() {
  const std::uint64_t one = 1;
  // EAGAIN (would block) only when the counter is near 2^64: a wake-up is pending anyway.
  (void)fdio::write_some(wakeup_fd_,
                         std::string_view(reinterpret_cast<const char*>(&one), sizeof one));
}

void EventLoop::drain_wakeups() {
  std::uint64_t count = 0;
  // One read takes the whole count and resets it: many wake-ups, one read.
  (void)fdio::read_some(wakeup_fd_, std::span(reinterpret_cast<char*>(&count), sizeof count));
}
```
"""

FRONT = "---\nmarp: true\ntheme: syslab\npaginate: true\n---\n\n"


def code_lines(count: int, width: int = 40) -> str:
    return "\n".join(f"int line_{i:03d} = {'x' * (width - 16)};" for i in range(count))


class SplitSlides(unittest.TestCase):
    def test_breaks_front_matter_and_code_blocks(self):
        deck = FRONT + "# One\n\n```md\n\n---\n```\n\n---\n\n<!-- _class: small -->\n\n# Two\n"
        slides = slide_fit.split_slides(deck)
        self.assertEqual([s.title for s in slides], ["One", "Two"])
        self.assertEqual([s.number for s in slides], [1, 2])
        self.assertEqual(slides[0].line, 7)
        self.assertEqual(slides[1].directives.get("class"), "small")

    def test_a_local_class_holds_for_one_slide_a_global_one_from_then_on(self):
        deck = FRONT + "<!-- _class: title -->\n# A\n\n---\n\n# B\n\n---\n\n<!-- class: small -->\n# C\n\n---\n\n# D\n"
        classes = [s.directives.get("class") for s in slide_fit.split_slides(deck)]
        self.assertEqual(classes, ["title", None, "small", "small"])

    def test_a_rule_under_text_is_a_heading_not_a_break(self):
        self.assertEqual(len(slide_fit.split_slides(FRONT + "# A\ntext\n---\nmore\n")), 1)


class Budget(FixtureRepo):
    def deck(self, body: str) -> list[str]:
        self.write("slides/11-epoll.md", FRONT + body)
        return slide_fit.check_budget(self.root)

    def test_the_lab_11_slide_that_chromium_cut_is_refused(self):
        problems = self.deck("# Before\n\n---\n\n" + ACROSS_THREADS)
        self.assertEqual(len(problems), 1)
        self.assertRegex(problems[0], r"^slides/11-epoll\.md:11: slide 2 \(Across threads: a queue and "
                                      r"an eventfd\) needs about \d+px of the 616px a slide has: \d+px too tall")

    def test_the_same_code_on_two_slides_fits(self):
        first, second = ACROSS_THREADS.split("<!-- code: solutions/11-epoll/event_loop.cpp#wake_up -->")
        fixed = first + "---\n\n# Across threads: the eventfd\n\n<!-- code: x.cpp#wake_up -->" + second
        self.assertEqual(self.deck(fixed), [])

    def test_long_code_overflows_and_short_code_fits(self):
        self.assertEqual(self.deck(f"# Code\n\n```cpp\n{code_lines(15)}\n```\n"), [])
        problems = self.deck(f"# Code\n\n```cpp\n{code_lines(19)}\n```\n")
        self.assertEqual(len(problems), 1)
        self.assertIn("its largest block: code, 19 lines of code at line 9", problems[0])

    def test_the_small_class_makes_room(self):
        body = f"# Code\n\n```cpp\n{code_lines(19)}\n```\n"
        self.assertEqual(len(self.deck(body)), 1)
        self.assertEqual(self.deck("<!-- _class: small -->\n\n" + body), [])

    def test_wide_code_is_scaled_down_as_a_whole(self):
        narrow, wide = code_lines(17, 60), code_lines(17, 160)
        self.assertEqual(len(self.deck(f"# Code\n\n```cpp\n{narrow}\n```\n")), 1)
        self.assertEqual(self.deck(f"# Code\n\n```cpp\n{wide}\n```\n"), [])

    def test_text_that_wraps_takes_more_lines(self):
        short = "\n".join(f"- item {i}" for i in range(11))
        long = "\n".join(f"- item {i} " + "words " * 24 for i in range(11))
        self.assertEqual(self.deck(f"# List\n\n{short}\n"), [])
        self.assertEqual(len(self.deck(f"# List\n\n{long}\n")), 1)

    def test_an_image_counts_with_its_ratio(self):
        import struct
        import zlib
        png = (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 1000, 500)
               + b"\x08\x02\x00\x00\x00" + struct.pack(">I", zlib.crc32(b"IHDR")))
        (self.root / "slides" / "img").mkdir()
        (self.root / "slides" / "img" / "chart.png").write_bytes(png)
        self.assertEqual(self.deck("# Chart\n\n![w:900](img/chart.png)\n"), [])   # 450 px high
        self.assertEqual(len(self.deck("# Chart\n\n![w:1150](img/chart.png)\n\n- one\n- two\n")), 1)

    def test_the_budget_reads_the_themes_numbers(self):
        """A change to the theme's sizes must be a change to the budget too (and a calibration)."""
        css = (Path(__file__).resolve().parents[2] / "slides/theme/syslab.css").read_text()
        section = re.search(r"\nsection \{(.*?)\}", css, re.DOTALL).group(1)
        theme = slide_fit.THEME
        self.assertIn(f"font-size: {theme.font:.0f}px;", section)
        self.assertIn(f"line-height: {theme.line};", section)
        self.assertIn("padding: 56px 64px 48px 64px;", section)
        self.assertEqual((theme.width, theme.height), (1280 - 64 - 64, 720 - 56 - 48))
        self.assertIn(f"section.small {{ font-size: {theme.small_font:.0f}px; }}", css)
        pre = re.search(r"\npre \{(.*?)\}", css, re.DOTALL).group(1)
        self.assertIn(f"font-size: {theme.code_font}em;", pre)
        self.assertIn(f"line-height: {theme.code_line};", pre)
        self.assertIn("section > :last-child, section > :has(+ footer) { margin-bottom: 0; }", css)


class Measurement(unittest.TestCase):
    SLIDES = slide_fit.split_slides(FRONT + "# One\n\n---\n\n# Two\n")

    @staticmethod
    def measured(bottom=500.0, right=1000.0, clipped=()):
        return slide_fit.Measured(bottom, 672.0, right, 1216.0, 56.0, 'pre "x"', 'pre "x"', list(clipped))

    def test_a_slide_inside_its_box_has_no_problem(self):
        fits = [self.measured(), self.measured(672.0)]
        self.assertEqual(slide_fit.measured_problems("d.md", self.SLIDES, fits), [])

    def test_past_the_bottom_past_the_side_and_cut_code(self):
        problems = slide_fit.measured_problems("d.md", self.SLIDES, [
            self.measured(725.0, 1230.0), self.measured(clipped=[{"name": 'marp-pre "int"', "hiddenX": 0, "hiddenY": 59}])])
        self.assertEqual(problems, [
            'd.md:7: slide 1 (One) runs 53px past the bottom in Chromium (lowest: pre "x")',
            'd.md:7: slide 1 (One) runs 14px past the right edge in Chromium (widest: pre "x")',
            'd.md:11: slide 2 (Two) cuts 59px off the bottom of marp-pre "int" in Chromium'])

    def test_a_different_slide_count_is_reported(self):
        problems = slide_fit.measured_problems("d.md", self.SLIDES, [self.measured()])
        self.assertIn("marp made 1 slides, the deck reads as 2", problems[0])


def chromium_and_marp() -> bool:
    root = Path(__file__).resolve().parents[2]
    return bool(slides.find_chromium()) and (root / slides.MARP_BIN).exists()


@unittest.skipUnless(chromium_and_marp(), "needs Chromium and node_modules/ (npm ci)")
class MeasuredInChromium(FixtureRepo):
    """The measurement itself, on a two-slide deck: one that fits, one whose code is cut."""

    def test_chromium_finds_the_cut_slide_and_only_it(self):
        repo = Path(__file__).resolve().parents[2]
        for name in ("node_modules", "package.json", "package-lock.json"):
            (self.root / name).symlink_to(repo / name)
        (self.root / "slides" / "theme").symlink_to(repo / "slides" / "theme")
        self.write("slides/01-getpid.md", FRONT + f"# Fits\n\n```cpp\n{code_lines(10)}\n```\n\n---\n\n"
                   + f"# Too long\n\n```cpp\n{code_lines(22)}\n```\n")
        problems = slide_fit.check_chromium(self.root)
        self.assertEqual(len(problems), 1, problems)
        self.assertRegex(problems[0], r"^slides/01-getpid\.md:\d+: slide 2 \(Too long\) cuts \d+px off "
                                      r"the bottom of marp-pre")


if __name__ == "__main__":
    unittest.main()
