"""make bench: the echo server models side by side.

Every model of tools/bench/models.txt (its lab's echo-server with --model=M), at 10, 100, 1,000 and
10,000 concurrent connections, under closed-loop load from the kit's own client
(tools/bench/echo-load): throughput, p50/p99 latency, and the server's peak RSS, threads and
processes read from /proc. A release build without sanitizers (build-bench/) holds only what it
needs. The results go to build-bench/bench/: models.md, models.json, models.png.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import bench_report as report
from . import build as build_mod
from . import labs as labs_mod
from .bench_report import BASELINE, FLOOR, Cell
from .bench_server import Placement, ServerError, placement, run_server

MODELS_FILE = labs_mod.ROOT / "tools" / "bench" / "models.txt"
DEFAULT_LEVELS = [10, 100, 1000, 10000]
DEFAULT_SECONDS = 3.0
SLIDES_IMAGE = labs_mod.ROOT / "slides" / "img" / "bench-models.png"
LOAD_TARGET = "tools/bench/echo-load"
KIT = "kit"  # the "lab" of a model that is the kit's own program in tools/bench (the floor)


@dataclass
class Model:
    name: str
    lab: str
    program: str
    args: list[str]

    def server_args(self, cores: int) -> list[str]:
        return [arg.replace("{cores}", str(cores)) for arg in self.args]


@dataclass
class Settings:
    models: list[str]
    levels: list[int]
    seconds: float
    quick: bool
    connect_timeout: float
    build: Path
    out: Path
    message_bytes: int = 64
    connects_in_flight: int = 256

    def connect_timeout_for(self, connections: int) -> float:
        """The connect deadline: a slow accepter (fork per connection) gets 1 s per thousand."""
        return max(self.connect_timeout, connections / 1000)

    def as_json(self) -> dict:
        return {"models": self.models, "levels": self.levels, "seconds": self.seconds,
                "quick": self.quick, "connect_timeout": self.connect_timeout,
                "message_bytes": self.message_bytes, "connects_in_flight": self.connects_in_flight,
                "build": str(self.build)}


def read_models(text: str) -> list[Model]:
    """models.txt: "model lab program args..." per line; # starts a comment."""
    models = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if len(words) >= 3:
            models.append(Model(words[0], words[1], words[2], words[3:]))
        elif words:
            raise ValueError(f"{MODELS_FILE.name}: a line needs a model, a lab and a program: {line!r}")
    return models


def choose_models(known: list[Model], wanted: list[str]) -> list[Model]:
    """The models asked for, in the file's order, with the floor and the baseline always: every
    ratio is against the floor or the iterative server of the same run."""
    names = [model.name for model in known]
    unknown = [name for name in wanted if name not in names]
    if unknown:
        raise SystemExit(f"syslab bench: no model {', '.join(unknown)}; the models: {' '.join(names)}")
    chosen = set(wanted or names) | {BASELINE, FLOOR}
    return [model for model in known if model.name in chosen]


def program_target(model: Model, side: str) -> str:
    if model.lab == KIT:
        return f"tools/bench/{model.program}"
    return f"{labs_mod.SIDE_DIRS[side]}/{model.lab}/{model.program}"


def side() -> str:
    """The reference servers; a student kit has none, so it measures the learner's own."""
    return "solution" if labs_mod.have_solutions() else "learner"


# ---------------------------------------------------------------------------------------------------
# The build: a release build without sanitizers, only the servers and the load client.

def configure(build: Path) -> None:
    if (build / "build.ninja").is_file():
        return
    if labs_mod.have_solutions() and not (labs_mod.ROOT / ".fresh").is_dir():
        from . import skeleton
        skeleton.write_fresh(labs_mod.ROOT / ".fresh")
    print(f"  configuring {rel(build)}: release, no sanitizers", flush=True)
    result = subprocess.run(["meson", "setup", str(build), "-Dbuildtype=release", "-Db_sanitize=none"],
                            cwd=labs_mod.ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"syslab bench: meson setup {rel(build)} failed:\n{result.stdout}{result.stderr}")


