"""Tests of make bench's seed section (the seed's h1-vs-h2 table: tools/kit/bench_seed.py), its
ASGI app (tools/bench/asgi_app.py) and the workers section (tools/kit/bench_workers.py): command
lines, h2load's output, the table with the seed's layout, the chart's inputs, and the workers'
rows run against a fake lab 14. (The measuring itself is proved end to end by make test's bench
phase: tools/kit/bench.py smoke_test.)

Run from the repository root: python3 -m unittest discover -s tests/tools -t .
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import importlib.util
import os
import socket
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from kit import bench, bench_seed, bench_workers, labs  # noqa: E402
from kit.bench_http import CellError, HttpCell  # noqa: E402
from kit.bench_server import Placement  # noqa: E402

H1, H2C, TLS = bench_seed.H1, bench_seed.H2C, bench_seed.TLS

H2LOAD_H1_OUTPUT = """starting benchmark...
Application protocol: http/1.1
finished in 30.00ms, 3333.33 req/s, 3.50MB/s
requests: 100 total, 100 started, 100 done, 98 succeeded, 2 failed, 0 errored, 0 timeout
status codes: 98 2xx, 0 3xx, 2 4xx, 0 5xx
traffic: 110.00KB (112640) total, 9.00KB (9216) headers (space savings 0.00%), 100.00KB (102400) data
"""

# Hypercorn's "HTTP/1.1 200 " (no reason phrase): h2load 1.52 reads no status, and fails them all.
H2LOAD_NO_STATUS_OUTPUT = """starting benchmark...
Application protocol: http/1.1
finished in 48.49ms, 2062.50 req/s, 2.31MB/s
requests: 100 total, 100 started, 100 done, 0 succeeded, 100 failed, 0 errored, 0 timeout
status codes: 0 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 112.11KB (114800) total, 8.89KB (9100) headers (space savings 0.00%), 97.00KB (99328) data
"""


def cell(server: str, protocol: str, rps: float, load: str = "c10 n100 m1", **fields) -> HttpCell:
    return HttpCell(server, "small", load, protocol=protocol, requests=100, requests_per_s=rps,
                    cpu_us_per_request=20.0, **fields)


def h2_only(server: str, load: str = "c10 n100 m1") -> HttpCell:
    return HttpCell(server, "small", load, protocol=H1, status="n/a", reason=bench_seed.H2_ONLY)


def servers(build: str = "/b") -> dict[str, bench_seed.SeedServer]:
    return {s.name: s for s in bench_seed.known_servers(Path(build), "solution")}


class SeedCommands(unittest.TestCase):
    def test_hypercorn_runs_one_asyncio_worker_of_the_kits_app_on_the_socket_it_is_given(self):
        root = Path("/r")
        clear = bench_seed.hypercorn_command("/usr/bin/hypercorn", root, H1, 7)
        self.assertEqual(clear[:7], ["/usr/bin/hypercorn", "--bind", "fd://7", "--workers", "1",
                                     "--worker-class", "asyncio"])
        self.assertEqual(clear[-1], f"{ROOT}/tools/bench/asgi_app.py:app")
        self.assertNotIn("--certfile", clear)
        self.assertEqual(bench_seed.hypercorn_command("h", root, H2C, 7), clear[:0] + ["h"] + clear[1:])
        tls = bench_seed.hypercorn_command("h", root, TLS, 9)
        self.assertIn("fd://9", tls)
        self.assertEqual(tls[tls.index("--certfile") + 1], "/r/cert.pem")
        self.assertEqual(tls[tls.index("--keyfile") + 1], "/r/key.pem")

    def test_every_server_speaks_h2_and_all_but_nghttpd_h1(self):
        found = servers()
        self.assertEqual(list(found), ["httpd", "hypercorn", "nghttpd", "h2o", "nginx"])
        self.assertEqual(found["nghttpd"].protocols, (H2C, TLS))
        for name in ("httpd", "hypercorn", "h2o", "nginx"):
            self.assertEqual(found[name].protocols, (H1, H2C, TLS), name)
        self.assertEqual(found["httpd"].program, "/b/solutions/13-http2/httpd")
        self.assertTrue(found["hypercorn"].passed_socket)
        self.assertFalse(found["httpd"].passed_socket)

    def test_each_protocol_gets_its_own_server_command(self):
        found = servers()
        with tempfile.TemporaryDirectory() as temp:
            root = Path(temp)
            httpd_h1 = found["httpd"].command(root, H1, 0)
            self.assertEqual(httpd_h1[:3], ["/b/solutions/13-http2/httpd", "--port", "0"])
            self.assertNotIn("--tls-port", httpd_h1)
            self.assertIn("--tls-port", found["httpd"].command(root, TLS, 0))
            found["nginx"].command(root, H1, 8080)
            nginx_h1 = (root / "nginx.conf").read_text()
            found["nginx"].command(root, H2C, 8080)
            nginx_h2c = (root / "nginx.conf").read_text()
            self.assertEqual(found["nghttpd"].command(root, H2C, 8080)[-2:], ["--no-tls", "8080"])
            self.assertIn("fd://5", found["hypercorn"].command(root, H1, 5))
        # nginx 1.22's "listen ... http2" speaks h2c with prior knowledge only: h1 has a plain listen.
        self.assertIn("listen 127.0.0.1:8080;", nginx_h1)
        self.assertIn("listen 127.0.0.1:8080 http2;", nginx_h2c)

    def test_a_protocol_the_server_does_not_speak_or_a_missing_server_is_not_run(self):
        settings = bench_seed.SeedSettings(build=Path("/b"), out=Path("/o"), side="solution")
        with mock.patch.object(bench_seed.http, "started", side_effect=AssertionError("started")):
            skipped = bench_seed.run_cell(servers()["nghttpd"], H1, "c10 n100 m1", Path("/r"), settings,
                                          Placement(None, None))
            missing = bench_seed.run_cell(bench_seed.SeedServer("h2o", "/nonexistent/h2o", (H1,), False), H1,
                                          "c10 n100 m1", Path("/r"), settings, Placement(None, None))
        self.assertEqual((skipped.status, skipped.reason), ("n/a", bench_seed.H2_ONLY))
        self.assertEqual((missing.status, missing.reason), ("n/a", "/nonexistent/h2o is not installed"))

    def test_hypercorns_processes_are_the_interpreter_of_its_script(self):
        with tempfile.TemporaryDirectory() as temp:
            script = Path(temp) / "hypercorn"
            script.write_text(f"#!{sys.executable} -s\nimport hypercorn\n")
            hypercorn = bench_seed.SeedServer("hypercorn", str(script), (H1,), False, True)
            self.assertEqual(hypercorn.exe(), os.path.realpath(sys.executable))
            self.assertEqual(bench_seed.SeedServer("h2o", str(script), (H1,), False).exe(), str(script))

    def test_the_kits_listening_socket_is_tcp_by_number_inheritable_and_listening(self):
        listener = bench_seed.listening_socket()
        try:
            self.assertEqual(listener.proto, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY only then
            self.assertTrue(listener.get_inheritable())
            self.assertEqual(listener.getsockname()[0], "127.0.0.1")
            with socket.create_connection(listener.getsockname(), timeout=5):
                pass
        finally:
            listener.close()

    def test_the_scenarios_are_the_seeds_and_quick_takes_a_tenth(self):
        full = bench_seed.SeedSettings(build=Path("b"), out=Path("o"), side="solution")
        self.assertEqual(full.loads(), ["c10 n100 m1", "c10 n100 m5", "c50 n5000 m1", "c50 n5000 m5",
                                        "c100 n10000 m1", "c100 n10000 m5", "c10 n500 m1 wait20ms",
                                        "c10 n500 m5 wait20ms"])
        quick = bench_seed.SeedSettings(build=Path("b"), out=Path("o"), side="solution", quick=True)
        self.assertEqual(quick.loads()[4:], ["c100 n1000 m1", "c100 n1000 m5", "c10 n100 m1 wait20ms",
                                             "c10 n100 m5 wait20ms"])
        self.assertEqual(full.as_json()["protocols"], ["h1", "h2c", "h2 TLS"])

    def test_a_waiting_load_asks_the_delay_route_of_the_same_server(self):
        self.assertEqual(bench_seed.wait_ms("c10 n500 m5 wait20ms"), 20)
        self.assertEqual(bench_seed.wait_ms("c10 n500 m5"), 0)
        self.assertEqual(bench_seed.wait_url("https://127.0.0.1:8443/small.html", 20),
                         "https://127.0.0.1:8443/delay?ms=20")
        self.assertEqual([name for name, s in servers().items() if s.waits], ["httpd", "hypercorn"])
        settings = bench_seed.SeedSettings(build=Path("/b"), out=Path("/o"), side="solution")
        with mock.patch.object(bench_seed.http, "started", side_effect=AssertionError("started")):
            nginx = bench_seed.run_cell(servers()["nginx"], H2C, "c10 n500 m5 wait20ms", Path("/r"), settings,
                                        Placement(None, None))
        self.assertEqual((nginx.status, nginx.reason), ("n/a", bench_seed.NO_WAIT))
        self.assertEqual(bench_seed.cell_text(nginx), "–")


class SeedH2loadOutput(unittest.TestCase):
    def test_an_h1_cell_counts_the_2xx(self):
        result = HttpCell("httpd", "small", "c10 n100 m1", protocol=H1, server_cpu_s=0.0049)
        bench_seed.fill_h1_cell(result, H2LOAD_H1_OUTPUT)
        self.assertEqual((result.requests, result.failed, result.requests_per_s), (98, 2, 3333.33))
        self.assertAlmostEqual(result.cpu_us_per_request, 50.0)
        self.assertEqual(result.notes, ["2 requests failed or were not 2xx"])

    def test_responses_without_a_readable_status_count_by_their_whole_bodies(self):
        result = HttpCell("hypercorn", "small", "c10 n100 m1", protocol=H1, server_cpu_s=0.0097)
        bench_seed.fill_h1_cell(result, H2LOAD_NO_STATUS_OUTPUT)
        self.assertEqual((result.requests, result.failed), (97, 3))  # 99,328 bytes: 97 whole bodies
        self.assertTrue(result.measured)
        self.assertIn("h2load read no status line (no reason phrase): 97 whole bodies counted", result.notes)

    def test_unread_statuses_and_body_bytes(self):
        self.assertEqual(bench_seed.statuses_unread(H2LOAD_NO_STATUS_OUTPUT), 100)
        self.assertEqual(bench_seed.statuses_unread(H2LOAD_H1_OUTPUT), 0)
        self.assertEqual(bench_seed.data_bytes(H2LOAD_H1_OUTPUT), 102400)
        self.assertEqual(bench_seed.data_bytes("nothing"), 0)

    def test_an_h1_cell_that_spoke_another_protocol_or_answered_nothing_is_refused(self):
        h1 = HttpCell("h2o", "small", "c10 n100 m1", protocol=H1)
        with self.assertRaisesRegex(CellError, "spoke h2c, not http/1.1"):
            bench_seed.fill_h1_cell(h1, H2LOAD_H1_OUTPUT.replace("http/1.1", "h2c"))
        empty = H2LOAD_NO_STATUS_OUTPUT.replace("(99328) data", "(0) data")
        bench_seed.fill_h1_cell(h1, empty)
        self.assertEqual((h1.status, h1.reason), ("n/a", "no request was answered with a 2xx"))


class SeedTable(unittest.TestCase):
    def cells(self) -> list[HttpCell]:
        return [cell("httpd", H1, 4000.0), cell("httpd", H2C, 6000.0), cell("httpd", TLS, 2000.0),
                h2_only("nghttpd"), cell("nghttpd", H2C, 7000.0),
                HttpCell("nghttpd", "small", "c10 n100 m1", protocol=TLS, status="n/a", reason="it exited"),
                cell("httpd", H1, 20000.0, "c10 n100 m5"), cell("httpd", H2C, 10000.0, "c10 n100 m5"),
                cell("httpd", TLS, 5000.0, "c10 n100 m5"), h2_only("nghttpd", "c10 n100 m5"),
                cell("nghttpd", H2C, 30000.0, "c10 n100 m5"), cell("nghttpd", TLS, 9000.0, "c10 n100 m5")]

    def test_a_row_per_scenario_a_column_per_server_and_protocol(self):
        table = bench_seed.markdown_table(self.cells()).splitlines()
        self.assertEqual(table[0], "| scenario | httpd h1 | httpd h2c | httpd h2 TLS | nghttpd h1 | nghttpd h2c "
                                   "| nghttpd h2 TLS |")
        self.assertEqual(table[1], "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        self.assertEqual(table[2], "| c10 n100 m1 | 4,000 | 6,000 | 2,000 | – | 7,000 | n/a |")
        self.assertEqual(table[3], "| c10 n100 m5 | 20,000 | 10,000 | 5,000 | – | 30,000 | 9,000 |")
        self.assertEqual(len(table), 4)

    def test_the_cpu_table_has_the_same_layout(self):
        cells = self.cells()
        cells[1].cpu_us_per_request = 31.25
        table = bench_seed.markdown_table(cells, bench_seed.cpu_text).splitlines()
        self.assertEqual(table[0], bench_seed.markdown_table(cells).splitlines()[0])
        self.assertEqual(table[2], "| c10 n100 m1 | 20.0 | 31.2 | 20.0 | – | 20.0 | n/a |")

    def test_the_plain_table_lines_up_the_same_rows(self):
        lines = bench_seed.plain_table(self.cells()).splitlines()
        self.assertEqual(len(lines), 3)
        self.assertTrue(lines[1].startswith("c10 n100 m1  "))
        self.assertTrue(lines[1].endswith("  n/a"))
        self.assertEqual(len({len(line) for line in lines}), 1)

    def test_where_h2_beats_h1_per_server(self):
        lines = bench_seed.wins(self.cells())
        self.assertEqual(lines, [
            "httpd: h2c over h1 c10 n100 m1 1.50×, c10 n100 m5 0.50× (more than h1 in 1 of 2).",
            "httpd: h2 TLS over h1 c10 n100 m1 0.50×, c10 n100 m5 0.25× (more than h1 in 0 of 2)."])

    def test_the_chart_has_a_block_per_scenario_and_a_bar_per_protocol(self):
        loads, data = bench_seed.plot_data(self.cells())
        self.assertEqual(loads, ["c10 n100 m1", "c10 n100 m5"])
        blocks = data.split("\n\n\n")
        self.assertEqual(len(blocks), 2)
        self.assertIn('"httpd" 4000.0 6000.0 2000.0', blocks[0])
        self.assertIn('"nghttpd" - 7000.0 -', blocks[0])
        self.assertIn('"nghttpd" - 30000.0 9000.0', blocks[1])
        cells = self.cells() + [HttpCell("nginx", "small", "c10 n100 m1", protocol=p, status="n/a", reason="x")
                                for p in (H1, H2C, TLS)]
        self.assertNotIn('"nginx"', bench_seed.plot_data(cells)[1])  # nothing measured: no empty cluster

    def test_the_script_draws_one_panel_per_scenario(self):
        loads = [f"c{c} n1 m{m}" for c in (10, 50, 100) for m in (1, 5)]
        script = bench_seed.gnuplot_script(loads, Path("/o/seed.dat"), Path("/o/seed.png"), "AMD EPYC")
        self.assertIn("set multiplot layout 2,3", script)
        self.assertIn("set datafile missing '-'", script)
        self.assertEqual(script.count("\nplot "), 6)
        self.assertIn("'/o/seed.dat' index 5 using 2:xtic(1) title 'h1' lc 1, '/o/seed.dat' index 5 using 3 "
                      "title 'h2c' lc 2, '/o/seed.dat' index 5 using 4 title 'h2 TLS' lc 3", script)
        self.assertIn("set title 'c100 n1 m5'", script)
        self.assertIn("layout 2,4", bench_seed.gnuplot_script(loads + ["w1", "w5"], Path("d"), Path("p"), "m"))
        self.assertIn("layout 1,1", bench_seed.gnuplot_script(loads[:1], Path("d"), Path("p"), "m"))


class AsgiApp(unittest.TestCase):
    def load_app(self, file: Path):
        with mock.patch.dict(os.environ, {"SYSLAB_BENCH_FILE": str(file)}):
            spec = importlib.util.spec_from_file_location("asgi_app_under_test", ROOT / "tools/bench/asgi_app.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        return module.app

    def call(self, app, path: str, query: bytes = b"") -> list[dict]:
        sent, received = [], [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive():
            return received.pop(0)

        async def send(message):
            sent.append(message)

        asyncio.run(app({"type": "http", "method": "GET", "path": path, "query_string": query}, receive, send))
        return sent

    def test_the_files_path_gets_its_bytes_and_another_a_404(self):
        with tempfile.TemporaryDirectory() as temp:
            file = Path(temp) / "small.html"
            file.write_bytes(b"<p>same bytes</p>\n")
            app = self.load_app(file)
        start, body = self.call(app, "/small.html")
        self.assertEqual(start["status"], 200)
        self.assertIn((b"content-length", b"18"), start["headers"])
        self.assertEqual(body["body"], b"<p>same bytes</p>\n")
        start, body = self.call(app, "/other.html")
        self.assertEqual((start["status"], body["body"]), (404, b"not found\n"))

    def test_delay_answers_after_the_wait_and_refuses_a_bad_one(self):
        with tempfile.TemporaryDirectory() as temp:
            (Path(temp) / "small.html").write_bytes(b"<p>same bytes</p>\n")
            app = self.load_app(Path(temp) / "small.html")
        waits = []

        async def no_sleep(seconds):
            waits.append(seconds)

        with mock.patch("asyncio.sleep", no_sleep):
            start, body = self.call(app, "/delay", b"ms=20")
            refused, _ = self.call(app, "/delay", b"ms=99999")
        self.assertEqual((start["status"], body["body"], waits), (200, b"<p>same bytes</p>\n", [0.02]))
        self.assertEqual(refused["status"], 400)


# ---------------------------------------------------------------------------------------------------
# The workers section, against a fake lab 14.

def workers_cell(shape: bench_workers.Shape, protocol: str, rps: float, cpu_s: float = 0.5, **fields) -> HttpCell:
    return HttpCell(shape.label, "small", "c100 n10000 m1", protocol=protocol, requests=10000, requests_per_s=rps,
                    server_cpu_s=cpu_s, cpu_us_per_request=cpu_s * 1e6 / 10000, **fields)


class FakeLab14(unittest.TestCase):
    def setUp(self):
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.build = Path(temp.name) / "build"
        certs = self.build / "solutions" / "13-http2"
        certs.mkdir(parents=True)
        for name in ("tls-cert.pem", "tls-key.pem"):
            (certs / name).write_text("not a real pem\n")
        self.settings = bench_workers.WorkersSettings(build=self.build, out=Path(temp.name) / "out", side="solution")
        self.built: list[str] = []

    def ninja(self, build: Path, target: str) -> None:
        self.built.append(target)
        return None

    def labs(self, *names: str):
        return mock.patch.object(labs, "all_labs", return_value=[labs.Lab(name) for name in names])

    def test_the_finale_is_the_lab_numbered_14_whatever_its_name(self):
        with self.labs("12-http1", "13-http2"):
            self.assertIsNone(bench_workers.finale_lab())
        with self.labs("13-http2", "14-finale"):
            self.assertEqual(bench_workers.finale_lab(), "14-finale")
        with self.labs("13-http2", "14-production"):
            self.assertEqual(bench_workers.finale_target(bench_workers.finale_lab(), "solution"),
                             "solutions/14-production/httpd")

    def test_without_lab_14_the_section_is_skipped_and_says_why(self):
        with self.labs("12-http1", "13-http2"), contextlib.redirect_stdout(io.StringIO()):
            cells, problems = bench_workers.run_bench(self.settings, "make bench BENCH=workers", self.ninja,
                                                      {"placement": "-"})
        self.assertEqual((cells, problems, self.built), ([], [], []))
        document = (self.settings.out / "workers.md").read_text()
        self.assertIn("skipped: this tree has no lab 14", document)
        self.assertIn("--workers N --threads M [--reuseport]", document)

    def test_with_lab_14_every_shape_and_protocol_runs_unpinned(self):
        ran = []

        def fake_cell(program, shape, protocol, load, root, settings, where):
            ran.append((program, shape, protocol, load, where))
            self.assertTrue((root / "cert.pem").is_file())
            return workers_cell(shape, protocol, 1000.0 * shape.workers * shape.threads)

        with self.labs("13-http2", "14-finale"), mock.patch.object(bench_workers, "run_cell", fake_cell), \
                contextlib.redirect_stdout(io.StringIO()):
            cells, problems = bench_workers.run_bench(self.settings, "make bench BENCH=workers", self.ninja,
                                                      {"placement": "-"})
        self.assertEqual(problems, [])
        self.assertEqual(self.built, ["solutions/14-finale/httpd", "solutions/13-http2/tls-cert.pem"])
        self.assertEqual(len(cells), 8 * 3)
        self.assertEqual({r[0] for r in ran}, {str(self.build / "solutions/14-finale/httpd")})
        self.assertEqual({r[4] for r in ran}, {Placement(None, None)})
        self.assertEqual({r[3] for r in ran}, {"c100 n10000 m1"})
        self.assertEqual({(r[1].workers, r[1].threads, r[1].reuseport) for r in ran},
                         {(w, t, r) for w in (1, 2) for t in (1, 2) for r in (False, True)})
        document = (self.settings.out / "workers.md").read_text()
        self.assertIn("| 2 | 2 | reuseport | h2 TLS | 4,000 | 4.00× | 50.0 µs | 0.20 | 0% |  |", document)
        self.assertIn("**Nobody is pinned**", document)

    def test_command_lines(self):
        root = Path("/r")
        shared = bench_workers.command("/b/httpd", bench_workers.Shape(2, 1, False), H1, root)
        self.assertEqual(shared, ["/b/httpd", "--port", "0", "--root", "/r/www", "--quiet", "--workers", "2",
                                  "--threads", "1"])
        tls = bench_workers.command("/b/httpd", bench_workers.Shape(1, 2, True), TLS, root)
        self.assertEqual(tls[6:], ["--workers", "1", "--threads", "2", "--reuseport", "--tls-port", "0",
                                   "--cert", "/r/cert.pem", "--key", "/r/key.pem"])

    def test_a_shape_survives_its_label(self):
        self.assertEqual(len(set(bench_workers.SHAPES)), 8)
        for shape in bench_workers.SHAPES:
            self.assertEqual(bench_workers.Shape.of(shape.label), shape)
        self.assertEqual(bench_workers.Shape(2, 1, True).label, "httpd w2 t1 reuseport")

    def test_rows_against_one_worker_one_thread_on_the_same_socket(self):
        one, two = bench_workers.Shape(1, 1, False), bench_workers.Shape(2, 1, False)
        port = bench_workers.Shape(2, 1, True)
        cells = [workers_cell(one, H1, 10000.0, cpu_s=0.4), workers_cell(two, H1, 15000.0, cpu_s=0.9),
                 workers_cell(port, H1, 12000.0),
                 HttpCell(two.label, "small", "c100 n10000 m1", protocol=H2C, status="n/a", reason="it exited")]
        rows = bench_workers.table_rows(cells)
        self.assertEqual(rows[0][:6], ["workers", "threads", "socket", "protocol", "req/s", "vs w1 t1"])
        self.assertEqual(rows[1][4:8], ["10,000", "1.00×", "40.0 µs", "0.40"])
        self.assertEqual(rows[2][4:8], ["15,000", "1.50×", "90.0 µs", "1.35"])  # 0.9 s of CPU in 2/3 s
        self.assertEqual(rows[3][5], "–")  # no w1 t1 on a reuseport socket in this run
        self.assertEqual(rows[4][4:], ["n/a", "–", "–", "–", "–", "it exited"])
        self.assertEqual(bench_workers.summary(cells),
                         ["h1: most req/s with 2 worker(s) x 1 thread(s), shared socket: 15,000 (1.50× one worker "
                          "with one thread)."])


class Sections(unittest.TestCase):
    def test_seed_and_workers_are_sections_of_make_bench(self):
        self.assertEqual(bench.SECTIONS, ["echo", "http1", "h2", "seed", "workers"])
        ran = []
        args = argparse.Namespace(sections="seed,workers")
        with mock.patch.object(bench, "cmd_http_bench", lambda _, name: ran.append(name) or 0), \
                mock.patch.object(bench, "cmd_echo_bench", side_effect=AssertionError("echo")):
            self.assertEqual(bench.cmd_bench(args), 0)
        self.assertEqual(ran, ["seed", "workers"])


if __name__ == "__main__":
    unittest.main()
