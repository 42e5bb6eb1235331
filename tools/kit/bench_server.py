"""One cell of make bench: start a server on port 0, run the load client against it while
sampling the server's process tree from /proc, then stop the server with SIGTERM (SIGKILL only
when it does not stop) and say so. Everything has a deadline; nothing is left running."""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .bench_report import Cell

LISTEN_TIMEOUT = 10.0   # seconds for the server to print "listening on ADDRESS:PORT"
STOP_TIMEOUT = 10.0     # seconds for SIGTERM to end it (its connections are closed by then)
LISTENING = re.compile(rb"listening on (\S+):(\d+)")


class ServerError(Exception):
    """The cell cannot be measured; the message says why."""


# ---------------------------------------------------------------------------------------------------
# /proc: the server's process tree and what it holds.

def parent_map() -> dict[int, list[int]]:
    """ppid -> pids, from every /proc/PID/stat (this kernel has no /proc/PID/task/TID/children)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue  # it exited while we looked
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def process_tree(root: int) -> list[int]:
    children = parent_map()
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def status_fields(text: str) -> dict[str, int]:
    """VmRSS and VmHWM (kB) and Threads from the text of /proc/PID/status (0 for a zombie)."""
    found = {"VmRSS": 0, "VmHWM": 0, "Threads": 0}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in found:
            found[key] = int(value.split()[0])
    return found


def pss_kb(text: str) -> int:
    """Pss (kB) from the text of /proc/PID/smaps_rollup: RSS with each shared page divided among
    the processes that share it, so a tree's sum is the memory it really holds."""
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def reaped_ticks(stat: str) -> int:
    """cutime + cstime (clock ticks) from the text of /proc/PID/stat: the CPU of the children the
    process has waited for (a child of the fork model that ends inside the measured window is gone
    from /proc, but its time is here once it is reaped)."""
    fields = stat.rsplit(")", 1)[1].split()  # fields from the 3rd (state) on; comm may hold spaces
    return int(fields[13]) + int(fields[14])


def run_ns(schedstat: str) -> int:
    """The time a thread has run (utime + stime, in ns) from /proc/PID/task/TID/schedstat. Not
    utime + stime of /proc/PID/stat: those are rounded down to a 10 ms tick per process, and a
    fork server's hundreds of children each run a few ms: the sum would lose nearly all of it."""
    return int(schedstat.split()[0])


def process_cpu_ns(pid: int, ticks_per_s: int) -> int:
    """A process's live threads plus its reaped children, in ns."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            total += run_ns(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text())
        except OSError:
            continue  # the thread ended while we looked
    stat = Path(f"/proc/{pid}/stat").read_text()
    return total + reaped_ticks(stat) * 1_000_000_000 // ticks_per_s


def tree_cpu_ns(root: int) -> int:
    """The CPU of the server's process tree so far, in ns: every live thread's run time, and the
    children reaped so far. Lost: threads that ended (their time moves to a counter that only
    /proc/PID/stat shows, in ticks) and children not waited for; the kit's servers end neither
    inside the measured window (their threads and children live as long as a connection)."""
    total = 0
    for pid in process_tree(root):
        try:
            total += process_cpu_ns(pid, TICKS_PER_S)
        except OSError:
            continue  # reaped while we looked: its time is in its parent's cutime from now on
    return total


def cpu_per_round_trip_us(nanoseconds: int, round_trips: int) -> float | None:
    """The server's CPU time per round trip in microseconds (None when nothing was served)."""
    if round_trips <= 0:
        return None
    return nanoseconds / 1000 / round_trips


TICKS_PER_S = os.sysconf("SC_CLK_TCK")


