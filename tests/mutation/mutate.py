"""A small mutation runner: does the suite notice when the code that carries a promise is broken?

Each module below is parsed and mutated one small change at a time — a comparison turned
(``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``, ``in`` ↔ ``not in``, ``is`` ↔ ``is not``), ``and``
↔ ``or``, ``+`` ↔ ``-``, ``not x`` → ``x``, ``True`` ↔ ``False``, an integer constant plus one, a
called statement dropped (``await audit.record(…)`` → ``pass``); annotations and decorators are left
alone. Each mutant is written over the
module and the test files mapped to it run on SQLite, stopping at the first failure; a mutant that
survives there meets their PostgreSQL cases too (when PostgreSQL answers at 127.0.0.1:5432, unless
``--sqlite-only``; one known to survive SQLite from such a run meets PostgreSQL straight away): the
locks and the branches written for PostgreSQL do nothing on SQLite. A failing
run kills the mutant, a green one lets it survive. The module is put back after every mutant, and
on any exit.

A mutant no test could tell from the code (a chunk size under every driver's limit, say) is marked in
the module beside it, with why: ``# equivalent mutant: <change> — <why>`` on its line or in the comment
lines right above. It is not run, and the score leaves it out (killed of those run and not marked); the
table counts the marked ones apart and every mark is printed with its reason. A mark that names no
mutant of its line stops the run.

    python -m tests.mutation.mutate [--budget SECONDS] [--module PATH …] [--list] [--survivors-of REPORT] [--fresh]
                                    [--cache PATH] [--no-fork] [--sqlite-only]

``make mutate`` runs it with the budget in ``MUTATE_BUDGET`` (seconds). Modules run in the order
below, every mutant of one before the next; what the budget leaves unrun is counted and printed, so
a score is never read for more than it covers. Outcomes are kept in ``tests/mutation/outcomes.json``,
which is committed (sorted, one key a line): the next run, in this checkout or another, takes the
known ones from there and goes on where the budget stopped (a kill is kept while the module's code is
unchanged — comments and layout aside —, a survivor while its mapped tests are unchanged too).
docs/testing.md explains the survivors.

The tests run in a fork of this process: it imports pytest, its plugins and the third-party libraries
the tests use once (``PRELOAD``), never a module of the project; each mutant's child compiles the
project from source (no bytecode read or written) and runs ``pytest.main``, so a mutant costs its
tests and the project's imports, not an interpreter start. ``--no-fork`` starts ``python -m pytest``
for each mutant instead.

A mutant meets only the mapped tests that reach the statement it changes. The unmutated run that
every module starts with runs under a line tracer that knows which test runs, so each line is known
by the tests that executed it; a mutant's statement (a simple statement whole, a compound one's
header) selects those tests, file by file in the order they ran, the quickest of each file first.
A module's statements that run at import (constants, classes, function headers and default values)
meet every mapped test, wherever the first import happened; one that no test executed survives
without a run (``no tests``; a test that reaches it only in a process of its own, such as a
command-line run, is not seen). Modules mapped to the same tests share one measured run. A test that
fails on a mutant is run alone on the unmutated module once; when it fails there too (it leans on a
test before it), the mutant is run again against every mapped test, so a test's own failure never
counts as a kill. ``--no-fork`` runs every mapped test.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import hashlib
import importlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tokenize
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTCOMES = ROOT / "tests" / "mutation" / "outcomes.json"
# The project's own top-level packages: never imported by the runner's process, which its children share.
PROJECT = ("shared", "services", "sortes_cli", "tests", "bench")
# Imported once by the runner before it forks (pytest's own plugins are added to these): the test
# run's third-party imports, so that a child finds them loaded. A name missing here only costs its
# import in every child.
PRELOAD = (
    "pytest", "pytest_asyncio.plugin", "_hypothesis_pytestplugin", "anyio.pytest_plugin",
    "faker.contrib.pytest.plugin", "schemathesis.pytest.plugin", "schemathesis", "hypothesis", "hypothesis.strategies",
    "litestar", "litestar.testing", "litestar._kwargs", "litestar.exceptions.responses",
    "litestar.middleware._internal.exceptions.middleware", "litestar.middleware.allowed_hosts",
    "litestar.middleware.csrf", "litestar.middleware.rate_limit", "litestar.middleware.response_cache",
    "litestar.openapi.plugins", "litestar.plugins.jinja", "litestar.plugins.prometheus", "litestar.static_files",
    "sqlalchemy", "sqlalchemy.orm", "sqlalchemy.ext.asyncio", "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.dialects.postgresql.asyncpg", "aiosqlite", "asyncpg", "alembic.config", "alembic.command",
    "msgspec", "cryptography.hazmat.primitives.asymmetric.ed25519", "cryptography.hazmat.primitives.ciphers.aead",
    "cryptography.hazmat.primitives.kdf.scrypt", "httpx", "httpcore", "openpyxl", "jinja2", "jwt",
    "prometheus_client", "gmalg", "gmssl", "uvicorn", "yaml", "requests",
)
# The same for both ways of running the tests: stop at the first failure.
PYTEST_ARGS = ["-q", "-x", "-p", "no:cacheprovider", "--no-header", "--durations=0", "-W", "ignore"]
# The two stages a mutant meets, each the mapped tests on one database (their pytest markers): SQLite first;
# a survivor there meets the PostgreSQL cases too (locks, and branches written for PostgreSQL alone).
ON_SQLITE = "not postgres and not heavy"
ON_POSTGRES = "postgres and not heavy"
POSTGRES_ADDRESS = ("127.0.0.1", 5432)

# The tests of a panel's life: drawn, sealed, invited, declined, re-drawn, printed, assessed, archived.
PANEL_TESTS = [f"tests/experts/test_{name}.py" for name in (
    "panels", "sealed_lists", "notifications", "reroll", "panel_papers", "panel_purposes", "assessments", "archive",
    "panel_refusals", "panel_edges", "panel_module_edges", "checks_calendar_statistics",
    "seat_locks", "panel_locks")]  # the last two on PostgreSQL only: who waits for whose seats and panel

# The edges of availability, training and automatic suspension, in one file.
AVAILABILITY_EDGES = "tests/experts/test_availability_training_edges.py"

# The vendors service's tests: registry, engagements, conflict checks, exclusions, ratings, spreadsheets.
VENDOR_TESTS = ["tests/vendors"]

# The code that carries the promises, each with the tests that should notice it broken. Not the demo data
# that `make run` loads (services/*/demo.py, beside the app that loads it): its numbers are invented, any in
# range serves, and what it promises (loads once, valid IDs, drawable) is tested in tests/experts/test_demo.py.
TARGETS: dict[str, list[str]] = {
    # The audit chain and its rows.
    "shared/audit/chain.py": ["tests/shared/audit"],
    "shared/audit/rows.py": ["tests/shared/audit"],
    "shared/audit/recorder.py": ["tests/shared/audit"],
    "shared/audit/appends.py": ["tests/shared/audit"],
    "shared/audit/checkpoints.py": ["tests/shared/audit"],
    "shared/audit/store.py": ["tests/shared/audit"],
    "shared/audit/tables.py": ["tests/shared/audit", "tests/shared/test_schema_matches_migrations.py"],
    "shared/audit/settings.py": ["tests/shared/audit"],
    # The draw.
    "shared/draw/verify.py": ["tests/shared/draw"],
    "shared/draw/protocol.py": ["tests/shared/draw/test_draw_vectors.py", "tests/shared/draw/test_draw_properties.py",
                                "tests/shared/draw/test_draw_verify.py", "tests/shared/draw/test_draw_sm.py"],
    "shared/draw/keys.py": ["tests/shared/draw/test_draw_vectors.py", "tests/shared/draw/test_draw_sm.py",
                            "tests/shared/draw/test_draw_verify.py"],
    # The gateway's middleware: quotas, stored answers, who the caller is.
    "services/gateway/edge/rate_limits.py": ["tests/gateway/test_rate_limits.py"],
    "services/gateway/edge/idempotency.py": ["tests/gateway/test_idempotency.py"],
    "services/gateway/edge/security_headers.py": ["tests/gateway/test_security_headers.py"],
    "services/gateway/identity/authentication.py": ["tests/gateway/test_session_revocation.py",
                                                    "tests/gateway/test_console_sessions.py",
                                                    "tests/gateway/test_accounts.py"],
    "services/gateway/identity/callers.py": ["tests/gateway/test_session_revocation.py",
                                             "tests/gateway/test_accounts.py"],
    "services/gateway/identity/api_keys.py": ["tests/gateway/test_accounts.py",
                                              "tests/gateway/test_session_revocation.py"],
    "services/gateway/identity/sessions.py": ["tests/gateway/test_session_revocation.py",
                                              "tests/gateway/test_console_sessions.py"],
    # The experts service's domain.
    "services/experts/domain/eligibility.py": ["tests/experts/test_eligibility.py", "tests/experts/test_panels.py"],
    "services/experts/domain/seats.py": PANEL_TESTS,
    "services/experts/domain/panels.py": PANEL_TESTS,
    "services/experts/domain/draws.py": PANEL_TESTS,
    "services/experts/domain/panel_views.py": PANEL_TESTS,
    "services/experts/domain/reroll.py": PANEL_TESTS,
    "services/experts/domain/evaluations.py": PANEL_TESTS,
    "services/experts/domain/printable.py": PANEL_TESTS,
    "services/experts/domain/statistics.py": PANEL_TESTS,
    "services/experts/domain/availability.py": ["tests/experts/test_availability.py",
                                                "tests/experts/test_eligibility.py", AVAILABILITY_EDGES],
    "services/experts/domain/training.py": ["tests/experts/test_training.py", "tests/experts/test_experts.py",
                                            AVAILABILITY_EDGES],
    "services/experts/domain/suspension.py": ["tests/experts/test_suspension.py", "tests/experts/test_assessments.py",
                                              AVAILABILITY_EDGES],
    "services/experts/domain/experts.py": ["tests/experts/test_experts.py", "tests/experts/test_profile_edges.py",
                                           "tests/experts/test_registry_days.py",
                                           "tests/experts/test_retirement_and_checks.py"],
    "services/experts/domain/fields.py": ["tests/experts/test_fields.py", "tests/experts/test_field_edges.py"],
    "services/experts/domain/personal_data.py": ["tests/experts/test_personal_data.py",
                                                 "tests/experts/test_masking_holds.py", "tests/experts/test_experts.py",
                                                 "tests/cli/test_cli_keys.py"],
    # The key files are written by the service and by `sortes keys`, whose tests run it in this process.
    "services/experts/domain/draw_keys.py": ["tests/experts/test_draw_key_rotation.py", "tests/cli/test_cli_keys.py",
                                             "tests/cli/test_cli_key_files.py",
                                             "tests/shared/audit/test_sm_profile.py"],
    "services/experts/domain/spreadsheets.py": ["tests/experts/test_spreadsheets.py",
                                                "tests/experts/test_spreadsheet_edges.py",
                                                "tests/experts/test_cli_import.py"],
    "services/experts/domain/spot_checks.py": PANEL_TESTS,
    "services/experts/domain/supervision.py": PANEL_TESTS,
    "services/experts/domain/working_days.py": PANEL_TESTS,
    "services/experts/domain/statuses.py": ["tests/experts/test_experts.py"],
    # The vendors service's domain: every module against the vendors' tests (one measured run for them all).
    "services/vendors/domain/exclusions.py": VENDOR_TESTS,
    "services/vendors/domain/conflicts.py": VENDOR_TESTS,
    "services/vendors/domain/involvement.py": VENDOR_TESTS,
    "services/vendors/domain/rules.py": VENDOR_TESTS,
    "services/vendors/domain/ratings.py": VENDOR_TESTS,
    "services/vendors/domain/engagements.py": VENDOR_TESTS,
    "services/vendors/domain/vendors.py": VENDOR_TESTS,
    "services/vendors/domain/inputs.py": VENDOR_TESTS,
    "services/vendors/domain/personal_data.py": [*VENDOR_TESTS, "tests/cli/test_cli_keys.py"],
    "services/vendors/domain/spreadsheets.py": VENDOR_TESTS,
}

_SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.And: ast.Or, ast.Or: ast.And, ast.Add: ast.Sub, ast.Sub: ast.Add,
}
_SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in",
           ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.And: "and", ast.Or: "or", ast.Add: "+",
           ast.Sub: "-"}


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int
    line: int
    change: str


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    killed: bool
    seconds: float
    cached: bool = False
    tests: str = "all"  # the tests run against it: "all" mapped, "N of M" that reached its statement, or "no"
    equivalent: str = ""  # why it cannot be told apart from the code (marked in the module): not run, not scored


class _Mutator(ast.NodeTransformer):
    """Walks a module in a fixed order, numbering every place a mutation can go; changes the
    ``target``-th (or none, when only counting)."""

    def __init__(self, target: int | None = None) -> None:
        self.target, self.points, self.applied = target, [], None

    def _point(self, node: ast.AST, change: str) -> bool:
        self.points.append((node.lineno, change))
        if len(self.points) - 1 == self.target:
            self.applied = (node.lineno, change)
            return True
        return False

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        # Docstrings and constant expressions stay; a statement that only calls something may be dropped.
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        if isinstance(value, ast.Call) and self._point(node, f"drop `{ast.unparse(node)[:60]}`"):
            return ast.copy_location(ast.Pass(), node)
        return self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        for position, op in enumerate(node.ops):
            swapped = _SWAPS.get(type(op))
            if swapped and self._point(node, f"{_SYMBOL[type(op)]} → {_SYMBOL[swapped]}"):
                node.ops[position] = swapped()
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        swapped = _SWAPS[type(node.op)]
        if self._point(node, f"{_SYMBOL[type(node.op)]} → {_SYMBOL[swapped]}"):
            node.op = swapped()
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        swapped = _SWAPS.get(type(node.op))
        if swapped and self._point(node, f"{_SYMBOL[type(node.op)]} → {_SYMBOL[swapped]}"):
            node.op = swapped()
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and self._point(node, "drop `not`"):
            return node.operand
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, bool):
            if self._point(node, f"{node.value} → {not node.value}"):
                return ast.copy_location(ast.Constant(not node.value), node)
        elif isinstance(node.value, int) and self._point(node, f"{node.value} → {node.value + 1}"):
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node

    # Type annotations are not behaviour: leave them (and what `from __future__` makes text) alone.
    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return node

    # Decorators are configuration (``@dataclass(frozen=True)``, a route's path), not the behaviour tested here.
    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.body = [statement for statement in map(self.visit, node.body) if statement is not None]
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.args.defaults = [self.visit(default) for default in node.args.defaults]
        node.args.kw_defaults = [default and self.visit(default) for default in node.args.kw_defaults]
        node.body = [statement for statement in map(self.visit, node.body) if statement is not None]
        return node

    visit_AsyncFunctionDef = visit_FunctionDef


def mutants_of(module: str) -> list[Mutant]:
    counter = _Mutator()
    counter.visit(ast.parse((ROOT / module).read_text(encoding="utf-8")))
    return [Mutant(module, index, line, change) for index, (line, change) in enumerate(counter.points)]


EQUIVALENT_MARK = "equivalent mutant:"


def equivalence_marks(source: str) -> dict[tuple[int, str], str]:
    """The mutants a module marks as equivalent — no test could tell them from the code — with why:
    ``# equivalent mutant: <change> — <why>``, written on the mutant's line or in the comment lines
    right above it. (line, change) → why."""
    marks: dict[tuple[int, str], str] = {}
    lines = source.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING and EQUIVALENT_MARK in token.string:  # pasted into a docstring
            raise ValueError(f"line {token.start[0]}: a mark inside a string marks nothing")
        if token.type != tokenize.COMMENT or EQUIVALENT_MARK not in token.string:
            continue
        row = token.start[0]
        change, _, why = token.string.split(EQUIVALENT_MARK, 1)[1].partition(" — ")
        if not why.strip():
            raise ValueError(f"line {row}: a mark says which change and why: {token.string.lstrip('# ')}")
        if not lines[row - 1][:token.start[1]].strip():  # a comment line: the mark is for the code below the block
            while row < len(lines) and lines[row].lstrip().startswith("#"):
                row += 1
            if row >= len(lines) or not lines[row].strip():
                raise ValueError(f"line {token.start[0]}: no code right below: {token.string.lstrip('# ')}")
            row += 1
        marks[row, change.strip()] = why.strip()
    return marks


def equivalents_of(module: str, source: str) -> dict[int, str]:
    """The module's marked mutants by number, with why; a mark naming no mutant of its line (the code
    changed under it) stops the run."""
    try:
        marks = equivalence_marks(source)
    except ValueError as error:
        raise SystemExit(f"{module}: {error}") from None
    found: dict[tuple[int, str], list[int]] = {}
    for mutant in mutants_of(module):
        found.setdefault((mutant.line, mutant.change), []).append(mutant.index)  # two `0 → 1` on a line: both
    for line, change in marks:
        if (line, change) not in found:
            raise SystemExit(f"{module}:{line}: no mutant `{change}` here; mend or drop the mark")
    return {index: why for place, why in marks.items() for index in found[place]}


def mutated_source(mutant: Mutant) -> str:
    mutator = _Mutator(target=mutant.index)
    tree = ast.fix_missing_locations(mutator.visit(ast.parse((ROOT / mutant.module).read_text(encoding="utf-8"))))
    assert mutator.applied == (mutant.line, mutant.change), (mutator.applied, mutant)
    return ast.unparse(tree) + "\n"


def run_tests(tests: list[str], timeout: float, fork: bool = True, marks: str = ON_SQLITE) -> bool:
    """True when the tests pass (the mutant survives); a timeout counts as caught."""
    if fork:
        return _run_in_fork(tests, timeout, marks=marks).passed
    return _run_in_subprocess(tests, timeout, marks)


def postgres_reachable() -> bool:
    """Whether the PostgreSQL the tests use answers at its address (a connection only: no event loop
    may run in the process that forks)."""
    try:
        socket.create_connection(POSTGRES_ADDRESS, timeout=2).close()
    except OSError:
        return False
    return True


def _run_in_subprocess(tests: list[str], timeout: float, marks: str) -> bool:
    command = [sys.executable, "-m", "pytest", *PYTEST_ARGS, "-m", marks, *tests]
    try:
        return subprocess.run(command, cwd=ROOT, capture_output=True, timeout=timeout,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _project_modules() -> list[str]:
    return [name for name in sys.modules if name.split(".")[0] in PROJECT]


def preload() -> None:
    """Imports what the children need from outside the project, once, and checks that nothing of the
    project came along (the runner's own ``tests.mutation`` aside) and that no thread runs: a fork
    copies only the thread that forks."""
    from _pytest.config import default_plugins

    for name in (*(f"_pytest.{plugin}" for plugin in default_plugins), *PRELOAD):
        with contextlib.suppress(ImportError):  # a tool not installed here is imported by no test that runs
            importlib.import_module(name)
    stray = [name for name in _project_modules() if name not in ("tests", "tests.mutation", "tests.mutation.mutate")]
    if stray:
        raise SystemExit(f"the runner imported modules of the project before forking: {', '.join(sorted(stray))}")
    _check_fork_safe()


def _check_fork_safe() -> None:
    if threading.active_count() > 1:
        raise SystemExit(f"{threading.active_count()} threads run in the runner; a fork would copy one "
                         "(use --no-fork)")
    import asyncio

    if asyncio._get_running_loop() is not None:
        raise SystemExit("an event loop runs in the runner; cannot fork (use --no-fork)")


@dataclass(frozen=True)
class Run:
    """One forked test run: whether it passed, the first test that failed (none on a timeout or a
    crash), and, when asked for, which tests reached which lines of one module."""

    passed: bool
    failed: str | None = None
    reach: dict[str, Reach] | None = None  # by module
    seconds: float = 0.0


@dataclass(frozen=True)
class Reach:
    """Which tests executed each line of a module, from one unmutated run under a line tracer: ``tests`` in
    the order they ran, ``lines`` each line's tests (by position in ``tests``), ``at_import`` the
    lines executed outside any test (imports, collection)."""

    tests: list[str]
    lines: dict[int, set[int]]
    at_import: set[int]
    seconds: dict[str, float]  # each test's time in that run (setup, call and teardown)


class _LineTracer:
    """Notes which test executes each line of the given files. A trace function is given to each
    frame of those files as it is entered or resumed, and nothing else is kept, so the greenlet
    switches of SQLAlchemy's async sessions lose no line (coverage.py's tracer keeps a stack per
    thread, which those switches upset: it missed most of ``seats.py`` after the first flush)."""

    def __init__(self, files: set[str]) -> None:
        self.files = files
        self.test = ""  # "": outside any test (imports, collection)
        self.lines: dict[str, dict[int, set[str]]] = {file: {} for file in files}
        self._known: dict[str, str | None] = {}

    def _entered(self, frame: object, event: str, arg: object) -> object:
        name = frame.f_code.co_filename
        if name not in self._known:
            absolute = os.path.abspath(name)
            self._known[name] = absolute if absolute in self.files else None
        return self._line if self._known[name] is not None else None

    def _line(self, frame: object, event: str, arg: object) -> object:
        if event == "line":
            self.lines[self._known[frame.f_code.co_filename]].setdefault(frame.f_lineno, set()).add(self.test)
        return self._line

    def start(self) -> None:
        threading.settrace(self._entered)
        sys.settrace(self._entered)

    def stop(self) -> None:
        sys.settrace(None)
        threading.settrace(None)

    def reach_of(self, file: str, ran: list[str], seconds: dict[str, float]) -> dict:
        position = {test: index for index, test in enumerate(ran)}
        lines = {line: sorted(position[test] for test in tests if test in position)
                 for line, tests in self.lines[file].items()}
        return {"tests": ran, "seconds": seconds, "lines": {line: tests for line, tests in lines.items() if tests},
                "at_import": [line for line, tests in self.lines[file].items() if "" in tests]}


class _Observer:
    """A pytest plugin in the child: notes the first test that fails and, with a line tracer running,
    tells it which test runs, so each line is known by the tests that reach it."""

    def __init__(self, tracer: _LineTracer | None) -> None:
        self.tracer, self.failed, self.ran = tracer, None, []
        self.seconds: dict[str, float] = {}

    def pytest_runtest_protocol(self, item: object, nextitem: object) -> None:
        self.ran.append(item.nodeid)
        if self.tracer is not None:
            self.tracer.test = item.nodeid

    def pytest_runtest_logreport(self, report: object) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration
        if report.failed and self.failed is None:
            self.failed = report.nodeid


def _run_in_fork(tests: list[str], timeout: float, reach_of: tuple[str, ...] = (), marks: str = ON_SQLITE) -> Run:
    """The tests in a child of this process, in a process group of its own (killed whole on timeout),
    importing the project afresh from source: no bytecode is read or written. With ``reach_of`` (modules'
    paths) the child runs under a line tracer and reports which tests reach which of their lines."""
    _check_fork_safe()
    began = time.monotonic()
    pycache = tempfile.mkdtemp(prefix="mutate-pycache-")
    result = Path(pycache) / "result.json"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 70
        try:
            os.setpgrp()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            sys.dont_write_bytecode = True
            sys.pycache_prefix = pycache  # empty: no stale bytecode of the unmutated module can be loaded
            os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.chdir(ROOT)
            importlib.invalidate_caches()
            for name in _project_modules():  # the runner's own packages: the tests import them afresh
                del sys.modules[name]
            import pytest

            tracer = _LineTracer({str(ROOT / module) for module in reach_of}) if reach_of else None
            if tracer is not None:
                tracer.start()
            observer = _Observer(tracer)
            code = int(pytest.main([*PYTEST_ARGS, "-m", marks, *tests], plugins=[observer]))
            answer: dict = {"failed": observer.failed}
            if tracer is not None:
                tracer.stop()
                answer["reach"] = {module: tracer.reach_of(str(ROOT / module), observer.ran, observer.seconds)
                                   for module in reach_of}
            result.write_text(json.dumps(answer), encoding="utf-8")
        finally:
            os._exit(code)
    try:
        with contextlib.suppress(OSError):  # also here, so that a kill right after the fork finds the group
            os.setpgid(pid, pid)
        ends = time.monotonic() + timeout
        while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            if time.monotonic() > ends:
                break
            time.sleep(0.05)
    finally:
        # Whatever the child started goes with it; the unreaped child keeps the group's id from reuse.
        for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            with contextlib.suppress(OSError):
                kill()
        _, status = os.waitpid(pid, 0)
        answer = json.loads(result.read_text(encoding="utf-8")) if result.exists() else {}
        shutil.rmtree(pycache, ignore_errors=True)
    reach = {module: Reach(seen["tests"], {int(line): set(tests) for line, tests in seen["lines"].items()},
                           set(seen["at_import"]), seen["seconds"])
             for module, seen in answer.get("reach", {}).items()}
    # pytest's 5: no test selected (a module's tests with no PostgreSQL case): nothing failed.
    return Run(os.waitstatus_to_exitcode(status) in (0, 5), answer.get("failed"), reach or None,
               time.monotonic() - began)


def statement_lines(source: str) -> dict[int, range]:
    """For each line, the lines of the innermost statement around it that run with it: a simple
    statement whole, a compound one's header (``if …:``, ``for …:``, ``def …(…):``) without its body."""
    around: dict[int, range] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.stmt):
            continue
        body = getattr(node, "body", None)
        last = body[0].lineno - 1 if isinstance(body, list) and body else node.end_lineno
        first = min([node.lineno, *(decorator.lineno for decorator in getattr(node, "decorator_list", []))])
        header = range(first, max(first, last) + 1)
        for line in header:
            if line not in around or len(header) < len(around[line]):
                around[line] = header
    return around


