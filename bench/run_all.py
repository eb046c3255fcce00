"""Run every benchmark in bench/ and write one table of figures, targets and measurements.

Each script runs as its own process at the sizes the issues name (``--quick``: smaller ones, to check
the runner); its printed lines are read back for the figures, and its whole output is kept in
``test-output/bench/<name>.log``. The mixed load is the reliability suite's load test, run for 60 s
(``pytest -m heavy``). Where a figure is measured against a floor (what the same work costs at its
bare minimum), the floor stands beside it. The table goes to docs/benchmarks.md. The PostgreSQL benchmarks use
the server at ``--server`` (default 127.0.0.1:5432, user postgres), where they create and drop their
own databases.

    python -m bench.run_all [--quick] [--only NAME ...] [--output docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Figure:
    """One row: the ``pattern``'s ``group`` in the script's output, compared with the target."""

    name: str
    pattern: str
    unit: str
    target: str  # as the issue states it
    meets: Callable[[float], bool]
    group: str = "value"
    floor: str = ""  # the floor beside the figure: a template of the pattern's groups ("{floor} ms")


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str  # in bench/, or a command line of its own (the load test, through pytest)
    arguments: list[str]
    quick: list[str]
    figures: list[Figure]
    timeout: float = 1800

    def command(self, quick: bool) -> list[str]:
        arguments = self.quick if quick else self.arguments
        if self.script.endswith(".py"):
            return [sys.executable, str(ROOT / "bench" / self.script), *arguments]
        return [sys.executable, *self.script.split(), *arguments]

    def shown(self, quick: bool) -> str:
        arguments = self.quick if quick else self.arguments
        return " ".join([f"bench/{self.script}" if self.script.endswith(".py") else f"python {self.script}",
                         *arguments])


def _selection(label: str) -> Figure:
    return Figure(f"draw selection, {label}: time ÷ HMAC floor",
                  rf"^{re.escape(label)}\s+pairs.*selection\s+(?P<spent>[\d.]+) s\s+floor\s+(?P<floor>[\d.]+) s.*"
                  rf"ratio\s+(?P<value>[\d.]+)x", "×", "≤ 1.5 ×", lambda v: v <= 1.5,
                  floor="{floor} s (selection {spent} s)")


READS = {"expert": "GET /api/v1/experts/{code}?masked=true", "fields": "GET /api/v1/fields"}


def _request_path(backend: str, read: str) -> list[Figure]:
    name = f"{READS[read]} ({'SQLite' if backend == 'sqlite' else 'PostgreSQL'})".replace("{", "{{").replace("}", "}}")
    one, many = f"^{backend} {read} 1 client: ", f"^{backend} {read} 50 clients: "
    return [
        Figure(f"{name}, 1 client: service p50 ÷ floor",
               one + r"service p50 (?P<path>[\d.]+) ms, floor (?P<floor>[\d.]+) ms, ratio (?P<value>[\d.]+)x",
               "×", "≤ 1.5 ×", lambda v: v <= 1.5, floor="{floor} ms (service {path} ms)"),
        Figure(f"{name}, 1 client: gateway p50 ÷ floor",
               one + r"gateway p50 (?P<path>[\d.]+) ms, floor (?P<floor>[\d.]+) ms, ratio (?P<value>[\d.]+)x",
               "×", "≤ 2 ×", lambda v: v <= 2, floor="{floor} ms (gateway {path} ms)"),
        Figure(f"{name}, 50 clients: gateway throughput ÷ floor",
               many + r"gateway (?P<path>\d+) req/s .*floor (?P<floor>\d+) req/s .*ratio (?P<value>[\d.]+)x",
               "×", "≥ 0.7 ×", lambda v: v >= 0.7, floor="{floor} req/s (gateway {path} req/s)"),
    ]


def _signatures(profile: str, what: str, label: str) -> Figure:
    """Informative: the profiles side by side (their target is the panel draw's, measured there)."""
    return Figure(f"{profile}: {label}",
                  rf"^{re.escape(profile)}\s.*?{re.escape(what)}(?: \([\d,]+ pool\))?\s+(?P<value>[\d.]+) ms",
                  "ms", "beside the other profile", lambda _v: True)


def benchmarks(server: str) -> list[Benchmark]:
    return [
        Benchmark("draw_selection", "draw_selection.py", [], [], [
            _selection("one field, 100k candidates (5 + 2 reserves)"),
            _selection("one field, 1M candidates (5 + 2 reserves)"),
            _selection("5 overlapping fields, 100k candidates"),
            _selection("select on the same pool (20 seats + 2 reserves)"),
        ]),
        Benchmark("audit_verify", "audit_verify.py", ["--entries", "1000000"], ["--entries", "50000"], [
            Figure("audit verify, {entries} entries, one process",
                   r"^verify (?P<entries>[\d,]+) entries, 1 process: (?P<value>[\d.]+) s", "s", "< 20 s",
                   lambda v: v < 20),
            Figure("audit verify, {entries} entries, one process per core",
                   r"^verify (?P<entries>[\d,]+) entries, default [^:]*: (?P<value>[\d.]+) s", "s", "< 20 s",
                   lambda v: v < 20),
        ]),
        Benchmark("gateway_overhead", "gateway_overhead.py", ["--requests", "2000"], ["--requests", "200"], [
            Figure("gateway throughput ÷ direct, 1 client", r"^ 1 client\(s\): throughput ratio \S+ (?P<value>[\d.]+)",
                   "", "≥ 0.5", lambda v: v >= 0.5),
            Figure("gateway throughput ÷ direct, 10 clients",
                   r"^10 client\(s\): throughput ratio \S+ (?P<value>[\d.]+)", "", "≥ 0.5", lambda v: v >= 0.5),
            Figure("gateway p50 overhead, 1 client", r"^ 1 client\(s\): .*p50 overhead (?P<value>-?[\d.]+) ms", "ms",
                   "< 2 ms", lambda v: v < 2),
        ]),
        Benchmark("vendors_conflict_check", "vendors_conflict_check.py", ["--checks", "200"], ["--checks", "30"], [
            Figure("conflict check (50 bidders, 10k vendors), p50 at the service",
                   r"at the service \(uvicorn\)\s+p50\s+(?P<value>[\d.]+) ms", "ms", "< 30 ms", lambda v: v < 30),
            Figure("conflict check (50 bidders, 10k vendors), p50 through the gateway",
                   r"through the gateway \(uvicorn\)\s+p50\s+(?P<value>[\d.]+) ms", "ms", "< 50 ms",
                   lambda v: v < 50),
        ]),
        Benchmark("experts_import", "experts_import.py", ["--rows", "10000"], ["--rows", "1000"], [
            Figure("experts import, {rows} rows (csv), all new",
                   r"^sheet: (?P<rows>\d+) rows[\s\S]*?^first import \(all new\)\s+(?P<value>[\d.]+) s", "s", "< 20 s",
                   lambda v: v < 20),
            Figure("experts import, {rows} rows (csv), all updates",
                   r"^sheet: (?P<rows>\d+) rows[\s\S]*?^re-import \(all updates\)\s+(?P<value>[\d.]+) s", "s",
                   "< 20 s", lambda v: v < 20),
        ]),
        Benchmark("experts_eligibility", "experts_eligibility.py",
                  ["--experts", "100000", "--queries", "40", "--server", server],
                  ["--experts", "5000", "--queries", "10", "--server", server], [
            Figure("eligibility over {experts} experts (PostgreSQL), p50",
                   r"^pool of (?P<experts>[\d,]+) experts[\s\S]*?"
                   r"^find_eligible over \d+ meetings: p50 (?P<value>[\d.]+) ms",
                   "ms", "< 300 ms", lambda v: v < 300),
        ]),
        Benchmark("request_path", "request_path.py", ["--requests", "1000", "--server", server],
                  ["--requests", "200", "--server", server],
                  [figure for backend in ("sqlite", "postgresql") for read in READS
                   for figure in _request_path(backend, read)]),
        Benchmark("mixed_load", "-m pytest -p no:cacheprovider -m heavy tests/reliability/test_load.py -k 60",
                  [], [], [
            Figure("mixed load (50 clients, 2 processes per service, PostgreSQL, 60 s): throughput",
                   r"^\d+ requests from 50 clients in [\d.]+ s: (?P<value>[\d.]+)/s", "req/s", "≥ 100 req/s",
                   lambda v: v >= 100),
            Figure("mixed load: p99 latency", r"^\d+ requests from 50 clients .*p99 (?P<value>\d+) ms", "ms",
                   "< 2000 ms", lambda v: v < 2000),
            Figure("mixed load: no error, no expert seated twice, every chain verified (the test passes)",
                   r"^(?:=+ )?(?P<value>\d+) passed", "passed", "1 passed", lambda v: v == 1),
        ], timeout=900),
        Benchmark("panel_draw", "panel_draw.py", ["--experts", "10000", "--panels", "40", "--server", server],
                  ["--experts", "1000", "--panels", "10", "--server", server], [
            Figure("panel draw through the gateway, commit + reveal, {experts} experts (PostgreSQL), p50",
                   r"^pool of (?P<experts>[\d,]+) experts[\s\S]*?^full panel draw through the gateway: "
                   r"p50 (?P<value>[\d.]+) ms", "ms", "< 250 ms", lambda v: v < 250),
            Figure("panel draw through the gateway under sortes-draw/1-sm (SM2, SM3), commit + reveal, {experts} "
                   "experts (PostgreSQL), p50",
                   r"^pool of (?P<experts>[\d,]+) experts[\s\S]*?^full panel draw through the gateway "
                   r"\[sortes-draw/1-sm\]: p50 (?P<value>[\d.]+) ms", "ms", "< 250 ms", lambda v: v < 250),
        ]),
        Benchmark("draw_signatures", "draw_signatures.py", [], ["--pool", "1000", "--repeat", "3"], [
            *(_signatures(profile, what, label) for profile in ("sortes-draw/1 (Ed25519, SHA-256)",
                                                                "sortes-draw/1-sm (SM2, SM3)")
              for what, label in (("sign", "one signature"), ("verify signature", "one signature checked"),
                                  ("commit + reveal", "commit and reveal of a 10,000-candidate draw"),
                                  ("verify record", "verify_record of that draw")))
        ]),
    ]


@dataclass
class Row:
    figure: str
    target: str
    measured: str
    met: str
    floor: str = "—"


def run_one(benchmark: Benchmark, quick: bool, logs: Path, reuse: bool = False) -> tuple[list[Row], float]:
    command = benchmark.command(quick)
    print(f"bench: {benchmark.shown(quick)} …", flush=True)
    began = time.perf_counter()
    if reuse:  # the output an earlier run kept: the table written again without measuring again
        output, failure = (logs / f"{benchmark.name}.log").read_text(encoding="utf-8"), ""
        rows = [read_figure(figure, output, failure) for figure in benchmark.figures]
        return rows, 0.0
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=benchmark.timeout,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
        output, failure = done.stdout + done.stderr, f"exit {done.returncode}" if done.returncode else ""
    except subprocess.TimeoutExpired as expired:
        output, failure = f"{expired.stdout or ''}{expired.stderr or ''}", f"timed out after {benchmark.timeout:.0f} s"
    elapsed = time.perf_counter() - began
    (logs / f"{benchmark.name}.log").write_text(" ".join(command) + "\n\n" + str(output), encoding="utf-8")
    rows = [read_figure(figure, str(output), failure) for figure in benchmark.figures]
    for row in rows:
        print(f"  {row.figure}: {row.measured} (target {row.target}) {row.met}", flush=True)
    return rows, elapsed


def read_figure(figure: Figure, output: str, failure: str) -> Row:
    found = re.search(figure.pattern, output, re.MULTILINE)
    if found is None:
        name = re.sub(r"(?<!\{)\{\w+\}(?!\})", "…", figure.name).replace("{{", "{").replace("}}", "}")
        return Row(name, figure.target, f"not measured ({failure or 'no figure printed'})", "—")
    value = float(found.group(figure.group))
    groups = {key: text for key, text in found.groupdict().items() if key != figure.group}
    measured = f"{found.group(figure.group)} {figure.unit}".strip()
    return Row(figure.name.format(**groups), figure.target, measured, "yes" if figure.meets(value) else "no",
               figure.floor.format(**groups) if figure.floor else "—")


def machine() -> str:
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("\n", 1)[0].split()[1])
        memory = f", {kib / 2**20:.0f} GiB memory"
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores{memory}, "
            f"Python {platform.python_version()}")