class TreeSampler:
    """Samples the tree in a thread until stopped, and whenever sample() is called; keeps the
    peaks. Sampling costs CPU that the server and the client share, so between samples the thread
    waits 10 times as long as a sample took, and at least 0.5 s (under 10 % of one core)."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_rss_kb = self.peak_pss_kb = self.threads = self.processes = 0
        self.hwm: dict[int, int] = {}
        self.cpu_ns: dict[str, int] = {}  # phase ("connected", "measured") -> tree_cpu_ns
        self._stop = threading.Event()
        self._lock = threading.Lock()  # sample() runs on the sampling thread and at handshakes
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            self.sample()
            self._stop.wait(max(0.5, 10 * (time.monotonic() - began)))

    def sample(self, phase: str = "") -> None:
        """A sample; at a phase of the load client, also the tree's CPU so far."""
        with self._lock:
            if phase:
                self.cpu_ns[phase] = tree_cpu_ns(self.root)
            self._sample()

    def window_ns(self) -> int | None:
        """The server's CPU between the client's two handshakes: the measured window."""
        if "connected" not in self.cpu_ns or "measured" not in self.cpu_ns:
            return None
        return self.cpu_ns["measured"] - self.cpu_ns["connected"]

    def _sample(self) -> None:
        rss = pss = threads = processes = 0
        for pid in process_tree(self.root):
            try:
                fields = status_fields(Path(f"/proc/{pid}/status").read_text())
                pss += pss_kb(Path(f"/proc/{pid}/smaps_rollup").read_text())
            except OSError:
                continue  # it exited while we looked
            rss += fields["VmRSS"]
            threads += fields["Threads"]
            processes += 1
            self.hwm[pid] = max(self.hwm.get(pid, 0), fields["VmHWM"])
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        self.threads = max(self.threads, threads)
        self.processes = max(self.processes, processes)


# ---------------------------------------------------------------------------------------------------
# Where the server and the client run: on different CPUs when there are two, so that neither
# takes the other's time and the server's CPU per round trip is its own.

@dataclass(frozen=True)
class Placement:
    client: frozenset[int] | None   # None: not pinned
    server: frozenset[int] | None

    @property
    def pinned(self) -> bool:
        return self.server is not None

    def text(self, usable: int) -> str:
        if not self.pinned:
            return f"not pinned: {usable} usable CPU, shared by the load client and the server"
        return (f"pinned: the load client on CPU {cpu_list(self.client)}, the server on CPU "
                f"{cpu_list(self.server)} ({usable} usable)")


def cpu_list(cpus: frozenset[int]) -> str:
    return ",".join(map(str, sorted(cpus)))


def placement(usable: set[int]) -> Placement:
    """With two or more usable CPUs, the client on the lowest and the server on all the others
    (CPU 0 and CPU 1 on a two-core machine); with one, nobody is pinned."""
    if len(usable) < 2:
        return Placement(None, None)
    first = min(usable)
    return Placement(frozenset({first}), frozenset(usable - {first}))


@contextlib.contextmanager
def affinity(cpus: frozenset[int] | None):
    """The calling thread runs on cpus while inside, so a process it starts inherits them from
    its first instruction (affinity is per thread: the sampling thread is not moved)."""
    if cpus is None:
        yield
        return
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, saved)


# ---------------------------------------------------------------------------------------------------
# The server's life: start, wait for its address, stop.

