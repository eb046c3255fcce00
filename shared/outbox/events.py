"""The outbox table and the one call that writes to it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.events import EVENT_TYPES


@dataclass(frozen=True)
class OutboxTables:
    events: Table


def outbox_tables(metadata: MetaData) -> OutboxTables:
    events = Table(
        "outbox_events", metadata,
        # SQLite numbers rows only through an INTEGER primary key; PostgreSQL gets a BIGSERIAL.
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_type", String(50), nullable=False),
        Column("object_id", String(100), nullable=False),
        Column("payload", Text, nullable=False),  # JSON; public codes and ids only, no personal data
        Column("occurred_at", DateTime(timezone=True), nullable=False),
    )
    return OutboxTables(events)


async def publish(session: AsyncSession, tables: OutboxTables, event_type: str, object_id: str,
                  payload: dict[str, Any]) -> None:
    """Record an event in the caller's transaction: it is published if and only if that commits."""
    await session.execute(tables.events.insert().values(**event_row(event_type, object_id, payload)))


def event_row(event_type: str, object_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The outbox row of one event (the audit recorder writes its checkpoints' rows at commit)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return {"event_type": event_type, "object_id": object_id,
            "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True), "occurred_at": dt.datetime.now(dt.UTC)}
