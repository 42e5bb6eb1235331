"""make bench's HTTP/2 section: lab 13's httpd beside nghttpd, h2o and nginx.

The same machinery as the HTTP/1.1 section (tools/kit/bench_http.py): every server with one
worker, pinned to one CPU, serving the same small file from a temp dir, the client pinned to
another; each cell a fresh server, asked once before the load, measured, stopped. The load is
h2load in h2c (prior knowledge, on the clear-text port) and in h2 over TLS (ALPN), at c10/n100,
c50/n5000 and c100/n10000, each with -m 1 and -m 5 (concurrent streams per connection). h2load's
--log-file gives every request's time, hence p50/p99. The table: req/s, p50/p99, the server's CPU
per request (schedstat), its peak RSS (VmHWM), and the ratios against nghttpd (the same nghttp2
library underneath) and nginx. Results: build-bench/bench/h2.{md,json,png}.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import bench_http as http
from . import bench_report as report
from . import labs as labs_mod
from .bench_http import CellError, HttpCell, Section
from .bench_server import Placement

BASELINE = "nghttpd"  # req/s and CPU ratios against it: nghttp2's own server
SECOND = "nginx"      # the second CPU target
HTTPD_LAB = "13-http2"
SECTION = Section("h2", BASELINE, SECOND, "protocol", "HTTP/2: one worker each, h2load on loopback")
SLIDES_IMAGE = labs_mod.ROOT / "slides" / "img" / "bench-h2.png"
H2C, TLS = "h2c", "h2 TLS"
PROTOCOLS = [H2C, TLS]
ALPN = {H2C: "h2c", TLS: "h2"}  # what h2load must report as the application protocol
FILE = http.FILES[0]            # the small file: what one request costs, not its bytes
PROBE_TIMEOUT = 2.0
# Every server gets the same handshake: TLS 1.3 (nginx 1.22 allows only up to 1.2 unless told)
# with the one cipher the client offers.
TLS13_CIPHER = "TLS_AES_128_GCM_SHA256"


@dataclass
class H2Server:
    name: str
    program: str
    prints_port: bool

    def command(self, root: Path, protocol: str, port: int) -> list[str]:
        """The server's command line for one protocol; the certificate and key are root's."""
        tls = protocol == TLS
        cert, key = str(root / "cert.pem"), str(root / "key.pem")
        if self.name == "httpd":
            return [self.program, "--port", "0", "--root", str(root / "www"), "--quiet",
                    *(["--tls-port", "0", "--cert", cert, "--key", key] if tls else [])]
        if self.name == BASELINE:
            return [self.program, "-a", "127.0.0.1", "-d", str(root / "www"),
                    *([str(port), key, cert] if tls else ["--no-tls", str(port)])]
        if self.name == "nginx":
            conf = http.write_nginx_conf(
                root, port, "ssl http2" if tls else "http2",
                f"    ssl_certificate {cert};\n    ssl_certificate_key {key};\n"
                f"    ssl_protocols TLSv1.2 TLSv1.3;\n" if tls else "")
            return [self.program, "-p", str(root), "-e", str(root / "nginx-error.log"), "-c", str(conf)]
        if self.name == "h2o":
            ssl = f"  ssl:\n    certificate-file: {cert}\n    key-file: {key}\n" if tls else ""
            return [self.program, "-c", str(http.write_h2o_conf(root, port, ssl))]
        raise ValueError(self.name)


def known_servers(build: Path, side: str) -> list[H2Server]:
    return [
        H2Server("httpd", str(build / labs_mod.SIDE_DIRS[side] / HTTPD_LAB / "httpd"), True),
        H2Server(BASELINE, shutil.which("nghttpd") or "/usr/bin/nghttpd", False),
        H2Server("h2o", shutil.which("h2o") or "/usr/bin/h2o", False),
        H2Server("nginx", shutil.which("nginx") or "/usr/sbin/nginx", False),
    ]


def cert_target(side: str) -> str:
    return f"{labs_mod.SIDE_DIRS[side]}/{HTTPD_LAB}/tls-cert.pem"


def copy_tls_pair(build: Path, side: str, root: Path) -> None:
    """The build's self-signed pair (solutions/13-http2/meson.build) into the temp dir, readable
    by every server."""
    programs = build / labs_mod.SIDE_DIRS[side] / HTTPD_LAB
    for name, target in (("tls-cert.pem", "cert.pem"), ("tls-key.pem", "key.pem")):
        shutil.copyfile(programs / name, root / target)
        (root / target).chmod(0o644)


# ---------------------------------------------------------------------------------------------------
# One cell: bench_http's, with h2load speaking HTTP/2 and its per-request log.

def url(protocol: str, port: int) -> str:
    return f"{'https' if protocol == TLS else 'http'}://127.0.0.1:{port}/{FILE[1]}"


def client_command(load: str, protocol: str, port: int, log: Path) -> list[str]:
    words = {word[0]: word[1:] for word in load.split()}
    return ["h2load", "-t", "1", "-c", words["c"], "-n", words["n"], "-m", words["m"],
            f"--tls13-ciphers={TLS13_CIPHER}", "--log-file", str(log), url(protocol, port)]


def wait_answering(protocol: str, port: int, server: subprocess.Popen, deadline: float, log: Path) -> None:
    """Until one request over HTTP/2 is answered 2xx (h2load -n 1): the worker is up, the file is
    cached and, over TLS, the certificate loaded. nghttpd and nginx's h2c port speak no HTTP/1.1."""
    last = ""
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CellError(f"it exited ({server.returncode}): {http.first_line(log)}")
        try:
            probe = subprocess.run(["h2load", "-c", "1", "-n", "1", url(protocol, port)],
                                   capture_output=True, text=True, timeout=PROBE_TIMEOUT)
            last = probe.stdout + probe.stderr
            if probe.returncode == 0 and "status codes: 1 2xx" in last:
                return
        except subprocess.TimeoutExpired:
            last = f"h2load -n 1 took more than {PROBE_TIMEOUT:g} s"
        time.sleep(0.05)
    raise CellError(f"no answer over {protocol} within {http.READY_TIMEOUT:g} s: {last.strip()[-200:]}")


