"""Seeded fault injection: the environment that turns it on, the log it leaves, and its own proof.

The library is tests/support/faults/faults.cpp, preloaded (LD_PRELOAD) into a test and every
program the test starts. check_faults() runs its probe (tests/support/faults/probe.cpp) and proves
that each fault happens, only where the kernel could make it, the same way for the same seed, and
not while the test library has paused it."""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

from . import build as build_mod
from .labs import BUILD

LIBRARY = BUILD / "tests" / "support" / "faults" / "libsyslab-faults.so"
PROBE = BUILD / "tests" / "support" / "faults" / "faults-probe"
TARGET = "faults"
EVERY_KIND = "short,eintr,eagain,econnaborted,erange,fork"

# The log's layout in faults.cpp: a 64-bit count, then 64 lines of 120 bytes.
LOG_ENTRIES, LOG_LINE = 64, 120


def environment(seed: int, kinds: str | None = None, log: Path | None = None) -> dict[str, str]:
    """The variables that run a program under faults from this seed. ASan insists on being the
    first library loaded; the fault library must come before it to see the calls first, and ASan
    copes with that when told not to check the order."""
    env = {"LD_PRELOAD": str(LIBRARY), "SYSLAB_FAULTS": str(seed)}
    asan = os.environ.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    if kinds:
        env["SYSLAB_FAULT_KINDS"] = kinds
    if log:
        env["SYSLAB_FAULT_LOG"] = str(log)
    return env


def read_log(log: Path, last: int = 5) -> list[str]:
    """The last faults made, oldest first ("pid 12 write(fd 5, 4096) -> at most 17 (short)")."""
    try:
        data = log.read_bytes()
    except OSError:
        return []
    if len(data) < 8:
        return []
    (count,) = struct.unpack_from("<Q", data)
    lines = []
    for index in range(max(0, count - last), count):
        offset = 8 + (index % LOG_ENTRIES) * LOG_LINE
        raw = data[offset:offset + LOG_LINE].split(b"\0", 1)[0]
        lines.append(raw.decode(errors="replace"))
    return lines


def probe(mode: str, seed: int | None, kinds: str = EVERY_KIND, log: Path | None = None) -> dict[str, int]:
    """Runs faults-probe MODE (seed None: without the library) and returns its counts."""
    env = dict(os.environ)
    if seed is not None:
        env.update(environment(seed, kinds, log))
    result = subprocess.run([str(PROBE), mode], capture_output=True, text=True, env=env, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"faults-probe {mode} exited {result.returncode}: {result.stderr[-500:]}")
    counts = {}
    for line in result.stdout.split():
        name, _, value = line.partition("=")
        counts[name] = int(value)
    return counts


def expectations(seed: int) -> list[tuple[str, str, callable]]:
    """(mode, what must hold, check(counts)) for one seed."""
    return [
        ("io", "writes and reads come back short and with EINTR",
         lambda c: c.get("write.short", 0) > 0 and c.get("read.short", 0) > 0
         and c.get("write.EINTR", 0) > 0 and c.get("read.EINTR", 0) > 0),
        ("nonblocking", "a level-triggered non-blocking read gets a spurious EAGAIN",
         lambda c: c.get("level.EAGAIN", 0) > 0),
        ("nonblocking", "an edge-triggered fd never gets a spurious EAGAIN",
         lambda c: c.get("edge.EAGAIN", 0) == 0),
        ("eventfd", "an eventfd read is never short", lambda c: c.get("short", 0) == 0),
        ("accept", "accept4 fails with ECONNABORTED and EINTR, and every client is still accepted",
         lambda c: c.get("ECONNABORTED", 0) > 0 and c.get("EINTR", 0) > 0 and c.get("accepted") == 60),
        ("erange", "getpwuid_r gives ERANGE until the buffer is big enough",
         lambda c: c.get("ERANGE", 0) > 0 and c.get("found") == 1),
        ("fork", "fork fails with EAGAIN and waitpid with EINTR",
         lambda c: c.get("fork.EAGAIN", 0) > 0 and c.get("waitpid.EINTR", 0) > 0),
        ("paused", "nothing is faulted while the test library has paused faults",
         lambda c: c.get("write.full") == 400 and c.get("read.full") == 400),
    ]


def check_faults() -> list[str]:
    """Problems found with the fault library; empty when it does what it says."""
    built = build_mod.ninja(TARGET)
    if not built.ok:
        return ["the fault library does not compile:\n" + built.output[-3000:]]
    problems = []
    seed = 7
    for mode, promise, holds in expectations(seed):
        counts = probe(mode, seed)
        if not holds(counts):
            problems.append(f"faults-probe {mode} (seed {seed}): expected that {promise}; got {counts}")
    if probe("io", None) != {"read.full": 400, "write.full": 400}:
        problems.append("faults-probe io without the library: expected only full reads and writes")
    if probe("io", 11) != probe("io", 11):
        problems.append("faults-probe io: the same seed gave different faults")
    if probe("io", 11) == probe("io", 12):
        problems.append("faults-probe io: seeds 11 and 12 gave the same faults")
    if probe("io", 11, kinds="eintr").get("write.short", 0) != 0:
        problems.append("SYSLAB_FAULT_KINDS=eintr still made short writes")
    log = BUILD / "faults-selftest.log"
    log.unlink(missing_ok=True)
    probe("fork", seed, kinds="fork", log=log)
    recorded = read_log(log)
    if not recorded or not any("fork() -> EAGAIN" in line for line in recorded):
        problems.append(f"the fault log does not show the faults made: {recorded}")
    log.unlink(missing_ok=True)
    return problems