def ninja(build: Path, target: str) -> str | None:
    """Builds one target (build.py, with its progress); None on success, else the end of ninja's
    output."""
    result = build_mod.ninja(target, build_dir=build, progress=build_mod.Progress(f"  building {target}"))
    if result.ok:
        return None
    return "\n".join(result.output.strip().splitlines()[-8:])


def build_info(build: Path) -> dict:
    result = subprocess.run(["meson", "introspect", "--buildoptions", str(build)], capture_output=True, text=True)
    options = {option["name"]: option["value"]
               for option in (json.loads(result.stdout) if result.returncode == 0 else [])}
    return {
        "compiler": compiler(build),
        "description": f"{rel(build)}: buildtype {options.get('buildtype', '?')}, optimization "
                       f"{options.get('optimization', '?')}, sanitizers {options.get('b_sanitize', '?')}, "
                       f"the {side()} side's servers",
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
    }


def compiler(build: Path) -> str:
    """The C++ compiler meson found, as its log names it (meson 1.0 cannot introspect it)."""
    try:
        log = (build / "meson-logs" / "meson-log.txt").read_text(errors="replace")
    except OSError:
        return "unknown"
    match = re.search(r"^C\+\+ compiler for the host machine: (.+)$", log, re.MULTILINE)
    return match[1].strip() if match else "unknown"


def rel(path: Path) -> str:
    return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)


# ---------------------------------------------------------------------------------------------------
# The run.

