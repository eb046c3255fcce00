"""The mutation runner itself, on a throw-away module: the fork server kills a mutant its test catches,
lets the untested ones survive, puts the module back, keeps the outcomes, and kills a hanging test's
whole process group at the timeout.

The runner runs in a process of its own, as it does under ``make mutate`` (it forks, and the test
session's process may have threads and the project imported), pointed at a temporary ``ROOT``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TINY = '''def is_adult(age):
    return age >= 18


def untested(count):
    return count + 1
'''
TEST_TINY = '''from tiny import is_adult


def test_is_adult():
    assert is_adult(18)
    assert not is_adult(17)
'''
TEST_HANGS = '''import subprocess
import time
from pathlib import Path


def test_hangs():
    sleeper = subprocess.Popen(["sleep", "300"])
    Path("sleeper.pid").write_text(str(sleeper.pid))
    time.sleep(300)
'''
RUNNER = '''import json, sys, time
from pathlib import Path

from tests.mutation import mutate

mutate.preload()
mutate.ROOT = Path(sys.argv[1])
mutate.TARGETS = {"tiny.py": ["test_tiny.py"]}
runs = []
for _ in range(2):
    cache = mutate.Cache(mutate.ROOT / "outcomes.json", use=True)
    outcomes = mutate.run_module("tiny.py", time.monotonic() + 120, cache)
    runs.append([[outcome.mutant.change, outcome.killed, outcome.cached] for outcome in outcomes])
began = time.monotonic()
hanging = mutate.run_tests(["test_hangs.py"], timeout=8)
print(json.dumps({"runs": runs, "hanging": hanging, "seconds": time.monotonic() - began}))
'''


def _gone(pid: int) -> bool:
    """Dead, or a zombie waiting for a parent that no longer runs it."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return True
    return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def run_runner(tmp_path: Path, script: str, files: dict[str, str]) -> str:
    """``script`` run in a process of its own against a throw-away tree of ``files`` (its last line printed)."""
    work = tmp_path / "work"
    (work / "tests").mkdir(parents=True)
    (work / "tests" / "conftest.py").write_text("")  # part of every survivor's key
    for name, text in files.items():
        (work / name).write_text(text)
    # The inner pytest's temporary folders go here, never among this session's.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_DEBUG_TEMPROOT": str(tmp_path)}
    ran = subprocess.run([sys.executable, "-c", script, str(work)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.splitlines()[-1]


@pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc/self").exists(), reason="forks; reads /proc")
def test_the_fork_runner_kills_caught_mutants_lets_untested_ones_survive_and_kills_a_hanging_run(tmp_path: Path):
    result = json.loads(run_runner(tmp_path, RUNNER, {"tiny.py": TINY, "test_tiny.py": TEST_TINY,
                                                      "test_hangs.py": TEST_HANGS}))
    work = tmp_path / "work"

    first, second = result["runs"]
    assert first == [["18 → 19", True, False], [">= → >", True, False],
                     ["1 → 2", False, False], ["+ → -", False, False]]
    assert second == [[change, killed, True] for change, killed, _ in first]  # all from the cache
    assert (work / "tiny.py").read_text() == TINY

    outcomes = (work / "outcomes.json").read_text()
    lines = outcomes.splitlines()
    assert len(json.loads(outcomes)) == 4
    assert lines[0] == "{" and lines[-1] == "}" and len(lines) == 6
    assert lines[1:-1] == sorted(lines[1:-1])
    assert sum(line.startswith('"killed ') for line in lines) == 2

    # A timeout counts as killed, and what the tests started dies with them.
    assert result["hanging"] is False
    assert result["seconds"] < 60
    sleeper = int((work / "sleeper.pid").read_text())
    for _ in range(50):
        gone = _gone(sleeper)
        if gone:
            break
        time.sleep(0.1)
    else:
        os.kill(sleeper, signal.SIGKILL)  # not left behind by a failing run
    assert gone


REACHED = '''import asyncio

from sqlalchemy.util import await_only, greenlet_spawn

LIMIT = 18


def is_adult(age):
    return age >= LIMIT


def double(count):
    return count + count


def half(number):
    if number < 0:
        return 0
    return number // 2


def _in_a_greenlet():
    await_only(asyncio.sleep(0))


async def after_a_flush(number):
    await greenlet_spawn(_in_a_greenlet)  # as an async SQLAlchemy session's flush does
    return number * 10 + 1
'''
TEST_REACHED = '''import importlib

SEEN = []


def test_adult():
    reached = importlib.import_module("reached")  # imported by the first test, as an app's routes import
    SEEN.append("adult")
    assert reached.is_adult(18) and not reached.is_adult(17)


def test_double():
    assert importlib.import_module("reached").double(2) == 4


def test_half_after_adult():
    assert SEEN, "leans on test_adult having run first"
    assert importlib.import_module("reached").half(4) == 2


def test_after_a_flush():
    import asyncio

    assert asyncio.run(importlib.import_module("reached").after_a_flush(4)) == 41
'''
RUN_REACHED = '''import json, sys, time
from pathlib import Path

from tests.mutation import mutate

mutate.preload()
mutate.ROOT = Path(sys.argv[1])
mutate.TARGETS = {"reached.py": ["test_reached.py"]}
cache = mutate.Cache(mutate.ROOT / "outcomes.json", use=True)
outcomes = mutate.run_module("reached.py", time.monotonic() + 120, cache)
print(json.dumps([[outcome.mutant.change, outcome.killed, outcome.tests] for outcome in outcomes]))
'''


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
def test_a_mutant_meets_the_tests_that_reach_its_statement_and_a_test_leaning_on_another_kills_nothing(
        tmp_path: Path):
    outcomes = json.loads(run_runner(tmp_path, RUN_REACHED, {"reached.py": REACHED, "test_reached.py": TEST_REACHED}))
    work = tmp_path / "work"
    assert outcomes == [
        # A module's constant runs at import (inside the first test here): every mapped test meets it.
        ["18 → 19", True, "all"],
        # Reached by one test each: only that one runs (the module imported inside the first test).
        [">= → >", True, "1 of 4"],
        ["+ → -", True, "1 of 4"],
        # Reached only by a test that fails alone (it leans on test_adult): run again with every test,
        # they survive — that test's failure was its own, not the mutants'.
        ["0 → 1", False, "all"],
        ["< → <=", False, "all"],
        ["0 → 1", False, "no"],  # `return 0`: reached by no test, so it survives without a run
        ["2 → 3", True, "all"],  # the same test, and every test catches it
        # Inside the greenlet and after it: reached, so met by that one test (the line after the switch was
        # lost by coverage.py's tracer). Sleeping a second or not at all, or not switching, changes no result.
        ["drop `await_only(asyncio.sleep(0))`", False, "1 of 4"],
        ["0 → 1", False, "1 of 4"],
        ["drop `await greenlet_spawn(_in_a_greenlet)`", False, "1 of 4"],
        ["10 → 11", True, "1 of 4"],
        ["1 → 2", True, "1 of 4"],
        ["+ → -", True, "1 of 4"],
    ]
    assert (work / "reached.py").read_text() == REACHED


EDGE = '''def is_adult(age):
    return age >= 18
'''
TEST_EDGE = '''import pytest

from edge import is_adult


def test_adult():
    assert is_adult(30)


@pytest.mark.postgres
def test_adult_at_the_edge():  # as a lock's test: a case only PostgreSQL runs
    assert is_adult(18) and not is_adult(17)
'''
RUN_EDGE = '''import json, sys, time
from pathlib import Path

from tests.mutation import mutate

mutate.preload()
mutate.ROOT = Path(sys.argv[1])
mutate.TARGETS = {"edge.py": ["test_edge.py"]}
runs = []
for postgres in (False, True, True):
    cache = mutate.Cache(mutate.ROOT / "outcomes.json", use=True)
    outcomes = mutate.run_module("edge.py", time.monotonic() + 120, cache, postgres=postgres)
    runs.append([[outcome.mutant.change, outcome.killed, outcome.cached, outcome.tests] for outcome in outcomes])
print(json.dumps(runs))
'''


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
def test_a_survivor_of_sqlite_meets_the_postgresql_cases_and_a_survivor_of_sqlite_alone_is_judged_again(
        tmp_path: Path):
    sqlite_only, with_postgres, again = json.loads(run_runner(tmp_path, RUN_EDGE, {"edge.py": EDGE,
                                                                                "test_edge.py": TEST_EDGE}))
    work = tmp_path / "work"
    # The edge is tested only in a case marked for PostgreSQL: SQLite alone lets both mutants through.
    assert sqlite_only == [["18 → 19", False, False, "1 of 1"], [">= → >", False, False, "1 of 1"]]
    # With PostgreSQL those survivors are not taken from the cache: they meet its case, which kills them,
    # straight away (their SQLite stage is known).
    assert with_postgres == [[change, True, False, "survived SQLite before, then 1 of 1 on PostgreSQL"]
                             for change, *_ in sqlite_only]
    assert again == [[change, True, True, "all"] for change, *_ in sqlite_only]
    assert (work / "edge.py").read_text() == EDGE


MARKED = '''def is_adult(age):
    return age >= 18


def untested(count):
    # equivalent mutant: 1 → 2 — a stand-in reason: the runner takes it as written
    return count + 1
'''
RUN_MARKED = '''import json, sys, time
from pathlib import Path

from tests.mutation import mutate

mutate.preload()
mutate.ROOT = Path(sys.argv[1])
mutate.TARGETS = {"tiny.py": ["test_tiny.py"]}
runs = []
added = "# A comment and a blank line added: the code is the same.\\n\\n"
for text in (None, added + (mutate.ROOT / "tiny.py").read_text()):
    if text is not None:
        (mutate.ROOT / "tiny.py").write_text(text)
    cache = mutate.Cache(mutate.ROOT / "outcomes.json", use=True)
    outcomes = mutate.run_module("tiny.py", time.monotonic() + 120, cache)
    runs.append([[outcome.mutant.line, outcome.mutant.change, outcome.killed, outcome.cached, outcome.equivalent]
                 for outcome in outcomes])
print(json.dumps(runs))
'''


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
def test_a_mutant_marked_equivalent_is_not_run_and_comments_keep_the_known_outcomes(tmp_path: Path):
    first, after_comment = json.loads(run_runner(tmp_path, RUN_MARKED, {"tiny.py": MARKED,
                                                                        "test_tiny.py": TEST_TINY}))
    reason = "a stand-in reason: the runner takes it as written"
    # The marked one is not run (nor kept: its mark is its outcome); the others are, as before.
    assert sorted(first) == [[2, "18 → 19", True, False, ""], [2, ">= → >", True, False, ""],
                             [7, "+ → -", False, False, ""], [7, "1 → 2", False, False, reason]]
    # Two lines added above: the same mutants two lines down, every outcome known.
    assert sorted(after_comment) == sorted([line + 2, change, killed, not equivalent, equivalent]
                                           for line, change, killed, _, equivalent in first)


def test_equivalence_marks_name_a_change_on_their_line_or_the_line_below_their_comment_block():
    from tests.mutation import mutate

    source = ("def chunks(items, size=500):  # equivalent mutant: 500 → 501 — any size\n"
              "    # why this call may go:\n"
              "    # equivalent mutant: drop `flush()` — flushed at commit\n"
              "    flush()\n"
              "    return [items]\n")
    assert mutate.equivalence_marks(source) == {(1, "500 → 501"): "any size",
                                                (4, "drop `flush()`"): "flushed at commit"}
    with pytest.raises(ValueError, match=r"line 2: no code right below: equivalent mutant: 1 → 2 — no reason"):
        mutate.equivalence_marks("x = 1\n# equivalent mutant: 1 → 2 — no reason\n")  # nothing below the block
    with pytest.raises(ValueError, match="line 1: a mark says which change and why"):
        mutate.equivalence_marks("x = 1  # equivalent mutant: 1 → 2\n")
    with pytest.raises(ValueError, match="line 2: a mark inside a string marks nothing"):
        mutate.equivalence_marks('def f():\n    """Doc.\n    # equivalent mutant: 1 → 2 — in the docstring\n    """\n')


def test_an_equivalence_mark_naming_no_mutant_of_its_line_stops_the_run(tmp_path: Path, monkeypatch):
    from tests.mutation import mutate

    (tmp_path / "tiny.py").write_text("def untested(count):\n"
                                      "    return count + 1  # equivalent mutant: 2 → 3 — a stale mark\n")
    monkeypatch.setattr(mutate, "ROOT", tmp_path)
    with pytest.raises(SystemExit, match=r"tiny\.py:2: no mutant `2 → 3` here"):
        mutate.equivalents_of("tiny.py", (tmp_path / "tiny.py").read_text())


def test_every_equivalence_mark_in_the_map_names_a_mutant_of_its_line():
    from tests.mutation import mutate

    marked = {module: mutate.equivalents_of(module, (mutate.ROOT / module).read_text(encoding="utf-8"))
              for module in mutate.TARGETS}  # a stale mark stops with SystemExit
    assert all(why for marks in marked.values() for why in marks.values())


RUN_NO_POSTGRES_CASE = '''import json, sys, time
from pathlib import Path

from tests.mutation import mutate

mutate.preload()
mutate.ROOT = Path(sys.argv[1])
mutate.TARGETS = {"tiny.py": ["test_tiny.py"]}
cache = mutate.Cache(mutate.ROOT / "outcomes.json", use=True)
outcomes = mutate.run_module("tiny.py", time.monotonic() + 120, cache, postgres=True)
print(json.dumps([[outcome.mutant.change, outcome.killed, outcome.tests] for outcome in outcomes]))
'''


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
def test_a_module_whose_tests_have_no_postgresql_case_meets_an_empty_postgresql_stage(tmp_path: Path):
    outcomes = json.loads(run_runner(tmp_path, RUN_NO_POSTGRES_CASE, {"tiny.py": TINY, "test_tiny.py": TEST_TINY}))
    assert outcomes == [["18 → 19", True, "1 of 1"], [">= → >", True, "1 of 1"],
                        ["1 → 2", False, "no, then no on PostgreSQL"], ["+ → -", False, "no, then no on PostgreSQL"]]
