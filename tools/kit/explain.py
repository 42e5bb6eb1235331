"""What a failure means, in words a learner can act on.

The runner (runner.py) decides the verdict; this module turns what the test process left behind
into text that teaches:
  - the verdict's own hint, which comes before the test's hint: a LEAK names the fd and its
    target ("close on every path"), a CRASH names where the memory was freed, a HANG says whether
    the code was spinning or blocked, and in which system call;
  - readable failures: long lines cut, a long string mismatch summarised (both lengths, the first
    differing byte and a window around it), npos printed as npos, an exception that escaped a
    test named with its type;
  - the stacks of a sanitizer report, labelled ("used at", "freed at", "allocated at"), and the
    frames of a hung process, 2-3 of the learner's own frames and the test's line that called them.
Nothing here runs a process: it reads text, so tests/tools/test_explain.py can feed it any."""

from __future__ import annotations

import re
from dataclasses import dataclass

LINE_WIDTH = 200          # characters of one line of a failure shown
STRING_SHOWN = 48         # bytes of a long string shown in a mismatch
WINDOW_BEFORE, WINDOW_AFTER = 16, 24
NPOS = "18446744073709551615"  # std::string::npos, size_t(-1), as GoogleTest prints it

# Markers the test library prints on stderr (tests/support): "syslab <WORD>: ...".
EXCEPTION_MARKER = "syslab EXCEPTION:"   # Suite.Test: <type>: <what> (main.cpp)
CHILD_THREW_MARKER = "syslab CHILD THREW:"  # <pid> <type>: <what> (ForkedChild)
HANG_MARKER = "syslab HANG:"             # <what> (pid N) ... (a bounded wait ran out)
THREAD_MARKER = "syslab THREAD:"         # tid state syscall wchan cpu-ticks-gained
GDB_MARKER = "syslab GDB: "              # a line of gdb's backtrace of the stuck process

# The syscalls a test is most often blocked in, by x86-64 number (/proc/PID/syscall).
SYSCALLS = {0: "read", 1: "write", 7: "poll", 17: "pread64", 19: "readv", 20: "writev",
            23: "select", 34: "pause", 35: "nanosleep", 42: "connect", 43: "accept",
            44: "sendto", 45: "recvfrom", 46: "sendmsg", 47: "recvmsg", 61: "wait4",
            72: "fcntl", 130: "rt_sigsuspend", 202: "futex", 230: "clock_nanosleep",
            232: "epoll_wait", 247: "waitid", 257: "openat", 270: "pselect6", 271: "ppoll",
            281: "epoll_pwait", 288: "accept4", 441: "epoll_pwait2"}


# ------------------------------------------------------------------------------------------------
# The verdict's own hint

def verdict_hint(verdict: str, detail: str) -> str:
    """One or two sentences that follow from the verdict and its detail alone ('' for PASS,
    FAIL and TODO, whose detail already says what to do)."""
    if verdict == "LEAK":
        return leak_hint(detail)
    if verdict == "CRASH":
        return crash_hint(detail)
    if verdict == "HANG":
        return hang_hint(detail)
    return ""


def leak_hint(detail: str) -> str:
    fds = re.findall(r"fd (\d+) -> (.+?) was left open", detail)
    children = re.findall(r"child process (\d+) (was never waited for|was left running)", detail)
    if fds:
        listed = ", ".join(f"fd {fd} ({target})" for fd, target in fds[:3])
        verb = "was" if len(fds) == 1 else "were"
        return (f"close on every path: {listed} {verb} still open when the test ended. Every fd "
                "you open must be closed on every way out of the function, the early returns, "
                "the error paths and exceptions too; an owning type whose destructor closes it "
                "does that for you (find where that target is opened).")
    if children:
        return (f"wait for every child on every path: child {children[0][0]} "
                f"{children[0][1]}. A child you fork must be waited for (waitpid) on every way "
                "out, the error paths too, or it stays a zombie.")
    if "LeakSanitizer" in detail or "leak of" in detail:
        return ("free on every path: memory allocated at the frames shown was never freed "
                "(an owner such as std::unique_ptr or a container frees it for you).")
    return ""