@contextlib.contextmanager
def fd_limit_raised():
    """Servers and the client inherit it: every model gets the same, the hard limit. Put back
    afterwards, so that what runs next in this process (make test's other phases) is unchanged."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        yield hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def run_cell(model: Model, connections: int, program: Path, load: Path, settings: Settings,
             where: Placement) -> Cell:
    cell = Cell(model.name, connections)
    load_command = [str(load), "--host", "127.0.0.1", "--connections", str(connections),
                    "--size", str(settings.message_bytes), "--duration", f"{settings.seconds:g}",
                    "--connect-timeout", f"{settings.connect_timeout_for(connections):g}",
                    "--connects-in-flight", str(settings.connects_in_flight)]
    server_command = [str(program), "--host", "127.0.0.1", "--port", "0", f"--model={model.name}",
                      *model.server_args(len(where.server or os.sched_getaffinity(0)))]
    hard_timeout = settings.seconds + settings.connect_timeout_for(connections) + 20
    try:
        run_server(server_command, load_command, hard_timeout, cell, where)
    except ServerError as error:
        cell.status, cell.reason = "n/a", str(error)
    return cell


def progress_line(cell: Cell) -> str:
    if not cell.measured:
        return f"n/a: {report.cell_notes(cell)}"
    load = cell.load
    return (f"{report.count_text(cell.requests_per_s)} req/s, p99 {report.latency_text(cell.latency_us('p99'))}"
            f" ({load['connections_established']:,} of {cell.connections:,} connected, "
            f"{load['connections_served']:,} served)")


def run_models(models: list[Model], settings: Settings, load: Path, where: Placement) -> list[Cell]:
    listed = {lab.name for lab in labs_mod.all_labs()} | {KIT}
    cells: list[Cell] = []
    for model in models:
        if model.lab not in listed:
            cells.append(Cell(model.name, 0, status="not built",
                              reason=f"lab {model.lab} is not in labs/labs.txt"))
            print(f"  {model.name:<14} not built: lab {model.lab} is not in labs/labs.txt")
            continue
        failure = ninja(settings.build, program_target(model, side()))
        if failure:
            cells.append(Cell(model.name, 0, status="not built", reason=f"{model.lab} does not build"))
            print(f"  {model.name:<14} not built: {program_target(model, side())} does not build:\n{failure}")
            continue
        program = settings.build / program_target(model, side())
        for connections in settings.levels:
            print(f"  {model.name:<14} {connections:>6,} connections ... ", end="", flush=True)
            cell = run_cell(model, connections, program, load, settings, where)
            print(progress_line(cell), flush=True)
            cells.append(cell)
    report.set_ratios(cells)
    return cells


def write_outputs(cells: list[Cell], settings: Settings, machine: dict) -> list[str]:
    """models.md, models.json, models.dat and models.png; returns the problems."""
    out = settings.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "models.md").write_text(report.markdown(cells, machine, settings.as_json()))
    (out / "models.json").write_text(report.json_document(cells, machine, settings.as_json()))
    names, data = report.plot_data(cells)
    (out / "models.dat").write_text(data)
    png = out / "models.png"
    png.unlink(missing_ok=True)
    if not names:
        return ["no model was measured: there is nothing to plot"]
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        return ["gnuplot is missing (bash tools/bootstrap.sh bench installs it): no models.png"]
    subtitle = f"{machine['CPU']}, {machine['placement']}; {settings.seconds:g} s per point"
    script = report.gnuplot_script(names, out / "models.dat", png, subtitle.replace('"', "'"))
    (out / "models.gp").write_text(script)
    result = subprocess.run([gnuplot, str(out / "models.gp")], capture_output=True, text=True)
    if result.returncode != 0 or not png.is_file():
        return [f"gnuplot failed: {result.stderr.strip()[-1000:]}"]
    return []


def is_full_run(cells: list[Cell], settings: Settings, known: list[Model]) -> bool:
    """Only a run of every model at the default levels may stand for the kit in the slides."""
    return (not settings.quick and settings.levels == DEFAULT_LEVELS
            and {cell.model for cell in cells if cell.status != "not built"} == {m.name for m in known})


def run_bench(settings: Settings, command: str, configure_build: bool = True) -> tuple[list[Cell], list[str]]:
    known = read_models(MODELS_FILE.read_text())
    models = choose_models(known, settings.models)
    if configure_build:
        configure(settings.build)
    failure = ninja(settings.build, LOAD_TARGET)
    if failure:
        raise SystemExit(f"syslab bench: the load client does not build:\n{failure}")
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    where = placement(os.sched_getaffinity(0))
    info = build_info(settings.build) | {"placement": where.text(len(os.sched_getaffinity(0)))}
    with fd_limit_raised():
        machine = report.machine_description(labs_mod.ROOT, info, command, started)
        cells = run_models(models, settings, settings.build / LOAD_TARGET, where)
    problems = write_outputs(cells, settings, machine)
    if not problems and is_full_run(cells, settings, known):
        SLIDES_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(settings.out / "models.png", SLIDES_IMAGE)
        print(f"  copied the chart to {rel(SLIDES_IMAGE)} (the lab 11 deck shows it)")
    elif not settings.quick:
        print(f"  {rel(SLIDES_IMAGE)} left alone: only a run of every model at the default levels "
              "replaces it")
    return cells, problems


# ---------------------------------------------------------------------------------------------------
# The command line.

def parse_list(text: str) -> list[str]:
    return [word for word in text.replace(",", " ").split() if word]


def settings_from(args: argparse.Namespace) -> Settings:
    levels = [int(word.replace("_", "")) for word in parse_list(args.levels)] if args.levels else \
        ([10, 100] if args.quick else DEFAULT_LEVELS)
    if any(level < 1 or level > 10_000 for level in levels):
        raise SystemExit("syslab bench: LEVELS are numbers of connections from 1 to 10000")
    seconds = args.seconds if args.seconds is not None else (0.5 if args.quick else DEFAULT_SECONDS)
    if not 0.1 <= seconds <= 60:
        raise SystemExit("syslab bench: BENCH_SECONDS is from 0.1 to 60 (seconds per cell)")
    build = Path(args.build).resolve()
    return Settings(models=parse_list(args.models or ""), levels=levels, seconds=seconds,
                    quick=args.quick, connect_timeout=1.0 if args.quick else 5.0, build=build,
                    out=Path(args.out).resolve() if args.out else build / "bench")


def command_text(argv: list[str]) -> str:
    """How this run was started: the make command when make started it, else tools/syslab."""
    if "MAKELEVEL" not in os.environ:
        return shlex.join(["tools/syslab", *argv])
    names = {"--sections": "BENCH", "--models": "MODELS", "--levels": "LEVELS", "--seconds": "BENCH_SECONDS", "--build": "BENCH_BUILD"}
    words = ["make", "bench"]
    for flag, value in zip(argv, argv[1:] + [""]):
        if flag == "--build" and Path(value).name == "build-bench":
            continue
        if flag in names:
            words.append(f"{names[flag]}={value}")
        elif flag == "--quick":
            words.append("QUICK=1")
    return shlex.join(words)


SECTIONS = ["echo", "http1", "h2", "seed", "workers"]


def cmd_bench(args: argparse.Namespace) -> int:
    sections = parse_list(args.sections or "") or SECTIONS
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown:
        raise SystemExit(f"syslab bench: no section {', '.join(unknown)}; the sections: {' '.join(SECTIONS)}")
    status = cmd_echo_bench(args) if "echo" in sections else 0
    if "http1" in sections:
        status = max(status, cmd_http_bench(args, "http1"))
    for name in ("h2", "seed", "workers"):
        if name in sections:
            status = max(status, cmd_http_bench(args, name))
    return status


def cmd_http_bench(args: argparse.Namespace, name: str) -> int:
    """The HTTP/1.1 section (httpd beside nginx, h2o and the floor: tools/kit/bench_http.py), the
    HTTP/2 one (httpd beside nghttpd, h2o and nginx: tools/kit/bench_h2.py), the seed's h1-vs-h2
    table (those and Hypercorn: tools/kit/bench_seed.py) or the workers' scaling (lab 14's
    httpd --workers --threads [--reuseport]: tools/kit/bench_workers.py)."""
    from . import bench_h2, bench_http, bench_seed, bench_workers
    build = Path(args.build).resolve()
    out = Path(args.out).resolve() if args.out else build / "bench"
    if name == "seed":
        settings = bench_seed.SeedSettings(build=build, out=out, side=side(), quick=args.quick)
        print(bench_seed.heading(settings))
        run, table, targets = bench_seed.run_bench, bench_seed.plain_table, bench_seed.wins
    elif name == "workers":
        settings = bench_workers.WorkersSettings(build=build, out=out, side=side(), quick=args.quick)
        print(bench_workers.heading(settings))
        run, table, targets = bench_workers.run_bench, bench_workers.plain_table, bench_workers.summary
    elif name == "h2":
        settings = bench_h2.H2Settings(build=build, out=out, side=side(), quick=args.quick)
        print(bench_h2.heading(settings))
        run, table, targets = bench_h2.run_bench, bench_h2.plain_table, bench_h2.targets
    else:
        settings = bench_http.HttpSettings(build=build, out=out, side=side(), quick=args.quick)
        print(f"syslab bench http1: {len(settings.files())} files x {len(settings.loads('small'))} loads x 4 "
              "servers, one worker each")
        run, table, targets = bench_http.run_http_bench, bench_http.plain_table, bench_http.targets
    configure(build)
    cells, problems = run(settings, command_text(sys.argv[1:]), ninja, build_info(build))
    if cells:
        print()
        print(table(cells))
        for line in targets(cells):
            print(line)
        print(f"\nwritten to {rel(settings.out)}: {name}.md, {name}.json"
              + (f", {name}.png" if (settings.out / f"{name}.png").is_file() else ""))
    for problem in problems:
        print(f"syslab bench: {problem}", file=sys.stderr)
    return 1 if problems else 0


def cmd_echo_bench(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    print(f"syslab bench: {', '.join(map(str, settings.levels))} connections, "
          f"{settings.seconds:g} s each, closed-loop, {settings.message_bytes}-byte messages")
    cells, problems = run_bench(settings, command_text(sys.argv[1:]))
    print()
    print(report.plain_table(cells))
    print(f"\nwritten to {rel(settings.out)}: models.md, models.json"
          + (", models.png" if (settings.out / "models.png").is_file() else ""))
    for problem in problems:
        print(f"syslab bench: {problem}", file=sys.stderr)
    return 1 if problems else 0


def register(commands) -> None:
    """Adds `bench` to tools/syslab's subcommands."""
    p = commands.add_parser("bench", help="the echo server models, then HTTP/1.1 and HTTP/2 servers, side "
                                          "by side (build-bench/bench/)")
    p.add_argument("--sections", help=f"sections to run, e.g. http1,h2 (default: {','.join(SECTIONS)})")
    p.add_argument("--models",
                   help="models to run, e.g. iterative,epoll (default: all; floor and iterative always)")
    p.add_argument("--levels", help=f"numbers of connections (default: {','.join(map(str, DEFAULT_LEVELS))})")
    p.add_argument("--seconds", type=float, help=f"measured seconds per cell (default {DEFAULT_SECONDS:g})")
    p.add_argument("--quick", action="store_true", help="a smoke test: 10 and 100 connections, 0.5 s each")
    p.add_argument("--build", default=str(labs_mod.ROOT / "build-bench"), help="the build directory")
    p.add_argument("--out", help="where the results go (default: BUILD/bench)")
    p.set_defaults(run=cmd_bench)


