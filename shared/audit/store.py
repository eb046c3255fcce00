"""Reading the audit tables: entries for the API, and the whole chain for verification."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import multiprocessing
import os
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, Literal

import msgspec
from sqlalchemy import Row, Select, and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.pool import NullPool

from shared.audit.chain import (
    GENESIS_HASH,
    PROFILE_CHANGED,
    STANDARD,
    Actor,
    AuditEntry,
    ChainReport,
    ChainWalker,
    Checkpoint,
    format_instant,
    switched_to,
)
from shared.audit.checkpoints import SignedCheckpoint, checkpoint_is_authentic
from shared.audit.rows import AuditedRows, verify_rows
from shared.audit.tables import AuditTables
from shared.clock import as_utc
from shared.db import create_engine
from shared.draw.keys import PublicKeyEntry


def entry_from_row(row: Row[Any] | tuple[Any, ...]) -> AuditEntry:
    # Positional access in the table's column order: this runs once per entry when verifying.
    (seq, recorded_at, subject, roles, unit, action, object_type, object_id, before_digest, after_digest,
     details, prev_hash, entry_hash, rows_digest) = row
    return AuditEntry(
        seq=seq, recorded_at=recorded_at, action=action,
        actor=Actor(subject=subject, roles=tuple(roles.split(",")) if roles else (), unit=unit),
        object_type=object_type, object_id=object_id, before_digest=before_digest, after_digest=after_digest,
        details=details, prev_hash=prev_hash, entry_hash=entry_hash, rows_digest=rows_digest)


_COLUMNS = ("seq, recorded_at, actor_subject, actor_roles, actor_unit, action, object_type, object_id, "
            "before_digest, after_digest, details, prev_hash, entry_hash, rows_digest")
PARALLEL_FROM = 200_000  # entries; below this a second process costs more than it saves


async def stream_rows(connection: AsyncConnection, after: int = 0, up_to: int | None = None,
                      batch: int = 20_000) -> AsyncIterator[list[tuple[Any, ...]]]:
    """Stored rows with ``after < seq <= up_to`` in sequence order, instants as canonical text, in
    keyset-paged batches. Reads through the driver's own connection: at a million rows the ORM's
    per-row work would cost more than the hashing itself."""
    raw = (await connection.get_raw_connection()).driver_connection
    sqlite = connection.dialect.name == "sqlite"
    bound = "" if up_to is None else f" AND seq <= {int(up_to)}"
    query = f"SELECT {_COLUMNS} FROM audit_log WHERE seq > {{}}{bound} ORDER BY seq LIMIT {batch}"
    last = after
    while True:
        if sqlite:
            cursor = await raw.execute(query.format("?"), (last,))
            # SQLAlchemy stores SQLite instants as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, always 6 digits).
            # equivalent mutant: 1 → 2 — SQLite's instant has one space: up to two replaces that one alike
            rows = [(row[0], row[1].replace(" ", "T", 1) + "Z", *row[2:]) for row in await cursor.fetchall()]
        else:
            rows = [(row[0], format_instant(row[1]), *row[2:]) for row in await raw.fetch(query.format("$1"), last)]
        if rows:
            yield rows
        if len(rows) < batch:
            return
        last = rows[-1][0]


async def stored_checkpoints(connection: AsyncConnection, tables: AuditTables,
                             service: str) -> list[SignedCheckpoint]:
    rows = await connection.execute(select(tables.checkpoints).order_by(tables.checkpoints.c.seq))
    return [SignedCheckpoint(service, row.seq, row.entry_hash, row.signed_at, row.key_id, row.signature)
            for row in rows]


@dataclass(frozen=True)
class _Segment:
    after: int
    up_to: int | None
    first_prev: str | None
    report: ChainReport


async def _profile_after(connection: AsyncConnection, after: int) -> str:
    """The profile in force after entry ``after``: the last profile change up to it. A change that was
    edited is caught by the segment that holds it; this one only starts its own walk."""
    found = (await connection.execute(text(
        "SELECT action, details FROM audit_log WHERE action = :action AND seq <= :after ORDER BY seq DESC LIMIT 1"),
        {"action": PROFILE_CHANGED, "after": after})).first()
    if found is None:
        return STANDARD
    try:
        return switched_to(found[0], found[1]) or STANDARD
    except ValueError:
        return STANDARD


async def _walk(url: str, after: int, up_to: int | None, pinned: list[Checkpoint]) -> _Segment:
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            profile = await _profile_after(connection, after) if after else STANDARD
            walker = ChainWalker(pinned, start_seq=after + 1, prev_hash=GENESIS_HASH if after == 0 else None,
                                 profile=profile)
            async for rows in stream_rows(connection, after, up_to):
                if not all(walker.feed_row(row) for row in rows):
                    break
    finally:
        # equivalent mutant: drop `await engine.dispose()` — a NullPool engine keeps no connection to close
        await engine.dispose()
    return _Segment(after, up_to, walker.first_prev, walker.finish())


def _walk_in_process(url: str, after: int, up_to: int | None, pinned: list[Checkpoint]) -> _Segment:
    return asyncio.run(_walk(url, after, up_to, pinned))


async def _walk_segments(url: str, bounds: list[tuple[int, int | None]], pinned: list[Checkpoint],
                         last: int) -> list[_Segment]:
    """Each segment walked; the open last one reads no further than ``last``, the highest entry of the
    check's snapshot (an entry appended since is the next check's), and is held to every checkpoint
    after its start, so a chain cut short of one still fails."""
    def pins(after: int, up_to: int | None) -> list[Checkpoint]:
        return [c for c in pinned if c.seq > after and (up_to is None or c.seq <= up_to)]

    def reads_to(up_to: int | None) -> int:
        return last if up_to is None else up_to

    if len(bounds) == 1:
        after, up_to = bounds[0]
        return [await _walk(url, after, reads_to(up_to), pins(after, up_to))]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=len(bounds), mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(await asyncio.gather(*(
            loop.run_in_executor(pool, _walk_in_process, url, after, reads_to(up_to), pins(after, up_to))
            for after, up_to in bounds)))


def _stitch(segments: list[_Segment]) -> ChainReport:
    """One report for the segments in order: the first entry that breaks the chain anywhere."""
    entries = checked = 0
    previous: ChainReport | None = None
    for segment in segments:
        report = segment.report
        first = segment.after + 1
        # first_prev is set only once the segment's first entry passed its own checks.
        if previous is not None and segment.first_prev is not None and segment.first_prev != previous.head_hash:
            return ChainReport(False, entries, previous.head_seq, previous.head_hash, checked,
                               f"entry {first} was inserted or reordered (it does not follow entry {first - 1})",
                               first)
        if not report.ok:
            return replace(report, entries=entries + report.entries, checkpoints_checked=checked
                           + report.checkpoints_checked)
        entries, checked, previous = entries + report.entries, checked + report.checkpoints_checked, report
    assert previous is not None
    return ChainReport(True, entries, previous.head_seq, previous.head_hash, checked)


def default_workers(database_url: str, entries: int) -> int:
    """Walkers for a chain of ``entries``. SQLite is read inside each walker's own process, so every
    core can walk; a PostgreSQL server needs about as much CPU to send the rows as a walker needs to
    hash them, so it gets half the cores (measured here: on 2 cores, 2 walkers were slower than 1)."""
    if entries < PARALLEL_FROM:
        return 1
    cores = os.cpu_count() or 1
    return max(1, min(cores if database_url.startswith("sqlite") else cores // 2, 4))


async def verify_stored_chain(database_url: str, tables: AuditTables, service: str,
                              public_keys: Mapping[str, PublicKeyEntry],
                              external: list[SignedCheckpoint] | None = None,
                              workers: int | None = None) -> ChainReport:
    """Check every stored and exported checkpoint's signature, then walk the chain through them.

    A long chain is cut into segments walked by separate processes (one per core by default);
    each checks its own entries and the stitch checks the link across every cut.
    """
    async with snapshot(database_url) as connection:
        signed = await stored_checkpoints(connection, tables, service) + list(external or [])
        head_seq, head_hash = (await connection.execute(
            select(tables.head.c.seq, tables.head.c.entry_hash).where(tables.head.c.id == 1))).one()
        highest = (await connection.execute(select(func.max(tables.entries.c.seq)))).scalar() or 0
    for checkpoint in signed:
        if checkpoint.service != service or not checkpoint_is_authentic(checkpoint, public_keys):
            return ChainReport(False, 0, 0, "", 0, f"checkpoint {checkpoint.seq} has no valid signature "
                               f"of the {service} audit key", checkpoint.seq)
    if workers is None:
        workers = default_workers(database_url, highest)
    # equivalent mutant: 1 → 2 — the cuts only share the walk among processes; stitched, any cuts report alike
    step = max(highest // workers, 1)
    # equivalent mutant: >= → > — the cuts only share the walk among processes; stitched, any cuts report alike
    cuts = [index * step for index in range(workers)] if highest >= workers else [0]
    bounds = [(after, cuts[i + 1] if i + 1 < len(cuts) else None) for i, after in enumerate(cuts)]
    report = _stitch(await _walk_segments(database_url, bounds, [Checkpoint(c.seq, c.entry_hash) for c in signed],
                                          highest))
    if report.ok and (head_seq, head_hash) != (report.head_seq, report.head_hash):
        problem = (f"entries after {report.head_seq} were removed (the head records entry {head_seq})"
                   if head_seq > report.head_seq else
                   f"entry {head_seq + 1} was inserted after the recorded head {head_seq}"
                   if report.head_seq > head_seq else f"entry {head_seq} does not match the recorded head")
        return ChainReport(False, report.entries, report.head_seq, report.head_hash, report.checkpoints_checked,
                           problem, min(head_seq, report.head_seq) + 1)
    return report


async def verify_stored_rows(database_url: str, tables: AuditTables, rows: AuditedRows, digest_key: bytes) -> list[str]:
    """The audited rows changed, inserted or deleted behind the log (rows.py), each named."""
    async with snapshot(database_url) as connection:
        return await verify_rows(connection, tables.rows, tables.entries, rows, digest_key)


@asynccontextmanager
async def snapshot(database_url: str) -> AsyncIterator[AsyncConnection]:
    """A read-only connection whose every read sees the database as it stood at the first one.

    The service keeps writing while it is verified (the notification sender, a draw, an import): read
    in PostgreSQL's default READ COMMITTED, a change committed between reading the digests and reading
    the rows, or between reading the head and walking the entries, would be half-seen and named as a
    change behind the log. REPEATABLE READ on PostgreSQL, and on SQLite the transaction every
    connection begins (shared/db.py), keep one snapshot for the whole check.
    """
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # equivalent mutant: True → False — the snapshot only reads: the flag forbids writes it never makes
                await connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            async with connection.begin():
                yield connection
    finally:
        # equivalent mutant: drop `await engine.dispose()` — a NullPool engine keeps no connection to close
        await engine.dispose()


class AuditEntryView(msgspec.Struct, frozen=True):
    service: str
    seq: int
    recorded_at: dt.datetime
    actor: str
    actor_roles: list[str]
    actor_unit: str
    action: str
    object_type: str
    object_id: str
    before_digest: str | None
    after_digest: str | None
    details: dict[str, Any]
    entry_hash: str


class AuditPage(msgspec.Struct, frozen=True):
    items: list[AuditEntryView]
    total: int
    page: int
    page_size: int


# The columns an audit log sorts by ("-" first: descending); ties by the chain's order, newest first.
AuditSort = Literal["recorded_at", "-recorded_at", "actor", "-actor", "action", "-action",
                    "object_type", "-object_type"]
AUDIT_SORT_COLUMNS = {"recorded_at": "seq", "actor": "actor_subject", "action": "action",
                      "object_type": "object_type"}


class AuditFilter(msgspec.Struct, frozen=True):
    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    sort: AuditSort = "-recorded_at"


def _filtered(tables: AuditTables, criteria: AuditFilter) -> Select[Any]:
    entries = tables.entries
    conditions = []
    if criteria.object_type:
        conditions.append(entries.c.object_type == criteria.object_type)
    if criteria.object_id:
        conditions.append(entries.c.object_id == criteria.object_id)
    if criteria.actor:
        conditions.append(entries.c.actor_subject == criteria.actor)
    if criteria.since:
        conditions.append(entries.c.recorded_at >= criteria.since)
    if criteria.until:
        conditions.append(entries.c.recorded_at < criteria.until)
    return select(entries).where(and_(True, *conditions))


async def query_entries(session: AsyncSession, tables: AuditTables, service: str, criteria: AuditFilter,
                        page: int, page_size: int) -> AuditPage:
    """Newest first, unless ``criteria.sort`` names another order."""
    query = _filtered(tables, criteria)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    column = tables.entries.c[AUDIT_SORT_COLUMNS[criteria.sort.removeprefix("-")]]
    order = column.desc() if criteria.sort.startswith("-") else column.asc()
    rows = await session.execute(query.order_by(order, tables.entries.c.seq.desc())
                                 .offset((page - 1) * page_size).limit(page_size))
    items = [view_of(service, entry_from_row(row)) for row in rows]
    return AuditPage(items=items, total=total, page=page, page_size=page_size)


def view_of(service: str, entry: AuditEntry) -> AuditEntryView:
    return AuditEntryView(
        service=service, seq=entry.seq, recorded_at=as_utc(entry.recorded_at), actor=entry.actor.subject,
        actor_roles=list(entry.actor.roles), actor_unit=entry.actor.unit, action=entry.action,
        object_type=entry.object_type, object_id=entry.object_id, before_digest=entry.before_digest,
        after_digest=entry.after_digest, details=json.loads(entry.details), entry_hash=entry.entry_hash)
