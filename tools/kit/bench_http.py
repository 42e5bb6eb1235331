"""make bench's HTTP/1.1 section: lab 12's httpd beside nginx and h2o, and the kit's floor.

Every server runs with one worker, pinned to one CPU, and serves the same three files (a small
HTML page, 64 KiB and 1 MiB) from a temp dir; the load runs pinned to another CPU: h2load --h1
at c10/n100, c50/n5000 and c100/n10000, each with -m 1 and -m 5 (five requests pipelined per
connection), then wrk for the latency percentiles. Each cell is a fresh server: started, asked
for the file once (the worker is up, the file is in the page cache), measured, stopped. What the
table shows: req/s, p50/p99 (wrk), the server's CPU per request (the run time of every thread of
its process tree over the load, from /proc/PID/task/TID/schedstat), its peak RSS (VmHWM), and the
ratios against nginx and the floor of the same run. Results: build-bench/bench/http1.{md,json,png}.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import bench_report as report
from . import labs as labs_mod
from .bench_server import Placement, affinity, group_alive, placement, process_tree, tree_cpu_ns

BASELINE = "nginx"  # req/s and CPU ratios against it
FLOOR = "floor"     # and the CPU ratio against the kit's smallest HTTP server
FLOOR_TARGET = "tools/bench/http-floor"
HTTPD_LAB = "12-http1"
SLIDES_IMAGE = labs_mod.ROOT / "slides" / "img" / "bench-http1.png"
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

# The files every server serves: (label, name, size in bytes).
FILES = [("small", "small.html", 1024), ("64 KiB", "64k.bin", 64 * 1024), ("1 MiB", "1m.bin", 1 << 20)]
# h2load's scenarios: (connections, requests, requests pipelined per connection).
H2LOAD = [(10, 100, 1), (10, 100, 5), (50, 5000, 1), (50, 5000, 5), (100, 10000, 1), (100, 10000, 5)]
# The 1 MiB file gets a tenth of the requests (n100 stays): at loopback's few hundred MB/s on a
# small machine, c100 n10000 would be 10 GiB and half a minute per cell, and the CPU per request
# is as clear from a thousand.
REQUESTS_DIVISOR = {"1 MiB": 10}
WRK_CONNECTIONS = [10, 100]
WRK_SECONDS = 2


@dataclass
class HttpCell:
    """One server, one file, one load: what the client said and what /proc showed."""
    server: str
    file: str
    load: str                      # "c10 n100 m1" (h2load) or "wrk c10 2s"
    protocol: str = "http/1.1"     # h2c or h2 (TLS) in the HTTP/2 section (tools/kit/bench_h2.py)
    status: str = "ok"             # ok | n/a (with a reason)
    reason: str = ""
    requests: int = 0              # answered with a 2xx
    failed: int = 0                # anything else: errors, non-2xx, timeouts
    requests_per_s: float = 0.0
    p50_us: float | None = None    # wrk's, or from h2load's --log-file (the HTTP/2 section)
    p99_us: float | None = None
    mean_us: float | None = None
    client_busy: float = 0.0       # the load client's CPU time over its run time
    server_cpu_s: float = 0.0
    cpu_us_per_request: float | None = None
    peak_rss_kb: int = 0           # the sum of VmHWM over the server's own processes
    rps_ratio: float | None = None   # against the section's baseline (nginx), same file and load
    cpu_ratio: float | None = None   # against the baseline
    floor_ratio: float | None = None  # against the section's second reference (the floor)
    notes: list[str] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class Section:
    """What the HTTP/1.1 and HTTP/2 sections' tables, charts and outputs differ in."""
    name: str          # the outputs' stem: build-bench/bench/NAME.{md,json,dat,png}
    baseline: str      # req/s and CPU per request against it
    second: str        # a second CPU per request ratio against it
    panel: str         # the cell's attribute that the table's first column and the chart's columns show
    chart_title: str


HTTP1 = Section("http1", BASELINE, FLOOR, "file",
                "HTTP/1.1: one worker each, h2load --h1 and wrk on loopback")


# ---------------------------------------------------------------------------------------------------
# The servers: how each is started in a temp dir, with its own port, pid and log paths.

