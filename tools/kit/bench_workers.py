"""make bench's workers section: lab 14's httpd in production shape, scaled on this machine.

`httpd --workers 1|2 --threads 1|2`, with one listening socket shared by the workers and with
`--reuseport` (a socket per worker, the kernel balancing connections among them), under h2load at
c100/n10000 -m 1 over HTTP/1.1, h2c and h2 over TLS. Unlike the other sections nobody is pinned:
the server gets both cores, because a second worker or thread pinned to the same CPU as the first
could only take turns with it. The client shares those cores (h2load -t 1: one at most), so the
table gives the server's CPU per request and the cores it kept busy beside the req/s. The program
is lab 14's (the finale); a tree without it skips the section and says so.
Results: build-bench/bench/workers.{md,json}.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import bench_h2 as h2
from . import bench_http as http
from . import bench_report as report
from . import bench_seed as seed
from . import labs as labs_mod
from .bench_http import CellError, HttpCell
from .bench_server import Placement

NAME = "workers"
FINALE_PREFIX = "14-"   # the finale lab, whatever its name after the number
PROTOCOLS = seed.PROTOCOLS
SCENARIO = (100, 10000, 1)  # c100 n10000 m1: many connections, what more workers are for


@dataclass(frozen=True)
class Shape:
    """One way to run httpd: its processes, its loops per process, its listening sockets."""
    workers: int
    threads: int
    reuseport: bool

    @property
    def socket(self) -> str:
        return "reuseport" if self.reuseport else "shared"

    @property
    def label(self) -> str:
        return f"httpd w{self.workers} t{self.threads} {self.socket}"

    @staticmethod
    def of(label: str) -> "Shape":
        """The shape of a cell's server name ("httpd w2 t1 reuseport")."""
        _, workers, threads, socket_ = label.split()
        return Shape(int(workers[1:]), int(threads[1:]), socket_ == "reuseport")

    def arguments(self) -> list[str]:
        return ["--workers", str(self.workers), "--threads", str(self.threads),
                *(["--reuseport"] if self.reuseport else [])]


SHAPES = [Shape(w, t, r) for r in (False, True) for w in (1, 2) for t in (1, 2)]


def finale_lab() -> str | None:
    """The finale's directory name (14-...) from labs/labs.txt, None when this tree has none."""
    return next((lab.name for lab in labs_mod.all_labs() if lab.name.startswith(FINALE_PREFIX)), None)


def finale_target(lab: str, side: str) -> str:
    return f"{labs_mod.SIDE_DIRS[side]}/{lab}/httpd"


def skip_reason() -> str:
    return ("skipped: this tree has no lab 14 (the finale, whose httpd takes --workers N --threads M "
            "[--reuseport]) in labs/labs.txt; the section runs once it is there")


def command(program: str, shape: Shape, protocol: str, root: Path) -> list[str]:
    tls = (["--tls-port", "0", "--cert", str(root / "cert.pem"), "--key", str(root / "key.pem")]
           if protocol == seed.TLS else [])
    return [program, "--port", "0", "--root", str(root / "www"), "--quiet", *shape.arguments(), *tls]


def run_cell(program: str, shape: Shape, protocol: str, load: str, root: Path, settings: "WorkersSettings",
             where: Placement) -> HttpCell:
    cell = HttpCell(shape.label, seed.FILE[0], load, protocol=protocol)
    log, requests = root / "httpd.log", root / "h2load-requests.tsv"
    try:
        with http.started(command(program, shape, protocol, root), log, where, cell) as process:
            deadline = time.monotonic() + http.READY_TIMEOUT
            port = http.read_port(log, process, deadline, which=1 if protocol == seed.TLS else 0)
            requests.unlink(missing_ok=True)
            if protocol == seed.H1:
                http.wait_answering(port, seed.FILE[1], process, deadline, log)
                client = http.client_command(load, port, seed.FILE[1], settings)
            else:
                h2.wait_answering(protocol, port, process, deadline, log)
                client = h2.client_command(load, protocol, port, requests)
            text = http.measure(cell, process, program, client, where, settings.client_timeout(load))
            if protocol == seed.H1:
                seed.fill_h1_cell(cell, text)
            else:
                h2.fill_cell(cell, text, requests.read_text())
    except CellError as error:
        cell.status, cell.reason = "n/a", str(error)
    return cell


# ---------------------------------------------------------------------------------------------------
# The table.