def crash_hint(detail: str) -> str:
    kinds = [
        ("heap-use-after-free", "where it was freed: the memory was freed (\"freed at\") before "
         "this use (\"used at\"); a pointer or reference outlived its owner, such as .get() of "
         "an owner that was destroyed, or an element of a container that has since grown."),
        ("stack-use-after-scope", "a pointer or reference to a local variable was used after "
         "its block ended: keep the variable alive as long as its users."),
        ("stack-use-after-return", "a pointer or reference to a local variable outlived the "
         "function that returned it."),
        ("heap-buffer-overflow", "a read or write past the end of a heap buffer (\"allocated "
         "at\" shows its allocation): check the size you pass with the buffer."),
        ("stack-buffer-overflow", "a read or write past the end of a local array: check the "
         "size you pass with the buffer."),
        ("double-free", "freed twice (\"freed at\" is the first time): one owner per resource."),
        ("data race", "two threads touch the same memory, at least one writes, and nothing "
         "orders them: a mutex, an atomic, or handing the data over through a queue."),
        ("SIGPIPE", "a write to a pipe or socket with no reader left killed the process: ignore "
         "SIGPIPE (or send with MSG_NOSIGNAL) and handle EPIPE as a value."),
        ("SIGSEGV", "a null or dangling pointer, or an fd or index taken for an address: the "
         "first frame in your code is where it was used."),
        ("SIGABRT", "abort(): a failed assertion, or std::terminate (an exception thrown out of "
         "a noexcept function or a destructor, or a std::thread destroyed while joinable)."),
        ("undefined behaviour", "undefined behaviour: the line named is where the program "
         "stopped meaning anything (an overflow, a shift too far, a misaligned or null pointer)."),
    ]
    for key, text in kinds:
        if key in detail:
            return text
    return ""


def hang_hint(detail: str) -> str:
    if "spinning" in detail:
        return ("spinning: it was running on the CPU, not waiting for anything, so a loop never "
                "ends: look for a retry that makes no progress (on EOF, on EAGAIN, on an error "
                "that will not go away) in the frames shown.")
    blocked = re.search(r"blocked in (\w+)\(2\)", detail)
    if blocked:
        return (f"blocked in {blocked.group(1)}(2): it waits for something that never comes "
                "(bytes nobody writes, an EOF while a write end is still open somewhere, a child "
                "that never ends, a lock nobody releases); the frames say who waits.")
    return ""


# ------------------------------------------------------------------------------------------------
# Readable failure text

def readable(text: str) -> str:
    """A GoogleTest failure made readable: npos by name, long string mismatches summarised,
    every line cut at LINE_WIDTH characters."""
    text = re.sub(rf"\b{NPOS}\b", "npos", text)
    text = summarise_string_mismatches(text)
    return cap_lines(text)


def cap_lines(text: str, width: int = LINE_WIDTH) -> str:
    return "\n".join(line if len(line) <= width else
                     line[:width] + f"... ({len(line) - width} more characters)"
                     for line in text.splitlines())


# "  expression\n    Which is: value" (the value line is absent when the expression is a literal).
OPERAND = re.compile(r"^  (?P<expr>\S.*)(?:\n|$)(?:    Which is: (?P<value>.*)(?:\n|$))?", re.M)
ESCAPES = {"0": "\0", "n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f",
           "v": "\v", "\\": "\\", '"': '"', "'": "'", "?": "?"}


