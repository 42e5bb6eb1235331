"""make bench's seed section: the seed material's h1-vs-h2 experiment, reproduced.

For each of the six scenarios of h2load (c10/n100, c50/n5000, c100/n10000, each with -m 1 and
-m 5), requests per second over HTTP/1.1 (`h2load --h1`, clear text), HTTP/2 with prior knowledge
(h2c) and HTTP/2 over TLS (ALPN h2), for lab 13's httpd and, in the same run, Hypercorn (the
seed's server, with the kit's minimal ASGI app tools/bench/asgi_app.py), nghttpd (HTTP/2 only),
h2o and nginx. The machinery is the HTTP/2 section's (tools/kit/bench_h2.py): one worker each,
pinned to one CPU, the client on another, a fresh server per cell, the same small file and the
same certificate. The table has the seed's layout: a row per scenario, a column per server and
protocol. Results: build-bench/bench/seed.{md,json,dat,png}; the workers' scaling is
tools/kit/bench_workers.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import bench_h2 as h2
from . import bench_http as http
from . import bench_report as report
from . import labs as labs_mod
from .bench_http import CellError, HttpCell
from .bench_server import Placement

NAME = "seed"
H1, H2C, TLS = "h1", h2.H2C, h2.TLS
PROTOCOLS = [H1, H2C, TLS]
SLIDES_IMAGE = labs_mod.ROOT / "slides" / "img" / "bench-seed.png"
ASGI_APP = labs_mod.ROOT / "tools" / "bench" / "asgi_app.py"
FILE = h2.FILE  # the small file: what a request costs, not its bytes
HYPERCORN = "hypercorn"
LISTEN_BACKLOG = 4096
H2_ONLY = "speaks HTTP/2 only"  # the reasons of a cell a server cannot do: "–" in the table
NO_WAIT = "has no /delay"
# Beyond the seed's six: every response waits WAIT_MS at the server (httpd's /delay route, the
# ASGI app's), so a connection's requests in flight, not the CPU, decide the req/s: on HTTP/2,
# -m 5 streams wait at once; on HTTP/1.1, -m 5 pipelined requests are answered in order.
WAIT_MS = 20
WAIT_LOADS = [(10, 500, 1), (10, 500, 5)]


@dataclass
class SeedServer:
    """One server of the seed table: how it is started for each protocol it speaks."""
    name: str
    program: str                   # the executable; missing: every cell is n/a
    protocols: tuple[str, ...]     # the protocols it speaks; the others are "–" in the table
    prints_port: bool              # says "listening on" (httpd); else the kit gives it a port
    passed_socket: bool = False    # given a listening socket by the kit (Hypercorn: see command)
    waits: bool = False            # has /delay?ms=N (the WAIT_LOADS)

    def exe(self) -> str:
        """What /proc/PID/exe of the server's processes is (for the peak RSS): Hypercorn is a
        Python script, its processes are the interpreter of its #! line."""
        if self.name != HYPERCORN:
            return self.program
        try:
            first = Path(self.program).read_text(errors="replace").splitlines()[0]
        except (OSError, IndexError):
            return self.program
        return os.path.realpath(first[2:].split()[0]) if first.startswith("#!") else self.program

    def command(self, root: Path, protocol: str, port: int) -> list[str]:
        """port: the port to listen on, or for Hypercorn the descriptor of its listening socket."""
        if self.name == HYPERCORN:
            return hypercorn_command(self.program, root, protocol, port)
        if protocol == H1:
            return http.Server(self.name, self.program, self.prints_port).command(root, FILE[1], port)
        return h2.H2Server(self.name, self.program, self.prints_port).command(root, protocol, port)


def hypercorn_command(program: str, root: Path, protocol: str, fd: int) -> list[str]:
    """One asyncio worker on the socket the kit made (fd://): Hypercorn 0.13 makes its own with
    protocol number 0, so asyncio's accepted sockets fail its IPPROTO_TCP test and never get
    TCP_NODELAY; Nagle then holds each response's body for the client's delayed ACK, 40 ms per
    request at -m 1 over HTTP/1.1 (measured: 230 req/s at c10). A socket made with
    IPPROTO_TCP passes the test. No access log; warnings only."""
    tls = ["--certfile", str(root / "cert.pem"), "--keyfile", str(root / "key.pem")] if protocol == TLS else []
    return [program, "--bind", f"fd://{fd}", "--workers", "1", "--worker-class", "asyncio",
            "--log-level", "warning", *tls, f"{ASGI_APP}:app"]