def import_time_lines(source: str) -> set[int]:
    """The lines a module runs when it is imported: its own and its classes' statements, and each
    function's header (decorators, default values), not a function's body. The first test to import
    the module would otherwise be the only one seen to reach them."""
    lines: set[int] = set()

    def walk(statements: list[ast.stmt]) -> None:
        for node in statements:
            first = min([node.lineno, *(decorator.lineno for decorator in getattr(node, "decorator_list", ()))])
            body = getattr(node, "body", None)
            if not isinstance(body, list):  # a simple statement
                lines.update(range(first, node.end_lineno + 1))
                continue
            lines.update(range(first, body[0].lineno))  # the header
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue  # its body runs when it is called
            walk(body)
            walk(getattr(node, "orelse", []))
            walk(getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                lines.update(range(handler.lineno, handler.body[0].lineno))
                walk(handler.body)

    walk(ast.parse(source).body)
    return lines


def tests_reaching(mutant: Mutant, reach: Reach, around: dict[int, range], at_import: set[int]) -> list[str] | None:
    """The tests to run against a mutant: those that executed its statement, in the order they ran
    (an empty list when none did); None (run them all) when the statement runs at import."""
    lines = around.get(mutant.line, range(mutant.line, mutant.line + 1))
    if any(line in reach.at_import or line in at_import for line in lines):
        return None
    positions = set().union(*(reach.lines.get(line, set()) for line in lines))
    # File by file as they ran, the quickest tests of each first: a caught mutant is caught sooner.
    files = {test.split("::")[0]: index for index, test in reversed(list(enumerate(reach.tests)))}
    tests = [reach.tests[position] for position in positions]
    return sorted(tests, key=lambda test: (files[test.split("::")[0]], reach.seconds.get(test, 0.0), test))


# The unmutated run of each list of mapped tests on each database, tracing every module mapped to that
# list: modules sharing their tests share one such run.
_BASELINES: dict[tuple[tuple[str, ...], str], Run] = {}


def baseline_of(module: str, marks: str = ON_SQLITE) -> Run:
    tests = tuple(TARGETS[module])
    if (tests, marks) not in _BASELINES:
        sharing = tuple(other for other, its in TARGETS.items() if tuple(its) == tests)
        _BASELINES[tests, marks] = _run_in_fork(list(tests), timeout=1800, reach_of=sharing, marks=marks)
    return _BASELINES[tests, marks]


def _digest(*texts: str) -> str:
    return hashlib.sha256("\0".join(texts).encode("utf-8")).hexdigest()[:16]


def code_of(source: str) -> str:
    """A module's code without its comments and layout: a comment (an equivalence mark) changes no outcome."""
    return ast.dump(ast.parse(source))


def tests_digest(tests: list[str], postgres: bool = False) -> str:
    """The mapped test files' text (every .py file under a mapped folder), with the shared fixtures, and
    whether their PostgreSQL cases run too: a survivor of SQLite alone meets them when they can."""
    files: list[Path] = [ROOT / "tests" / "conftest.py"]
    for test in tests:
        path = ROOT / test
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return _digest(*(f"{file.relative_to(ROOT)}\n{file.read_text(encoding='utf-8')}" for file in files),
                   *(["on PostgreSQL too"] if postgres else []))


class Cache:
    """Outcomes already known, so a run resumes where the budget stopped the last one and a rerun is
    cheap. A kill is kept while the module's code is the same (tests are added, rarely weakened); a
    survivor only while the module's mapped tests are the same too, so new tests meet it again.
    ``--fresh`` ignores it. The file is committed (``OUTCOMES``): written with sorted keys, one a line,
    so that a run's diff shows its new outcomes and two branches' files merge line by line."""

    def __init__(self, path: Path, use: bool) -> None:
        self.path, self.use = path, use
        self.known: dict[str, bool] = {}
        if use and path.exists():
            self.known = json.loads(path.read_text(encoding="utf-8"))

    @staticmethod
    def keys(mutant: Mutant, source: str, tests: str) -> tuple[str, str]:
        # By the mutant's number, not its line: a comment added above it moves the line, not the mutant. The
        # code without comments or layout (``code_of``): its numbering is the same while that is.
        where = f"{mutant.module}:{mutant.change}#{mutant.index}"
        code = code_of(source)
        return f"killed {_digest(code)} {where}", f"survived {_digest(code, tests)} {where}"

    def get(self, mutant: Mutant, source: str, tests: str) -> bool | None:
        """True: killed; False: survived these very tests; None: unknown."""
        killed, survived = self.keys(mutant, source, tests)
        if not self.use:
            return None
        return True if killed in self.known else (False if survived in self.known else None)

    def put(self, mutant: Mutant, source: str, tests: str, killed: bool) -> None:
        self.known[self.keys(mutant, source, tests)[0 if killed else 1]] = True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Whole or not at all: a stopped run never leaves half a file to commit.
        written = self.path.with_name(self.path.name + ".tmp")
        written.write_text(json.dumps(self.known, ensure_ascii=False, indent=0, sort_keys=True) + "\n",
                           encoding="utf-8")
        os.replace(written, self.path)


@contextlib.contextmanager
def planted(path: Path, mutant: Mutant, original: str) -> Iterator[None]:
    """The mutant written over its module for the block; the module put back however the block ends."""
    try:
        path.write_text(mutated_source(mutant), encoding="utf-8")
        yield
    finally:
        path.write_text(original, encoding="utf-8")


class _Stage:
    """The mapped tests on one database, forked: their unmutated run (which tests reach which line) and
    how a mutant meets them. A test that fails on a mutant is run alone on the unmutated module once;
    when it fails there too, the mutant is run again against every mapped test."""

    def __init__(self, module: str, tests: list[str], original: str, marks: str) -> None:
        self.tests, self.original, self.marks = tests, original, marks
        self.baseline = baseline_of(module, marks)
        self.passed = self.baseline.passed
        self.timeout = max(60.0, 3 * self.baseline.seconds)
        self.reach = self.baseline.reach.get(module) if self.baseline.reach else None
        self.around, self.at_import = statement_lines(original), import_time_lines(original)
        self.fails_alone: dict[str, bool] = {}
        self.first_files: frozenset[str] = frozenset()  # files whose tests run first (see _ForkedJudge)

    def survives(self, path: Path, mutant: Mutant) -> tuple[bool, str]:
        """Whether the mutant survives, and which tests it met ("N of M", "all", or "no": none reached it)."""
        # The tests reaching the mutant ([] for none), or None for every mapped test.
        selected = tests_reaching(mutant, self.reach, self.around, self.at_import) if self.reach is not None else None
        if selected == []:  # no test executed the statement: nothing to run, it survives
            return True, "no"
        if selected and self.first_files:
            selected.sort(key=lambda test: test.split("::")[0] not in self.first_files)  # stable: order kept within
        with planted(path, mutant, self.original):
            run = _run_in_fork(selected or self.tests, self.timeout, marks=self.marks)
        if selected and not run.passed and run.failed is not None:
            if run.failed not in self.fails_alone:
                self.fails_alone[run.failed] = not _run_in_fork([run.failed], self.timeout, marks=self.marks).passed
            if self.fails_alone[run.failed]:
                with planted(path, mutant, self.original):
                    return _run_in_fork(self.tests, self.timeout, marks=self.marks).passed, "all"
        return run.passed, (f"{len(selected)} of {len(self.reach.tests)}" if selected else "all")


class _ForkedJudge:
    """Runs a mutant in a fork of this process against the mapped tests that reach it (see the module's
    docstring): on SQLite, then — when it survives there and PostgreSQL is reachable — on PostgreSQL."""

    def __init__(self, module: str, tests: list[str], original: str, postgres: bool) -> None:
        self.module, self.tests, self.original, self.postgres = module, tests, original, postgres
        self.sqlite = _Stage(module, tests, original, ON_SQLITE)
        self.failing = [] if self.sqlite.passed else ["SQLite"]
        self._on_postgres: _Stage | None = None

    def on_postgres(self) -> _Stage:
        """The PostgreSQL stage, measured when the first mutant survives SQLite (most never do). Its files
        with no SQLite case (the lock tests) run first: they are what a survivor of SQLite most often fails,
        and a run stops at the first failure."""
        if self._on_postgres is None:
            self._on_postgres = stage = _Stage(self.module, self.tests, self.original, ON_POSTGRES)
            if not stage.passed:
                raise SystemExit(f"{self.module}: its tests fail on the unmutated code on PostgreSQL; fix them "
                                 "first (or run with --sqlite-only)")
            if stage.reach is not None and self.sqlite.reach is not None:
                on_sqlite = {test.split("::")[0] for test in self.sqlite.reach.tests}
                stage.first_files = frozenset(test.split("::")[0] for test in stage.reach.tests) - on_sqlite
        return self._on_postgres

    def survives(self, path: Path, mutant: Mutant, survived_sqlite: bool = False) -> tuple[bool, str]:
        """``survived_sqlite``: known to survive the SQLite stage from an earlier run (``--sqlite-only``),
        so it meets the PostgreSQL stage straight away."""
        if survived_sqlite and self.postgres:
            survived, met = True, "survived SQLite before"
        else:
            survived, met = self.sqlite.survives(path, mutant)
        if survived and self.postgres:
            survived, on_postgres = self.on_postgres().survives(path, mutant)
            met += f", then {on_postgres} on PostgreSQL"
        return survived, met


class _SubprocessJudge:
    """Runs every mapped test in a new ``python -m pytest`` for each mutant (``--no-fork``), on SQLite,
    then on PostgreSQL when it survives there and PostgreSQL is reachable."""

    def __init__(self, module: str, tests: list[str], original: str, postgres: bool) -> None:
        self.tests, self.original = tests, original
        self.stages: list[tuple[str, float]] = []
        self.failing = []
        for marks, where in [(ON_SQLITE, "SQLite"), *([(ON_POSTGRES, "PostgreSQL")] if postgres else [])]:
            started = time.monotonic()
            if not run_tests(tests, timeout=1800, fork=False, marks=marks):
                self.failing.append(where)
            self.stages.append((marks, max(60.0, 3 * (time.monotonic() - started))))

    def survives(self, path: Path, mutant: Mutant, survived_sqlite: bool = False) -> tuple[bool, str]:
        met = []
        for marks, timeout in self.stages[1:] if survived_sqlite and len(self.stages) > 1 else self.stages:
            with planted(path, mutant, self.original):
                survived = run_tests(self.tests, timeout, fork=False, marks=marks)
            met.append("all" + ("" if marks == ON_SQLITE else " on PostgreSQL"))
            if not survived:
                break
        return survived, ", then ".join(met)


def run_module(module: str, deadline: float, cache: Cache, only: set[tuple[int, str]] | None = None,
               fork: bool = True, postgres: bool = False) -> Iterator[Outcome | Mutant]:
    """Each mutant's outcome (of those at ``only``'s (line, change) when given; from the cache when
    known there, with 0 seconds); then the mutants the deadline left unrun (as Mutants). With
    ``postgres``, a survivor of the SQLite stage meets the mapped tests' PostgreSQL cases too."""
    path = ROOT / module
    original = path.read_text(encoding="utf-8")
    tests = TARGETS[module]
    known_tests = tests_digest(tests, postgres)
    on_sqlite_alone = tests_digest(tests, False)  # a survivor of --sqlite-only skips SQLite with PostgreSQL
    mutants = [mutant for mutant in mutants_of(module) if only is None or (mutant.line, mutant.change) in only]
    equivalent = equivalents_of(module, original)
    unknown = []
    for mutant in mutants:
        if mutant.index in equivalent:
            yield Outcome(mutant, killed=False, seconds=0.0, equivalent=equivalent[mutant.index])
            continue
        known = cache.get(mutant, original, known_tests)
        if known is None:
            unknown.append(mutant)
        else:
            yield Outcome(mutant, killed=known, seconds=0.0, cached=True)
    if not unknown:
        return
    if time.monotonic() > deadline:
        yield from unknown
        return
    judge = (_ForkedJudge if fork else _SubprocessJudge)(module, tests, original, postgres)
    if judge.failing:
        where = " and ".join(judge.failing)
        hint = " (or the tests cannot run in a fork here: try --no-fork)" if fork else ""
        raise SystemExit(f"{module}: its tests fail on the unmutated code on {where}; fix them first{hint}")
    for position, mutant in enumerate(unknown):
        if time.monotonic() > deadline:
            yield from unknown[position:]
            return
        began = time.monotonic()
        survived_sqlite = postgres and cache.get(mutant, original, on_sqlite_alone) is False
        survived, met = judge.survives(path, mutant, survived_sqlite)
        cache.put(mutant, original, known_tests, killed=not survived)
        yield Outcome(mutant, killed=not survived, seconds=round(time.monotonic() - began, 1), tests=met)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=1800, help="seconds for the whole run (default 1800)")
    parser.add_argument("--module", action="append", choices=sorted(TARGETS), help="only these modules")
    parser.add_argument("--list", action="store_true", help="count the mutants per module and stop")
    parser.add_argument("--report", type=Path, default=ROOT / "test-output" / "mutation.json")
    parser.add_argument("--cache", type=Path, default=OUTCOMES,
                        help="the outcomes known (default tests/mutation/outcomes.json, committed)")
    parser.add_argument("--fresh", action="store_true", help="run every mutant again, ignoring the cache")
    parser.add_argument("--no-fork", dest="fork", action="store_false",
                        help="start `python -m pytest` for each mutant instead of forking this process")
    parser.add_argument("--sqlite-only", dest="postgres", action="store_false",
                        help="never run the PostgreSQL cases (by default a survivor of SQLite meets them when "
                             "PostgreSQL answers at 127.0.0.1:5432)")
    parser.add_argument("--survivors-of", type=Path, metavar="REPORT",
                        help="run again only the mutants that survived in an earlier report (after adding tests)")
    args = parser.parse_args(argv)
    modules = args.module or list(TARGETS)
    only: dict[str, set[tuple[int, str]]] | None = None
    if args.survivors_of:
        only = {}
        for outcome in json.loads(args.survivors_of.read_text(encoding="utf-8"))["outcomes"]:
            if not outcome["killed"]:
                mutant = outcome["mutant"]
                only.setdefault(mutant["module"], set()).add((mutant["line"], mutant["change"]))
        modules = [module for module in modules if module in only]
    if args.list:
        for module in modules:
            print(f"{module}: {len(mutants_of(module))} mutants")
        return 0
    # A stopped run still puts the module back (the ``finally`` in run_module).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    deadline = time.monotonic() + args.budget
    if args.fork:
        if not hasattr(os, "fork"):
            raise SystemExit("this platform cannot fork; use --no-fork")
        preload()
    cache = Cache(args.cache, use=not args.fresh)
    postgres = args.postgres and postgres_reachable()
    print("Survivors of SQLite meet the PostgreSQL cases too." if postgres else
          "SQLite only: " + ("--sqlite-only." if not args.postgres
                             else f"no PostgreSQL answers at {POSTGRES_ADDRESS[0]}:{POSTGRES_ADDRESS[1]}."), flush=True)
    outcomes: list[Outcome] = []
    unrun: list[Mutant] = []
    for module in modules:
        for item in run_module(module, deadline, cache, only[module] if only is not None else None, args.fork,
                               postgres):
            if isinstance(item, Outcome):
                outcomes.append(item)
                mark = "killed  " if item.killed else ("equiv.  " if item.equivalent else "SURVIVED")
                took = ("marked" if item.equivalent else "cached" if item.cached
                        else f"{item.seconds}s, tests met: {item.tests}")
                print(f"{mark} {module}:{item.mutant.line} {item.mutant.change} ({took})", flush=True)
            else:
                unrun.append(item)
    print()
    print(f"{'module':50} {'mutants':>7} {'killed':>7} {'survived':>8} {'equiv.':>6} {'unrun':>6} {'score':>7}")
    for module in [*modules, None]:  # None: the total
        mine = [outcome for outcome in outcomes if module in (None, outcome.mutant.module)]
        killed = sum(outcome.killed for outcome in mine)
        equivalent = sum(bool(outcome.equivalent) for outcome in mine)
        left = sum(module in (None, mutant.module) for mutant in unrun)
        # The score: of the mutants run, those killed (the equivalent ones, marked in the module, are not run).
        score = f"{100 * killed / (len(mine) - equivalent):.1f}%" if len(mine) > equivalent else "-"
        print(f"{module or 'total':50} {len(mine) + left:>7} {killed:>7} {len(mine) - killed - equivalent:>8} "
              f"{equivalent:>6} {left:>6} {score:>7}")
    for outcome in outcomes:
        if outcome.equivalent:
            print(f"equivalent: {outcome.mutant.module}:{outcome.mutant.line} {outcome.mutant.change} — "
                  f"{outcome.equivalent}")
    for outcome in outcomes:
        if not outcome.killed and not outcome.equivalent:
            print(f"survivor: {outcome.mutant.module}:{outcome.mutant.line} {outcome.mutant.change}")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps({"outcomes": [asdict(outcome) for outcome in outcomes],
                                       "unrun": [asdict(mutant) for mutant in unrun]}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
