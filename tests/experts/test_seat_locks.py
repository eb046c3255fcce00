"""Seat changes (reveals, answers, moves) wait for each other only when they may seat one expert in one
half-day: a reveal of another panel meeting the same morning with other experts never queues behind
another (PostgreSQL, where transactions run side by side; SQLite lets one writer in at a time anyway).
A reveal and a move of the same panel take turns on the panel's row, so the result lands on the day the
panel meets."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.seats import hold_seats
from services.experts.models import Booking, Panel
from shared.db import Database
from tests.experts.helpers import direct_database
from tests.experts.test_panels import (
    MEETING,
    ask_panel,
    build_pool,
    move_meeting,
    organiser,
    panel_body,
    register_project,
    reveal,
    seated,
)
from tests.support.databases import TestDatabases, url_of
from tests.support.held import HELD_SECONDS, holding, waited

pytestmark = pytest.mark.postgres
DAY = dt.date(2027, 3, 1)
Seats = tuple[Sequence[str], dt.date, Sequence[str]]  # experts, day, halves


async def hold(database: Database, seats: Seats, release: asyncio.Event | None = None) -> None:
    """``seats`` held in a transaction, until ``release`` is set."""
    async with database.transaction() as session:
        await hold_seats(session, *seats)
        if release is not None:
            await release.wait()


async def fresh_database(test_databases: TestDatabases) -> Database:
    return Database.from_url(await asyncio.to_thread(test_databases.fresh, "experts", "postgresql"))


async def test_seat_changes_wait_for_each_other_only_over_one_expert_in_one_half_day(
        postgres_available: bool, test_databases: TestDatabases) -> None:
    database = await fresh_database(test_databases)
    try:
        release = asyncio.Event()
        first = asyncio.create_task(hold(database, (["E1", "E2"], DAY, ["morning"]), release))
        await asyncio.sleep(0.5)  # the first holds its seats
        for unhindered in ((["E3"], DAY, ["morning"]), (["E1"], DAY, ["afternoon"]),
                           (["E1", "E2"], DAY + dt.timedelta(days=1), ["morning"])):
            await asyncio.wait_for(hold(database, unhindered), timeout=10)  # no waiting
        waiter = asyncio.create_task(hold(database, (["E3", "E2"], DAY, ["morning", "afternoon"])))
        await asyncio.sleep(1.0)
        assert not waiter.done(), "a change that may seat E2 that morning went ahead while it was held"
        release.set()
        await asyncio.wait_for(asyncio.gather(first, waiter), timeout=10)
    finally:
        await database.dispose()


async def test_seats_are_taken_in_one_order_so_overlapping_sets_never_wait_in_a_circle(
        postgres_available: bool, test_databases: TestDatabases) -> None:
    # Two seats whose locks sort A before B. A transaction asking for B and A while A is held must wait
    # for A before it takes B: were B taken first, it would hold B while waiting for A, and a third
    # asking for B and then A would wait on it while it waits on the third's — a circle.
    database = await fresh_database(test_databases)
    try:
        names = {code: f"experts.seat:{code}:{DAY.isoformat()}:morning" for code in ("E1", "E2")}
        async with database.reading() as session:
            keys = {code: (await session.execute(text("SELECT hashtext(:name)"), {"name": name})).scalar_one()
                    for code, name in names.items()}
        first, second = sorted(keys, key=keys.__getitem__)
        release = asyncio.Event()
        holder = asyncio.create_task(hold(database, ([first], DAY, ["morning"]), release))
        await asyncio.sleep(0.5)
        both = asyncio.create_task(hold(database, ([second, first], DAY, ["morning"])))
        await asyncio.sleep(0.5)
        await asyncio.wait_for(hold(database, ([second], DAY, ["morning"])), timeout=10)  # not held by `both`
        assert not both.done()
        release.set()
        await asyncio.wait_for(asyncio.gather(holder, both), timeout=10)
    finally:
        await database.dispose()


def holding_seats(url: str, experts: Sequence[str], day: dt.date, halves: Sequence[str]) -> None:
    """:func:`holding` the seats of ``experts`` in these half-days."""

    async def hold_them(session: AsyncSession) -> None:
        await hold_seats(session, experts, day, halves)

    holding(url, hold_them)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_reveal_waits_only_for_the_seats_of_its_pool_in_its_half_days(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    pool = await build_pool(experts_client, minter, 4)
    others = ["ZJ900001", "ZJ900002"]  # experts of another panel, not in this pool
    for experts, half, waits in ((others, "morning", False), (pool, "afternoon", False), (pool, "morning", True)):
        draw = await ask_panel(experts_client, minter, panel_body(count=1, reserves=1))  # meets in the morning
        holding_seats(url_of(experts_client), experts, MEETING, [half])
        revealed_late, _ = await waited(reveal(experts_client, minter, draw["id"]))
        assert revealed_late is waits, \
            f"seats of {experts} held in the {half}: the morning's reveal waited={revealed_late}"
        await asyncio.sleep(HELD_SECONDS)  # the holder is gone


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_reveal_waits_for_a_move_of_its_panel_and_seats_on_the_day_it_moved_to(experts_client,
                                                                                   minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    draw = await ask_panel(experts_client, minter, panel_body(count=1, reserves=1))
    panel_id, later = draw["panel"]["id"], MEETING + dt.timedelta(days=7)

    async def move(session: AsyncSession) -> None:  # as a move does: the panel's row locked, its day changed
        await session.execute(select(Panel.id).where(Panel.id == panel_id).with_for_update())
        await session.execute(update(Panel).where(Panel.id == panel_id).values(meeting_on=later))

    holding(url_of(experts_client), move)
    revealed_late, _ = await waited(reveal(experts_client, minter, draw["id"]))
    assert revealed_late, "a reveal went ahead while a move of its panel was under way"
    async with direct_database(experts_client) as database, database.reading() as session:
        days = set((await session.execute(select(Booking.day).where(Booking.panel_id == panel_id))).scalars())
    assert days == {later}


async def decline(client, minter, draw_id: str, expert: str) -> None:
    response = await client.post(f"/api/v1/draws/{draw_id}/members/{expert}/decline", headers=organiser(minter),
                                 json={"channel": "phone", "reason": "出差"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_decline_waits_for_the_seats_of_the_reserves_that_may_move_up(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 6)
    for held_reserves, waits in ((False, False), (True, True)):
        drawn = await reveal(experts_client, minter, (await ask_panel(
            experts_client, minter, panel_body(count=1, reserves=2)))["id"])
        [primary] = seated(drawn)
        reserves = [code for lists in drawn["result"].values() for code in lists["reserves"]]
        experts = reserves if held_reserves else ["ZJ900001"]
        holding_seats(url_of(experts_client), experts, MEETING, ["morning"])
        declined_late, _ = await waited(decline(experts_client, minter, drawn["id"], primary))
        assert declined_late is waits, f"seats of {experts} held: the decline's replacement waited={declined_late}"
        await asyncio.sleep(HELD_SECONDS)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_move_waits_for_its_members_and_reserves_seats_on_the_new_day(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    drawn = await reveal(experts_client, minter, (await ask_panel(
        experts_client, minter, panel_body(count=1, reserves=1)))["id"])
    later = MEETING + dt.timedelta(days=7)
    reserve = [code for lists in drawn["result"].values() for code in lists["reserves"]]
    for day, experts, waits in ((MEETING + dt.timedelta(days=8), seated(drawn), False), (later, seated(drawn), True),
                                (later + dt.timedelta(days=7), reserve, True)):
        holding_seats(url_of(experts_client), experts, day, ["morning"])
        moved_late, moved = await waited(move_meeting(experts_client, minter, drawn["id"],
                                                      day if waits else day + dt.timedelta(days=1)))
        assert moved.status_code == 200, moved.text
        assert moved_late is waits, f"the seats of {experts} held on {day}: the move waited={moved_late}"
        await asyncio.sleep(HELD_SECONDS)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_supplementary_reveal_waits_for_the_seats_of_reserves_still_queued_from_earlier_draws(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    await build_pool(experts_client, minter, 3, field="SEC")
    body = panel_body(count=1, reserves=1)
    body["seats"] = [{"field": "APP", "count": 1}, {"field": "SEC", "count": 1}]
    drawn = await reveal(experts_client, minter, (await ask_panel(experts_client, minter, body))["id"])
    app, sec = (drawn["result"][field] for field in ("APP", "SEC"))
    await decline(experts_client, minter, drawn["id"], app["primaries"][0])
    await decline(experts_client, minter, drawn["id"], app["reserves"][0])  # moved up, then declined: APP short
    extra = await experts_client.post(f"/api/v1/draws/{drawn['id']}/supplementary", json={},
                                      headers=organiser(minter))
    assert extra.status_code == 201, extra.text
    holding_seats(url_of(experts_client), sec["reserves"], MEETING, ["morning"])  # SEC's reserve, still queued
    revealed_late, _ = await waited(reveal(experts_client, minter, extra.json()["id"]))
    assert revealed_late, "a supplementary reveal went ahead while a reserve queued on its panel was being seated"
