"""Faults while a draw is being committed, on PostgreSQL: the experts process killed mid-request, and
every database connection of the experts service cut. The caller gets a clear 5xx problem document,
the database holds the whole panel and draw or nothing of it, and the system carries on by itself.

To catch a request mid-way every time, the test holds a SHARE lock on ``draws``: the panel request
writes its panel, then waits to insert its draw, inside its one transaction. The fault strikes there.

The vendors service down during a panel request (503, nothing committed) is
tests/e2e/test_panels_through_gateway.py::test_with_vendors_down_no_panel_is_committed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from shared.clock import beijing_today
from sortes_cli.local_system import LocalSystem
from tests.reliability.system import (
    BUREAU,
    OWNER,
    Gateway,
    connect,
    database_name,
    panel_ask,
    postgres_system,
    table_counts,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
NAME = "faults"
EXPERTS_DB = database_name(NAME, "experts")
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def system(postgres_available: bool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    with postgres_system(NAME, tmp_path_factory.mktemp(NAME)) as running:
        yield running


@pytest.fixture(scope="module")
def people(system: LocalSystem) -> dict[str, Any]:
    gateway = Gateway(system)
    gateway.project("FAULT-1")
    gateway.experts(6)
    return {"gateway": gateway, "organiser": gateway.person("fault-organiser", OWNER, "organiser"),
            "supervisor": gateway.person("fault-supervisor", BUREAU, "supervisor")}


class HeldDraws:
    """A SHARE lock on ``draws`` from a connection of the test's own: inserts wait, reads go on."""

    def __init__(self) -> None:
        self.connection: asyncpg.Connection | None = None

    async def __aenter__(self) -> HeldDraws:
        self.connection = await connect(EXPERTS_DB)
        await self.connection.execute("BEGIN; LOCK TABLE draws IN SHARE MODE")
        return self

    async def waiting_insert(self, timeout: float = 20) -> None:
        """Until a backend of the experts service waits for the lock: the request is mid-transaction."""
        assert self.connection is not None
        deadline = time.monotonic() + timeout
        # Not pg_stat_activity's query text: an insert waits while its statement is still being parsed.
        while not await self.connection.fetchval(
                "SELECT count(*) FROM pg_locks JOIN pg_class ON pg_class.oid = pg_locks.relation "
                "WHERE pg_class.relname = 'draws' AND NOT pg_locks.granted "
                "AND pg_locks.database = (SELECT oid FROM pg_database WHERE datname = current_database())"):
            assert time.monotonic() < deadline, "the panel request never reached its insert into draws"
            await asyncio.sleep(0.05)

    async def __aexit__(self, *_: object) -> None:
        assert self.connection is not None
        await self.connection.execute("ROLLBACK")
        await self.connection.close()


def in_background(call: Any) -> tuple[threading.Thread, dict[str, httpx.Response]]:
    answer: dict[str, httpx.Response] = {}
    thread = threading.Thread(target=lambda: answer.setdefault("response", call()), daemon=True)
    thread.start()
    return thread, answer


def committed_state(counts: dict[str, int]) -> tuple[int, int, int]:
    return counts["panels"], counts["draws"], counts["draw_exclusions"]


def assert_whole_or_nothing(before: dict[str, int], after: dict[str, int]) -> None:
    panels, draws, _ = (a - b for a, b in zip(committed_state(after), committed_state(before), strict=True))
    assert (panels, draws) in ((0, 0), (1, 1)), (before, after)
    if (panels, draws) == (0, 0):  # nothing: then no exclusion, seat, booking, audit entry or event either
        assert after == before


def ask(people: dict[str, Any], day_offset: int) -> httpx.Response:
    gateway: Gateway = people["gateway"]
    return gateway.call("POST", "/api/v1/projects/FAULT-1/panels", people["organiser"],
                        json=panel_ask(beijing_today() + dt.timedelta(days=day_offset), "fault-supervisor"))


def reveal(people: dict[str, Any], draw_id: str) -> httpx.Response:
    return people["gateway"].call("POST", f"/api/v1/draws/{draw_id}/reveal", people["supervisor"],
                                  json={"witness": "故障之后 0042", "confirmed_avoidances": []})


def test_the_experts_process_killed_mid_request_leaves_the_whole_draw_or_nothing(system: LocalSystem,
                                                                                 people: dict[str, Any]) -> None:
    before = asyncio.run(table_counts(EXPERTS_DB))

    async def kill_while_waiting() -> httpx.Response:
        async with HeldDraws() as held:
            thread, answer = in_background(lambda: ask(people, 30))
            await held.waiting_insert()
            process = system.processes.pop("experts")
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            await asyncio.to_thread(thread.join, 30)
        return answer["response"]

    response = asyncio.run(kill_while_waiting())
    assert response.status_code in (502, 503, 504), response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == response.status_code and response.json()["detail"]
    assert "Traceback" not in response.text and "asyncpg" not in response.text

    system.start_one("experts")
    system.wait_ready(("experts",))
    people["gateway"].wait_until_served()
    assert_whole_or_nothing(before, asyncio.run(table_counts(EXPERTS_DB)))

    again = ask(people, 30)  # the same meeting: nothing of the killed request holds a seat
    assert again.status_code == 201, again.text
    assert reveal(people, again.json()["id"]).status_code == 200


def test_database_connections_cut_during_a_draw_give_a_clean_error_then_the_next_draw_works(
        system: LocalSystem, people: dict[str, Any]) -> None:
    before = asyncio.run(table_counts(EXPERTS_DB))

    async def cut_while_waiting() -> tuple[httpx.Response, int]:
        async with HeldDraws() as held:
            thread, answer = in_background(lambda: ask(people, 31))
            await held.waiting_insert()
            assert held.connection is not None
            terminated = await held.connection.fetchval(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()) AS cut", EXPERTS_DB)
            await asyncio.to_thread(thread.join, 30)
        return answer["response"], terminated

    response, terminated = asyncio.run(cut_while_waiting())
    assert terminated >= 1
    assert response.status_code in (502, 503), response.text  # the service's 500, relayed as the gateway's 502
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "asyncpg" not in response.text and "terminating connection" not in response.text
    assert_whole_or_nothing(before, asyncio.run(table_counts(EXPERTS_DB)))
    assert not system.dead_services()

    # No restart, no hand work: the pool drops the dead connections and the next draw goes through.
    again = ask(people, 31)
    assert again.status_code == 201, again.text
    assert reveal(people, again.json()["id"]).status_code == 200
    verification = people["gateway"].call("GET", "/api/v1/audit/verification")
    assert verification.status_code == 200 and all(report["ok"] for report in verification.json())
