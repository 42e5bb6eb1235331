"""Tests of make bench's bookkeeping: the model table, ratios against the baseline, the Markdown
table, the chart's data, /proc parsing and the recorded command. (The measuring itself is proved
end to end by make test's bench phase: tools/kit/bench.py smoke_test.)

Run from the repository root: python3 -m unittest discover -s tests/tools -t .
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from kit import bench, bench_h2, bench_http, bench_report, bench_server  # noqa: E402
from kit.bench_report import Cell  # noqa: E402
from kit.bench_server import (Placement, cpu_per_round_trip_us, placement, pss_kb,  # noqa: E402
                              reaped_ticks, run_ns, status_fields)


def measured(model: str, connections: int, rps: float, p99: float = 100.0, served: int = 1) -> Cell:
    load = {"connections_established": connections, "connections_served": served,
            "requests_per_s": rps, "latency_us": {"p50": 20.0, "p99": p99}, "errors": {}}
    return Cell(model, connections, load=load, peak_rss_kb=3686, peak_pss_kb=1024, threads=1,
                processes=1)


class ModelTable(unittest.TestCase):
    def test_the_kits_table_lists_every_model_with_the_floor_and_iterative_first(self):
        models = bench.read_models(bench.MODELS_FILE.read_text())
        self.assertEqual([m.name for m in models],
                         ["floor", "iterative", "fork", "prefork", "threads", "pool", "select", "poll", "epoll",
                          "epoll-threads"])
        self.assertEqual((models[0].lab, models[0].program), (bench.KIT, "echo-floor"))
        self.assertEqual(models[1].lab, "07-echo-server")
        self.assertTrue(all(m.program == "echo-server" for m in models[1:]))

    def test_extra_arguments_and_cores(self):
        [model] = bench.read_models("pool  09-thread-models  echo-server  --threads {cores} --queue 64  # why\n")
        self.assertEqual(model.server_args(4), ["--threads", "4", "--queue", "64"])

    def test_a_line_without_a_program_is_refused(self):
        with self.assertRaises(ValueError):
            bench.read_models("epoll 11-epoll\n")

    def test_the_baselines_are_always_run_and_the_order_is_the_files(self):
        known = bench.read_models(bench.MODELS_FILE.read_text())
        chosen = bench.choose_models(known, ["epoll", "fork"])
        self.assertEqual([m.name for m in chosen], ["floor", "iterative", "fork", "epoll"])
        self.assertEqual(len(bench.choose_models(known, [])), len(known))
        with self.assertRaises(SystemExit):
            bench.choose_models(known, ["kqueue"])

    def test_program_target_is_the_sides_program(self):
        [model] = bench.read_models("epoll 11-epoll echo-server\n")
        self.assertEqual(bench.program_target(model, "solution"), "solutions/11-epoll/echo-server")
        self.assertEqual(bench.program_target(model, "learner"), "labs/11-epoll/echo-server")

    def test_the_floor_is_the_kits_own_program_on_either_side(self):
        [model] = bench.read_models("floor kit echo-floor\n")
        self.assertEqual(bench.program_target(model, "solution"), "tools/bench/echo-floor")
        self.assertEqual(bench.program_target(model, "learner"), "tools/bench/echo-floor")


class Ratios(unittest.TestCase):
    def test_against_the_baseline_at_the_same_connections(self):
        cells = [measured("iterative", 10, 20_000), measured("iterative", 100, 10_000),
                 measured("epoll", 10, 40_000), measured("epoll", 100, 50_000)]
        bench_report.set_ratios(cells)
        self.assertEqual([c.ratio for c in cells], [1.0, 1.0, 2.0, 5.0])

    def test_no_ratio_without_a_measured_baseline(self):
        failed = Cell("iterative", 10, status="n/a", reason="the server did not start")
        starved = measured("iterative", 100, 0.0, served=0)
        cells = [failed, starved, measured("epoll", 10, 40_000), measured("epoll", 100, 4),
                 measured("epoll", 1000, 4)]
        bench_report.set_ratios(cells)
        self.assertEqual([c.ratio for c in cells], [None, None, None, None, None])

    def test_an_unmeasured_cell_has_no_ratio(self):
        cells = [measured("iterative", 10, 20_000), Cell("epoll", 10, status="n/a", reason="x")]
        bench_report.set_ratios(cells)
        self.assertIsNone(cells[1].ratio)


class CpuPerRoundTrip(unittest.TestCase):
    # /proc/PID/stat of a server whose comm has a space and a parenthesis: utime 250, stime 120,
    # cutime 30 and cstime 7 (fields 14 to 17); the last two are its reaped children's CPU.
    STAT = ("4242 (echo (srv) x) S 1 4242 4242 0 -1 4194560 300 0 0 0 250 120 30 7 20 0 3 0 "
            "12345 10000000 900 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n")

    def test_the_reaped_childrens_ticks(self):
        self.assertEqual(reaped_ticks(self.STAT), 30 + 7)

    def test_a_threads_run_time_in_ns(self):
        self.assertEqual(run_ns("83944620 839235 29\n"), 83_944_620)

    def test_this_process_has_run(self):
        self.assertGreater(bench_server.tree_cpu_ns(os.getpid()), 0)

    def test_ns_over_round_trips_in_microseconds(self):
        # 1.5 s of CPU over 300,000 round trips: 5 µs each.
        self.assertAlmostEqual(cpu_per_round_trip_us(1_500_000_000, 300_000), 5.0)
        self.assertAlmostEqual(cpu_per_round_trip_us(0, 1000), 0.0)
        self.assertIsNone(cpu_per_round_trip_us(10, 0))

    def test_the_window_is_between_the_two_handshakes(self):
        sampler = bench_server.TreeSampler(os.getpid())
        self.assertIsNone(sampler.window_ns())
        sampler.cpu_ns = {"connected": 1000, "measured": 1234}
        self.assertEqual(sampler.window_ns(), 234)

    def test_ratios_against_the_floor_at_the_same_connections(self):
        cells = [measured("floor", 10, 90_000), measured("floor", 100, 90_000),
                 measured("epoll", 10, 80_000), measured("epoll", 100, 80_000),
                 measured("threads", 1000, 10_000)]
        for cell, us in zip(cells, [4.0, 5.0, 6.0, 15.0, 30.0]):
            cell.server_cpu_us_per_rt = us
        bench_report.set_ratios(cells)
        self.assertEqual([c.cpu_ratio for c in cells], [1.0, 1.0, 1.5, 3.0, None])

    def test_no_cpu_ratio_when_the_floor_used_no_measurable_cpu(self):
        cells = [measured("floor", 10, 90_000), measured("epoll", 10, 80_000)]
        cells[0].server_cpu_us_per_rt, cells[1].server_cpu_us_per_rt = 0.0, 6.0
        bench_report.set_ratios(cells)
        self.assertEqual([c.cpu_ratio for c in cells], [None, None])


class Pinning(unittest.TestCase):
    def test_two_cpus_client_on_0_server_on_1(self):
        where = placement({0, 1})
        self.assertEqual((where.client, where.server), ({0}, {1}))
        self.assertTrue(where.pinned)
        self.assertIn("the load client on CPU 0, the server on CPU 1", where.text(2))

    def test_more_cpus_the_server_gets_all_but_the_clients(self):
        where = placement({2, 3, 5, 7})
        self.assertEqual((where.client, where.server), ({2}, {3, 5, 7}))

    def test_one_cpu_no_pinning_and_it_says_so(self):
        where = placement({3})
        self.assertEqual(where, Placement(None, None))
        self.assertFalse(where.pinned)
        self.assertIn("not pinned", where.text(1))

    def test_a_started_process_inherits_the_cpus_and_the_caller_keeps_its_own(self):
        usable = os.sched_getaffinity(0)
        target = frozenset({min(usable)})
        with bench_server.affinity(target):
            child = subprocess.run([sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"],
                                   capture_output=True, text=True, check=True)
        self.assertEqual(child.stdout.strip(), str(sorted(target)))
        self.assertEqual(os.sched_getaffinity(0), usable)

    def test_the_servers_cores_are_its_own_when_pinned(self):
        [model] = bench.read_models("epoll-threads 11-epoll echo-server --threads {cores}\n")
        settings = bench.Settings(models=[], levels=[10], seconds=0.1, quick=True, connect_timeout=1.0,
                                  build=Path("/b"), out=Path("/b/bench"))
        commands = []
        with mock.patch.object(bench, "run_server", lambda server, *rest: commands.append(server)):
            bench.run_cell(model, 10, Path("/b/echo-server"), Path("/b/echo-load"), settings,
                           Placement(frozenset({0}), frozenset({1, 2, 3})))
        self.assertEqual(commands[0][-2:], ["--threads", "3"])


class Table(unittest.TestCase):
    def test_a_measured_row(self):
        cell = measured("epoll", 10_000, 123_456.7, p99=2345.0, served=10_000)
        cell.ratio, cell.server_cpu_us_per_rt, cell.cpu_ratio = 10.5, 7.25, 1.8
        cell.load.update(duration_s=3.0, client_cpu_s=1.5)
        row = bench_report.table_row(cell)
        self.assertEqual(row[:15], ["epoll", "10,000", "10,000", "10,000", "123,457", "10.50×",
                                    "7.2 µs", "1.80×", "50%",
                                    "20 µs", "2.3 ms", "3.6 MiB", "1.0 MiB", "1", "1"])
        self.assertEqual(len(row), len(bench_report.HEADER))

    def test_n_a_and_not_built_rows_say_why(self):
        na = Cell("threads", 10_000, status="n/a", reason="the load client did not finish within 28 s")
        not_built = Cell("fork", 0, status="not built", reason="lab 08-process-models is not in labs/labs.txt")
        self.assertIn("n/a", bench_report.table_row(na))
        self.assertEqual(len(bench_report.table_row(na)), len(bench_report.HEADER))
        self.assertEqual(len(bench_report.table_row(not_built)), len(bench_report.HEADER))
        self.assertEqual(bench_report.table_row(na)[-1], "the load client did not finish within 28 s")
        self.assertEqual(bench_report.table_row(not_built)[-1],
                         "not built: lab 08-process-models is not in labs/labs.txt")

    def test_connection_failures_and_sigkill_are_noted(self):
        cell = measured("iterative", 1000, 20_000)
        cell.load["connections_established"] = 130
        cell.load["errors"] = {"connect: no answer before the connect deadline": 256,
                               "connect: not tried before the connect deadline": 614}
        cell.notes.append("SIGTERM did not stop the server in 10 s: SIGKILL")
        row = bench_report.table_row(cell)
        self.assertEqual(row[2], "130")
        self.assertEqual(row[-1], "614× connect: not tried before the connect deadline; "
                                  "256× connect: no answer before the connect deadline; "
                                  "SIGTERM did not stop the server in 10 s: SIGKILL")

    def test_a_busy_client_is_noted(self):
        cell = measured("epoll", 10, 50_000)
        cell.load.update(duration_s=3.0, client_cpu_s=2.9)
        self.assertEqual(bench_report.table_row(cell)[-1],
                         "the load client was busy 97% of the time: it may be the limit")
        cell.load.update(client_cpu_s=1.5)
        self.assertEqual(bench_report.table_row(cell)[-1], "")

    def test_markdown_has_a_header_an_alignment_row_and_one_row_per_cell(self):
        cells = [measured("iterative", 10, 20_000), measured("iterative", 100, 20_000)]
        cells[0].notes.append("a | b")
        lines = bench_report.markdown_table(cells).splitlines()
        self.assertEqual(len(lines), 4)
        self.assertTrue(lines[0].startswith("| model | connections | connected | served | req/s |"))
        self.assertEqual(lines[1].count("---"), len(bench_report.HEADER))
        self.assertIn("a \\| b", lines[2])

    def test_the_document_records_the_machine_and_the_method(self):
        settings = {"message_bytes": 64, "seconds": 3.0, "connect_timeout": 5.0, "connects_in_flight": 256}
        text = bench_report.markdown([measured("iterative", 10, 1)], {"CPU": "X", "command": "`make bench`"},
                                     settings)
        self.assertIn("closed-loop", text)
        self.assertIn("64-byte message", text)
        self.assertIn("- command: `make bench`", text)

    def test_number_formats(self):
        self.assertEqual(bench_report.latency_text(0), "–")
        self.assertEqual(bench_report.latency_text(999.4), "999 µs")
        self.assertEqual(bench_report.latency_text(1500), "1.5 ms")
        self.assertEqual(bench_report.latency_text(2_500_000), "2.50 s")
        self.assertEqual(bench_report.size_text(2048), "2.0 MiB")
        self.assertEqual(bench_report.size_text(3 * 1024 * 1024), "3.00 GiB")
        self.assertEqual(bench_report.ratio_text(None), "–")
        self.assertEqual(bench_report.ratio_text(0.456), "0.46×")
        self.assertEqual(bench_report.ratio_text(250.4), "250×")


class Chart(unittest.TestCase):
    def test_one_block_per_model_with_a_measured_point(self):
        cells = [measured("iterative", 10, 20_000, p99=50.0), measured("iterative", 100, 20_000, served=1),
                 Cell("fork", 0, status="not built", reason="x"),
                 Cell("epoll", 10, status="n/a", reason="y")]
        names, data = bench_report.plot_data(cells)
        self.assertEqual(names, ["iterative"])
        rows = [line for line in data.splitlines() if line and not line.startswith("#")]
        self.assertEqual(rows, ["10 20000.0 0.0500 10.0 NaN", "100 20000.0 0.1000 1.0 NaN"])

    def test_the_cpu_panel_plots_the_server_cpu_per_round_trip(self):
        cell = measured("floor", 10, 20_000, p99=50.0)
        cell.server_cpu_us_per_rt = 4.5
        _, data = bench_report.plot_data([cell])
        self.assertIn("10 20000.0 0.0500 10.0 4.500", data)
        script = bench_report.gnuplot_script(["floor"], Path("/b/models.dat"), Path("/b/models.png"), "m")
        self.assertIn("index 0 using 1:5", script)

    def test_the_script_plots_every_model_on_log_axes(self):
        script = bench_report.gnuplot_script(["iterative", "epoll"], Path("/b/models.dat"),
                                             Path("/b/models.png"), "a machine")
        self.assertIn("set logscale x 10", script)
        self.assertIn("index 1 using 1:2", script)
        self.assertIn("title 'epoll'", script)
        self.assertIn("set output '/b/models.png'", script)


class SlidesImage(unittest.TestCase):
    def settings(self, **given) -> bench.Settings:
        values = {"models": [], "levels": bench.DEFAULT_LEVELS, "seconds": 3.0, "quick": False,
                  "connect_timeout": 5.0, "build": Path("/b"), "out": Path("/b/bench")}
        return bench.Settings(**{**values, **given})

    def test_only_a_run_of_every_model_at_the_default_levels_replaces_it(self):
        known = bench.read_models("iterative 07-echo-server echo-server\nepoll 11-epoll echo-server\n")
        both = [measured("iterative", 10, 1), Cell("epoll", 10, status="n/a", reason="x")]
        self.assertTrue(bench.is_full_run(both, self.settings(), known))
        self.assertFalse(bench.is_full_run(both, self.settings(quick=True), known))
        self.assertFalse(bench.is_full_run(both, self.settings(levels=[10, 100]), known))
        not_built = [measured("iterative", 10, 1), Cell("epoll", 0, status="not built", reason="x")]
        self.assertFalse(bench.is_full_run(not_built, self.settings(), known))

    def test_the_connect_deadline_grows_with_the_connections(self):
        self.assertEqual(self.settings().connect_timeout_for(100), 5.0)
        self.assertEqual(self.settings().connect_timeout_for(10_000), 10.0)


class Proc(unittest.TestCase):
    def test_status_fields(self):
        text = "Name:\techo-server\nState:\tS (sleeping)\nVmHWM:\t    3700 kB\nVmRSS:\t    3600 kB\nThreads:\t3\n"
        self.assertEqual(status_fields(text), {"VmRSS": 3600, "VmHWM": 3700, "Threads": 3})

    def test_pss_from_smaps_rollup(self):
        text = "55-7f ---p 00000000 00:00 0   [rollup]\nRss:  1600 kB\nPss:   190 kB\nPss_Dirty:  112 kB\n"
        self.assertEqual(pss_kb(text), 190)

    def test_a_zombie_has_no_memory(self):
        self.assertEqual(status_fields("Name:\tx\nState:\tZ (zombie)\nThreads:\t1\n"),
                         {"VmRSS": 0, "VmHWM": 0, "Threads": 1})


class CommandLine(unittest.TestCase):
    def args(self, **given) -> argparse.Namespace:
        defaults = {"models": None, "levels": None, "seconds": None, "quick": False,
                    "build": "/tmp/build-bench", "out": None}
        return argparse.Namespace(**{**defaults, **given})

    def test_defaults_and_quick(self):
        full = bench.settings_from(self.args())
        self.assertEqual((full.levels, full.seconds, full.models), ([10, 100, 1000, 10000], 3.0, []))
        self.assertEqual(full.out, Path("/tmp/build-bench/bench"))
        quick = bench.settings_from(self.args(quick=True, models="iterative epoll"))
        self.assertEqual((quick.levels, quick.seconds, quick.models), ([10, 100], 0.5, ["iterative", "epoll"]))

    def test_levels_and_seconds_are_bounded(self):
        self.assertEqual(bench.settings_from(self.args(levels="10,1_000")).levels, [10, 1000])
        with self.assertRaises(SystemExit):
            bench.settings_from(self.args(levels="100000"))
        with self.assertRaises(SystemExit):
            bench.settings_from(self.args(seconds=3600.0))

    def test_the_recorded_command_is_the_one_typed(self):
        argv = ["bench", "--build", "build-bench", "--models", "iterative,epoll", "--quick"]
        with mock.patch.dict(os.environ, {"MAKELEVEL": "1"}):
            self.assertEqual(bench.command_text(argv), "make bench MODELS=iterative,epoll QUICK=1")
        with mock.patch.dict(os.environ, {}, clear=True):
            self.assertEqual(bench.command_text(argv),
                             "tools/syslab bench --build build-bench --models iterative,epoll --quick")


H2LOAD_OUTPUT = """starting benchmark...
finished in 1.23s, 8130.08 req/s, 5.12MB/s
requests: 10000 total, 10000 started, 10000 done, 9990 succeeded, 10 failed, 0 errored, 0 timeout
status codes: 9990 2xx, 0 3xx, 10 4xx, 0 5xx
                     min         max         mean         sd        +/- sd
