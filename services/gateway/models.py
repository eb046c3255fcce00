"""Tables of the gateway: units and API keys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import audit_tables
from shared.audit.rows import audited_rows
from shared.db import service_metadata
from shared.outbox import outbox_tables


class Base(DeclarativeBase):
    metadata = service_metadata()


AUDIT = audit_tables(Base.metadata)
OUTBOX = outbox_tables(Base.metadata)  # its own audit checkpoints


class Unit(Base):
    """A government unit or the bureau; identified by its USCC, as project owners are."""

    __tablename__ = "units"

    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """A key for a system; only a keyed SHA-256 digest of the key is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    roles: Mapped[str] = mapped_column(String(300))  # comma-separated role names
    unit_uscc: Mapped[str] = mapped_column(ForeignKey("units.uscc"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class User(Base):
    """A person who signs in to the console or the API: bureau staff, organisers, experts, vendors …"""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    unit_uscc: Mapped[str] = mapped_column(ForeignKey("units.uscc"))
    roles: Mapped[str] = mapped_column(String(300))  # comma-separated role names
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class UserToken(Base):
    """A signed-in user's bearer token; like API keys, only a keyed digest is kept."""

    __tablename__ = "user_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class RateLimitWindow(Base):
    """A caller's current quota window, shared by every gateway process on the database."""

    __tablename__ = "rate_limit_windows"

    caller: Mapped[str] = mapped_column(String(150), primary_key=True)  # caller:<subject> or address:<ip>
    window_end: Mapped[int] = mapped_column(BigInteger)  # epoch seconds
    requests: Mapped[int] = mapped_column(Integer)


class IdempotencyRecord(Base):
    """The first answer to a POST sent with an ``Idempotency-Key``, replayed for repeats of it."""

    __tablename__ = "idempotency_records"

    subject: Mapped[str] = mapped_column(String(100), primary_key=True)  # keys are per caller
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while the first request runs
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebhookSubscription(Base):
    """Where the lifecycle system wants events delivered, and the secret that signs them."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[str] = mapped_column(String(300))  # comma-separated
    # HMAC key shared with the subscriber, sealed under the gateway's data key (webhooks/deliveries.py)
    secret: Mapped[str] = mapped_column(String(400))
    owner_subject: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "service", "event_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    service: Mapped[str] = mapped_column(String(20))
    event_seq: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)  # exactly the bytes signed and sent
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending | delivered | refused
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    # The class of the last answer only (2xx, 3xx, 4xx, 5xx), "refused" or "network error": never the
    # code or the body, which would report what answered at an address the subscriber chose.
    last_result: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookCursor(Base):
    """How far each service's outbox has been turned into deliveries."""

    __tablename__ = "webhook_cursors"

    service: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)


# Audited row by row (shared/audit/rows.py), except what changes on its own, with no state change to log.
AUDITED_ROWS = audited_rows(Base.metadata, unaudited={
    "user_tokens": "sessions: issued at each sign-in, revoked at sign-out",
    "idempotency_records": "stored answers of requests, kept for replays and expired",
    "rate_limit_windows": "requests counted against each caller's quota, a minute at a time",
    "webhook_deliveries": "delivery attempts of events, each already logged where it happened",
    "webhook_cursors": "how far the dispatcher has read each service's outbox",
}, unaudited_columns={"users": {
    "failed_sign_ins": "counted at each failed sign-in",
    "locked_until": "set by a run of failed sign-ins, cleared by a good one",
}})
