"""Seat changes (reveals, answers, moves, cancels) wait for each other only when their panels meet in a
shared half-day: a reveal for one day, or for the other half of the same day, never queues behind
another (PostgreSQL, where transactions run side by side; SQLite lets one writer in at a time anyway)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from services.experts.domain.seats import hold_seats_of
from services.experts.models import Panel
from shared.clock import utc_now
from shared.db import Database
from tests.support.databases import TestDatabases

pytestmark = pytest.mark.postgres
DAY = dt.date(2027, 3, 1)


def panel(panel_id: str, meeting_on: dt.date, halves: str = "morning") -> Panel:
    return Panel(id=panel_id, project_code="LOCKS", purpose="technical_review", meeting_on=meeting_on,
                 halves=halves, reserves_per_field=1, seats='{"DATA": 2}', avoidances="{}",
                 organiser_subject="user:o", organiser_name="o", organiser_unit="u", supervisor_subject="user:s",
                 supervisor_name="s", supervisor_unit="v", status="open", created_at=utc_now(), updated_at=utc_now())


async def hold(database: Database, panel_id: str, release: asyncio.Event | None = None) -> None:
    """The seats of ``panel_id``'s half-days held in a transaction, until ``release`` is set."""
    async with database.transaction() as session:
        await hold_seats_of(session, panel_id)
        if release is not None:
            await release.wait()


async def while_held(database: Database, holder: str, *, unhindered: str, waiting: str, refusal: str) -> None:
    """While ``holder``'s seats are held, ``unhindered``'s are had at once and ``waiting``'s only after."""
    release = asyncio.Event()
    first = asyncio.create_task(hold(database, holder, release))
    await asyncio.sleep(0.5)  # the first holds its half-days
    await asyncio.wait_for(hold(database, unhindered), timeout=10)  # no waiting
    waiter = asyncio.create_task(hold(database, waiting))
    await asyncio.sleep(1.0)
    assert not waiter.done(), refusal
    release.set()
    await asyncio.wait_for(asyncio.gather(first, waiter), timeout=10)


async def test_a_seat_change_waits_for_one_on_the_same_day_and_not_for_one_on_another(
        postgres_available: bool, test_databases: TestDatabases) -> None:
    database = Database.from_url(await asyncio.to_thread(test_databases.fresh, "experts", "postgresql"))
    try:
        async with database.transaction() as session:
            session.add_all([panel("same-1", DAY), panel("same-2", DAY), panel("other", DAY + dt.timedelta(days=1))])

        await while_held(database, "same-1", unhindered="other", waiting="same-2",
                         refusal="a seat change on the same day went ahead while the first held it")
    finally:
        await database.dispose()


async def test_moving_a_meeting_holds_the_new_day_as_well(postgres_available: bool,
                                                         test_databases: TestDatabases) -> None:
    database = Database.from_url(await asyncio.to_thread(test_databases.fresh, "experts", "postgresql"))
    later = DAY + dt.timedelta(days=7)
    try:
        async with database.transaction() as session:
            session.add_all([panel("moving", DAY), panel("there", later)])
        release = asyncio.Event()

        async def move() -> None:
            async with database.transaction() as session:
                await hold_seats_of(session, "moving", also=(later, ["morning"]))
                await release.wait()

        async def reveal_there() -> None:
            async with database.transaction() as session:
                await hold_seats_of(session, "there")

        mover = asyncio.create_task(move())
        await asyncio.sleep(0.5)
        revealing = asyncio.create_task(reveal_there())
        await asyncio.sleep(1.0)
        assert not revealing.done(), "a reveal on the day a panel moves to went ahead during the move"
        release.set()
        await asyncio.wait_for(asyncio.gather(mover, revealing), timeout=10)
    finally:
        await database.dispose()


async def test_the_two_halves_of_a_day_wait_only_for_a_panel_that_meets_in_theirs(
        postgres_available: bool, test_databases: TestDatabases) -> None:
    database = Database.from_url(await asyncio.to_thread(test_databases.fresh, "experts", "postgresql"))
    try:
        async with database.transaction() as session:
            session.add_all([panel("morning", DAY), panel("afternoon", DAY, "afternoon"),
                             panel("whole-day", DAY, "morning,afternoon")])

        await while_held(database, "morning", unhindered="afternoon", waiting="whole-day",
                         refusal="a whole-day panel's seats changed while the morning's were held")
    finally:
        await database.dispose()