def known_servers(build: Path, side: str) -> list[SeedServer]:
    which = lambda name, default: shutil.which(name) or default  # noqa: E731
    both = (H1, H2C, TLS)
    return [
        SeedServer("httpd", str(build / labs_mod.SIDE_DIRS[side] / h2.HTTPD_LAB / "httpd"), both, True,
                   waits=True),
        SeedServer(HYPERCORN, which("hypercorn", "/usr/bin/hypercorn"), both, False, passed_socket=True,
                   waits=True),
        SeedServer(h2.BASELINE, which("nghttpd", "/usr/bin/nghttpd"), (H2C, TLS), False),
        SeedServer("h2o", which("h2o", "/usr/bin/h2o"), both, False),
        SeedServer("nginx", which("nginx", "/usr/sbin/nginx"), both, False),
    ]


def listening_socket() -> socket.socket:
    """A loopback listener on a free port, made with IPPROTO_TCP, inheritable (for Hypercorn)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(LISTEN_BACKLOG)
    listener.set_inheritable(True)
    return listener


# ---------------------------------------------------------------------------------------------------
# One cell: a fresh server, one protocol, one scenario.

def run_cell(server: SeedServer, protocol: str, load: str, root: Path, settings: "SeedSettings",
             where: Placement) -> HttpCell:
    cell = HttpCell(server.name, FILE[0], load, protocol=protocol)
    if protocol not in server.protocols or (wait_ms(load) and not server.waits):
        cell.status, cell.reason = "n/a", H2_ONLY if protocol not in server.protocols else NO_WAIT
        return cell
    if not Path(server.program).is_file():
        cell.status, cell.reason = "n/a", f"{server.program} is not installed"
        return cell
    listener = listening_socket() if server.passed_socket else None
    port = listener.getsockname()[1] if listener else 0 if server.prints_port else http.free_port()
    options = {"pass_fds": (listener.fileno(),), "cwd": root / "www",
               "env": os.environ | {"SYSLAB_BENCH_FILE": str(root / "www" / FILE[1])}} if listener else {}
    log, requests = root / f"{server.name}.log", root / "h2load-requests.tsv"
    command = server.command(root, protocol, listener.fileno() if listener else port)
    try:
        with http.started(command, log, where, cell, **options) as process:
            if listener:
                listener.close()  # the server holds it now
            deadline = time.monotonic() + http.READY_TIMEOUT
            if server.prints_port:
                port = http.read_port(log, process, deadline, which=1 if protocol == TLS else 0)
            requests.unlink(missing_ok=True)  # h2load appends to it
            if protocol == H1:
                http.wait_answering(port, FILE[1], process, deadline, log)
                client = http.client_command(load, port, FILE[1], settings)
            else:
                h2.wait_answering(protocol, port, process, deadline, log)
                client = h2.client_command(load, protocol, port, requests)
            if wait_ms(load):
                client[-1] = wait_url(client[-1], wait_ms(load))
            text = http.measure(cell, process, server.exe(), client, where, settings.client_timeout(load))
            if protocol == H1:
                fill_h1_cell(cell, text)
            else:
                h2.fill_cell(cell, text, requests.read_text())
    except CellError as error:
        cell.status, cell.reason = "n/a", str(error)
    finally:
        if listener:
            listener.close()
    return cell


def wait_ms(load: str) -> int:
    """The server's wait per response of a load ("c10 n500 m5 wait20ms"), 0 for none."""
    match = re.search(r"\bwait(\d+)ms\b", load)
    return int(match[1]) if match else 0


def wait_url(url: str, milliseconds: int) -> str:
    """The file's URL made the /delay route's on the same server."""
    return f"{url.rsplit('/', 1)[0]}/delay?ms={milliseconds}"


