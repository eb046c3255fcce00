"""How the stored chain is read and walked (shared/audit/store.py), pinned where a wrong number would
go unnoticed by the other audit tests.

- The rows come out of the database each exactly once and in order, whatever the read batch: a log whose
  length is a multiple of the batch, one that is not, and a log longer than one batch is walked to its end.
- A chain walked in segments by several processes verifies when a segment begins before, at or after
  the entry that moved the chain to the SM profile (each segment starts under the profile then in force).
- Every signed checkpoint is checked, one exactly at a segment's last entry too, and the report's totals
  (entries, checkpoints checked) add up over the segments, whether the chain is whole or fails in a
  later segment; a link forged across a cut is named with the entries either side of it.
- The default number of walkers follows its documented policy: one for a short chain, every core for
  SQLite, half of them for PostgreSQL, never none and never more than four.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.pool import NullPool

import shared.audit.store as store
from shared.audit.chain import PROFILE_CHANGED, SM, STANDARD, ChainReport, row_hash
from shared.db import create_engine
from tests.shared.audit.test_audit_storage import database_url, register_projects, run_sql


async def streamed(url: str, **bounds: int) -> list[list[tuple[Any, ...]]]:
    """The batches of rows ``stream_rows`` yields."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return [rows async for rows in store.stream_rows(connection, **bounds)]
    finally:
        await engine.dispose()


async def streamed_seqs(url: str, **bounds: int) -> list[list[int]]:
    return [[row[0] for row in rows] for rows in await streamed(url, **bounds)]


async def query(url: str, statement: str) -> list[tuple[object, ...]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(statement))]
    finally:
        await engine.dispose()


async def verify(client: AsyncTestClient[Litestar], workers: int) -> ChainReport:
    """The service's stored chain verified as ``sortes audit verify --workers N`` does."""
    audit = client.app.state.audit
    return await store.verify_stored_chain(database_url(client), audit.tables, audit.service, audit.public_keys,
                                           workers=workers)


async def test_rows_stream_each_once_in_order_across_batches(experts_client, minter) -> None:
    await register_projects(experts_client, minter, 5)
    url = database_url(experts_client)
    # From the first entry by default; the last batch short.
    assert await streamed_seqs(url, batch=2) == [[1, 2], [3, 4], [5]]
    # A read whose length is a multiple of the batch still reaches its end, and starts where it is told.
    assert await streamed_seqs(url, up_to=4, batch=2) == [[1, 2], [3, 4]]
    assert await streamed_seqs(url, after=1, up_to=5, batch=2) == [[2, 3], [4, 5]]


async def test_a_log_longer_than_one_read_batch_is_walked_to_its_end(experts_client, minter, monkeypatch) -> None:
    await register_projects(experts_client, minter, 5)
    # Read two rows at a time, so five entries span three batches (a real log: 20,000 a batch).
    monkeypatch.setattr(store, "stream_rows", functools.partial(store.stream_rows, batch=2))
    report = await verify(experts_client, workers=1)
    assert (report.ok, report.entries, report.head_seq, report.problem) == (True, 5, 5, None)

    await run_sql(database_url(experts_client), "UPDATE audit_log SET object_id = 'PY-99' WHERE seq = 4")
    report = await verify(experts_client, workers=1)
    assert (report.ok, report.first_bad_seq, report.entries) == (False, 4, 3)
    assert report.problem == "entry 4 was edited (its hash does not match its content)"


async def test_segments_starting_before_at_and_after_a_profile_change_verify(experts_client, minter) -> None:
    await register_projects(experts_client, minter, 3)
    # As a restart under SORTES_CRYPTO_PROFILE=sm would: the next write appends the profile change
    # (entry 4, hashed as the entries before it), then entries hashed with SM3.
    experts_client.app.state.audit.profile = SM
    await register_projects(experts_client, minter, 4, first=4)
    url = database_url(experts_client)
    assert await query(url, f"SELECT seq FROM audit_log WHERE action = '{PROFILE_CHANGED}'") == [(4,)]
    assert await query(url, "SELECT max(seq) FROM audit_log") == [(8,)]

    # Four walkers cut the eight entries after 0, 2, 4 and 6: the second segment starts before the
    # change, the third right after it, the fourth after SM3 entries.
    report = await verify(experts_client, workers=4)
    assert (report.ok, report.entries, report.head_seq, report.problem) == (True, 8, 8, None)