def wait_listening(server: subprocess.Popen, timeout: float) -> int:
    """The port from the server's "listening on ADDRESS:PORT" line."""
    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([server.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(server.stdout.fileno(), 4096)
        if not chunk:
            raise ServerError("the server exited before it listened")
        seen += chunk
        match = LISTENING.search(seen)
        if match:
            return int(match[2])
    raise ServerError(f"the server did not say \"listening on\" within {timeout:g} s")


def drain(stream) -> None:
    """Reads the server's stdout to the end, so a chatty server never blocks on a full pipe."""
    def read_to_end() -> None:
        try:
            stream.read()
        except (OSError, ValueError):
            pass  # closed under us once the server is gone
    threading.Thread(target=read_to_end, daemon=True).start()


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def stop_server(server: subprocess.Popen, cell: Cell) -> None:
    """SIGTERM, then SIGKILL to its whole process group if it has not stopped in STOP_TIMEOUT."""
    if server.poll() is not None:
        cell.notes.append(f"the server had already exited ({server.returncode}) before SIGTERM")
        cell.stopped_by = "exited"
    else:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=STOP_TIMEOUT)
            cell.stopped_by = "SIGTERM"
            if server.returncode != 0:
                cell.notes.append(f"the server exited {server.returncode} after SIGTERM")
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            cell.stopped_by = "SIGKILL"
            cell.notes.append(f"SIGTERM did not stop the server in {STOP_TIMEOUT:g} s: SIGKILL")
    deadline = time.monotonic() + 2
    while group_alive(server.pid) and time.monotonic() < deadline:
        time.sleep(0.05)   # orphans being reaped by init; no event tells us when
    if group_alive(server.pid):
        os.killpg(server.pid, signal.SIGKILL)
        cell.notes.append("processes of the server outlived it: SIGKILL to its group")


def server_stderr(log) -> str:
    """The first line the server wrote to stderr: its error message comes before any usage."""
    log.seek(0)
    lines = [line.strip() for line in log.read().decode(errors="replace").splitlines() if line.strip()]
    return lines[0] if lines else ""


def kill_quietly(server: subprocess.Popen) -> None:
    """A server that never listened: nothing to measure, nothing to say about how it stopped."""
    if group_alive(server.pid):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


def lines_until(stream, deadline: float):
    """The lines of a pipe as they come, until EOF; ServerError when the deadline passes first."""
    pending = b""
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([stream], [], [], max(0.0, left))
        if not ready:
            raise ServerError("the load client did not finish before its deadline")
        chunk = os.read(stream.fileno(), 65536)
        if not chunk:
            return
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from (line for line in lines if line.strip())


def run_load(load_command: list[str], port: int, timeout: float, sampler: TreeSampler,
             cpus: frozenset[int] | None = None) -> dict:
    """echo-load's JSON result. At its two handshakes (all connected; time up, nothing closed
    yet) the server's tree is sampled before the client goes on, so the peaks are never missed
    however slow sampling a large tree is. ServerError when it fails or overruns its deadline."""
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryFile() as errors:
        with affinity(cpus):
            client = subprocess.Popen(load_command + ["--port", str(port), "--handshake"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
        try:
            result = None
            for line in lines_until(client.stdout, deadline):
                message = json.loads(line)
                if "phase" not in message:
                    result = message
                    continue
                sampler.sample(message["phase"])
                client.stdin.write(b"go\n")
                client.stdin.flush()
            client.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise ServerError("the load client did not finish before its deadline") from None
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
            client.stdin.close()
            client.stdout.close()
        if client.returncode != 0 or result is None:
            errors.seek(0)
            first = (errors.read().decode(errors="replace").strip().splitlines() or ["failed"])[0]
            raise ServerError(f"echo-load exited {client.returncode}: {first}")
        return result


def run_server(server_command: list[str], load_command: list[str], timeout: float, cell: Cell,
               where: Placement = Placement(None, None)) -> None:
    """Fills cell from one run of the load client against a fresh server."""
    with tempfile.TemporaryFile() as log:
        with affinity(where.server):
            server = subprocess.Popen(server_command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=log, start_new_session=True)
        try:
            port = wait_listening(server, LISTEN_TIMEOUT)
        except ServerError as error:
            kill_quietly(server)
            server.stdout.close()
            raise ServerError(f"{error}: {server_stderr(log)}".rstrip(": ")) from None
        try:
            drain(server.stdout)
            with TreeSampler(server.pid) as sampler:
                cell.load = run_load(load_command, port, timeout, sampler, where.client)
            cell.server_cpu_s = (sampler.window_ns() or 0) / 1e9
            cell.server_cpu_us_per_rt = cpu_per_round_trip_us(sampler.window_ns() or 0,
                                                              int(cell.load.get("requests", 0)))
            cell.peak_rss_kb, cell.peak_pss_kb = sampler.peak_rss_kb, sampler.peak_pss_kb
            cell.threads, cell.processes = sampler.threads, sampler.processes
            cell.hwm_sum_kb = sum(sampler.hwm.values())
            if cell.load.get("connections_established", 0) == 0:
                cell.status, cell.reason = "n/a", "no connection was established"
        finally:
            stop_server(server, cell)
            server.stdout.close()