time for request:       51us      2.31ms       180us       60us    91.00%
"""

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:8080/small.html
  1 threads and 10 connections
  Latency Distribution
     50%  142.00us
     75%  200.00us
     90%    1.10ms
     99%    9.70ms
  28134 requests in 2.00s, 30.1MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  14067.00
"""


def http_cell(server: str, cpu: float, rps: float = 1000.0, file: str = "small", load: str = "c10 n100 m1"):
    return bench_http.HttpCell(server, file, load, requests=100, requests_per_s=rps, cpu_us_per_request=cpu)


class HttpSection(unittest.TestCase):
    def test_h2load_counts_only_2xx_as_answered(self):
        result = bench_http.parse_h2load(H2LOAD_OUTPUT)
        self.assertEqual(result, {"requests_per_s": 8130.08, "requests": 9990, "failed": 10, "mean_us": 180.0})

    def test_wrk_percentiles_and_failures(self):
        result = bench_http.parse_wrk(WRK_OUTPUT)
        self.assertEqual(result["requests_per_s"], 14067.0)
        self.assertEqual((result["p50_us"], result["p99_us"]), (142.0, 9700.0))
        self.assertEqual((result["requests"], result["failed"]), (28130, 7))

    def test_a_client_without_a_result_is_an_error(self):
        with self.assertRaises(bench_http.CellError):
            bench_http.parse_h2load("connect failed\n")
        with self.assertRaises(bench_http.CellError):
            bench_http.parse_wrk("unable to connect\n")

    def test_durations(self):
        self.assertEqual(bench_http.duration_us("2.00s"), 2e6)
        self.assertEqual(bench_http.duration_us("1.5ms"), 1500.0)
        with self.assertRaises(bench_http.CellError):
            bench_http.duration_us("fast")

    def test_ratios_against_nginx_and_the_floor_of_the_same_file_and_load(self):
        cells = [http_cell("floor", 10.0), http_cell("httpd", 25.0, 500.0), http_cell("nginx", 20.0),
                 http_cell("httpd", 40.0, file="1 MiB")]
        bench_http.set_ratios(cells)
        self.assertEqual((cells[1].cpu_ratio, cells[1].floor_ratio, cells[1].rps_ratio), (1.25, 2.5, 0.5))
        self.assertIsNone(cells[3].cpu_ratio)  # no nginx cell for the 1 MiB file

    def test_the_targets_name_the_loads_that_miss_them(self):
        cells = [http_cell("floor", 10.0), http_cell("httpd", 15.0), http_cell("nginx", 20.0),
                 http_cell("floor", 10.0, load="wrk c10"), http_cell("httpd", 30.0, load="wrk c10"),
                 http_cell("nginx", 20.0, load="wrk c10")]
        bench_http.set_ratios(cells)
        over_nginx, over_floor = bench_http.targets(cells)
        self.assertIn("1 of 2 loads (not: wrk c10)", over_nginx)
        self.assertIn("1 of 2 loads (not: wrk c10)", over_floor)

    def test_client_commands(self):
        settings = bench_http.HttpSettings(build=Path("b"), out=Path("o"), side="solution")
        self.assertEqual(bench_http.client_command("c50 n5000 m5", 80, "small.html", settings),
                         ["h2load", "--h1", "-t", "1", "-c", "50", "-n", "5000", "-m", "5",
                          "http://127.0.0.1:80/small.html"])
        self.assertEqual(bench_http.client_command("wrk c10", 80, "1m.bin", settings)[:6],
                         ["wrk", "-t", "1", "-c", "10", "-d"])
        self.assertEqual(settings.requests(10000, "small"), 10000)
        self.assertEqual(settings.requests(10000, "1 MiB"), 1000)
        self.assertEqual(settings.requests(100, "1 MiB"), 100)
        self.assertIn("c100 n1000 m5", settings.loads("1 MiB"))
        quick = bench_http.HttpSettings(build=Path("b"), out=Path("o"), side="solution", quick=True)
        self.assertEqual(quick.requests(100, "small"), 100)
        self.assertEqual(quick.requests(10000, "small"), 1000)

    def test_the_chart_puts_a_scenario_at_one_x_for_every_file(self):
        self.assertEqual(bench_http.scenario("c100 n1000 m5"), "c100 m5")
        self.assertEqual(bench_http.scenario("wrk c10"), "wrk c10")

    def test_nginx_and_h2o_run_one_worker_in_the_temp_dir_without_an_access_log(self):
        with tempfile.TemporaryDirectory() as temp:
            nginx = bench_http.write_nginx_conf(Path(temp), 8080).read_text()
            h2o = bench_http.write_h2o_conf(Path(temp), 8080).read_text()
        for line in ("daemon off;", "worker_processes 1;", "access_log off;", f"pid {temp}/nginx.pid;",
                     "listen 127.0.0.1:8080;"):
            self.assertIn(line, nginx)
        self.assertIn("num-threads: 1", h2o)
        self.assertNotIn("access-log", h2o)

    def test_a_row_and_the_chart_data(self):
        cells = [http_cell("nginx", 20.0), bench_http.HttpCell("h2o", "small", "c10 n100 m1", status="n/a",
                                                                reason="h2o is not installed")]
        bench_http.set_ratios(cells)
        table = bench_http.markdown_table(cells)
        self.assertIn("| small | c10 n100 m1 | nginx | 1,000 | 1.00× | – | – | 20.0 µs | 1.00× |", table)
        self.assertIn("| small | c10 n100 m1 | h2o | n/a |", table)
        series, data = bench_http.plot_data(cells)
        self.assertEqual(series, [("small", "nginx")])
        self.assertIn('0 "c10 m1" 1000.0 20.000', data)


