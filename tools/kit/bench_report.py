"""make bench's results: the cells (one model at one number of connections), the ratios against the
iterative server of the same run, the machine they ran on, and the Markdown table, the JSON file
and the gnuplot chart written from them. Pure functions apart from the machine's description;
tests/tools/test_bench.py tests them. tools/kit/bench.py runs the benchmark itself."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

BASELINE = "iterative"   # the req/s ratios are against it
FLOOR = "floor"          # the server CPU ratios are against it: the smallest epoll echo server


@dataclass
class Cell:
    """One model at one number of connections: what echo-load said and what /proc showed."""
    model: str
    connections: int
    status: str = "ok"                  # ok | n/a (with a reason) | not built
    reason: str = ""
    load: dict = field(default_factory=dict)  # echo-load's JSON line
    peak_rss_kb: int = 0                # the largest sum of VmRSS over the server's process tree
    peak_pss_kb: int = 0                # the same for Pss: shared pages divided among the sharers
    hwm_sum_kb: int = 0                 # the sum of each process's VmHWM: an upper bound
    threads: int = 0                    # the largest sum of Threads: over the tree
    processes: int = 0                  # the largest size of the tree
    stopped_by: str = ""                # SIGTERM, or SIGKILL when SIGTERM was not enough
    notes: list[str] = field(default_factory=list)
    ratio: float | None = None          # req/s against the baseline at the same connections
    server_cpu_s: float = 0.0           # utime+stime of the server's tree in the measured window
    server_cpu_us_per_rt: float | None = None  # that divided by the round trips the client counted
    cpu_ratio: float | None = None      # server CPU per round trip against the floor's, same connections

    @property
    def measured(self) -> bool:
        return self.status == "ok"

    @property
    def requests_per_s(self) -> float:
        return float(self.load.get("requests_per_s", 0.0))

    def latency_us(self, which: str) -> float:
        return float(self.load.get("latency_us", {}).get(which, 0.0))

    def as_json(self) -> dict:
        return asdict(self)


def set_ratios(cells: list[Cell]) -> None:
    """Each measured cell's req/s divided by the baseline's at the same number of connections
    (None when the baseline was not measured there or served nothing)."""
    baseline = {cell.connections: cell.requests_per_s for cell in cells
                if cell.model == BASELINE and cell.measured}
    for cell in cells:
        base = baseline.get(cell.connections, 0.0)
        cell.ratio = cell.requests_per_s / base if cell.measured and base > 0 else None
    floor = {cell.connections: cell.server_cpu_us_per_rt for cell in cells
             if cell.model == FLOOR and cell.measured and cell.server_cpu_us_per_rt}
    for cell in cells:
        base = floor.get(cell.connections)
        cell.cpu_ratio = (cell.server_cpu_us_per_rt / base
                          if cell.measured and base and cell.server_cpu_us_per_rt is not None else None)


# ---------------------------------------------------------------------------------------------------
# Numbers as a reader wants them.

def count_text(value: float) -> str:
    return f"{round(value):,}"


def latency_text(microseconds: float) -> str:
    if microseconds <= 0:
        return "–"
    if microseconds < 1000:
        return f"{microseconds:.0f} µs"
    return f"{microseconds / 1000:.1f} ms" if microseconds < 100_000 else f"{microseconds / 1e6:.2f} s"


def size_text(kib: int) -> str:
    if kib <= 0:
        return "–"
    return f"{kib / 1024:.1f} MiB" if kib < 1024 * 1024 else f"{kib / 1024 / 1024:.2f} GiB"


def cpu_text(microseconds: float | None) -> str:
    """Server CPU per round trip; a dash when the client counted none."""
    if microseconds is None:
        return "–"
    return f"{microseconds:.1f} µs" if microseconds < 100 else f"{microseconds:,.0f} µs"


def ratio_text(ratio: float | None) -> str:
    if ratio is None:
        return "–"
    return f"{ratio:.2f}×" if ratio < 100 else f"{ratio:.0f}×"


def cell_notes(cell: Cell) -> str:
    """The reason for an n/a, failed connections and how the server stopped, in a few words."""
    notes = [cell.reason] if cell.reason else []
    errors = cell.load.get("errors", {})
    notes += [f"{count:,}× {what}" for what, count in sorted(errors.items(), key=lambda e: -e[1])]
    busy = client_busy(cell)
    if busy >= CLIENT_BUSY:
        notes.append(f"the load client was busy {busy:.0%} of the time: it may be the limit")
    notes += cell.notes
    return "; ".join(notes)


CLIENT_BUSY = 0.9  # a client on the CPU this much of the time cannot say how fast the server is


def client_busy(cell: Cell) -> float:
    """The share of the measured time the (single-threaded) load client spent on a CPU."""
    seconds = float(cell.load.get("duration_s", 0.0))
    return float(cell.load.get("client_cpu_s", 0.0)) / seconds if seconds > 0 else 0.0


HEADER = ["model", "connections", "connected", "served", "req/s", f"vs {BASELINE}",
          "server CPU/rt", f"vs {FLOOR}", "client busy", "p50", "p99",
          "peak RSS", "peak PSS", "threads", "processes", "notes"]


def table_row(cell: Cell) -> list[str]:
    if cell.status == "not built":
        return [cell.model] + ["–"] * (len(HEADER) - 2) + [f"not built: {cell.reason}"]
    load = cell.load
    connected = (f"{count_text(load['connections_established'])}"
                 if "connections_established" in load else "–")
    served = count_text(load["connections_served"]) if "connections_served" in load else "–"
    if not cell.measured:
        return [cell.model, count_text(cell.connections), connected, served, "n/a"] + \
            ["–"] * (len(HEADER) - 6) + [cell_notes(cell)]
    return [cell.model, count_text(cell.connections), connected, served,
            count_text(cell.requests_per_s), ratio_text(cell.ratio),
            cpu_text(cell.server_cpu_us_per_rt), ratio_text(cell.cpu_ratio), f"{client_busy(cell):.0%}",
            latency_text(cell.latency_us("p50")), latency_text(cell.latency_us("p99")),
            size_text(cell.peak_rss_kb), size_text(cell.peak_pss_kb), str(cell.threads),
            str(cell.processes), cell_notes(cell)]


def markdown_table(cells: list[Cell]) -> str:
    rows = [HEADER, ["---"] + ["---:"] * (len(HEADER) - 2) + ["---"]]
    rows += [table_row(cell) for cell in cells]
    return "\n".join("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows)


def plain_table(cells: list[Cell]) -> str:
    """The same table for a terminal: aligned columns, notes last."""
    rows = [HEADER] + [table_row(cell) for cell in cells]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    lines = []
    for row in rows:
        left = [row[0].ljust(widths[0])] + [text.rjust(w) for text, w in zip(row[1:-1], widths[1:])]
        lines.append("  ".join(left) + ("  " + row[-1] if row[-1] else ""))
    return "\n".join(lines)


def method_text(settings: dict) -> str:
    return (f"Load: closed-loop, from the kit's own client (tools/bench/echo-load: one thread, "
            f"epoll). Every connection sends one {settings['message_bytes']}-byte message, waits for "
            f"its whole echo, then sends the next; one request is one such round trip. Each cell "
            f"is measured for {settings['seconds']:g} s after all its connections are established "
            f"(connect deadline {settings['connect_timeout']:g} s, or 1 s per 1,000 connections "
            f"when that is longer; at most "
            f"{settings['connects_in_flight']} connects in flight). *connected*: connect() completed; "
            f"*served*: completed at least one round trip (a connection waiting in the listen "
            f"backlog is connected but not served). p50 and p99 are of completed round trips. "
            f"*vs {BASELINE}*: req/s divided by the {BASELINE} server's at the same number of "
            f"connections, in this same run. *server CPU/rt*: the server's CPU time (the run "
            f"time of every thread of every process of its tree, in ns from /proc/PID/task/TID/"
            f"schedstat, and cutime + cstime of the children it reaped, from /proc/PID/stat) between the moment all "
            f"connections are established and the end of the measured time, divided by the round "
            f"trips the client counted: what one round trip costs the server, whatever the client "
            f"could drive; *vs {FLOOR}*: that divided by the {FLOOR} server's at the same number of "
            f"connections (tools/bench/echo_floor.cpp, the smallest correct epoll echo server: one "
            f"thread, level-triggered, no framework), so each model's cost shows as a multiple of "
            f"the least the kernel and the loop need; *client busy*: the load client's CPU time over "
            f"the measured time. A thread that ends in the window, or a child that is not waited "
            f"for, would be lost (the kit's servers do neither then). *peak RSS*: the largest sum of VmRSS over the "
            f"server's process tree, sampled from /proc during the run; *peak PSS*: the same "
            f"with each shared page divided among the processes sharing it (smaps_rollup), the "
            f"memory a process model really holds; *threads*, *processes*: "
            f"the largest sums seen. The client is one thread: a note says when it was on a CPU "
            f"{CLIENT_BUSY:.0%} of the time or more (then it, not the server, may be the limit). "
            f"Traffic is on loopback only.")


def markdown(cells: list[Cell], machine: dict, settings: dict) -> str:
    lines = ["# The echo server models side by side", "", markdown_table(cells), "",
             method_text(settings), "", "## The machine and the run", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    return "\n".join(lines) + "\n"


def json_document(cells: list[Cell], machine: dict, settings: dict) -> str:
    return json.dumps({"machine": machine, "settings": settings,
                       "cells": [cell.as_json() for cell in cells]}, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------------
# The chart: throughput, the server's CPU per round trip, p99 latency and the share of connections
# served against the number of connections, one line per model, log axes.

def plot_data(cells: list[Cell]) -> tuple[list[str], str]:
    """The models that have a measured point, and gnuplot data: one block per model, in order."""
    names, blocks = [], []
    for model in dict.fromkeys(cell.model for cell in cells):
        points = [cell for cell in cells if cell.model == model and cell.measured
                  and cell.requests_per_s > 0]
        if not points:
            continue
        names.append(model)
        rows = [f"{c.connections} {c.requests_per_s:.1f} {c.latency_us('p99') / 1000:.4f} "
                f"{100 * c.load.get('connections_served', 0) / c.connections:.1f} "
                f"{cpu_point(c.server_cpu_us_per_rt)}" for c in points]
        blocks.append(f"# {model}: connections req/s p99_ms served_percent server_cpu_us_per_rt\n"
                      + "\n".join(rows))
    return names, "\n\n\n".join(blocks) + "\n"


def cpu_point(microseconds: float | None) -> str:
    """A point of the log-scale CPU panel: NaN (no point) when unknown or zero."""
    return f"{microseconds:.3f}" if microseconds else "NaN"


# One colour and one point shape per model: gnuplot's default cycle has eight colours, and two
# models drawn alike could not be told apart. Ten colours (Okabe-Ito and Tableau), seven shapes.
SERIES_COLOURS = ["#000000", "#e69f00", "#56b4e9", "#009e73", "#d55e00", "#0072b2", "#cc79a7",
                  "#7f7f7f", "#bcbd22", "#8c564b"]
SERIES_POINTS = [7, 5, 9, 11, 13, 15, 4]


def series_style(i: int) -> str:
    colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
    return f"lc rgb '{colour}' pt {SERIES_POINTS[i % len(SERIES_POINTS)]}"


def gnuplot_script(names: list[str], data: Path, png: Path, subtitle: str) -> str:
    plots = lambda column: ", ".join(  # noqa: E731
        f"'{data}' index {i} using 1:{column} with linespoints lw 2 {series_style(i)} ps 1.3 "
        f"title '{name}'"
        for i, name in enumerate(names))
    return f"""set terminal pngcairo size 2000,1000 font 'DejaVu Sans,11'