async def test_a_segment_starts_under_the_profile_in_force_after_the_entry_before_it(experts_client, minter) -> None:
    # What each walker process asks first, asked here in this process: the profile after entry n is the
    # last change up to n (entry 4 switched to SM3), the standard one before any change.
    await register_projects(experts_client, minter, 3)
    experts_client.app.state.audit.profile = SM
    await register_projects(experts_client, minter, 2, first=4)
    engine = create_engine(database_url(experts_client), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            assert [await store._profile_after(connection, after) for after in (0, 3, 4, 5)] == [
                STANDARD, STANDARD, SM, SM]
    finally:
        await engine.dispose()


async def test_every_checkpoint_is_checked_and_the_totals_add_up_over_segments(experts_client, minter) -> None:
    experts_client.app.state.audit.checkpoint_every = 2
    await register_projects(experts_client, minter, 8)
    url = database_url(experts_client)
    assert await query(url, "SELECT seq FROM audit_checkpoints ORDER BY seq") == [(2,), (4,), (6,), (8,)]

    # Two walkers: entries 1-4 and 5-8; checkpoint 4 is the first segment's last entry.
    report = await verify(experts_client, workers=2)
    assert (report.ok, report.entries, report.head_seq, report.checkpoints_checked) == (True, 8, 8, 4)

    # Failing in the second segment: the entries and checkpoints checked before the failure, both segments'.
    await run_sql(url, "UPDATE audit_log SET object_id = 'PY-99' WHERE seq = 7")
    report = await verify(experts_client, workers=2)
    assert report.problem == "entry 7 was edited (its hash does not match its content)"
    assert (report.ok, report.first_bad_seq, report.entries, report.checkpoints_checked) == (False, 7, 6, 3)


async def test_a_link_forged_across_a_segment_cut_names_both_entries(experts_client, minter) -> None:
    await register_projects(experts_client, minter, 8)
    url = database_url(experts_client)
    # Entry 5 opens the second of two segments: given a forged predecessor and a hash that matches it,
    # it checks on its own; only the link across the cut fails.
    [[row]] = await streamed(url, after=4, up_to=5)
    forged = (*row[:11], "f" * 64, "", row[13])
    forged_hash = row_hash(forged)
    await run_sql(url, f"UPDATE audit_log SET prev_hash = '{'f' * 64}', entry_hash = '{forged_hash}' WHERE seq = 5")

    report = await verify(experts_client, workers=2)
    assert report.problem == "entry 5 was inserted or reordered (it does not follow entry 4)"
    assert (report.ok, report.first_bad_seq, report.entries, report.head_seq) == (False, 5, 4, 4)


URLS = {"sqlite": "sqlite+aiosqlite:////var/lib/sortes/experts.db",
        "postgresql": "postgresql+asyncpg://sortes@db.internal/experts"}
LONG = 10 * store.PARALLEL_FROM


@pytest.mark.parametrize(("database", "cores", "entries", "walkers"), [
    # A short chain: one walker, however many cores.
    ("sqlite", 8, store.PARALLEL_FROM - 1, 1),
    ("postgresql", 8, store.PARALLEL_FROM - 1, 1),
    # From PARALLEL_FROM on, SQLite: every core walks, up to four.
    ("sqlite", 8, store.PARALLEL_FROM, 4),
    ("sqlite", 2, LONG, 2),
    ("sqlite", 3, LONG, 3),
    ("sqlite", 16, LONG, 4),
    ("sqlite", 1, LONG, 1),
    ("sqlite", None, LONG, 1),  # the core count unknown: one
    # PostgreSQL: half the cores (the server needs the other half), up to four, never none.
    ("postgresql", 8, store.PARALLEL_FROM, 4),
    ("postgresql", 6, LONG, 3),
    ("postgresql", 16, LONG, 4),
    ("postgresql", 2, LONG, 1),
    ("postgresql", 1, LONG, 1),
    ("postgresql", None, LONG, 1),
])
def test_default_walkers_follow_the_core_policy(monkeypatch, database: str, cores: int | None, entries: int,
                                                walkers: int) -> None:
    monkeypatch.setattr(store.os, "cpu_count", lambda: cores)
    assert store.default_workers(URLS[database], entries) == walkers