# ---------------------------------------------------------------------------------------------------
# make test's smoke test: QUICK, the iterative model and the floor, in the build make test already has.

def smoke_test() -> list[str]:
    build = labs_mod.BUILD
    failure = ninja(build, "tools/bench/tests-bench-histogram")
    if failure:
        return [f"tools/bench/tests-bench-histogram does not build:\n{failure}"]
    result = subprocess.run([str(build / "tools/bench/tests-bench-histogram")], capture_output=True,
                            text=True, timeout=60)
    if result.returncode != 0:
        return ["the load client's histogram tests failed:\n" + result.stdout[-2000:]]
    with tempfile.TemporaryDirectory(prefix="syslab-bench-") as out:
        settings = Settings(models=[BASELINE], levels=[10, 100], seconds=0.5, quick=True,
                            connect_timeout=1.0, build=build, out=Path(out))
        cells, problems = run_bench(settings, "tools/syslab bench --quick (make test)", configure_build=False)
        problems += smoke_problems(Path(out), cells)
    configured = {lab.name for lab in build_mod.configured_labs(labs_mod.all_labs(), build)}
    if "12-http1" in configured:
        from . import bench_http
        problems += [f"HTTP/1.1: {problem}" for problem in bench_http.smoke_test(build, side(), ninja)]
    if "13-http2" in configured:
        from . import bench_seed, bench_workers
        problems += [f"seed: {problem}" for problem in bench_seed.smoke_test(build, side(), ninja)]
        if bench_workers.finale_lab() in configured:
            problems += [f"workers: {problem}" for problem in bench_workers.smoke_test(build, side(), ninja)]
    return problems


