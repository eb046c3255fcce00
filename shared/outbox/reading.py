"""Reading a service's outbox, for the gateway's webhook dispatcher only."""

from __future__ import annotations

import json

from litestar import get
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Parameter
from sqlalchemy import select

from shared.clock import as_utc
from shared.contracts.events import OutboxEvent
from shared.db import Database
from shared.errors import NotPermitted
from shared.outbox.events import OutboxTables

DISPATCHER_SUBJECT = "system:gateway-webhooks"


async def only_the_dispatcher(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if connection.user.subject != DISPATCHER_SUBJECT:
        raise NotPermitted("Only the gateway's webhook dispatcher reads the outbox.", code="outbox.dispatcher_only")


@get("/api/v1/internal/events", guards=[only_the_dispatcher], include_in_schema=False)
async def get_events(state: State, after: int = Parameter(default=0, ge=0),
                     limit: int = Parameter(default=100, ge=1, le=1000)) -> list[OutboxEvent]:
    database: Database = state.database
    tables: OutboxTables = state.outbox
    events = tables.events
    async with database.reading() as session:
        rows = await session.execute(select(events).where(events.c.seq > after).order_by(events.c.seq).limit(limit))
        return [OutboxEvent(seq=row.seq, event_type=row.event_type, object_id=row.object_id,
                            payload=json.loads(row.payload),
                            occurred_at=as_utc(row.occurred_at)) for row in rows]
