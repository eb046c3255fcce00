"""Events the services publish through their outboxes and the gateway delivers as webhooks, and the
lifecycle system's subscriptions to them at the gateway."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

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


class WebhookCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    url: Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s]+$", max_length=500)]
    event_types: Annotated[list[EventType], msgspec.Meta(min_length=1)]


class WebhookView(msgspec.Struct, frozen=True):
    id: str
    name: str
    url: str
    event_types: list[str]
    created_at: dt.datetime
    disabled: bool


class WebhookCreated(msgspec.Struct, frozen=True):
    webhook: WebhookView
    secret: str  # signs every delivery (X-Sortes-Signature); shown this once


class DeliveryView(msgspec.Struct, frozen=True):
    id: int
    service: str
    event_seq: int
    event_type: str
    object_id: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_result: str | None  # 2xx, 3xx, 4xx, 5xx, refused or network error
    delivered_at: dt.datetime | None
