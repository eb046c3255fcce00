"""Writing the audit log: one call, inside the caller's transaction.

``AuditRecorder.record`` locks the chain's head row, appends the next entry linked to it and moves
the head, all in the transaction that makes the change itself, so a change and its entry commit or
roll back together, and two writers (even two processes) can never fork the chain or leave a gap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.chain import Actor, canonical_details, change_digest, compute_hash, format_instant
from shared.audit.checkpoints import SignedCheckpoint, sign_checkpoint
from shared.audit.tables import AuditTables
from shared.identity import Identity


def actor_of(identity: Identity) -> Actor:
    return Actor(subject=identity.subject, roles=tuple(identity.roles), unit=identity.unit)


def system_actor(service: str) -> Actor:
    return Actor(subject=f"system:{service}", roles=(), unit="")


class AuditRecorder:
    def __init__(self, service: str, tables: AuditTables, digest_key: bytes,
                 signing_key: Ed25519PrivateKey, checkpoint_every: int = 1000) -> None:
        self.service = service
        self.tables = tables
        self._digest_key = digest_key
        self._signing_key = signing_key
        self.checkpoint_every = checkpoint_every

    async def record(self, session: AsyncSession, *, actor: Actor | Identity, action: str,
                     object_type: str, object_id: str, before: Any = None, after: Any = None,
                     details: Mapping[str, Any] | None = None) -> int:
        """Append one entry for a change made in ``session``'s transaction; returns its sequence.

        ``before``/``after`` are stored only as keyed digests. ``details`` is stored as given and
        must hold no personal data or secrets: reason codes, counts, digests, public codes.
        """
        if isinstance(actor, Identity):
            actor = actor_of(actor)
        head = self.tables.head
        seq, prev_hash = (await session.execute(
            select(head.c.seq, head.c.entry_hash).where(head.c.id == 1).with_for_update())).one()
        entry = {
            "seq": seq + 1,
            "recorded_at": dt.datetime.now(dt.UTC),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before_digest": change_digest(self._digest_key, before),
            "after_digest": change_digest(self._digest_key, after),
            "details": canonical_details(details),
            "prev_hash": prev_hash,
        }
        entry_hash = compute_hash(**entry)
        await session.execute(self.tables.entries.insert().values(
            seq=entry["seq"], recorded_at=entry["recorded_at"], actor_subject=actor.subject,
            actor_roles=",".join(actor.roles), actor_unit=actor.unit, action=action,
            object_type=object_type, object_id=object_id, before_digest=entry["before_digest"],
            after_digest=entry["after_digest"], details=entry["details"], prev_hash=prev_hash,
            entry_hash=entry_hash))
        await session.execute(update(head).where(head.c.id == 1).values(seq=seq + 1, entry_hash=entry_hash))
        if (seq + 1) % self.checkpoint_every == 0:
            await self._store_checkpoint(session, seq + 1, entry_hash)
        return seq + 1

    async def checkpoint(self, session: AsyncSession) -> None:
        """Sign the current head on demand (nothing to sign while the log is empty or already signed)."""
        head = self.tables.head
        seq, entry_hash = (await session.execute(
            select(head.c.seq, head.c.entry_hash).where(head.c.id == 1).with_for_update())).one()
        signed = (await session.execute(select(self.tables.checkpoints.c.seq)
                                        .where(self.tables.checkpoints.c.seq == seq))).first()
        if seq > 0 and signed is None:
            await self._store_checkpoint(session, seq, entry_hash)

    async def _store_checkpoint(self, session: AsyncSession, seq: int, entry_hash: str) -> SignedCheckpoint:
        signed = sign_checkpoint(self._signing_key, self.service, seq, entry_hash,
                                 format_instant(dt.datetime.now(dt.UTC)))
        await session.execute(self.tables.checkpoints.insert().values(
            seq=seq, entry_hash=entry_hash, signed_at=signed.signed_at, key_id=signed.key_id,
            signature=signed.signature))
        return signed