def smoke_problems(out: Path, cells: list[Cell]) -> list[str]:
    """What is missing or unreadable in a QUICK run's output."""
    problems = []
    if not (out / "models.png").read_bytes().startswith(b"\x89PNG"):
        problems.append("models.png is not a PNG")
    table = (out / "models.md").read_text()
    if "| iterative | 10 | 10 |" not in table or "| floor | 10 | 10 |" not in table or "closed-loop" not in table:
        problems.append("models.md lacks the iterative or the floor row at 10 connections:\n" + table[:1500])
    document = json.loads((out / "models.json").read_text())
    for cell in document["cells"]:
        load = cell["load"]
        if cell["status"] != "ok" or load.get("requests", 0) <= 0 or load["latency_us"]["p50"] <= 0:
            problems.append(f"{cell['model']} at {cell['connections']}: no measurement: {cell}")
        if cell["server_cpu_us_per_rt"] is None:
            problems.append(f"{cell['model']} at {cell['connections']}: no server CPU per round trip: {cell}")
        if cell["peak_rss_kb"] <= 0 or cell["peak_pss_kb"] <= 0 or cell["processes"] < 1 or cell["threads"] < 1:
            problems.append(f"{cell['model']} at {cell['connections']}: nothing read from /proc: {cell}")
    return problems
