"""Writing the audit log: one call, inside the caller's transaction.

``AuditRecorder.record`` locks the chain's head row, appends the next entry linked to it and moves
the head, all in the transaction that makes the change itself, so a change and its entry commit or
roll back together, and two writers (even two processes) can never fork the chain or leave a gap.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
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


def operator_actor() -> Actor:
    """An operator running a ``sortes`` command on a server: ``cli:<the OS user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        user = f"uid{os.getuid()}"
    return Actor(subject=f"cli:{user}", roles=(), unit="")


class AuditChange(NamedTuple):
    """One entry of :meth:`AuditRecorder.record_many`: what ``record`` takes besides the actor."""

    action: str
    object_type: str
    object_id: str
    before: Any = None
    after: Any = None
    details: Mapping[str, Any] | None = None


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
        return await self.record_many(session, actor=actor, changes=[
            AuditChange(action, object_type, object_id, before, after, details)])

    async def record_many(self, session: AsyncSession, *, actor: Actor | Identity,
                          changes: Sequence[AuditChange]) -> int:
        """Append an entry for each of ``changes``, in order, as that many ``record`` calls would, with
        a few statements instead of three an entry (an import of 10,000 experts would otherwise spend
        longer on its log than on its rows). Returns the last entry's sequence.
        """
        if isinstance(actor, Identity):
            actor = actor_of(actor)
        head = self.tables.head
        seq, prev_hash = (await session.execute(
            select(head.c.seq, head.c.entry_hash).where(head.c.id == 1).with_for_update())).one()
        rows = []
        for change in changes:
            seq += 1
            entry = {
                "seq": seq,
                "recorded_at": dt.datetime.now(dt.UTC),
                "action": change.action,
                "object_type": change.object_type,
                "object_id": change.object_id,
                "before_digest": change_digest(self._digest_key, change.before),
                "after_digest": change_digest(self._digest_key, change.after),
                "details": canonical_details(change.details),
                "prev_hash": prev_hash,
            }
            prev_hash = compute_hash(actor=actor, **entry)
            rows.append({**entry, "actor_subject": actor.subject, "actor_roles": ",".join(actor.roles),
                         "actor_unit": actor.unit, "entry_hash": prev_hash})
        if not rows:
            return seq
        await session.execute(self.tables.entries.insert(), rows)
        await session.execute(update(head).where(head.c.id == 1).values(seq=seq, entry_hash=prev_hash))
        for row in rows:
            if row["seq"] % self.checkpoint_every == 0:
                await self._store_checkpoint(session, row["seq"], row["entry_hash"])
        return seq

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The half of the checkpoint-signing key that verifies this service's checkpoints."""
        return self._signing_key.public_key()

    async def hold_chain(self, session: AsyncSession) -> None:
        """Lock the chain's head now rather than at the first ``record``.

        Every writer of the log takes this lock before it commits, so taking it first serialises a
        transaction that reads state another writer may be changing (who is seated where) and then
        acts on it: no two such transactions, even in two processes, interleave.
        """
        head = self.tables.head
        await session.execute(select(head.c.seq).where(head.c.id == 1).with_for_update())

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
