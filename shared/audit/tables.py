"""The audit tables, defined once and attached to each service's own metadata."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text


@dataclass(frozen=True)
class AuditTables:
    entries: Table
    checkpoints: Table
    head: Table
    rows: Table  # the digest of each audited row each entry's transaction wrote (rows.py)


def audit_tables(metadata: MetaData) -> AuditTables:
    entries = Table(
        "audit_log", metadata,
        # equivalent mutant: False → True — every insert gives the seq; the migrations make the table
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False, index=True),
        Column("actor_subject", String(100), nullable=False, index=True),
        Column("actor_roles", String(300), nullable=False),
        Column("actor_unit", String(64), nullable=False),
        Column("action", String(100), nullable=False),
        Column("object_type", String(50), nullable=False),
        Column("object_id", String(100), nullable=False),
        Column("before_digest", String(64)),
        Column("after_digest", String(64)),
        Column("details", Text, nullable=False),  # canonical JSON text, hashed as stored
        Column("prev_hash", String(64), nullable=False),
        Column("entry_hash", String(64), nullable=False),
        Column("rows_digest", String(64)),  # hashed into entry_hash when present
    )
    Index("ix_audit_log_object", entries.c.object_type, entries.c.object_id)
    checkpoints = Table(
        "audit_checkpoints", metadata,
        # equivalent mutant: False → True — every insert gives the seq; the migrations make the table
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("entry_hash", String(64), nullable=False),
        Column("signed_at", String(40), nullable=False),
        Column("key_id", String(16), nullable=False),
        Column("signature", String(100), nullable=False),
    )
    # One row, locked by every writer, so concurrent writers line up instead of forking the chain.
    head = Table(
        "audit_head", metadata,
        # equivalent mutant: False → True — the one row's id is 1, written by the migrations
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("seq", BigInteger, nullable=False),
        Column("entry_hash", String(64), nullable=False),
        # The crypto profile the chain's next entry is hashed under (None: standard). Writers read it with
        # the lock; a verifier needs it not: it reads the profile changes from the chain itself.
        Column("profile", String(16)),
    )
    rows = Table(
        "audit_row_digests", metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=False),  # 0: the baseline, bound to no entry
        Column("table_name", String(64), primary_key=True),
        Column("row_key", String(300), primary_key=True),
        Column("digest", String(64)),  # None: the row was deleted
    )
    Index("ix_audit_row_digests_row", rows.c.table_name, rows.c.row_key, rows.c.seq)
    return AuditTables(entries, checkpoints, head, rows)

