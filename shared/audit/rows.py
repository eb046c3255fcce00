"""Rows that cannot be edited behind the log (docs/audit-log.md, "Row digests").

Every table a service changes through audited state changes is *audited*: each transaction that
writes such rows stores, at commit, a keyed digest of each row as committed in ``audit_row_digests``
and binds the set of them into its last audit entry (``rows_digest``, part of the entry's hash).
``sortes audit verify`` recomputes the digest of every current row and names each row whose digest
is not the one its latest entry bound: changed, with no audit entry, or deleted outside the service.

Tracking is one mechanism for every call site: session events note the rows an ORM flush or a bulk
``INSERT``/``UPDATE``/``DELETE`` statement touches; the recorder's commit hook (recorder.py) digests
them after the transaction's last flush, so a change made after the last ``record`` call counts too.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import decimal
import enum
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sqlalchemy import MetaData, Table, and_, event, func, or_, select
from sqlalchemy import inspect as orm_inspect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from shared.audit.chain import PROFILE_CHANGED, STANDARD, format_instant, hash_name, switched_to

# Never audited row by row: the log itself and the outbox are the record, not state behind it.
LOG_TABLES = frozenset({"audit_log", "audit_checkpoints", "audit_head", "audit_row_digests", "outbox_events",
                        "alembic_version"})
DELETED = "deleted"  # a row's entry in a rows digest when the transaction deleted it
BASELINE_MARKER = ("", "baseline")  # (table, key) of the ledger row that says the baseline was taken
RowKey = tuple[Any, ...]


@dataclass(frozen=True)
class AuditedTable:
    table: Table
    skipped: frozenset[str] = frozenset()  # columns that change without an audit entry (see unaudited)

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def key_columns(self) -> list[Any]:
        return list(self.table.primary_key.columns)

    def digested_columns(self) -> list[Any]:
        return [column for column in self.table.columns if column.name not in self.skipped]


@dataclass(frozen=True)
class AuditedRows:
    """A service's audited tables: every table of its metadata but the log's own and those named in
    ``unaudited`` (name → why), with the columns in ``unaudited_columns`` (table → column → why) left
    out of the digest. Read from the metadata each time, so a table added to the models later is
    audited without anyone remembering to list it."""

    metadata: MetaData
    unaudited: Mapping[str, str] = field(default_factory=dict)
    unaudited_columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def tables(self) -> tuple[AuditedTable, ...]:
        return tuple(AuditedTable(table, frozenset(self.unaudited_columns.get(name, {})))
                     for name, table in self.metadata.tables.items()
                     if name not in LOG_TABLES and name not in self.unaudited)

    def by_name(self) -> dict[str, AuditedTable]:
        return {audited.name: audited for audited in self.tables}


_REGISTERED: list[AuditedRows] = []
_TRACKED: dict[Table, AuditedTable] = {}
_SEEN_TABLES = [0]


def audited_rows(metadata: MetaData, *, unaudited: Mapping[str, str],
                 unaudited_columns: Mapping[str, Mapping[str, str]] | None = None) -> AuditedRows:
    rows = AuditedRows(metadata, dict(unaudited), dict(unaudited_columns or {}))
    _REGISTERED.append(rows)
    return rows


def tracked(table: Any) -> AuditedTable | None:
    if not isinstance(table, Table):
        return None
    count = sum(len(rows.metadata.tables) for rows in _REGISTERED)
    if count != _SEEN_TABLES[0]:  # a model defined since: look again
        # equivalent mutant: drop `_TRACKED.clear()` — schemas only gain tables: the update rewrites every entry
        _TRACKED.clear()
        for rows in _REGISTERED:
            _TRACKED.update({audited.table: audited for audited in rows.tables})
        _SEEN_TABLES[0] = count
    return _TRACKED.get(table)


# The canonical encoding of a row

def _value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, dt.datetime):
        return format_instant(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _value(value.value)
    if isinstance(value, decimal.Decimal | float):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"no canonical form for a {type(value).__name__} in an audited row")


def canonical_row(table: str, row: Mapping[str, Any]) -> str:
    """``{"row":{column:value,…},"table":name}``: keys sorted, no whitespace, non-ASCII as itself;
    instants as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, dates ISO, bytes base64, decimals as text."""
    document = {"table": table, "row": {name: _value(value) for name, value in row.items()}}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def row_digest(key: bytes, table: str, row: Mapping[str, Any], profile: str = STANDARD) -> str:
    """HMAC-SHA256 (HMAC-SM3 under the SM profile) with the service's audit digest key: no row can be
    guessed back from its digest."""
    return hmac.new(key, canonical_row(table, row).encode("utf-8"), hash_name(profile)).hexdigest()


def row_key(values: Iterable[Any]) -> str:
    """A row's primary key as it is named in the ledger and in verify's report: ``["E0001"]``, ``[12]``."""
    return json.dumps([_value(value) for value in values], ensure_ascii=False, separators=(",", ":"))


def rows_digest(written: Iterable[tuple[str, str, str | None]], profile: str = STANDARD) -> str:
    """The digest an entry binds: SHA-256 (SM3 under the SM profile) over
    ``<table>\\t<key>\\t<row digest or "deleted">\\n`` sorted."""
    lines = sorted(f"{table}\t{key}\t{digest or DELETED}\n" for table, key, digest in written)
    return hashlib.new(hash_name(profile), "".join(lines).encode("utf-8")).hexdigest()


# Tracking the rows a transaction writes

@dataclass
class Touched:
    keys: dict[AuditedTable, set[RowKey]] = field(default_factory=dict)
    above: dict[AuditedTable, int] = field(default_factory=dict)  # bulk inserts without keys: ids beyond

    def add(self, audited: AuditedTable, key: RowKey) -> None:
        self.keys.setdefault(audited, set()).add(key)

    def __bool__(self) -> bool:
        return bool(self.keys or self.above)


def touched(session: Session) -> Touched:
    found = session.info.get("audit_touched")
    if found is None:
        found = session.info["audit_touched"] = Touched()
    return found


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context: UOWTransaction) -> None:
    # equivalent mutant: False → True — a row changed only in a collection is unchanged: its digest matches
    dirty = (obj for obj in session.dirty if session.is_modified(obj, include_collections=False))
    for obj in chain(session.new, dirty, session.deleted):
        mapper = orm_inspect(obj).mapper
        audited = tracked(mapper.local_table)
        if audited is not None:
            touched(session).add(audited, tuple(mapper.primary_key_from_instance(obj)))


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    audited = tracked(getattr(state.statement, "table", None))
    if audited is None:
        return
    session, columns = state.session, audited.key_columns
    parameters = state.parameters
    rows = parameters if isinstance(parameters, list) else [parameters] if parameters else []
    names = [column.key for column in columns]
    if rows and all(all(name in row for name in names) for row in rows):  # rows named by their keys
        for row in rows:
            touched(session).add(audited, tuple(row[name] for name in names))
        return
    if not state.is_insert:
        # The rows the statement will reach, read (and locked) before it runs.
        query = select(*columns)
        if state.statement.whereclause is not None:
            query = query.where(state.statement.whereclause)
        if session.get_bind().dialect.name != "sqlite":
            query = query.with_for_update()
        for key in session.execute(query):
            touched(session).add(audited, tuple(key))
        return
    if len(columns) != 1:
        raise RuntimeError(f"a bulk insert into {audited.name} must give its whole primary key")
    notes = touched(session)
    if audited not in notes.above:  # ids the database numbers: every row beyond the highest before
        notes.above[audited] = session.execute(select(func.coalesce(func.max(columns[0]), 0))).scalar_one()


def forget(session: Session) -> None:
    for name in ("audit_touched", "audit_pending", "audit_recorder"):
        session.info.pop(name, None)


def current_rows(session: Session, notes: Touched) -> Iterator[tuple[AuditedTable, RowKey, Mapping[str, Any] | None]]:
    """Each touched row as it stands now (None when it was deleted), read back from the database."""
    for audited, above in notes.above.items():
        column = audited.key_columns[0]
        # equivalent mutant: > → >= — the row at the old highest id is unchanged: its digest matches, not bound again
        for row in session.execute(select(*audited.table.columns).where(column > above)).mappings():
            notes.add(audited, (row[column.name],))
    for audited, keys in notes.keys.items():
        columns = audited.key_columns
        ordered = list(keys)
        for start in range(0, len(ordered), 200):
            chunk = ordered[start:start + 200]
            # equivalent mutant: == → != — either match finds every touched row; each is then taken by its whole key
            # equivalent mutant: 1 → 2 — either match finds every touched row; each is then taken by its whole key
            match = (columns[0].in_([key[0] for key in chunk]) if len(columns) == 1 else
                     # equivalent mutant: True → False — strict only checks lengths; a key has one value per key column
                     or_(*(and_(*(column == value for column, value in zip(columns, key, strict=True)))
                           for key in chunk)))
            found = {row_key(row[column.name] for column in columns): row
                     for row in session.execute(select(*audited.table.columns).where(match)).mappings()}
            for key in chunk:
                yield audited, key, found.get(row_key(key))


def digest_of(key: bytes, audited: AuditedTable, row: Mapping[str, Any] | None,
              profile: str = STANDARD) -> str | None:
    if row is None:
        return None
    return row_digest(key, audited.name, {column.name: row[column.name] for column in audited.digested_columns()},
                      profile)


class ProfileAt:
    """The chain's profile at each sequence number, from its profile changes ((seq, profile) in order)."""

    def __init__(self, changes: list[tuple[int, str]]) -> None:
        self._seqs = [seq for seq, _ in changes]
        self._profiles = [STANDARD] + [profile for _, profile in changes]

    def __call__(self, seq: int) -> str:
        """The profile of entry ``seq`` (a change's own entry is hashed under the profile before it)."""
        return self._profiles[bisect.bisect_left(self._seqs, seq)]