def run_cell(server: H2Server, protocol: str, load: str, root: Path, settings: "H2Settings",
             where: Placement) -> HttpCell:
    cell = HttpCell(server.name, FILE[0], load, protocol=protocol)
    if not Path(server.program).is_file():
        cell.status, cell.reason = "n/a", f"{server.program} is not installed"
        return cell
    port = 0 if server.prints_port else http.free_port()
    log, requests = root / f"{server.name}.log", root / "h2load-requests.tsv"
    try:
        with http.started(server.command(root, protocol, port), log, where, cell) as process:
            deadline = time.monotonic() + http.READY_TIMEOUT
            if server.prints_port:
                port = http.read_port(log, process, deadline, which=1 if protocol == TLS else 0)
            wait_answering(protocol, port, process, deadline, log)
            requests.unlink(missing_ok=True)  # h2load appends to it
            text = http.measure(cell, process, server.program,
                                client_command(load, protocol, port, requests), where,
                                settings.client_timeout(load))
            fill_cell(cell, text, requests.read_text())
    except CellError as error:
        cell.status, cell.reason = "n/a", str(error)
    return cell


def fill_cell(cell: HttpCell, text: str, request_log: str) -> None:
    """h2load's summary and its per-request log into the cell; refused when the protocol that was
    negotiated is not the one asked for (an ALPN that fell back to HTTP/1.1 measures HTTP/1.1)."""
    spoken = application_protocol(text)
    if spoken != ALPN[cell.protocol]:
        raise CellError(f"h2load spoke {spoken or 'nothing'}, not {ALPN[cell.protocol]}")
    result = http.parse_h2load(text)
    result["p50_us"], result["p99_us"] = percentiles_us(request_log)
    http.fill_from_client(cell, result)
    if cell.protocol == TLS:
        cell.notes.append(tls_text(text))


