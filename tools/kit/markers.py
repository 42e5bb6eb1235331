"""The markers a solution file carries for the tools, in one place.

Two tools read the same solution files:

- the skeleton generator (skeleton.py) cuts out `// BEGIN SOLUTION[: todo text]` ...
  `// END SOLUTION` regions (`#` in meson.build) and drops the slide markers;
- the slide code sync (slide_code.py) pulls `// [slide:NAME]` ... `// [/slide]` regions into the
  decks and leaves the solution markers out of what the audience reads.

Each tool must recognise the other's markers exactly as the other does: a line that one of them
takes for a marker and the other for code would show on a slide or in a skeleton. So both parse
them with the patterns below and nothing else.
"""

from __future__ import annotations

import re

# `// BEGIN SOLUTION: what the learner must write` (or `# ...` outside C++). With text, the region
# becomes a SYSLAB_TODO stub in the skeleton; without, it is removed whole.
SOLUTION_BEGIN = re.compile(r"^(?P<indent>\s*)(?://|#) BEGIN SOLUTION(?::\s*(?P<todo>.*\S))?\s*$")
SOLUTION_END = re.compile(r"^\s*(?://|#) END SOLUTION\s*$")
# Either of the two, as the slide sync drops them from a region.
SOLUTION_LINE = re.compile(r"^\s*(?://|#) (?:BEGIN|END) SOLUTION\b")

# `// [slide:NAME]` opens a region a deck may quote, `// [/slide]` closes it; each alone on a line.
SLIDE_BEGIN = re.compile(r"^\s*// \[slide:(?P<name>[\w-]+)\]\s*$")
SLIDE_END = re.compile(r"^\s*// \[/slide\]\s*$")
# Anything that looks like a slide marker but is neither of the two: a typo the sync reports.
SLIDE_LOOSE = re.compile(r"//\s*\[/?slide\b")
# The lines the skeleton generator drops: both markers, and the near misses `// [slide]` and
# `// [/slide:NAME]` too (the sync reports those), so that learners never see a slide marker.
SLIDE_MARKER_LINE = re.compile(r"^\s*// \[/?slide(?::[\w-]+)?\]\s*$")