def write_table(path: Path, rows: list[Row], runs: list[tuple[Benchmark, float]], quick: bool) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`python -m bench.run_all{' --quick' if quick else ''}`) on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: {machine()}. Each script in `bench/` says in its "
        "docstring what it measures and how; the sizes are the issues' own"
        + (" — except this was a `--quick` run, at smaller sizes." if quick else "."),
        "",
        "| figure | target | measured | floor | met |",
        "|---|---|---|---|---|",
        *(f"| {row.figure} | {row.target} | {row.measured} | {row.floor} | {row.met} |" for row in rows),
        "",
        "Runs: " + "; ".join(f"`{b.shown(quick)}` {elapsed:.0f} s" for b, elapsed in runs) + ".",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the runner, not the targets")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these (script names without .py)")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server for the PostgreSQL benchmarks")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--reuse", nargs="+", metavar="NAME", default=[],
                        help="read these from the logs of an earlier run instead of running them again")
    args = parser.parse_args()
    chosen = [b for b in benchmarks(args.server) if not args.only or b.name in args.only]
    if args.only and len(chosen) != len(set(args.only)):
        parser.error(f"--only takes names among {', '.join(b.name for b in benchmarks(args.server))}")
    logs = ROOT / "test-output" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    runs: list[tuple[Benchmark, float]] = []
    for benchmark in chosen:
        measured, elapsed = run_one(benchmark, args.quick, logs, benchmark.name in args.reuse)
        rows += measured
        runs.append((benchmark, elapsed))
    write_table(args.output, rows, runs, args.quick)
    print(f"bench: table written to {args.output}; outputs in {logs}")
    return 1 if any(row.met == "—" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