def fill_h1_cell(cell: HttpCell, text: str) -> None:
    """h2load --h1's summary into the cell. h2load 1.52 counts a response whose status line has
    no reason phrase ("HTTP/1.1 200 ", Hypercorn's: RFC 9112 allows it) as failed, its status
    unread; such a cell counts the whole bodies that came back instead, and says so."""
    spoken = h2.application_protocol(text)
    if spoken != "http/1.1":
        raise CellError(f"h2load spoke {spoken or 'nothing'}, not http/1.1")
    result = http.parse_h2load(text)
    unread = statuses_unread(text)
    if result["requests"] == 0 and unread:
        bodies = min(unread, data_bytes(text) // FILE[2])
        result["requests"], result["failed"] = bodies, result["failed"] - bodies
        cell.notes.append(f"h2load read no status line (no reason phrase): {bodies:,} whole bodies counted")
    http.fill_from_client(cell, result)


def statuses_unread(text: str) -> int:
    """Requests done, not errored, without a status h2load could count: done - errored - timeout
    - every status class."""
    counts = re.search(r"requests: \d+ total, \d+ started, (\d+) done, \d+ succeeded, \d+ failed, "
                       r"(\d+) errored, (\d+) timeout", text)
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if not counts or not codes:
        return 0
    return max(0, int(counts[1]) - int(counts[2]) - int(counts[3]) - sum(int(n) for n in codes.groups()))


def data_bytes(text: str) -> int:
    """The bytes of response bodies h2load received ("traffic: ... (1024) data")."""
    match = re.search(r"\((\d+)\) data", text)
    return int(match[1]) if match else 0


# ---------------------------------------------------------------------------------------------------
# The table with the seed's layout, and the chart.

def columns(cells: list[HttpCell]) -> list[tuple[str, str]]:
    """(server, protocol) in the run's order of servers, h1 then h2c then h2 TLS."""
    servers = list(dict.fromkeys(c.server for c in cells))
    return [(server, protocol) for server in servers for protocol in PROTOCOLS
            if any(c.server == server and c.protocol == protocol for c in cells)]


def column_title(server: str, protocol: str) -> str:
    return f"{server} {protocol}"


def cell_text(cell: HttpCell | None) -> str:
    """The req/s of a cell; "–" where the server cannot do it, n/a where it failed."""
    if cell is None or cell.reason in (H2_ONLY, NO_WAIT):
        return "–"
    return report.count_text(cell.requests_per_s) if cell.measured else "n/a"


def cpu_text(cell: HttpCell | None) -> str:
    """The server's CPU per request of a cell, in µs without the unit; "–" and n/a as cell_text."""
    text = cell_text(cell)
    return report.cpu_text(cell.cpu_us_per_request).removesuffix(" µs") if text[0].isdigit() else text


def rows(cells: list[HttpCell], text=cell_text) -> list[list[str]]:
    """The header, then one row per scenario: text(cell) (its req/s) for every server and protocol."""
    found = {(c.load, c.server, c.protocol): c for c in cells}
    header = ["scenario"] + [column_title(*column) for column in columns(cells)]
    return [header] + [[load] + [text(found.get((load, *column))) for column in columns(cells)]
                       for load in dict.fromkeys(c.load for c in cells)]


def markdown_table(cells: list[HttpCell], text=cell_text) -> str:
    table = rows(cells, text)
    table.insert(1, ["---"] + ["---:"] * (len(table[0]) - 1))
    return "\n".join("| " + " | ".join(row) + " |" for row in table)


def plain_table(cells: list[HttpCell]) -> str:
    table = rows(cells)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join([row[0].ljust(widths[0])] + [text.rjust(w) for text, w in
                                                              zip(row[1:], widths[1:])]) for row in table)


