"""Events the services publish through their outboxes and the gateway delivers as webhooks."""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

import msgspec

EventType = Literal["draw.committed", "draw.revealed", "seat.changed", "conflict_check.made", "rating.final",
                    "audit.checkpoint", "panel.cancelled", "panel.replaced"]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)


class OutboxEvent(msgspec.Struct, frozen=True):
    """One event as ``GET /api/v1/internal/events`` gives it to the gateway's dispatcher."""

    seq: int
    # One of EVENT_TYPES, read as text: a gateway that does not know a newer type yet still passes
    # the other events on (no subscription names the unknown one).
    event_type: str
    object_id: str
    payload: dict[str, object]
    occurred_at: dt.datetime