async def profile_changes(connection: AsyncConnection, entries: Table) -> ProfileAt:
    found = await connection.execute(select(entries.c.seq, entries.c.action, entries.c.details)
                                     .where(entries.c.action == PROFILE_CHANGED).order_by(entries.c.seq))
    return ProfileAt([(seq, switched_to(action, details) or STANDARD) for seq, action, details in found])


# Verification

async def verify_rows(connection: AsyncConnection, ledger: Table, entries: Table, rows: AuditedRows,
                      key: bytes, limit: int = 50) -> list[str]:
    """Each audited row that is not as its latest audit entry left it, named (at most ``limit`` lines),
    and any set of row digests that does not match the digest its entry's hash binds."""
    profile_at = await profile_changes(connection, entries)
    bound = dict((await connection.execute(
        select(entries.c.seq, entries.c.rows_digest).where(entries.c.rows_digest.is_not(None)))).all())
    by_seq: dict[int, list[tuple[str, str, str | None]]] = {}
    latest: dict[tuple[str, str], tuple[int, str | None]] = {}
    result = await connection.stream(select(ledger.c.seq, ledger.c.table_name, ledger.c.row_key, ledger.c.digest)
                                     .order_by(ledger.c.seq))
    async for seq, table, name, digest in result:
        if (table, name) == BASELINE_MARKER:
            continue
        if seq > 0:
            by_seq.setdefault(seq, []).append((table, name, digest))
        latest[(table, name)] = (seq, digest)
    problems = [f"the row digests bound to entry {seq} were edited or removed"
                for seq in sorted(set(bound) | set(by_seq))
                if rows_digest(by_seq.get(seq, []), profile_at(seq)) != bound.get(seq)]
    for audited in rows.tables:
        columns = audited.key_columns
        result = await connection.stream(select(*audited.table.columns).order_by(*columns))
        async for row in result.mappings():
            name = row_key(row[column.name] for column in columns)
            seq, digest = latest.pop((audited.name, name), (None, None))
            if digest is None:
                problems.append(f"{audited.name} {name}: no audit entry (written outside the service)")
            elif digest != digest_of(key, audited, row, profile_at(seq or 0)):
                problems.append(f"{audited.name} {name}: changed outside the service (not as entry {seq} left it)")
    audited = rows.by_name()
    problems += [f"{table} {name}: deleted outside the service (entry {seq} left it in place)"
                 for (table, name), (seq, digest) in latest.items() if digest is not None and table in audited]
    if len(problems) > limit:
        problems = [*problems[:limit], f"… and {len(problems) - limit} more rows"]
    return problems