def parse_string_literal(text: str) -> str | None:
    """The bytes of a string as GoogleTest prints it ("a\\0b", "\\x1F" "A", L"..."), or None
    when text is not one (or several adjacent) quoted literals."""
    text = text.strip()
    if text.startswith(("L\"", "u8\"")):
        text = text[text.index('"'):]
    if not text.startswith('"'):
        return None
    out, i = [], 0
    while i < len(text):
        if text[i] != '"':
            return None
        i += 1
        while i < len(text) and text[i] != '"':
            if text[i] == "\\" and i + 1 < len(text):
                code = text[i + 1]
                if code == "x":
                    digits = re.match(r"[0-9A-Fa-f]+", text[i + 2:])
                    if not digits:
                        return None
                    out.append(chr(int(digits.group(0), 16)))
                    i += 2 + len(digits.group(0))
                    continue
                if code in "01234567" and re.match(r"[0-7]{2,3}", text[i + 1:]):
                    octal = re.match(r"[0-7]{1,3}", text[i + 1:]).group(0)
                    out.append(chr(int(octal, 8)))
                    i += 1 + len(octal)
                    continue
                out.append(ESCAPES.get(code, code))
                i += 2
            else:
                out.append(text[i])
                i += 1
        if i >= len(text):
            return None  # no closing quote: not a whole literal
        i += 1
        rest = text[i:]
        stripped = rest.lstrip(" ")
        if not stripped:
            break
        i += len(rest) - len(stripped)
    return "".join(out)


def show_bytes(data: str) -> str:
    """A C-style literal of data, a run of 8 or more of one byte shortened: "pipe:[1]" "\\0" x31986."""
    def escape(char: str) -> str:
        names = {"\0": "\\0", "\n": "\\n", "\t": "\\t", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
        if char in names:
            return names[char]
        return char if " " <= char <= "~" else f"\\x{ord(char):02X}"

    parts, literal, i = [], "", 0
    while i < len(data):
        run = len(data[i:]) - len(data[i:].lstrip(data[i]))
        if run >= 8:
            if literal:
                parts.append(f'"{literal}"')
                literal = ""
            parts.append(f'"{escape(data[i])}" x{run}')
            i += run
        else:
            literal += escape(data[i])
            i += 1
    if literal or not parts:
        parts.append(f'"{literal}"')
    return " ".join(parts)


def first_difference(a: str, b: str) -> int:
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return index
    return min(len(a), len(b))


def summarise_string_mismatches(text: str) -> str:
    """Replaces each 'Expected equality' of two long strings (or two with unprintable bytes)
    with both lengths, the first differing byte offset and a window around it."""
    marker = "Expected equality of these values:\n"
    pieces = text.split(marker)
    for index in range(1, len(pieces)):
        pieces[index] = summarise_one(pieces[index])
    return marker.join(pieces)


def summarise_one(body: str) -> str:
    operands = []
    position = 0
    for _ in range(2):
        match = OPERAND.match(body, position)
        if not match:
            return body
        operands.append(match)
        position = match.end()
    values = [parse_string_literal(m["value"] if m["value"] is not None else m["expr"])
              for m in operands]
    if any(v is None for v in values):
        return body
    a, b = values
    raw_length = sum(len(m.group(0)) for m in operands)
    if raw_length < LINE_WIDTH and not any(ch < " " and ch != "\n" for ch in a + b):
        return body  # short and printable: GoogleTest's own text is best
    at = first_difference(a, b)
    lines = []
    for match, value in zip(operands, values):
        shown = show_bytes(value[:STRING_SHOWN]) + \
            (f" ... ({len(value) - STRING_SHOWN} more bytes)" if len(value) > STRING_SHOWN else "")
        lines.append(f"  {cut(match['expr'], 80)}\n    Which is: {len(value)} bytes: {shown}")
    start = max(0, at - WINDOW_BEFORE)

    def window(value: str) -> str:
        if at >= len(value):
            return ("... " if start else "") + show_bytes(value[start:]) + " (the end)"
        piece = value[start:at + WINDOW_AFTER]
        return ("... " if start else "") + show_bytes(piece) + \
            (" ..." if at + WINDOW_AFTER < len(value) else "")
    lines.append(f"  they differ from byte {at} on (the lengths are {len(a)} and {len(b)}):")
    lines.append(f"    {window(a)}")
    lines.append(f"    {window(b)}")
    rest = body[position:]
    # GoogleTest's "With diff:" of two long strings repeats them whole: drop it.
    rest = re.sub(r"^With diff:\n(?:@@.*\n?|[-+ ].*\n?)*", "", rest)
    return "\n".join(lines) + "\n" + rest


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width] + "..."