@dataclass
class Server:
    name: str
    program: str          # the executable (a path, or a command found on PATH)
    prints_port: bool     # says "listening on ADDRESS:PORT" (the kit's servers); else a port is chosen

    def command(self, root: Path, file: str, port: int) -> list[str]:
        if self.name == FLOOR:
            return [self.program, "--port", "0", "--file", str(root / "www" / file)]
        if self.name == "httpd":
            return [self.program, "--port", "0", "--root", str(root / "www"), "--quiet"]
        if self.name == "nginx":
            conf = write_nginx_conf(root, port)
            return [self.program, "-p", str(root), "-e", str(root / "nginx-error.log"), "-c", str(conf)]
        if self.name == "h2o":
            return [self.program, "-c", str(write_h2o_conf(root, port))]
        raise ValueError(self.name)


def write_nginx_conf(root: Path, port: int, listen_options: str = "", server_lines: str = "") -> Path:
    """One worker, no daemon, no access log, every path inside root; sendfile as nginx ships it;
    keep-alive connections never capped by a request count (httpd and h2o have no such cap).
    listen_options ("http2", "ssl http2") and server_lines (the certificate) for HTTP/2."""
    temp = "\n".join(f"  {kind}_temp_path {root}/nginx-{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = root / "nginx.conf"
    conf.write_text(f"""daemon off;
master_process on;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  types {{ text/html html; }}
{temp}
  server {{
    listen 127.0.0.1:{port}{" " + listen_options if listen_options else ""};
    root {root}/www;
{server_lines}  }}
}}
""")
    return conf


def write_h2o_conf(root: Path, port: int, listen_lines: str = "") -> Path:
    """One worker thread, no access log (h2o writes none unless told), the error log in root.
    listen_lines: more of the listener (ssl: for HTTP/2 over TLS)."""
    conf = root / "h2o.conf"
    conf.write_text(f"""listen:
  host: 127.0.0.1
  port: {port}
{listen_lines}num-threads: 1
error-log: {root}/h2o-error.log
hosts:
  default:
    paths:
      /:
        file.dir: {root}/www
""")
    return conf


def known_servers(build: Path, side: str) -> list[Server]:
    return [
        Server(FLOOR, str(build / FLOOR_TARGET), True),
        Server("httpd", str(build / labs_mod.SIDE_DIRS[side] / HTTPD_LAB / "httpd"), True),
        Server("nginx", shutil.which("nginx") or "/usr/sbin/nginx", False),
        Server("h2o", shutil.which("h2o") or "/usr/bin/h2o", False),
    ]


def write_files(root: Path) -> None:
    """The document root: the same bytes for every server. Readable by all, since nginx's worker
    and h2o run as nobody when started by root."""
    www = root / "www"
    www.mkdir()
    for _, name, size in FILES:
        line = b"<p>syslab make bench: the same bytes for every server.</p>\n"
        (www / name).write_bytes((line * (size // len(line) + 1))[:size])
    for path in (root, www):
        path.chmod(0o755)


def free_port() -> int:
    """A port nobody listens on now, for the servers that cannot be told to take port 0."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------------------------------------------
# One cell: a fresh server, one load, the server's CPU over it, stop.

class CellError(Exception):
    """The cell cannot be measured; the message says why."""


def read_port(log: Path, server: subprocess.Popen, deadline: float, which: int = 0) -> int:
    """The port of the "listening on" line: the first, or (which=1) lab 13's TLS port of
    "listening on ADDRESS:PORT and ADDRESS:TLSPORT (TLS)"."""
    while time.monotonic() < deadline:
        match = re.search(r"listening on (.+)$", log.read_text(errors="replace"), re.MULTILINE)
        ports = re.findall(r"\S+:(\d+)", match[1]) if match else []
        if len(ports) > which:
            return int(ports[which])
        if server.poll() is not None:
            raise CellError(f"it exited ({server.returncode}) before it listened: {first_line(log)}")
        time.sleep(0.01)
    raise CellError(f"it did not say \"listening on\" within {READY_TIMEOUT:g} s")


def wait_answering(port: int, path: str, server: subprocess.Popen, deadline: float, log: Path) -> None:
    """Until one GET of the file is answered 200: its worker is up and the file is cached."""
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CellError(f"it exited ({server.returncode}): {first_line(log)}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/" + path)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise CellError(f"GET /{path} gave {response.status}")
            return
        except OSError:
            time.sleep(0.02)
        finally:
            connection.close()
    raise CellError(f"GET /{path} was not answered within {READY_TIMEOUT:g} s")


def first_line(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[0] if lines else "(nothing on stderr)"


def stop(server: subprocess.Popen, cell: HttpCell) -> None:
    """SIGTERM (nginx: fast shutdown), then SIGKILL to the group; nothing is left running."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            cell.notes.append(f"SIGTERM did not stop it in {STOP_TIMEOUT:g} s: SIGKILL")
    deadline = time.monotonic() + 2
    while group_alive(server.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if group_alive(server.pid):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


def own_peak_rss_kb(root_pid: int, program: str) -> int:
    """The sum of VmHWM over the processes of the tree that run the server's program (nginx's
    master and worker; not h2o's crash-report helper, a perl script it starts and keeps)."""
    total = 0
    target = os.path.realpath(program)
    for pid in process_tree(root_pid):
        try:
            if os.path.realpath(f"/proc/{pid}/exe") != target:
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def run_client(command: list[str], cpus: frozenset[int] | None, timeout: float) -> tuple[str, float]:
    """The client's output and the share of its run time it was on a CPU (rusage from wait4)."""
    with tempfile.TemporaryFile() as out:
        with affinity(cpus):
            began = time.monotonic()
            client = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        status, usage = wait_with_deadline(client, began + timeout)
        elapsed = time.monotonic() - began
        out.seek(0)
        text = out.read().decode(errors="replace")
    if status is None:
        raise CellError(f"{command[0]} did not finish within {timeout:g} s")
    if status != 0:
        raise CellError(f"{command[0]} exited {status}: {text.strip()[-300:]}")
    return text, (usage.ru_utime + usage.ru_stime) / elapsed if elapsed > 0 else 0.0


def wait_with_deadline(client: subprocess.Popen, deadline: float):
    """(exit code, rusage) of the client; (None, rusage) when it was killed at the deadline."""
    while True:
        pid, status, usage = os.wait4(client.pid, os.WNOHANG)
        if pid:
            client.returncode = os.waitstatus_to_exitcode(status)
            return client.returncode, usage
        if time.monotonic() > deadline:
            client.kill()
            _, status, usage = os.wait4(client.pid, 0)
            client.returncode = os.waitstatus_to_exitcode(status)
            return None, usage
        time.sleep(0.005)


def run_cell(server: Server, file: tuple[str, str, int], load: str, root: Path, settings: "HttpSettings",
             where: Placement) -> HttpCell:
    label, name, _ = file
    cell = HttpCell(server.name, label, load)
    if not Path(server.program).is_file():
        cell.status, cell.reason = "n/a", f"{server.program} is not installed"
        return cell
    port = 0 if server.prints_port else free_port()
    log = root / f"{server.name}.log"
    try:
        with started(server.command(root, name, port), log, where, cell) as process:
            deadline = time.monotonic() + READY_TIMEOUT
            if server.prints_port:
                port = read_port(log, process, deadline)
            wait_answering(port, name, process, deadline, log)
            text = measure(cell, process, server.program, client_command(load, port, name, settings),
                           where, settings.client_timeout(load))
            fill_from_client(cell, parse_wrk(text) if load.startswith("wrk") else parse_h2load(text))
    except CellError as error:
        cell.status, cell.reason = "n/a", str(error)
    return cell


@contextlib.contextmanager
def started(command: list[str], log: Path, where: Placement, cell: HttpCell, **options):
    """The server, pinned, in its own session, its output in log; stopped on the way out.
    options: more of Popen's (the seed section passes Hypercorn its listening socket and env)."""
    with open(log, "wb") as output, affinity(where.server):
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True, **options)
    try:
        yield process
    finally:
        stop(process, cell)


def measure(cell: HttpCell, server: subprocess.Popen, program: str, command: list[str], where: Placement,
            timeout: float) -> str:
    """Runs the client; the server's CPU time over the client's run and its peak RSS go into the
    cell. Returns what the client printed."""
    before = tree_cpu_ns(server.pid)
    text, cell.client_busy = run_client(command, where.client, timeout)
    cell.server_cpu_s = (tree_cpu_ns(server.pid) - before) / 1e9
    cell.peak_rss_kb = own_peak_rss_kb(server.pid, program)
    return text


def client_command(load: str, port: int, path: str, settings: "HttpSettings") -> list[str]:
    url = f"http://127.0.0.1:{port}/{path}"
    words = {word[0]: word[1:] for word in load.split() if word[0] in "cnm" and word[1:].isdigit()}
    if load.startswith("wrk"):
        return ["wrk", "-t", "1", "-c", words["c"], "-d", f"{settings.wrk_seconds:g}s", "--latency", url]
    return ["h2load", "--h1", "-t", "1", "-c", words["c"], "-n", words["n"], "-m", words["m"], url]


def fill_from_client(cell: HttpCell, result: dict) -> None:
    """The client's parsed result into the cell, and the CPU per request answered with a 2xx."""
    for key, value in result.items():
        setattr(cell, key, value)
    if cell.requests <= 0:
        cell.status, cell.reason = "n/a", "no request was answered with a 2xx"
    else:
        cell.cpu_us_per_request = cell.server_cpu_s * 1e6 / cell.requests
    if cell.failed:
        cell.notes.append(f"{cell.failed:,} requests failed or were not 2xx")


# ---------------------------------------------------------------------------------------------------
# The clients' output.

def parse_h2load(text: str) -> dict:
    """req/s, the requests answered 2xx and the rest, and the mean time per request."""
    found = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", text)
    counts = re.search(r"requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, "
                       r"(\d+) errored, (\d+) timeout", text)
    codes = re.search(r"status codes: (\d+) 2xx", text)
    if not found or not counts or not codes:
        raise CellError("h2load's output has no result: " + text.strip()[-300:])
    total, ok = int(counts[1]), int(codes[1])
    result = {"requests_per_s": float(found[1]), "requests": ok, "failed": total - ok}
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", text)
    if mean:
        result["mean_us"] = duration_us(mean[1])
    return result


def parse_wrk(text: str) -> dict:
    """req/s, p50 and p99 of wrk --latency, the requests and those that failed or were not 2xx/3xx."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    if not rps or not total:
        raise CellError("wrk's output has no result: " + text.strip()[-300:])
    failed = sum(int(n) for n in re.findall(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                                            r"timeout (\d+)", text)[0]) if "Socket errors" in text else 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    failed += int(non_2xx[1]) if non_2xx else 0
    result = {"requests_per_s": float(rps[1]), "requests": int(total[1]) - (int(non_2xx[1]) if non_2xx else 0),
              "failed": failed}
    for percent, key in (("50", "p50_us"), ("99", "p99_us")):
        match = re.search(rf"^\s+{percent}%\s+(\S+)\s*$", text, re.MULTILINE)
        if match:
            result[key] = duration_us(match[1])
    return result


def duration_us(text: str) -> float:
    """"123.45us", "1.2ms", "2.00s", "1.5m" as microseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise CellError(f"not a duration: {text!r}")
    return float(match[1]) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 60e6}[match[2]]


# ---------------------------------------------------------------------------------------------------
# Ratios, the table, the chart.

def set_ratios(cells: list[HttpCell], section: Section = HTTP1) -> None:
    """Against the section's baseline and second reference (nginx and the floor) with the same
    protocol, file and load, in this same run."""
    def by_server(name: str) -> dict[tuple[str, str, str], HttpCell]:
        return {(c.protocol, c.file, c.load): c for c in cells if c.server == name and c.measured}
    baseline, second = by_server(section.baseline), by_server(section.second)
    for cell in cells:
        if not cell.measured:
            continue
        key = (cell.protocol, cell.file, cell.load)
        base, least = baseline.get(key), second.get(key)
        if base and base.requests_per_s > 0:
            cell.rps_ratio = cell.requests_per_s / base.requests_per_s
        if base and base.cpu_us_per_request and cell.cpu_us_per_request is not None:
            cell.cpu_ratio = cell.cpu_us_per_request / base.cpu_us_per_request
        if least and least.cpu_us_per_request and cell.cpu_us_per_request is not None:
            cell.floor_ratio = cell.cpu_us_per_request / least.cpu_us_per_request


def header(section: Section = HTTP1) -> list[str]:
    return [section.panel, "load", "server", "req/s", f"vs {section.baseline}", "p50", "p99", "CPU/req",
            f"vs {section.baseline}", f"vs {section.second}", "peak RSS", "client busy", "notes"]


HEADER = header()


def table_row(cell: HttpCell, section: Section = HTTP1) -> list[str]:
    panel = getattr(cell, section.panel)
    if not cell.measured:
        return [panel, cell.load, cell.server, "n/a"] + ["–"] * (len(HEADER) - 5) + [cell.reason]
    latency = lambda us: report.latency_text(us) if us else "–"  # noqa: E731
    notes = list(cell.notes)
    if cell.client_busy >= report.CLIENT_BUSY:
        notes.append(f"the client was busy {cell.client_busy:.0%}: it may be the limit")
    return [panel, cell.load, cell.server, report.count_text(cell.requests_per_s),
            report.ratio_text(cell.rps_ratio), latency(cell.p50_us), latency(cell.p99_us),
            report.cpu_text(cell.cpu_us_per_request), report.ratio_text(cell.cpu_ratio),
            report.ratio_text(cell.floor_ratio), report.size_text(cell.peak_rss_kb),
            f"{cell.client_busy:.0%}", "; ".join(notes)]


def markdown_table(cells: list[HttpCell], section: Section = HTTP1) -> str:
    rows = [header(section), ["---"] * 3 + ["---:"] * (len(HEADER) - 4) + ["---"]]
    rows += [table_row(cell, section) for cell in cells]
    return "\n".join("| " + " | ".join(text.replace("|", "\\|") for text in row) + " |" for row in rows)


def plain_table(cells: list[HttpCell], section: Section = HTTP1) -> str:
    rows = [header(section)] + [table_row(cell, section) for cell in cells]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    lines = []
    for row in rows:
        left = [text.ljust(w) for text, w in zip(row[:3], widths[:3])]
        left += [text.rjust(w) for text, w in zip(row[3:-1], widths[3:])]
        lines.append("  ".join(left) + ("  " + row[-1] if row[-1] else ""))
    return "\n".join(lines)


def targets(cells: list[HttpCell], server: str = "httpd") -> list[str]:
    """The issue's targets on the small file: CPU per request at most nginx's, within 2x the floor."""
    small = [c for c in cells if c.server == server and c.file == FILES[0][0] and c.measured]
    lines = []
    if not small:
        return [f"{server} was not measured on the small file."]
    over_nginx = [c for c in small if c.cpu_ratio is None or c.cpu_ratio > 1.0]
    over_floor = [c for c in small if c.floor_ratio is None or c.floor_ratio > 2.0]
    lines.append(f"{server}'s CPU per request at most nginx's on the small file: "
                 f"{len(small) - len(over_nginx)} of {len(small)} loads"
                 + (f" (not: {', '.join(c.load for c in over_nginx)})" if over_nginx else "") + ".")
    lines.append(f"{server}'s CPU per request within 2× the floor's on the small file: "
                 f"{len(small) - len(over_floor)} of {len(small)} loads"
                 + (f" (not: {', '.join(c.load for c in over_floor)})" if over_floor else "") + ".")
    return lines


def method_text(settings: "HttpSettings") -> str:
    return (f"Servers, each with one worker and pinned to one CPU, the clients pinned to another: "
            f"*floor* (tools/bench/http_floor.cpp: one epoll loop that answers every request head, "
            f"found by its empty line, with a canned 200 holding the file's bytes, sent by writev from "
            f"memory: a copy, so on the large files, where httpd and nginx use sendfile, it is no "
            f"floor; no parsing), "
            f"*httpd* (lab 12, `--quiet`), *nginx* (`worker_processes 1`, `access_log off`, "
            f"`sendfile on`) and *h2o* (`num-threads: 1`, no access log), every one serving the same "
            f"files from a temp dir: small ({FILES[0][2]:,} bytes), 64 KiB and 1 MiB. Every cell is "
            f"a fresh server, asked for its file once before the load. *cN nR mM*: `h2load --h1 -t 1` "
            f"with N connections, R requests in all (a tenth for the 1 MiB file, whose bytes, not "
            f"its requests, take the time), M requests pipelined per connection; "
            f"*wrk cN*: `wrk -t 1 -c N -d {settings.wrk_seconds:g}s --latency`, the only source of "
            f"p50/p99 (h2load gives none). *req/s*: the client's; *CPU/req*: the server's CPU time "
            f"over the client's run (every thread of its process tree, in ns from /proc/PID/task/TID/"
            f"schedstat) divided by the requests answered with a 2xx, connecting and closing "
            f"included: what one request costs the server, whatever the client could drive; "
            f"*vs {BASELINE}*, *vs {FLOOR}*: ratios against that server's cell with the same file "
            f"and load, in this same run. *peak RSS*: the sum of VmHWM over the server's own "
            f"processes (nginx: master and worker). *client busy*: the client's CPU time over its "
            f"run time; at {report.CLIENT_BUSY:.0%} or more it, not the server, may be the limit. "
            f"Loopback only. Rely on CPU/req more than on req/s when the machine is shared (see the "
            f"load average).")


def markdown(cells: list[HttpCell], machine: dict, settings: "HttpSettings") -> str:
    lines = ["# HTTP/1.1 servers side by side: httpd, nginx, h2o and the floor", "",
             markdown_table(cells), "", *[f"- {line}" for line in targets(cells)], "",
             method_text(settings), "", "## The machine and the run", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    return "\n".join(lines) + "\n"


def scenario(load: str) -> str:
    """A load without its number of requests ("c50 m1"), the same for every file: the chart's x."""
    return " ".join(word for word in load.split() if not (word[0] == "n" and word[1:].isdigit()))


def chart_loads(cells: list[HttpCell]) -> list[str]:
    return list(dict.fromkeys(scenario(c.load) for c in cells))


def plot_data(cells: list[HttpCell], section: Section = HTTP1) -> tuple[list[tuple[str, str]], str]:
    """One block per (panel: the file or protocol, server) with a measured point: "x label req/s
    cpu" per load."""
    loads = chart_loads(cells)
    series, blocks = [], []
    for label in dict.fromkeys(getattr(c, section.panel) for c in cells):
        for server in dict.fromkeys(c.server for c in cells):
            points = [c for c in cells if getattr(c, section.panel) == label and c.server == server
                      and c.measured]
            if not points:
                continue
            series.append((label, server))
            rows = [f'{loads.index(scenario(c.load))} "{scenario(c.load)}" {c.requests_per_s:.1f} '
                    f'{report.cpu_point(c.cpu_us_per_request)}' for c in points]
            blocks.append(f"# {label} {server}: index load req/s cpu_us_per_request\n" + "\n".join(rows))
    return series, "\n\n\n".join(blocks) + "\n"


def gnuplot_script(series: list[tuple[str, str]], loads: list[str], data: Path, png: Path,
                   subtitle: str, section: Section = HTTP1) -> str:
    servers = list(dict.fromkeys(server for _, server in series))
    labels = list(dict.fromkeys(label for label, _ in series))
    xtics = ", ".join(f'"{load}" {i}' for i, load in enumerate(loads))
    panels = []
    for column, ylabel in ((4, "server CPU per request, µs (lower is better)"),
                           (3, "requests per second (higher is better)")):
        for label in labels:
            plots = ", ".join(
                f"'{data}' index {i} using 1:{column} with linespoints lw 2 "
                f"{report.series_style(servers.index(server))} ps 1.3 title '{server}'"
                for i, (file, server) in enumerate(series) if file == label)
            if plots:
                title = f"{label} file" if section.panel == "file" else label
                panels.append(f"set title '{title}'\nset ylabel '{ylabel}'\nplot {plots}")
    return f"""set terminal pngcairo size {700 * max(len(labels), 2) - 100},1100 font 'DejaVu Sans,11'
set output '{png}'
set multiplot layout 2,{len(labels)} title "{section.chart_title}\\n{subtitle}"
set logscale y 10
set grid xtics ytics mytics
set key below center horizontal
set xrange [-0.5:{len(loads) - 0.5}]
set xtics ({xtics})
{chr(10).join(panels)}
unset multiplot
"""


# ---------------------------------------------------------------------------------------------------
# The run.

@dataclass
class HttpSettings:
    build: Path
    out: Path
    side: str
    quick: bool = False
    wrk_seconds: int = WRK_SECONDS  # wrk takes whole seconds

    def requests(self, n: int, file: str) -> int:
        """The requests of a scenario for this file: fewer for the 1 MiB file, a tenth for QUICK;
        never under 100 (one per connection at least)."""
        n //= REQUESTS_DIVISOR.get(file, 1)
        return max(100, n // 10 if self.quick else n)

    def loads(self, file: str) -> list[str]:
        return ([f"c{c} n{self.requests(n, file)} m{m}" for c, n, m in H2LOAD]
                + [f"wrk c{c}" for c in WRK_CONNECTIONS])

    def files(self) -> list[tuple[str, str, int]]:
        return FILES[:1] if self.quick else FILES

    def client_timeout(self, load: str) -> float:
        return self.wrk_seconds + 15 if load.startswith("wrk") else 60.0

    def as_json(self) -> dict:
        return {"build": str(self.build), "side": self.side, "quick": self.quick,
                "wrk_seconds": self.wrk_seconds, "files": [list(f) for f in self.files()],
                "loads": {file: self.loads(file) for file, _, _ in self.files()}}


def server_cpu(where: Placement) -> Placement:
    """The server on one CPU (the lowest of those the echo bench gives servers), the client as is."""
    if not where.pinned:
        return where
    return Placement(where.client, frozenset({min(where.server)}))


def missing_clients() -> list[str]:
    return [tool for tool in ("h2load", "wrk") if shutil.which(tool) is None]


def run_all(servers: list[Server], settings: HttpSettings, where: Placement) -> list[HttpCell]:
    cells = []
    with tempfile.TemporaryDirectory(prefix="syslab-bench-http-") as temp:
        root = Path(temp)
        write_files(root)
        for file in settings.files():
            for load in settings.loads(file[0]):
                for server in servers:
                    print(f"  {file[0]:<7} {load:<16} {server.name:<6} ... ", end="", flush=True)
                    cell = run_cell(server, file, load, root, settings, where)
                    print(progress_line(cell), flush=True)
                    cells.append(cell)
    set_ratios(cells)
    return cells


def progress_line(cell: HttpCell) -> str:
    if not cell.measured:
        return f"n/a: {cell.reason}"
    latency = f", p99 {report.latency_text(cell.p99_us)}" if cell.p99_us else ""
    return (f"{report.count_text(cell.requests_per_s)} req/s{latency}, "
            f"{report.cpu_text(cell.cpu_us_per_request)} CPU/req")


def write_outputs(cells: list[HttpCell], settings, machine: dict, section: Section = HTTP1,
                  document: str | None = None) -> list[str]:
    """NAME.md (document: the section's Markdown, this one's by default), NAME.json, NAME.dat and
    NAME.png in settings.out; returns the problems."""
    out, name = settings.out, section.name
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.md").write_text(document if document is not None else markdown(cells, machine, settings))
    (out / f"{name}.json").write_text(json.dumps(
        {"machine": machine, "settings": settings.as_json(),
         "cells": [dataclasses.asdict(cell) for cell in cells]}, indent=2, ensure_ascii=False) + "\n")
    series, data = plot_data(cells, section)
    (out / f"{name}.dat").write_text(data)
    png = out / f"{name}.png"
    png.unlink(missing_ok=True)
    if not series:
        return ["no HTTP server was measured: there is nothing to plot"]
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        return [f"gnuplot is missing (bash tools/bootstrap.sh bench installs it): no {name}.png"]
    subtitle = f"{machine['CPU']}, load average {machine['load average at the start'].split(' (')[0]}"
    script = gnuplot_script(series, chart_loads(cells), out / f"{name}.dat", png, subtitle.replace('"', "'"),
                            section)
    (out / f"{name}.gp").write_text(script)
    result = subprocess.run([gnuplot, str(out / f"{name}.gp")], capture_output=True, text=True)
    if result.returncode != 0 or not png.is_file():
        return [f"gnuplot failed: {result.stderr.strip()[-1000:]}"]
    return []


def run_http_bench(settings: HttpSettings, command: str, ninja, build_info: dict) -> tuple[list[HttpCell], list[str]]:
    """Builds the floor and httpd (ninja: bench.py's), runs every cell, writes the outputs."""
    missing = missing_clients()
    if missing:
        return [], [f"{' and '.join(missing)} missing (bash tools/bootstrap.sh bench installs them): "
                    "no HTTP/1.1 section"]
    servers = known_servers(settings.build, settings.side)
    problems = []
    for target in (FLOOR_TARGET, f"{labs_mod.SIDE_DIRS[settings.side]}/{HTTPD_LAB}/httpd"):
        failure = ninja(settings.build, target)
        if failure:
            problems.append(f"{target} does not build:\n{failure}")
    if problems:
        return [], problems
    cells, machine = measured_run(command, build_info, lambda where: run_all(servers, settings, where))
    machine["clients"] = client_versions()
    problems += write_outputs(cells, settings, machine)
    if not problems and not settings.quick and all(c.measured for c in cells):
        SLIDES_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(settings.out / "http1.png", SLIDES_IMAGE)
        print(f"  copied the chart to {os.path.relpath(SLIDES_IMAGE)} (the lab 12 deck shows it)")
    return cells, problems


def measured_run(command: str, build_info: dict, run, place=None) -> tuple[list[HttpCell], dict]:
    """run(placement) -> cells, with the server on one CPU (or where place(usable CPUs) says) and
    the fd limit raised; the machine's description with the load average at the start and at the
    end."""
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    usable = os.sched_getaffinity(0)
    where = place(usable) if place else server_cpu(placement(usable))
    info = build_info | {"placement": where.text(len(os.sched_getaffinity(0)))}
    machine = report.machine_description(labs_mod.ROOT, info, command, started)
    with raised_fd_limit():
        cells = run(where)
    machine["load average at the end"] = report.first_match("/proc/loadavg", "").rsplit(" ", 2)[0]
    return cells, machine


@contextlib.contextmanager
def raised_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


VERSION_COMMANDS = [["h2load", "--version"], ["wrk", "--version"], ["nginx", "-v"], ["h2o", "--version"]]


def client_versions(commands: list[list[str]] = VERSION_COMMANDS) -> str:
    """The first line each of the commands prints, joined by "; "."""
    def first(command: list[str]) -> str:
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return "?"
        lines = (result.stdout + result.stderr).strip().splitlines()
        return lines[0].strip() if lines else "?"
    return "; ".join(first(command) for command in commands)


# ---------------------------------------------------------------------------------------------------
# make test's smoke test: the section end to end in a few seconds, in the build make test has.

SMOKE_LOADS = ["c10 n100 m1", "wrk c10"]


def smoke_test(build: Path, side: str, ninja) -> list[str]:
    """The floor and httpd (nginx and h2o too when installed) on the small file, one h2load and
    one short wrk load each: every cell measured, the outputs written."""
    if missing_clients():
        return [f"{' and '.join(missing_clients())} missing: the HTTP/1.1 section cannot run"]
    for target in (FLOOR_TARGET, f"{labs_mod.SIDE_DIRS[side]}/{HTTPD_LAB}/httpd"):
        failure = ninja(build, target)
        if failure:
            return [f"{target} does not build:\n{failure}"]
    with tempfile.TemporaryDirectory(prefix="syslab-bench-http-smoke-") as temp:
        root = Path(temp)
        settings = HttpSettings(build=build, out=root / "out", side=side, quick=True, wrk_seconds=1)
        write_files(root)
        where = server_cpu(placement(os.sched_getaffinity(0)))
        cells = [run_cell(server, FILES[0], load, root, settings, where)
                 for load in SMOKE_LOADS for server in known_servers(build, side)]
        set_ratios(cells)
        machine = report.machine_description(labs_mod.ROOT, {"placement": where.text(2)}, "make test", "now")
        problems = write_outputs(cells, settings, machine)
        if not problems and not (settings.out / "http1.png").read_bytes().startswith(b"\x89PNG"):
            problems.append("http1.png is not a PNG")
    for cell in cells:
        optional = cell.server in ("nginx", "h2o") and "not installed" in cell.reason
        if not optional and (not cell.measured or not cell.cpu_us_per_request or cell.peak_rss_kb <= 0):
            problems.append(f"{cell.server} under {cell.load}: not measured: {dataclasses.asdict(cell)}")
    return problems
