"""``Database.read_one``, the gateway's check of a bearer token on every request: on a SQLite file it
reads on a connection of its own in the event loop's thread (no hop to aiosqlite's thread), so it must
still see every commit at once, and must never hold up the event loop behind a lock."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import JSON, cast, event, func, literal, select, text

from shared.db import Database, pool_settings
from tests.support.databases import POSTGRES_DSN, postgres_url

LOOKUP = text("SELECT revoked FROM tokens WHERE digest = :digest")


async def _database_with_a_token(path: Path) -> Database:
    database = Database.from_url(f"sqlite+aiosqlite:///{path}")
    async with database.transaction() as session:
        await session.execute(text("CREATE TABLE tokens (digest TEXT PRIMARY KEY, revoked INTEGER NOT NULL)"))
        await session.execute(text("INSERT INTO tokens VALUES ('d1', 0)"))
    return database


async def test_a_revocation_committed_elsewhere_is_seen_by_the_next_read(tmp_path: Path) -> None:
    database = await _database_with_a_token(tmp_path / "gateway.db")
    other_process = sqlite3.connect(tmp_path / "gateway.db", isolation_level=None)
    try:
        assert (await database.read_one(LOOKUP, {"digest": "d1"})).revoked == 0
        other_process.execute("UPDATE tokens SET revoked = 1 WHERE digest = 'd1'")  # another gateway revokes
        assert (await database.read_one(LOOKUP, {"digest": "d1"})).revoked == 1
        async with database.transaction() as session:  # and this process's own writes
            await session.execute(text("INSERT INTO tokens VALUES ('d2', 0)"))
        assert (await database.read_one(LOOKUP, {"digest": "d2"})).revoked == 0
        assert await database.read_one(LOOKUP, {"digest": "unknown"}) is None
    finally:
        other_process.close()
        await database.dispose()


async def test_an_in_memory_database_is_read_the_usual_way(tmp_path: Path) -> None:
    database = Database.from_url("sqlite+aiosqlite://")
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE tokens (digest TEXT PRIMARY KEY, revoked INTEGER NOT NULL)"))
            await session.execute(text("INSERT INTO tokens VALUES ('d1', 0)"))
        assert (await database.read_one(LOOKUP, {"digest": "d1"})).revoked == 0
    finally:
        await database.dispose()


async def test_a_locked_file_is_waited_for_off_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    database = await _database_with_a_token(path)
    await database.dispose()  # no connection of this process open: the lock below can be taken
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")  # kept after the write, until the connection closes
    holder.execute("UPDATE tokens SET revoked = 1 WHERE digest = 'd1'")
    release = threading.Timer(0.5, holder.close)
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(ticking())
    release.start()
    try:
        row = await database.read_one(LOOKUP, {"digest": "d1"})
    finally:
        release.join()
        ticker.cancel()
        await database.dispose()
    assert row is not None and row.revoked == 1  # waited for the lock and read what it guarded
    assert ticks >= 20  # the event loop served others meanwhile


@pytest.mark.postgres
async def test_fifty_readers_at_once_share_the_pools_kept_connections(postgres_available: bool) -> None:
    """Beyond the pool's kept connections a single read waits for one, instead of opening an overflow
    connection that the pool closes again as soon as it comes back."""
    database = Database.from_url(postgres_url(POSTGRES_DSN.rsplit("/", 1)[1] or "postgres"))
    opened = 0

    def count(*_: object) -> None:
        nonlocal opened
        opened += 1

    event.listen(database.engine.sync_engine, "connect", count)
    try:
        slow_read = text("SELECT CAST(:n AS integer) AS n FROM pg_sleep(0.02)")
        answers = await asyncio.gather(*(database.read_one(slow_read, {"n": n}) for n in range(50)))
    finally:
        await database.dispose()
    assert [answer.n for answer in answers] == list(range(50))
    assert opened == pool_settings().size


@pytest.mark.postgres
async def test_a_connection_the_server_dropped_is_replaced_and_the_read_answered(postgres_available: bool) -> None:
    database = Database.from_url(postgres_url(POSTGRES_DSN.rsplit("/", 1)[1] or "postgres"))
    backend_pid = select(func.pg_backend_pid().label("pid"))
    try:
        first = (await database.read_one(backend_pid, {})).pid
        other = await asyncpg.connect(POSTGRES_DSN)  # the server (an operator, a restart) ends that session
        try:
            await other.execute("SELECT pg_terminate_backend($1)", first)
        finally:
            await other.close()
        second = (await database.read_one(backend_pid, {})).pid
        third = (await database.read_one(backend_pid, {})).pid
    finally:
        await database.dispose()
    assert second != first and third != first


@pytest.mark.postgres
async def test_a_column_sqlalchemy_converts_is_read_as_sqlalchemy_reads_it(postgres_available: bool) -> None:
    database = Database.from_url(postgres_url(POSTGRES_DSN.rsplit("/", 1)[1] or "postgres"))
    try:
        row = await database.read_one(select(cast(literal('{"a": [1, 2]}'), JSON).label("document"),
                                             literal("text").label("plain")), {})
    finally:
        await database.dispose()
    assert (row.document, row.plain) == ({"a": [1, 2]}, "text")
