"""``Idempotency-Key`` on POST: the same key and body get the first answer again; the same key
with another body gets 422. Keys belong to the caller, so two systems cannot collide.

The first request claims the key with an insert (the primary key makes a concurrent twin fail
and get 409); its answer is stored unless it was a server error, which leaves the key free for a
retry.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from services.gateway.models import IdempotencyRecord
from shared.clock import utc_now
from shared.db import Database
from shared.errors import Conflict, InvalidInput, Problem
from shared.identity import Identity

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255


class KeyReused(Problem):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency key reused with another request"


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        # Only a POST can carry a key: other requests pass without their headers being looked at.
        key = dict(scope.get("headers", [])).get(HEADER) \
            if scope["type"] == "http" and scope.get("method") == "POST" else None
        if key is None:
            await app(scope, receive, send)
            return
        # A Problem raised here is rendered by Litestar's exception handling like any other.
        await _handle(app, scope, receive, send, key.decode("latin-1"))

    return middleware


async def _handle(app: ASGIApp, scope: Scope, receive: Receive, send: Send, key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidInput.for_field("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters", "header")
    body = await _read_body(receive)
    identity: Identity = scope["user"]
    digest = hashlib.sha256(scope["path"].encode() + b"\n" + body).hexdigest()
    database: Database = scope["app"].state.database
    stored = await _claim(database, identity.subject, key, digest)
    if stored is not None:
        await _replay(stored, send)
        return
    captured: dict[str, Any] = {"status": 500, "content_type": None, "body": []}

    async def replay_body() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            captured["status"] = message["status"]
            captured["content_type"] = dict(message.get("headers", [])).get(b"content-type", b"").decode("latin-1")
        elif message["type"] == "http.response.body":
            captured["body"].append(message.get("body", b""))
        await send(message)

    try:
        await app(scope, replay_body, capture)
    finally:
        await _settle(database, identity.subject, key, captured)


async def _claim(database: Database, subject: str, key: str, digest: str) -> IdempotencyRecord | None:
    """None when this request now owns the key; the stored answer when it was already given."""
    try:
        async with database.transaction() as session:
            session.add(IdempotencyRecord(subject=subject, key=key, request_digest=digest, created_at=utc_now()))
        return None
    except IntegrityError:
        pass
    async with database.reading() as session:
        record = (await session.execute(select(IdempotencyRecord).where(
            IdempotencyRecord.subject == subject, IdempotencyRecord.key == key))).scalar_one()
    if record.request_digest != digest:
        raise KeyReused("This Idempotency-Key was first used with a different request.")
    if record.status_code is None:
        raise Conflict("A request with this Idempotency-Key is still being processed.", headers={"Retry-After": "1"})
    return record


async def _settle(database: Database, subject: str, key: str, captured: dict[str, Any]) -> None:
    where = (IdempotencyRecord.subject == subject, IdempotencyRecord.key == key)
    async with database.transaction() as session:
        if captured["status"] >= 500:
            await session.execute(delete(IdempotencyRecord).where(*where))
        else:
            await session.execute(update(IdempotencyRecord).where(*where).values(
                status_code=captured["status"], content_type=captured["content_type"],
                body=b"".join(captured["body"])))


async def _replay(record: IdempotencyRecord, send: Send) -> None:
    headers = [(b"idempotent-replayed", b"true")]
    if record.content_type:
        headers.append((b"content-type", record.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": record.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": record.body or b""})