def wins(cells: list[HttpCell]) -> list[str]:
    """Per server: the scenarios where HTTP/2 (h2c, and over TLS) answered more req/s than
    HTTP/1.1, and by how much."""
    found = {(c.load, c.server, c.protocol): c for c in cells if c.measured}
    lines = []
    for server in dict.fromkeys(c.server for c in cells):
        loads = [load for load in dict.fromkeys(c.load for c in cells) if (load, server, H1) in found]
        if not loads:
            continue
        for protocol in (H2C, TLS):
            ratios = [(load, found[(load, server, protocol)].requests_per_s / h1.requests_per_s)
                      for load in loads if (load, server, protocol) in found
                      and (h1 := found[(load, server, H1)]).requests_per_s > 0]
            if ratios:
                listed = ", ".join(f"{load} {ratio:.2f}×" for load, ratio in ratios)
                more = sum(ratio > 1 for _, ratio in ratios)
                lines.append(f"{server}: {protocol} over h1 {listed} (more than h1 in {more} of {len(ratios)}).")
    return lines


def plot_data(cells: list[HttpCell]) -> tuple[list[str], str]:
    """One block per scenario: a line per server measured there, with its req/s over h1, h2c and
    h2 TLS ("-": not measured or not spoken). Returns the scenarios and the data."""
    found = {(c.load, c.server, c.protocol): c for c in cells if c.measured}
    loads = list(dict.fromkeys(c.load for c in cells))
    blocks = []
    for load in loads:
        lines = [f"# {load}: server {' '.join(p.replace(' ', '_') for p in PROTOCOLS)} (req/s)"]
        for server in dict.fromkeys(c.server for c in cells):
            values = [found[(load, server, p)].requests_per_s if (load, server, p) in found else None
                      for p in PROTOCOLS]
            if any(v is not None for v in values):
                lines.append(f'"{server}" ' + " ".join("-" if v is None else f"{v:.1f}" for v in values))
        blocks.append("\n".join(lines))
    return loads, "\n\n\n".join(blocks) + "\n"


TITLE = "The seed's experiment: HTTP/1.1 vs HTTP/2, one worker each, h2load on loopback (nghttpd: HTTP/2 only)"


