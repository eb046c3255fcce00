"""``Idempotency-Key`` on POST: the same key and body get the first answer again (error answers too,
marked ``Idempotent-Replayed`` like the others); the same key with another body gets 422. Keys belong
to the caller, so two systems cannot collide.

The first request claims the key with an insert (the primary key makes a concurrent twin fail
and get 409); its answer is stored unless it was a server error, which leaves the key free for a
retry.

A stored answer is no side channel:

- The request is remembered by a keyed digest (HMAC), never its body.
- The answer is sealed with the gateway's data key (AES-256-GCM, :mod:`shared.crypto`), bound to its caller and
  key, together with the roles and unit the caller had when it was given. A reveal's answer holds the
  sealed list's names and phones; storing a digest and reading the answer again instead would mean
  running a POST twice, which is what the key is there to prevent, so the answer itself is kept, unreadable
  without the key file.
- It expires (``SORTES_GATEWAY_IDEMPOTENCY_HOURS``, 24 by default): an expired record is ignored, the
  key is free again, and expired records are purged.
- It is given again only to the same caller still holding every role it had then, in the same unit. A
  caller who lost a role or moved unit since gets 403, as the route would now refuse them, not the
  answer their former role earned.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from services.gateway.identity.api_keys import ApiKeyDigester
from services.gateway.models import IdempotencyRecord
from shared.clock import utc_now
from shared.crypto import DecryptionError, KeyRing
from shared.db import Database
from shared.errors import Conflict, InvalidInput, NotPermitted, Problem
from shared.identity import Identity

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
_PURGE_EVERY_SECONDS = 60.0


class KeyReused(Problem):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency key reused with another request"


class ReplayRefused(NotPermitted):
    slug, title = "idempotency-replay-refused", "Stored answer not given again"


class _Sealed(msgspec.Struct, frozen=True):
    """What is sealed: the answer, and whom it was given to."""

    roles: list[str]
    unit: str
    body: str  # base64 of the answer's bytes


class StoredAnswers:
    """Seals and opens the answers kept for ``Idempotency-Key``, and says how long they are kept."""

    def __init__(self, keys: KeyRing, lifetime: dt.timedelta) -> None:
        self._keys = keys
        self.lifetime = lifetime
        self._next_purge = 0.0

    def seal(self, subject: str, key: str, identity: Identity, body: bytes) -> bytes:
        sealed = _Sealed(roles=sorted(identity.roles), unit=identity.unit, body=base64.b64encode(body).decode())
        return self._keys.encrypt(msgspec.json.encode(sealed).decode(), context=_context(subject, key)).encode()

    def open(self, record: IdempotencyRecord) -> _Sealed:
        """The sealed answer; 409 when it no longer opens (the data key was replaced, or a record from
        before answers were sealed): it is not given, and the request is not run a second time."""
        try:
            text = self._keys.decrypt((record.body or b"").decode("latin-1"), context=_context(record.subject,
                                                                                                 record.key))
        except DecryptionError:
            raise Conflict("The answer first given to this Idempotency-Key can no longer be read; send the "
                           "request with a new key if it is still wanted.",
                           code="idempotency.answer_unreadable") from None
        return msgspec.json.decode(text, type=_Sealed)

    def cutoff(self) -> dt.datetime:
        return utc_now() - self.lifetime

    async def purge_now_and_then(self, database: Database) -> None:
        """Delete expired records, at most once a minute per gateway process."""
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + _PURGE_EVERY_SECONDS
        await self.purge(database)

    async def purge(self, database: Database) -> None:
        async with database.transaction() as session:
            await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < self.cutoff()))


def _request_digest(scope: Scope, body: bytes) -> str:
    """Keyed, so that a body with little in it (a phone number alone) cannot be found from its digest
    by trying every value."""
    digester: ApiKeyDigester = scope["app"].state.api_key_digester
    plain = hashlib.sha256(scope["path"].encode() + b"\n" + body).hexdigest()
    return digester.digest(f"sortes idempotency request\n{plain}")


def _context(subject: str, key: str) -> str:
    return f"gateway.idempotency:{subject}:{key}"


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
        # An open route (the public application) has no caller to keep answers for: the key is ignored.
        if key is None or scope.get("user") is None:
            await app(scope, receive, send)
            return
        # A Problem raised here is rendered by Litestar's exception handling like any other.
        await _handle(app, scope, receive, send, key.decode("latin-1"))

    return middleware


async def _handle(app: ASGIApp, scope: Scope, receive: Receive, send: Send, key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidInput.for_field("Idempotency-Key", "idempotency.key_length", "must be 1 to {max} characters",
                                     {"max": MAX_KEY_LENGTH}, "header")
    body = await _read_body(receive)
    identity: Identity = scope["user"]
    digest = _request_digest(scope, body)
    database: Database = scope["app"].state.database
    answers: StoredAnswers = scope["app"].state.stored_answers
    await answers.purge_now_and_then(database)
    stored = await _claim(database, answers, identity.subject, key, digest)
    if stored is not None:
        await _replay(answers, stored, identity, send)
        return
    # equivalent mutant: 500 → 501 — _settle treats every status from 500 alike: the claim is dropped
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
        await _settle(database, answers, identity, key, captured)


async def _claim(database: Database, answers: StoredAnswers, subject: str, key: str,
                 digest: str) -> IdempotencyRecord | None:
    """None when this request now owns the key; the stored answer when it was already given."""
    where = (IdempotencyRecord.subject == subject, IdempotencyRecord.key == key)
    try:
        async with database.transaction() as session:
            # An expired record is as good as none: the key is free again.
            await session.execute(delete(IdempotencyRecord).where(*where,
                                                                  IdempotencyRecord.created_at < answers.cutoff()))
            session.add(IdempotencyRecord(subject=subject, key=key, request_digest=digest, created_at=utc_now()))
        return None
    except IntegrityError:
        pass
    async with database.reading() as session:
        record = (await session.execute(select(IdempotencyRecord).where(*where))).scalar_one()
    if record.request_digest != digest:
        raise KeyReused("This Idempotency-Key was first used with a different request.", code="idempotency.key_reused")
    if record.status_code is None:
        raise Conflict("A request with this Idempotency-Key is still being processed.", code="idempotency.in_progress",
                       headers={"Retry-After": "1"})
    return record


async def _settle(database: Database, answers: StoredAnswers, identity: Identity, key: str,
                  captured: dict[str, Any]) -> None:
    where = (IdempotencyRecord.subject == identity.subject, IdempotencyRecord.key == key)
    async with database.transaction() as session:
        if captured["status"] >= 500:
            await session.execute(delete(IdempotencyRecord).where(*where))
        else:
            await session.execute(update(IdempotencyRecord).where(*where).values(
                status_code=captured["status"], content_type=captured["content_type"],
                body=answers.seal(identity.subject, key, identity, b"".join(captured["body"]))))


async def _replay(answers: StoredAnswers, record: IdempotencyRecord, identity: Identity, send: Send) -> None:
    sealed = answers.open(record)
    if identity.unit != sealed.unit or not set(sealed.roles) <= set(identity.roles):
        raise ReplayRefused("This Idempotency-Key's answer was given to the caller's earlier roles or unit; "
                            "it is not given again.", code="idempotency.replay_refused")
    headers = [(b"idempotent-replayed", b"true")]
    if record.content_type:
        headers.append((b"content-type", record.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": record.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": base64.b64decode(sealed.body)})