def exception_summary(name: str, failures: list[str], output: str) -> str | None:
    """'Suite.Test ended with an exception nothing caught: std::system_error: what', when
    GoogleTest caught one escaping the test body (the type comes from the library's marker)."""
    if not any("C++ exception with description" in f or "Unknown C++ exception" in f
               for f in failures):
        return None
    marker = next((line.split(EXCEPTION_MARKER, 1)[1].strip() for line in output.splitlines()
                   if EXCEPTION_MARKER in line), "")
    kind_and_what = marker.split(": ", 1)[1] if ": " in marker else ""
    if not kind_and_what:
        what = re.search(r'C\+\+ exception with description "(.*)" thrown in', "\n".join(failures),
                         re.S)
        kind_and_what = f"an exception: {what.group(1)}" if what else "an exception of unknown type"
    return f"{name} ended with an exception that nothing caught: {kind_and_what}"


def child_exceptions(output: str) -> list[str]:
    """'a forked child (pid N) threw std::runtime_error: what', from ForkedChild's marker."""
    found = []
    for line in output.splitlines():
        if CHILD_THREW_MARKER in line:
            pid, _, rest = line.split(CHILD_THREW_MARKER, 1)[1].strip().partition(" ")
            found.append(f"a forked child (pid {pid}) threw {rest}")
    return found


GTEST_NOISE = re.compile(r"^(\[[ =A-Z-]+\]|Note: Google Test filter|Running main\(\) from|"
                         r"==\d+==HINT: |syslab (EXCEPTION|THREAD|GDB):)")


def output_tail(output: str, count: int = 8) -> str:
    """The last lines a test process printed itself, without GoogleTest's banner lines."""
    lines = [line for line in output.splitlines() if line.strip() and not GTEST_NOISE.match(line)]
    return cap_lines("\n".join(lines[-count:]))


# ------------------------------------------------------------------------------------------------
# Hangs: spinning or blocked, and where

@dataclass
class ThreadState:
    tid: int
    state: str            # R running, S asleep, D disk sleep, ...
    syscall: int | None   # the call it sleeps in (/proc/TID/syscall); None while it runs
    wchan: str            # the kernel function it sleeps in ("" if unknown)
    cpu_gained: int       # clock ticks of CPU it used over the sampling window


def describe_threads(threads: list[ThreadState]) -> str:
    """'spinning: ...' when a thread ran on the CPU all along, else 'blocked in read(2) ...'."""
    spinning = [t for t in threads if t.state == "R" and t.cpu_gained > 0]
    if spinning:
        return (f"spinning: thread {spinning[0].tid} was running (state R), its CPU time rising, "
                "not blocked in any system call")
    places = []
    for thread in threads:
        if thread.syscall is None and not thread.wchan:
            continue
        name = SYSCALLS.get(thread.syscall, f"syscall {thread.syscall}") \
            if thread.syscall is not None else "a system call"
        places.append(f"{name}(2)" + (f" ({thread.wchan})" if thread.wchan else ""))
    return "blocked in " + ", ".join(dict.fromkeys(places)) if places else ""


@dataclass
class Frame:
    function: str
    path: str             # relative to the repository
    line: str
    tid: int = 0          # the thread's LWP, when gdb said

    def text(self) -> str:
        return f"{self.path}:{self.line} ({self.function})"