set output '{png}'
set multiplot layout 2,2 title "echo server models: closed-loop load on loopback\\n{subtitle}"
set logscale x 10
set xlabel 'concurrent connections'
set grid xtics ytics mytics
set key top left
set xrange [5:20000]
set logscale y 10
set ylabel 'requests per second (higher is better)'
plot {plots(2)}
set ylabel 'server CPU per round trip, µs (lower is better)'
plot {plots(5)}
set ylabel 'p99 latency of completed round trips, ms (lower is better)'
plot {plots(3)}
unset logscale y
set yrange [0:110]
set key top right
set ylabel 'connections served, % of those asked (higher is better)'
plot {plots(4)}
unset multiplot
"""


# ---------------------------------------------------------------------------------------------------
# The machine: everything a reader needs to judge the numbers.

def first_match(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip() if ":" in line else line[len(prefix):].strip()
    except OSError:
        pass
    return "unknown"


def os_release() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                name = line.split("=", 1)[1].strip('"')
                version = Path("/etc/debian_version")
                return name + (f" (debian_version {version.read_text().strip()})" if version.exists() else "")
    except OSError:
        pass
    return "unknown"


def git_commit(root: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True).stdout.strip()
    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return commit + (" with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def machine_description(root: Path, build: dict, command: str, started: str) -> dict:
    """CPU, cores, memory, kernel, OS, compiler, build, limits, date, commit and command."""
    memory = first_match("/proc/meminfo", "MemTotal").split()
    memory_kib = int(memory[0]) if memory and memory[0].isdigit() else 0
    return {
        "CPU": first_match("/proc/cpuinfo", "model name"),
        "cores": f"{len(os.sched_getaffinity(0))} usable ({os.cpu_count()} online)",
        "placement": build.get("placement", "unknown"),
        "memory": f"{memory_kib / 1024 / 1024:.1f} GiB",
        "kernel": f"{platform.system()} {platform.release()}",
        "OS": os_release(),
        "compiler": build.get("compiler", "unknown"),
        "build": build.get("description", "unknown"),
        "limits": f"RLIMIT_NOFILE {build.get('nofile', '?')} for the servers and the client; "
                  f"net.core.somaxconn {first_match('/proc/sys/net/core/somaxconn', '')}",
        "load average at the start": first_match("/proc/loadavg", "").rsplit(" ", 2)[0] +
                                     " (1, 5, 15 min: other work on the machine skews the numbers)",
        "date": started,
        "git commit": git_commit(root),
        "command": f"`{command}`",
    }