H2LOAD_TLS_OUTPUT = """starting benchmark...
spawning thread #0: 10 total client(s). 100 total requests
TLS Protocol: TLSv1.3
Cipher: TLS_AES_128_GCM_SHA256
Server Temp Key: X25519 253 bits
Application protocol: h2
progress: 100% done

finished in 20.10ms, 4975.12 req/s, 5.05MB/s
requests: 100 total, 100 started, 100 done, 100 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 100 2xx, 0 3xx, 0 4xx, 0 5xx
                     min         max         mean         sd        +/- sd
time for request:      134us      5.55ms      2.87ms      2.73ms    80.00%
"""


def h2_cell(server: str, cpu: float, protocol: str = bench_h2.H2C, load: str = "c10 n100 m1"):
    return bench_http.HttpCell(server, "small", load, protocol=protocol, requests=100, requests_per_s=1000.0,
                               cpu_us_per_request=cpu)


class Http2Section(unittest.TestCase):
    def test_percentiles_of_the_2xx_requests_in_h2loads_log(self):
        rows = [f"1796553004365{i:03d}\t200\t{i + 1}" for i in range(100)]
        rows += ["1796553004366000\t-1\t1", "1796553004366001\t404\t999999"]
        self.assertEqual(bench_h2.percentiles_us("\n".join(rows) + "\n"), (50.0, 99.0))
        self.assertEqual(bench_h2.percentiles_us("1\t200\t7\n"), (7.0, 7.0))
        self.assertEqual(bench_h2.percentiles_us(""), (None, None))

    def test_the_negotiated_protocol_and_handshake(self):
        self.assertEqual(bench_h2.application_protocol(H2LOAD_TLS_OUTPUT), "h2")
        self.assertEqual(bench_h2.application_protocol(H2LOAD_OUTPUT), "")
        self.assertEqual(bench_h2.tls_text(H2LOAD_TLS_OUTPUT), "TLSv1.3 TLS_AES_128_GCM_SHA256")

    def test_a_cell_is_filled_from_the_summary_and_the_log(self):
        cell = bench_http.HttpCell("httpd", "small", "c10 n100 m1", protocol=bench_h2.TLS, server_cpu_s=0.01)
        bench_h2.fill_cell(cell, H2LOAD_TLS_OUTPUT, "1\t200\t300\n2\t200\t100\n")
        self.assertEqual((cell.requests, cell.failed, cell.requests_per_s), (100, 0, 4975.12))
        self.assertEqual((cell.p50_us, cell.p99_us, cell.mean_us), (100.0, 300.0, 2870.0))
        self.assertAlmostEqual(cell.cpu_us_per_request, 100.0)
        self.assertEqual(cell.notes, ["TLSv1.3 TLS_AES_128_GCM_SHA256"])

    def test_a_cell_that_did_not_speak_the_protocol_asked_for_is_refused(self):
        cell = bench_http.HttpCell("nginx", "small", "c10 n100 m1", protocol=bench_h2.H2C)
        with self.assertRaisesRegex(bench_http.CellError, "spoke h2, not h2c"):
            bench_h2.fill_cell(cell, H2LOAD_TLS_OUTPUT, "")
        with self.assertRaisesRegex(bench_http.CellError, "spoke nothing"):
            bench_h2.fill_cell(cell, H2LOAD_OUTPUT.replace("Application", "-"), "")

    def test_client_command(self):
        command = bench_h2.client_command("c50 n5000 m5", bench_h2.TLS, 8443, Path("/t/log"))
        self.assertEqual(command[:9], ["h2load", "-t", "1", "-c", "50", "-n", "5000", "-m", "5"])
        self.assertIn("--log-file", command)
        self.assertEqual(command[-1], "https://127.0.0.1:8443/small.html")
        self.assertEqual(bench_h2.client_command("c10 n100 m1", bench_h2.H2C, 80, Path("l"))[-1],
                         "http://127.0.0.1:80/small.html")

    def test_the_loads_are_the_issues_and_quick_takes_a_tenth(self):
        settings = bench_h2.H2Settings(build=Path("b"), out=Path("o"), side="solution")
        self.assertEqual(settings.loads(), ["c10 n100 m1", "c10 n100 m5", "c50 n5000 m1", "c50 n5000 m5",
                                            "c100 n10000 m1", "c100 n10000 m5"])
        quick = bench_h2.H2Settings(build=Path("b"), out=Path("o"), side="solution", quick=True)
        self.assertIn("c100 n1000 m5", quick.loads())

    def test_server_commands(self):
        with tempfile.TemporaryDirectory() as temp:
            root = Path(temp)
            servers = {s.name: s for s in bench_h2.known_servers(Path("/b"), "solution")}
            httpd = servers["httpd"].command(root, bench_h2.TLS, 0)
            self.assertEqual(httpd[0], "/b/solutions/13-http2/httpd")
            self.assertIn("--tls-port", httpd)
            self.assertNotIn("--tls-port", servers["httpd"].command(root, bench_h2.H2C, 0))
            nghttpd = servers["nghttpd"].command(root, bench_h2.H2C, 8080)
            self.assertEqual(nghttpd[-2:], ["--no-tls", "8080"])
            self.assertEqual(servers["nghttpd"].command(root, bench_h2.TLS, 8443)[-3:],
                             ["8443", f"{temp}/key.pem", f"{temp}/cert.pem"])
            servers["nginx"].command(root, bench_h2.TLS, 8443)
            nginx = (root / "nginx.conf").read_text()
            servers["h2o"].command(root, bench_h2.TLS, 8443)
            h2o = (root / "h2o.conf").read_text()
            servers["nginx"].command(root, bench_h2.H2C, 8080)
            nginx_h2c = (root / "nginx.conf").read_text()
        for line in ("listen 127.0.0.1:8443 ssl http2;", f"ssl_certificate {temp}/cert.pem;",
                     "ssl_protocols TLSv1.2 TLSv1.3;", "worker_processes 1;", "access_log off;"):
            self.assertIn(line, nginx)
        self.assertIn("listen 127.0.0.1:8080 http2;", nginx_h2c)
        self.assertNotIn("ssl", nginx_h2c)
        self.assertIn(f"  port: 8443\n  ssl:\n    certificate-file: {temp}/cert.pem\n", h2o)
        self.assertIn("num-threads: 1", h2o)

    def test_httpds_tls_port_is_the_second_on_its_line(self):
        with tempfile.TemporaryDirectory() as temp:
            log = Path(temp) / "log"
            log.write_text("listening on 127.0.0.1:4000 and 127.0.0.1:4443 (TLS)\n")
            server = mock.Mock()
            server.poll.return_value = None
            self.assertEqual(bench_http.read_port(log, server, float("inf")), 4000)
            self.assertEqual(bench_http.read_port(log, server, float("inf"), which=1), 4443)

    def test_ratios_against_nghttpd_and_nginx_of_the_same_protocol_and_load(self):
        cells = [h2_cell("httpd", 30.0), h2_cell("nghttpd", 20.0), h2_cell("nginx", 40.0),
                 h2_cell("httpd", 90.0, protocol=bench_h2.TLS)]
        bench_http.set_ratios(cells, bench_h2.SECTION)
        self.assertEqual((cells[0].cpu_ratio, cells[0].floor_ratio, cells[0].rps_ratio), (1.5, 0.75, 1.0))
        self.assertIsNone(cells[3].cpu_ratio)  # no nghttpd cell over TLS

    def test_the_target_is_on_h2c_against_nghttpd_and_nginx(self):
        cells = [h2_cell("httpd", 30.0), h2_cell("nghttpd", 20.0), h2_cell("nginx", 40.0),
                 h2_cell("httpd", 10.0, load="c10 n100 m5"), h2_cell("nghttpd", 20.0, load="c10 n100 m5"),
                 h2_cell("nginx", 40.0, load="c10 n100 m5"), h2_cell("httpd", 99.0, protocol=bench_h2.TLS)]
        bench_http.set_ratios(cells, bench_h2.SECTION)
        nghttpd, nginx = bench_h2.targets(cells)
        self.assertIn("at most nghttpd's: 1 of 2 loads (not: c10 n100 m1)", nghttpd)
        self.assertIn("at most nginx's: 2 of 2 loads.", nginx)

    def test_the_table_and_the_chart_are_by_protocol(self):
        cells = [h2_cell("nghttpd", 20.0), h2_cell("nghttpd", 50.0, protocol=bench_h2.TLS)]
        bench_http.set_ratios(cells, bench_h2.SECTION)
        table = bench_http.markdown_table(cells, bench_h2.SECTION)
        self.assertTrue(table.startswith("| protocol | load | server | req/s | vs nghttpd |"))
        self.assertIn("| h2 TLS | c10 n100 m1 | nghttpd | 1,000 | 1.00× |", table)
        series, data = bench_http.plot_data(cells, bench_h2.SECTION)
        self.assertEqual(series, [("h2c", "nghttpd"), ("h2 TLS", "nghttpd")])
        script = bench_http.gnuplot_script(series, ["c10 m1"], Path("d"), Path("p"), "m", bench_h2.SECTION)
        self.assertIn("layout 2,2", script)
        self.assertIn("set title 'h2 TLS'", script)


if __name__ == "__main__":
    unittest.main()