def server_cores(cell: HttpCell) -> float | None:
    """The cores the server kept busy: its CPU time over the client's run time."""
    if not cell.measured or cell.requests_per_s <= 0:
        return None
    return cell.server_cpu_s / (cell.requests / cell.requests_per_s)


HEADER = ["workers", "threads", "socket", "protocol", "req/s", "vs w1 t1", "CPU/req", "server cores",
          "client busy", "notes"]


def baselines(cells: list[HttpCell]) -> dict[tuple[str, str], float]:
    """(protocol, socket) -> the req/s of one worker with one thread on that socket."""
    return {(c.protocol, Shape.of(c.server).socket): c.requests_per_s for c in cells
            if c.measured and Shape.of(c.server).workers == Shape.of(c.server).threads == 1}


def table_rows(cells: list[HttpCell]) -> list[list[str]]:
    base = baselines(cells)
    rows = [HEADER]
    for cell in cells:
        shape = Shape.of(cell.server)
        left = [str(shape.workers), str(shape.threads), shape.socket, cell.protocol]
        if not cell.measured:
            rows.append(left + ["n/a"] + ["–"] * 4 + [cell.reason])
            continue
        one = base.get((cell.protocol, shape.socket))
        cores = server_cores(cell)
        notes = list(cell.notes)
        if cell.client_busy >= report.CLIENT_BUSY:
            notes.append(f"the client was busy {cell.client_busy:.0%}: it may be the limit")
        rows.append(left + [report.count_text(cell.requests_per_s),
                            report.ratio_text(cell.requests_per_s / one if one else None),
                            report.cpu_text(cell.cpu_us_per_request), f"{cores:.2f}" if cores is not None else "–",
                            f"{cell.client_busy:.0%}", "; ".join(notes)])
    return rows


def markdown_table(cells: list[HttpCell]) -> str:
    rows = table_rows(cells)
    rows.insert(1, ["---:", "---:", "---", "---"] + ["---:"] * 5 + ["---"])
    return "\n".join("| " + " | ".join(text.replace("|", "\\|") for text in row) + " |" for row in rows)