GDB_THREAD = re.compile(r"^Thread \d+ \(.*?LWP (\d+)\)")
GDB_FRAME = re.compile(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(.+?) \(.*\) at (\S+):(\d+)\s*$")


def gdb_frames(trace: str, relative) -> list[Frame]:
    """Every frame of a 'thread apply all bt' that is in the kit's own sources; relative(path)
    turns gdb's path into one relative to the repository (or None for a file outside it)."""
    frames, tid = [], 0
    for line in trace.splitlines():
        thread = GDB_THREAD.match(line)
        if thread:
            tid = int(thread.group(1))
            continue
        match = GDB_FRAME.match(line.strip())
        if not match:
            continue
        function, path, number = match.groups()
        shown = relative(path)
        if shown:
            frames.append(Frame(function.replace("(anonymous namespace)::", ""), shown, number, tid))
    return frames


def learner_code(path: str) -> bool:
    return path.startswith(("labs/", "solutions/", ".fresh/")) and "/common/" not in path


def test_code(path: str) -> bool:
    return path.startswith("tests/") and not path.startswith("tests/support/")


def frames_text(frames: list[Frame], prefer_tid: int = 0) -> str:
    """Up to three frames of the learner's code (innermost first) of the thread that is stuck,
    and the test's line that called them: '  at ...\\n  called from ...'."""
    threads = list(dict.fromkeys(f.tid for f in frames))
    if prefer_tid in threads:
        threads.remove(prefer_tid)
        threads.insert(0, prefer_tid)
    for tid in threads:
        own = [f for f in frames if f.tid == tid]
        chosen = [f for f in own if learner_code(f.path)][:3]
        test = next((f for f in own if test_code(f.path)), None)
        if not chosen and not test:
            continue
        if test:
            chosen.append(test)
        return "\n".join(("  at " if i == 0 else "  called from ") + f.text()
                         for i, f in enumerate(chosen))
    return ""


def parse_hang_marker(output: str, relative) -> str | None:
    """The HANG detail from the library's report of a bounded wait that ran out (process.cpp:
    report_stuck), or None when there is none: what did not end, spinning or blocked, frames."""
    lines = output.splitlines()
    heads = [line.split(HANG_MARKER, 1)[1].strip() for line in lines if HANG_MARKER in line]
    if not heads:
        return None
    threads = []
    for line in lines:
        if THREAD_MARKER not in line:
            continue
        words = line.split(THREAD_MARKER, 1)[1].split()
        if len(words) >= 5:
            syscall = int(words[2]) if words[2].lstrip("-").isdigit() and int(words[2]) >= 0 else None
            threads.append(ThreadState(int(words[0]), words[1], syscall,
                                       "" if words[3] in ("0", "-") else words[3], int(words[4])))
    trace = "\n".join(line.split(GDB_MARKER, 1)[1] for line in lines if GDB_MARKER in line)
    where = describe_threads(threads)
    spinning = next((t.tid for t in threads if t.state == "R" and t.cpu_gained > 0), 0)
    frames = frames_text(gdb_frames(trace, relative), spinning)
    return heads[0] + (f": {where}" if where else "") + (f"\n{frames}" if frames else "")


# ------------------------------------------------------------------------------------------------
# Sanitizer reports: the stacks, labelled

ASAN_SECTIONS = [
    (re.compile(r"^(READ|WRITE) of size (\d+) at \S+ thread (T\d+)"),
     lambda m: f"used at ({m.group(1).lower()} of {m.group(2)} bytes, thread {m.group(3)}):"),
    (re.compile(r"^freed by thread (T\d+) here:"), lambda m: f"freed at (thread {m.group(1)}):"),
    (re.compile(r"^(?:previously )?allocated by thread (T\d+) here:"),
     lambda m: f"allocated at (thread {m.group(1)}):"),
    (re.compile(r"^Address \S+ is located in stack of thread (T\d+)"),
     lambda m: f"the variable lives in this frame (thread {m.group(1)}):"),
]
FRAMES_PER_SECTION = 3


def asan_excerpt(report: list[str], short_frame, ours) -> str:
    """ASan's report with each stack under its label: where the memory was used, where it was
    freed, where it was allocated; up to three frames of the kit's sources under each (the
    learner's code and the test's line that called it)."""
    # The first line, "==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x60 at pc
    # ...", and the SUMMARY line say what the runner's head line says already: left out.
    kept: list[str] = []
    label, frames = "at:", []

    def flush() -> None:
        if frames:
            kept.append("  " + label)
            kept.extend("    " + f for f in frames[:FRAMES_PER_SECTION])

    for line in report[1:120]:
        stripped = line.strip()
        if stripped.startswith("SUMMARY:") or stripped.startswith("Shadow bytes"):
            break
        for pattern, name in ASAN_SECTIONS:
            match = pattern.match(stripped)
            if match:
                flush()
                label, frames = name(match), []
                break
        else:
            if re.match(r"\s+#\d+ ", line):
                frame = short_frame(line)
                if ours(frame):
                    frames.append(frame)
    flush()
    return "\n".join(kept)
