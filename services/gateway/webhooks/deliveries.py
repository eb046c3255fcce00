"""Webhooks for the lifecycle system: subscriptions, and the dispatcher that turns each service's
outbox into signed deliveries, retried with backoff until the subscriber acknowledges (2xx).

Each delivery is POSTed as JSON with ``X-Sortes-Event``, ``X-Sortes-Delivery`` and
``X-Sortes-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.

A subscription's signing secret is stored sealed under the gateway's data key (as personal data is in
the services): neither the database nor a backup of it holds it in clear.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.composite.clients import client_for
from services.gateway.edge.gauges import (
    OUTBOX_BEHIND_CURSOR,
    OUTBOX_WAITING,
    WEBHOOK_DELIVERIES,
    WEBHOOK_OLDEST_PENDING,
)
from services.gateway.edge.upstream import SERVICE_NAMES, Upstreams
from services.gateway.models import WebhookCursor, WebhookDelivery, WebhookSubscription
from services.gateway.webhooks.targets import TargetRefused, WebhookTargets
from shared.audit import AuditRecorder
from shared.clock import as_utc, utc_now
from shared.contracts.events import DeliveryView, OutboxEvent, WebhookCreate, WebhookView
from shared.crypto import KeyRing
from shared.db import Database
from shared.errors import InvalidInput, NotFound, Problem
from shared.identity import Identity
from shared.outbox import OutboxTables
from shared.outbox.reading import DISPATCHER_SUBJECT

_log = logging.getLogger("sortes.webhooks")
DISPATCHER = Identity(subject=DISPATCHER_SUBJECT, name="webhook dispatcher", roles=("service",), unit="")
MAX_BACKOFF = dt.timedelta(hours=1)
CLAIM_FOR = dt.timedelta(seconds=30)
GAP_PATIENCE = dt.timedelta(seconds=30)  # a missing sequence number this old was a rolled-back insert
GAUGE_EVERY = 10.0  # seconds between counts of the deliveries for /metrics
CURSOR_CHECK_EVERY = 30.0  # seconds between checks that each outbox still holds the event its cursor is on


def secret_context(subscription_id: str) -> str:
    """What a sealed secret is bound to: it opens for its own subscription only."""
    return f"webhook_subscriptions.secret:{subscription_id}"


def webhook_view(subscription: WebhookSubscription) -> WebhookView:
    return WebhookView(id=subscription.id, name=subscription.name, url=subscription.url,
                       event_types=subscription.event_types.split(","), created_at=as_utc(subscription.created_at),
                       disabled=subscription.disabled_at is not None)


def delivery_view(delivery: WebhookDelivery) -> DeliveryView:
    return DeliveryView(id=delivery.id, service=delivery.service, event_seq=delivery.event_seq,
                        event_type=delivery.event_type, object_id=delivery.object_id, status=delivery.status,
                        attempts=delivery.attempts,
                        next_attempt_at=as_utc(delivery.next_attempt_at) if delivery.status == "pending" else None,
                        last_result=delivery.last_result,
                        delivered_at=as_utc(delivery.delivered_at))


async def create_subscription(session: AsyncSession, audit: AuditRecorder, actor: Identity,
                              data: WebhookCreate, targets: WebhookTargets,
                              keys: KeyRing) -> tuple[WebhookSubscription, str]:
    try:
        await targets.check(data.url)
    except TargetRefused as refused:
        raise InvalidInput.for_field("url", "webhook.target_refused", "must reach a public address: {reason}",
                                     {"reason": str(refused)}) from None
    secret = secrets.token_urlsafe(32)
    subscription_id = uuid.uuid4().hex[:16]
    subscription = WebhookSubscription(id=subscription_id, name=data.name, url=data.url,
                                       event_types=",".join(data.event_types),
                                       secret=keys.encrypt(secret, context=secret_context(subscription_id)),
                                       owner_subject=actor.subject, created_at=utc_now())
    session.add(subscription)
    await session.flush()
    await audit.record(session, actor=actor, action="webhook.created", object_type="webhook",
                       object_id=subscription.id, details={"url": data.url, "events": ",".join(data.event_types)})
    return subscription, secret


async def disable_subscription(session: AsyncSession, audit: AuditRecorder, actor: Identity,
                               subscription_id: str) -> WebhookSubscription:
    subscription = await session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound("No webhook {webhook}.", code="webhook.unknown", params={"webhook": subscription_id})
    if subscription.disabled_at is None:
        subscription.disabled_at = utc_now()
        await audit.record(session, actor=actor, action="webhook.disabled", object_type="webhook",
                           object_id=subscription_id)
    return subscription


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def deliverable_prefix(events: list[OutboxEvent], last_seq: int, now: dt.datetime) -> list[OutboxEvent]:
    """Events that may be handed on now, in order: a gap in the numbers may be a transaction still
    committing, so the walk stops there, unless the gap is old enough to be a rolled-back insert."""
    taken: list[OutboxEvent] = []
    expected = last_seq + 1
    for event in events:
        if event.seq != expected and now - event.occurred_at < GAP_PATIENCE:
            break
        taken.append(event)
        expected = event.seq + 1
    return taken


class Dispatcher:
    def __init__(self, database: Database, upstreams: Upstreams, outbox: OutboxTables | None = None, *,
                 timeout: float = 10.0, targets: WebhookTargets | None = None, keys: KeyRing | None = None) -> None:
        self._database, self._upstreams, self._outbox = database, upstreams, outbox
        self._keys = keys  # opens the subscriptions' sealed secrets; needed to deliver
        self._targets = targets or WebhookTargets()
        self._client = httpx.AsyncClient(timeout=timeout)
        self._gauged_at = 0.0
        self._cursor_checked_at: dict[str, float] = {}
        self._behind: dict[str, bool] = {}

    async def run_forever(self, interval: float = 1.0) -> None:
        """A round every ``interval`` seconds, the first one ``interval`` after start-up. A failing round
        is logged once when the failures start and once when they end, not every second."""
        failing = False
        while True:
            await asyncio.sleep(interval)
            try:
                await self.step()
            except Exception:  # keep dispatching after any one failure; it is logged, never lost
                if not failing:
                    _log.exception("webhook dispatch step failed; retried every round, logged again when it works")
                failing = True
                continue
            if failing:
                _log.info("webhook dispatch works again")
            failing = False

    async def step(self) -> None:
        for service in SERVICE_NAMES:
            await self.collect(service)
        if self._outbox is not None:
            await self.collect("gateway")
        await self.deliver_due()
        if time.monotonic() - self._gauged_at >= GAUGE_EVERY:
            await self.measure()

    async def measure(self) -> None:
        """The deliveries pending, failing and refused, and the oldest pending one's age, for /metrics."""
        self._gauged_at = time.monotonic()
        pending = WebhookDelivery.status == "pending"
        async with self._database.reading() as session:
            counts = dict((await session.execute(select(WebhookDelivery.status, func.count()).where(
                WebhookDelivery.status.in_(("pending", "refused"))).group_by(WebhookDelivery.status))).all())
            failing = (await session.execute(select(func.count()).where(
                pending, WebhookDelivery.attempts > 0))).scalar_one()
            oldest = (await session.execute(select(func.min(WebhookDelivery.created_at)).where(pending))).scalar_one()
        WEBHOOK_DELIVERIES.labels(state="pending").set(counts.get("pending", 0))
        WEBHOOK_DELIVERIES.labels(state="failing").set(failing)
        WEBHOOK_DELIVERIES.labels(state="refused").set(counts.get("refused", 0))
        WEBHOOK_OLDEST_PENDING.set((utc_now() - as_utc(oldest)).total_seconds() if oldest is not None else 0)

    async def _check_cursor(self, service: str, last_seq: int) -> None:
        """Every so often, with nothing new: is the event the cursor stands on still in the outbox? Not
        after a restore of the service's database that ``sortes webhooks resync`` has not followed."""
        now = time.monotonic()
        if service == "gateway" or last_seq < 1 or now - self._cursor_checked_at.get(service, 0.0) < CURSOR_CHECK_EVERY:
            return
        self._cursor_checked_at[service] = now
        try:
            found = await client_for(service, self._upstreams, DISPATCHER).events_after(last_seq - 1, limit=1)
        except Problem:
            return
        behind = not found or found[0].seq != last_seq
        if behind and not self._behind.get(service):
            _log.warning("outbox behind the webhook cursor: restored? run sortes webhooks resync",
                         extra={"fields": {"service": service, "cursor": last_seq}})
        self._behind[service] = behind
        OUTBOX_BEHIND_CURSOR.labels(service=service).set(1 if behind else 0)

    async def _events_after(self, service: str, after: int) -> list[OutboxEvent] | None:
        if service == "gateway":  # its own outbox: the gateway's audit checkpoints
            assert self._outbox is not None
            events = self._outbox.events
            async with self._database.reading() as session:
                rows = await session.execute(select(events).where(events.c.seq > after).order_by(events.c.seq)
                                             .limit(500))
                return [OutboxEvent(seq=row.seq, event_type=row.event_type, object_id=row.object_id,
                                    payload=json.loads(row.payload), occurred_at=as_utc(row.occurred_at))
                        for row in rows]
        try:
            return await client_for(service, self._upstreams, DISPATCHER).events_after(after, limit=500)
        except Problem:
            return None  # the service is down or refused; its events wait in its outbox

    async def collect(self, service: str) -> None:
        async with self._database.reading() as session:
            cursor = await session.get(WebhookCursor, service)
        after = cursor.last_seq if cursor else 0
        events = await self._events_after(service, after)
        if events is not None:
            OUTBOX_WAITING.labels(service=service).set(len(events))
        if not events:
            if events is not None:
                await self._check_cursor(service, after)
            return  # nothing new (the usual poll): no write transaction to open
        async with self._database.transaction() as session:
            cursor = (await session.execute(select(WebhookCursor).where(WebhookCursor.service == service)
                                            .with_for_update())).scalar_one_or_none()
            if cursor is None:
                cursor = WebhookCursor(service=service, last_seq=0)
                session.add(cursor)
            fresh = [event for event in events if event.seq > cursor.last_seq]
            ready = deliverable_prefix(fresh, cursor.last_seq, utc_now())
            OUTBOX_WAITING.labels(service=service).set(len(fresh) - len(ready))
            if not ready:
                return
            subscriptions = (await session.execute(select(WebhookSubscription).where(
                WebhookSubscription.disabled_at.is_(None)))).scalars().all()
            now = utc_now()
            for event in ready:
                body = json.dumps({"event": event.event_type, "service": service, "seq": event.seq,
                                   "object_id": event.object_id, "occurred_at": event.occurred_at.isoformat(),
                                   "data": event.payload}, ensure_ascii=False, sort_keys=True)
                for subscription in subscriptions:
                    if event.event_type in subscription.event_types.split(","):
                        session.add(WebhookDelivery(
                            subscription_id=subscription.id, service=service, event_seq=event.seq,
                            event_type=event.event_type, object_id=event.object_id, body=body, status="pending",
                            attempts=0, next_attempt_at=now, created_at=now))
            cursor.last_seq = ready[-1].seq

    async def deliver_due(self, batch: int = 50) -> None:
        now = utc_now()
        async with self._database.reading() as session:
            due = (await session.execute(
                select(WebhookDelivery, WebhookSubscription)
                .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.id).limit(batch))).all()
        for delivery, subscription in due:
            if await self._claim(delivery):
                await self._attempt(delivery, subscription)

    async def _claim(self, delivery: WebhookDelivery) -> bool:
        """Push the next attempt time out first, so a second gateway does not send the same delivery: the
        claim holds only if the row is still as this gateway read it (its next attempt time included),
        so of two gateways that read the same due delivery, one claims it and the other finds it moved."""
        async with self._database.transaction() as session:
            result = await session.execute(
                update(WebhookDelivery).where(WebhookDelivery.id == delivery.id, WebhookDelivery.status == "pending",
                                              WebhookDelivery.attempts == delivery.attempts,
                                              WebhookDelivery.next_attempt_at == delivery.next_attempt_at)
                .values(next_attempt_at=utc_now() + CLAIM_FOR))
        return result.rowcount == 1

    async def _attempt(self, delivery: WebhookDelivery, subscription: WebhookSubscription) -> None:
        body = delivery.body.encode()
        headers = {"content-type": "application/json", "x-sortes-event": delivery.event_type,
                   "x-sortes-delivery": str(delivery.id),
                   "x-sortes-signature": signature(self._secret(subscription), int(time.time()), body)}
        try:
            # Sent to the address just checked (a name re-pointed since subscribing is caught here), and
            # only the answer's class is kept: its body is never read.
            url, host, extensions = await self._targets.pinned(subscription.url)
            async with self._client.stream("POST", url, content=body, headers={**headers, **host},
                                           extensions=extensions) as response:
                result = f"{response.status_code // 100}xx"
        except TargetRefused as refused:
            _log.warning("webhook delivery refused", extra={"fields": {"webhook": subscription.id,
                                                                       "reason": str(refused)}})
            result = "refused"
        except (httpx.HTTPError, httpx.InvalidURL, OSError):
            result = "network error"
        acknowledged = result == "2xx"
        attempts = delivery.attempts + 1
        backoff = min(dt.timedelta(seconds=5 * 2 ** (attempts - 1)), MAX_BACKOFF)
        status = "delivered" if acknowledged else "refused" if result == "refused" else "pending"
        async with self._database.transaction() as session:
            await session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id).values(
                attempts=attempts, last_result=result, status=status,
                delivered_at=utc_now() if acknowledged else None,
                next_attempt_at=utc_now() + (dt.timedelta(0) if acknowledged else backoff)))

    def _secret(self, subscription: WebhookSubscription) -> str:
        if self._keys is None:
            raise RuntimeError("the dispatcher was given no data key to open the webhook secrets")
        return self._keys.decrypt(subscription.secret, context=secret_context(subscription.id))

    async def close(self) -> None:
        await self._client.aclose()