def plain_table(cells: list[HttpCell]) -> str:
    rows = table_rows(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    return "\n".join("  ".join(text.rjust(w) for text, w in zip(row[:-1], widths)) + ("  " + row[-1] if row[-1] else "")
                     for row in rows)


def summary(cells: list[HttpCell]) -> list[str]:
    """Per protocol: the shape that answered most req/s, against one worker with one thread."""
    base = baselines(cells)
    lines = []
    for protocol in PROTOCOLS:
        measured = [c for c in cells if c.protocol == protocol and c.measured]
        if not measured:
            continue
        best = max(measured, key=lambda c: c.requests_per_s)
        shape = Shape.of(best.server)
        one = base.get((protocol, shape.socket))
        lines.append(f"{protocol}: most req/s with {shape.workers} worker(s) x {shape.threads} thread(s), "
                     f"{shape.socket} socket: {report.count_text(best.requests_per_s)}"
                     + (f" ({best.requests_per_s / one:.2f}× one worker with one thread)" if one else "") + ".")
    return lines


def method_text(settings: "WorkersSettings") -> str:
    return (f"Lab 14's httpd, `--quiet`, `--workers N --threads M`, with the listening sockets shared "
            f"by the workers or, with `--reuseport`, one SO_REUSEPORT socket per worker; the same small "
            f"file ({seed.FILE[2]:,} bytes) and certificate as the other sections; every cell a fresh "
            f"server. The load: `h2load -t 1` at {settings.loads()[0]} over *h1* (`--h1`), *h2c* and "
            f"*h2 TLS*. **Nobody is pinned**: the server may use both cores (pinned to one, a second "
            f"worker could only take turns with the first), and the client, one thread, shares them "
            f"with it. So req/s is bounded by what the client leaves: on two cores a server that "
            f"needs more than the second core takes it from the client. Read *server cores* (the "
            f"server's CPU time over the client's run time, every process and thread of its tree) and "
            f"*CPU/req* beside req/s: more workers help when the server alone is the limit; here they "
            f"mostly show what one more process or loop costs per request. *vs w1 t1*: req/s against "
            f"one worker with one thread on the same kind of socket. Loopback only."
            + (" **A QUICK run: a tenth of the requests.**" if settings.quick else ""))


def markdown(cells: list[HttpCell], machine: dict, settings: "WorkersSettings", skipped: str = "") -> str:
    lines = ["# httpd's workers and threads on this machine (lab 14)", ""]
    lines += [skipped] if skipped else [markdown_table(cells), "", *[f"- {line}" for line in summary(cells)]]
    lines += ["", method_text(settings), "", "## The machine and the run", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    return "\n".join(lines) + "\n"


def write_outputs(cells: list[HttpCell], settings: "WorkersSettings", machine: dict, skipped: str = "") -> None:
    settings.out.mkdir(parents=True, exist_ok=True)
    (settings.out / f"{NAME}.md").write_text(markdown(cells, machine, settings, skipped))
    (settings.out / f"{NAME}.json").write_text(json.dumps(
        {"machine": machine, "settings": settings.as_json(), "skipped": skipped,
         "cells": [dataclasses.asdict(cell) for cell in cells]}, indent=2, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------------------------------
# The run.

@dataclass
class WorkersSettings(h2.H2Settings):
    """One scenario (a tenth of its requests when QUICK), three protocols, eight shapes."""

    def loads(self, file: str = seed.FILE[0]) -> list[str]:
        connections, requests, streams = SCENARIO
        return [f"c{connections} n{self.requests(requests, file)} m{streams}"]

    def as_json(self) -> dict:
        return super().as_json() | {"protocols": PROTOCOLS, "shapes": [s.label for s in SHAPES]}


def heading(settings: WorkersSettings) -> str:
    return (f"syslab bench workers: {len(SHAPES)} shapes of httpd x {len(PROTOCOLS)} protocols at "
            f"{settings.loads()[0]}, server and client on both cores")


def unpinned(usable: set[int]) -> Placement:
    return Placement(None, None)


def run_all(program: str, settings: WorkersSettings, where: Placement, shapes: list[Shape] = SHAPES) -> list[HttpCell]:
    cells = []
    with tempfile.TemporaryDirectory(prefix="syslab-bench-workers-") as temp:
        root = Path(temp)
        http.write_files(root)
        h2.copy_tls_pair(settings.build, settings.side, root)
        for shape in shapes:
            for protocol in PROTOCOLS:
                for load in settings.loads():
                    print(f"  {shape.label:<26} {protocol:<6} {load:<16} ... ", end="", flush=True)
                    cell = run_cell(program, shape, protocol, load, root, settings, where)
                    print(http.progress_line(cell), flush=True)
                    cells.append(cell)
    return cells


def run_bench(settings: WorkersSettings, command_: str, ninja, build_info: dict) -> tuple[list[HttpCell], list[str]]:
    """Builds lab 14's httpd and lab 13's certificate, runs every cell, writes the outputs; without
    lab 14, writes and prints why the section was skipped, which is no failure."""
    lab = finale_lab()
    if lab is None:
        print(f"  {skip_reason()}")
        machine = report.machine_description(labs_mod.ROOT, build_info, command_, "not run")
        write_outputs([], settings, machine, skip_reason())
        return [], []
    if shutil.which("h2load") is None:
        return [], ["h2load missing (bash tools/bootstrap.sh installs nghttp2-client): no workers section"]
    for target in (finale_target(lab, settings.side), h2.cert_target(settings.side)):
        failure = ninja(settings.build, target)
        if failure:
            return [], [f"{target} does not build:\n{failure}"]
    program = str(settings.build / finale_target(lab, settings.side))
    cells, machine = http.measured_run(command_, build_info, lambda where: run_all(program, settings, where),
                                       place=unpinned)
    write_outputs(cells, settings, machine)
    return cells, []


def smoke_test(build: Path, side: str, ninja) -> list[str]:
    """Two workers on a shared socket, HTTP/1.1, one small load: when lab 14 is in the tree."""
    lab = finale_lab()
    if lab is None:
        return []
    failure = ninja(build, finale_target(lab, side)) or ninja(build, h2.cert_target(side))
    if failure:
        return [f"{finale_target(lab, side)} does not build:\n{failure}"]
    settings = WorkersSettings(build=build, out=build, side=side, quick=True)
    with tempfile.TemporaryDirectory(prefix="syslab-bench-workers-smoke-") as temp:
        root = Path(temp)
        http.write_files(root)
        h2.copy_tls_pair(build, side, root)
        cell = run_cell(str(build / finale_target(lab, side)), Shape(2, 1, False), seed.H1, "c10 n100 m1", root,
                        settings, Placement(None, None))
    if not cell.measured or not cell.cpu_us_per_request:
        return [f"httpd --workers 2 over HTTP/1.1: not measured: {cell.reason}"]
    return []