# ---------------------------------------------------------------------------------------------------
# h2load's output.

def application_protocol(text: str) -> str:
    match = re.search(r"^Application protocol: (\S+)", text, re.MULTILINE)
    return match[1] if match else ""


def tls_text(text: str) -> str:
    """"TLSv1.3 TLS_AES_256_GCM_SHA384": what the handshake chose, the same for every server?"""
    version = re.search(r"^TLS Protocol: (\S+)", text, re.MULTILINE)
    cipher = re.search(r"^Cipher: (\S+)", text, re.MULTILINE)
    return f"{version[1] if version else '?'} {cipher[1] if cipher else '?'}"


def percentiles_us(request_log: str) -> tuple[float | None, float | None]:
    """p50 and p99 (nearest rank) of the 2xx requests' times in h2load's --log-file: one line
    per request, "start µs<TAB>status<TAB>µs until the end of the response" (status -1: failed)."""
    times = []
    for line in request_log.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and fields[1].isdigit() and 200 <= int(fields[1]) < 300:
            times.append(float(fields[2]))
    if not times:
        return None, None
    times.sort()
    rank = lambda percent: times[max(0, -(-len(times) * percent // 100) - 1)]  # noqa: E731
    return rank(50), rank(99)


# ---------------------------------------------------------------------------------------------------
# The report.

def targets(cells: list[HttpCell], server: str = "httpd") -> list[str]:
    """The issue's target: on h2c, the CPU per request at most nghttpd's and at most nginx's."""
    h2c = [c for c in cells if c.server == server and c.protocol == H2C and c.measured]
    if not h2c:
        return [f"{server} was not measured on h2c."]
    lines = []
    for other, ratio in ((BASELINE, lambda c: c.cpu_ratio), (SECOND, lambda c: c.floor_ratio)):
        over = [c.load for c in h2c if ratio(c) is None or ratio(c) > 1.0]
        lines.append(f"{server}'s CPU per request on h2c at most {other}'s: {len(h2c) - len(over)} of "
                     f"{len(h2c)} loads" + (f" (not: {', '.join(over)})" if over else "") + ".")
    return lines


def method_text(settings: "H2Settings") -> str:
    return (f"Servers, each with one worker and pinned to one CPU, the client pinned to another: "
            f"*httpd* (lab 13, `--quiet`; over TLS its `--tls-port` with the build's self-signed "
            f"P-256 pair), *{BASELINE}* (Debian's nghttp2-server: one thread, the same nghttp2 "
            f"library as httpd), *h2o* (`num-threads: 1`, no access log) and *nginx* "
            f"(`worker_processes 1`, `access_log off`, `listen ... http2`, with `ssl` over TLS), "
            f"every one serving the same small file ({FILE[2]:,} bytes) from a temp dir, with the "
            f"same certificate. Every cell is a fresh server, asked for the file once over HTTP/2 "
            f"before the load. *h2c*: HTTP/2 with prior knowledge on the clear-text port; *h2 TLS*: "
            f"HTTP/2 chosen by ALPN; a cell where h2load reports another application protocol is "
            f"refused. *cN nR mM*: `h2load -t 1` with N connections, R requests in all, at most M "
            f"concurrent streams per connection. *req/s*: the client's; *p50*, *p99*: of the 2xx "
            f"requests' times in h2load's `--log-file` (request sent to response ended); "
            f"*CPU/req*: the server's CPU time over the client's run (every thread of its process "
            f"tree, from /proc/PID/task/TID/schedstat) divided by the requests answered 2xx, "
            f"connecting, the TLS handshake and closing included; *vs {BASELINE}*, *vs {SECOND}*: "
            f"ratios against that server's cell with the same protocol and load, in this same run. "
            f"*peak RSS*: the sum of VmHWM over the server's own processes. *client busy*: the "
            f"client's CPU time over its run time; at {report.CLIENT_BUSY:.0%} or more it may be "
            f"the limit. The notes name the TLS version and cipher the handshake chose. Loopback "
            f"only. Rely on CPU/req more than on req/s when the machine is shared (see the load "
            f"average)." + (" **A QUICK run: a tenth of the requests.**" if settings.quick else ""))


def markdown(cells: list[HttpCell], machine: dict, settings: "H2Settings") -> str:
    lines = ["# HTTP/2 servers side by side: httpd, nghttpd, h2o and nginx", "",
             http.markdown_table(cells, SECTION), "", *[f"- {line}" for line in targets(cells)], "",
             method_text(settings), "", "## The machine and the run", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    return "\n".join(lines) + "\n"


def plain_table(cells: list[HttpCell]) -> str:
    return http.plain_table(cells, SECTION)


# ---------------------------------------------------------------------------------------------------
# The run.

@dataclass
class H2Settings(http.HttpSettings):
    """bench_http's settings (a tenth of the requests when QUICK), one file, h2load only."""

    def loads(self, file: str = FILE[0]) -> list[str]:
        return [f"c{c} n{self.requests(n, file)} m{m}" for c, n, m in http.H2LOAD]

    def files(self) -> list[tuple[str, str, int]]:
        return [FILE]

    def client_timeout(self, load: str) -> float:
        return 60.0

    def as_json(self) -> dict:
        return {"build": str(self.build), "side": self.side, "quick": self.quick, "file": list(FILE),
                "protocols": PROTOCOLS, "loads": self.loads()}


def heading(settings: H2Settings) -> str:
    return (f"syslab bench h2: {len(PROTOCOLS)} protocols x {len(settings.loads())} loads x "
            f"{len(known_servers(settings.build, settings.side))} servers, one worker each")


def run_all(servers: list[H2Server], settings: H2Settings, where: Placement) -> list[HttpCell]:
    cells = []
    with tempfile.TemporaryDirectory(prefix="syslab-bench-h2-") as temp:
        root = Path(temp)
        http.write_files(root)
        copy_tls_pair(settings.build, settings.side, root)
        for protocol in PROTOCOLS:
            for load in settings.loads():
                for server in servers:
                    print(f"  {protocol:<6} {load:<16} {server.name:<7} ... ", end="", flush=True)
                    cell = run_cell(server, protocol, load, root, settings, where)
                    print(http.progress_line(cell), flush=True)
                    cells.append(cell)
    http.set_ratios(cells, SECTION)
    return cells


def run_bench(settings: H2Settings, command: str, ninja, build_info: dict) -> tuple[list[HttpCell], list[str]]:
    """Builds httpd and its certificate (ninja: bench.py's), runs every cell, writes the outputs."""
    if shutil.which("h2load") is None:
        return [], ["h2load missing (bash tools/bootstrap.sh installs nghttp2-client): no HTTP/2 section"]
    if HTTPD_LAB not in {lab.name for lab in labs_mod.all_labs()}:
        return [], [f"lab {HTTPD_LAB} is not in labs/labs.txt: no HTTP/2 section"]
    for target in (f"{labs_mod.SIDE_DIRS[settings.side]}/{HTTPD_LAB}/httpd", cert_target(settings.side)):
        failure = ninja(settings.build, target)
        if failure:
            return [], [f"{target} does not build:\n{failure}"]
    servers = known_servers(settings.build, settings.side)
    cells, machine = http.measured_run(command, build_info, lambda where: run_all(servers, settings, where))
    machine["clients"] = http.client_versions(
        [["h2load", "--version"], ["nghttpd", "--version"], ["h2o", "--version"], ["nginx", "-v"]])
    problems = http.write_outputs(cells, settings, machine, SECTION, markdown(cells, machine, settings))
    if not problems and not settings.quick and all(c.measured for c in cells):
        SLIDES_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(settings.out / f"{SECTION.name}.png", SLIDES_IMAGE)
        print(f"  copied the chart to {os.path.relpath(SLIDES_IMAGE)} (for the lab 13 deck)")
    return cells, problems