def gnuplot_script(loads: list[str], data: Path, png: Path, subtitle: str) -> str:
    """One panel per scenario (in two rows past three), clustered bars: h1, h2c, h2 TLS per server."""
    panels = []
    for i, load in enumerate(loads):
        bars = ", ".join(f"'{data}' index {i} using {2 + j}{':xtic(1)' if j == 0 else ''} "
                         f"title '{protocol}' lc {j + 1}" for j, protocol in enumerate(PROTOCOLS))
        panels.append(f"set title '{load}'\nplot {bars}")
    rows_ = 1 if len(loads) <= 3 else 2
    columns_ = -(-len(loads) // rows_)
    return f"""set terminal pngcairo size {580 * columns_ + 40},{560 * rows_ + 80} font 'DejaVu Sans,11'
set output '{png}'
set multiplot layout {rows_},{columns_} title "{TITLE}\\n{subtitle}"
set datafile missing '-'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics font ',10'
set grid ytics
set yrange [0:*]
set ylabel 'requests per second'
set key below horizontal
{chr(10).join(panels)}
unset multiplot
"""


# ---------------------------------------------------------------------------------------------------
# The report.

def method_text(settings: "SeedSettings") -> str:
    return (f"The seed's experiment with the HTTP/2 section's method: every server with one worker, "
            f"pinned to one CPU, the client (`h2load -t 1`) pinned to the other; every cell a fresh "
            f"server serving the same small file ({FILE[2]:,} bytes), asked for it once before the "
            f"load. *h1*: `h2load --h1` (HTTP/1.1 in clear text, `-m` requests pipelined per "
            f"connection); *h2c*: HTTP/2 with prior knowledge; *h2 TLS*: HTTP/2 chosen by ALPN, "
            f"TLS 1.3, the build's self-signed certificate (`-m` concurrent streams per "
            f"connection). *wait20ms*: `GET /delay?ms={WAIT_MS}` instead of the file (httpd's route "
            f"and the ASGI app's; the others have none: –): every response waits {WAIT_MS} ms at the "
            f"server, so the requests in flight per connection decide, not the CPU. *httpd*: lab 13 "
            f"(`--quiet`); *hypercorn*: Debian's Hypercorn 0.13, one asyncio worker, running "
            f"tools/bench/asgi_app.py (the file's bytes from memory), on a listening socket the kit "
            f"makes with IPPROTO_TCP so that asyncio sets TCP_NODELAY "
            f"(Hypercorn's own socket fails asyncio's test and leaves Nagle on: 40 ms a request at "
            f"-m 1); *nghttpd*: HTTP/2 only (–); *h2o*: `num-threads: 1`; *nginx*: "
            f"`worker_processes 1`, `listen ... http2` for h2c (prior knowledge only, so h1 is a "
            f"server of its own with a plain `listen`). A cell that negotiated another protocol is "
            f"refused (n/a). h2load 1.52 cannot read a status line with no reason phrase "
            f"(Hypercorn's `HTTP/1.1 200 `): those cells count the whole bodies received instead "
            f"(a note in seed.json). Loopback only, no added latency: what HTTP/2 saves on a real "
            f"network (round trips, connections) is not seen here, and what it costs (framing, "
            f"HPACK, flow control) is." + (" **A QUICK run: a tenth of the requests.**" if settings.quick else ""))


def markdown(cells: list[HttpCell], machine: dict, settings: "SeedSettings") -> str:
    lines = ["# The seed's experiment: HTTP/1.1 vs HTTP/2, req/s", "", markdown_table(cells), "",
             *[f"- {line}" for line in wins(cells)], "",
             "The server's CPU per request (µs; schedstat, as in the other sections), the same layout: "
             "the number to trust on a shared machine.", "", markdown_table(cells, cpu_text), "",
             method_text(settings), "",
             "## The machine and the run", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    return "\n".join(lines) + "\n"


def write_outputs(cells: list[HttpCell], settings: "SeedSettings", machine: dict) -> list[str]:
    """seed.md, seed.json, seed.dat and seed.png in settings.out; returns the problems."""
    out = settings.out
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{NAME}.md").write_text(markdown(cells, machine, settings))
    (out / f"{NAME}.json").write_text(json.dumps(
        {"machine": machine, "settings": settings.as_json(),
         "cells": [dataclasses.asdict(cell) for cell in cells]}, indent=2, ensure_ascii=False) + "\n")
    loads, data = plot_data(cells)
    (out / f"{NAME}.dat").write_text(data)
    png = out / f"{NAME}.png"
    png.unlink(missing_ok=True)
    if not any(c.measured for c in cells):
        return ["no server was measured in the seed section: there is nothing to plot"]
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        return [f"gnuplot is missing (bash tools/bootstrap.sh bench installs it): no {NAME}.png"]
    subtitle = f"{machine['CPU']}, load average {machine['load average at the start'].split(' (')[0]}"
    (out / f"{NAME}.gp").write_text(gnuplot_script(loads, out / f"{NAME}.dat", png, subtitle.replace('"', "'")))
    result = subprocess.run([gnuplot, str(out / f"{NAME}.gp")], capture_output=True, text=True)
    if result.returncode != 0 or not png.is_file():
        return [f"gnuplot failed: {result.stderr.strip()[-1000:]}"]
    return []


# ---------------------------------------------------------------------------------------------------
# The run.

@dataclass
class SeedSettings(h2.H2Settings):
    """The HTTP/2 section's loads (a tenth of the requests when QUICK) over three protocols."""

    def loads(self, file: str = FILE[0]) -> list[str]:
        """The seed's six, then the two where every response waits WAIT_MS."""
        return super().loads(file) + [f"c{c} n{self.requests(n, file)} m{m} wait{WAIT_MS}ms" for c, n, m in WAIT_LOADS]

    def as_json(self) -> dict:
        return super().as_json() | {"protocols": PROTOCOLS}


def heading(settings: SeedSettings) -> str:
    return (f"syslab bench seed: {len(settings.loads())} scenarios x {len(PROTOCOLS)} protocols x "
            f"{len(known_servers(settings.build, settings.side))} servers, one worker each")


def run_all(servers: list[SeedServer], settings: SeedSettings, where: Placement,
            loads: list[str] | None = None) -> list[HttpCell]:
    cells = []
    with tempfile.TemporaryDirectory(prefix="syslab-bench-seed-") as temp:
        root = Path(temp)
        http.write_files(root)
        h2.copy_tls_pair(settings.build, settings.side, root)
        for load in loads or settings.loads():
            for server in servers:
                for protocol in PROTOCOLS:
                    print(f"  {load:<16} {server.name:<9} {protocol:<6} ... ", end="", flush=True)
                    cell = run_cell(server, protocol, load, root, settings, where)
                    print(http.progress_line(cell), flush=True)
                    cells.append(cell)
    return cells


def prerequisites(settings: SeedSettings, ninja) -> list[str]:
    if shutil.which("h2load") is None:
        return ["h2load missing (bash tools/bootstrap.sh installs nghttp2-client): no seed section"]
    if h2.HTTPD_LAB not in {lab.name for lab in labs_mod.all_labs()}:
        return [f"lab {h2.HTTPD_LAB} is not in labs/labs.txt: no seed section"]
    for target in (f"{labs_mod.SIDE_DIRS[settings.side]}/{h2.HTTPD_LAB}/httpd", h2.cert_target(settings.side)):
        failure = ninja(settings.build, target)
        if failure:
            return [f"{target} does not build:\n{failure}"]
    return []


def run_bench(settings: SeedSettings, command: str, ninja, build_info: dict) -> tuple[list[HttpCell], list[str]]:
    """Builds httpd and its certificate (ninja: bench.py's), runs every cell, writes the outputs."""
    problems = prerequisites(settings, ninja)
    if problems:
        return [], problems
    servers = known_servers(settings.build, settings.side)
    cells, machine = http.measured_run(command, build_info, lambda where: run_all(servers, settings, where))
    machine["clients"] = http.client_versions(
        [["h2load", "--version"], ["nghttpd", "--version"], ["h2o", "--version"], ["nginx", "-v"]]
    ) + f"; Hypercorn {hypercorn_version()}"
    problems = write_outputs(cells, settings, machine)
    if not problems and not settings.quick and all(c.measured or c.reason in (H2_ONLY, NO_WAIT) for c in cells):
        SLIDES_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(settings.out / f"{NAME}.png", SLIDES_IMAGE)
        print(f"  copied the chart to {os.path.relpath(SLIDES_IMAGE)} (the lab 13 deck shows it)")
    return cells, problems


def hypercorn_version() -> str:
    """Hypercorn has no --version: the Debian package's."""
    result = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "python3-hypercorn"],
                            capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else "?"


# ---------------------------------------------------------------------------------------------------
# make test's smoke test: httpd and Hypercorn, one small load over the three protocols.

SMOKE_LOAD = "c10 n100 m1"


def smoke_test(build: Path, side: str, ninja) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="syslab-bench-seed-smoke-") as temp:
        settings = SeedSettings(build=build, out=Path(temp) / "out", side=side, quick=True)
        problems = prerequisites(settings, ninja)
        if problems:
            return problems
        servers = [s for s in known_servers(build, side) if s.name in ("httpd", HYPERCORN)]
        where = http.server_cpu(http.placement(os.sched_getaffinity(0)))
        cells = run_all(servers, settings, where, [SMOKE_LOAD])
        machine = report.machine_description(labs_mod.ROOT, {"placement": where.text(2)}, "make test", "now")
        problems = write_outputs(cells, settings, machine)
        table = (settings.out / f"{NAME}.md").read_text()
        if not problems and not (settings.out / f"{NAME}.png").read_bytes().startswith(b"\x89PNG"):
            problems.append(f"{NAME}.png is not a PNG")
    if "| scenario | httpd h1 | httpd h2c | httpd h2 TLS |" not in table:
        problems.append("seed.md lacks the seed layout's header:\n" + table[:800])
    for cell in cells:
        optional = cell.server == HYPERCORN and "not installed" in cell.reason
        if not optional and (not cell.measured or not cell.cpu_us_per_request):
            problems.append(f"{cell.server} over {cell.protocol}: not measured: {cell.reason}")
    return problems
