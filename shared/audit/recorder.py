"""Writing the audit log: one call, inside the caller's transaction.

``AuditRecorder.record`` notes an entry in the transaction that makes the change itself; at commit (a
session event, so no call site has to remember it) the recorder locks the chain's head row, appends the
noted entries linked to it and moves the head, binds the digests of the audited rows the transaction
wrote into its last entry (rows.py), then signs a checkpoint when one is due: every ``checkpoint_every``
entries and after every reveal, each delivered off the host as an ``audit.checkpoint`` event in the
outbox and a log line. A change and its entries commit or roll back together, and two writers (even two
processes) can never fork the chain or leave a gap.

The head is locked only for those last steps, not from the first ``record`` on: the chain is one line
through every write of the service, so whatever a transaction does while it holds the head, every
other writer waits for.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import and_, event, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shared.audit.appends import HeadAppender, HeadMove, Rows
from shared.audit.chain import (
    PROFILE_CHANGED,
    STANDARD,
    Actor,
    canonical_details,
    change_digest,
    compute_hash,
    format_instant,
)
from shared.audit.checkpoints import SignedCheckpoint, sign_checkpoint
from shared.audit.rows import (
    BASELINE_MARKER,
    AuditedRows,
    current_rows,
    digest_of,
    forget,
    row_digest,
    row_key,
    rows_digest,
)
from shared.audit.tables import AuditTables
from shared.draw.keys import PublicKeyEntry
from shared.identity import Identity
from shared.outbox.events import OutboxTables, event_row
from shared.signing_keys import SigningKey, signing_public_entry

_log = logging.getLogger("sortes.audit")
CHECKPOINT_EVENT = "audit.checkpoint"
CHECKPOINT_AFTER = frozenset({"draw.revealed"})  # actions signed at once: the moments worth pinning


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
                 signing_key: SigningKey, checkpoint_every: int, *, checkpoint_interval: float,
                 rows: AuditedRows | None = None, outbox: OutboxTables | None = None, profile: str = STANDARD,
                 retired_keys: Sequence[PublicKeyEntry] = ()) -> None:
        """``profile``: the crypto profile new entries are hashed under (a chain under another one
        moves to it with a profile-change entry at the next write). ``retired_keys``: earlier checkpoint
        keys whose checkpoints must still verify."""
        self.service = service
        self.tables = tables
        self._digest_key = digest_key
        self._signing_key = signing_key
        self.checkpoint_every = checkpoint_every
        self.rows = rows  # the service's audited tables, for the baseline and verification
        self.outbox = outbox  # where checkpoints go out as events (None: the log line only)
        self.checkpoint_interval = checkpoint_interval  # seconds between signings of new entries at least
        self.profile = profile
        self.retired_keys = tuple(retired_keys)
        self._appender = HeadAppender(tables.head)

    async def record(self, session: AsyncSession, *, actor: Actor | Identity, action: str,
                     object_type: str, object_id: str, before: Any = None, after: Any = None,
                     details: Mapping[str, Any] | None = None) -> None:
        """Note one entry for a change made in ``session``'s transaction, appended to the chain at commit.

        ``before``/``after`` are stored only as keyed digests. ``details`` is stored as given and
        must hold no personal data or secrets: reason codes, counts, digests, public codes.
        """
        await self.record_many(session, actor=actor, changes=[
            AuditChange(action, object_type, object_id, before, after, details)])

    async def record_many(self, session: AsyncSession, *, actor: Actor | Identity,
                          changes: Sequence[AuditChange]) -> None:
        """Note an entry for each of ``changes``, in order, as that many ``record`` calls would; at commit
        they are written with a few statements instead of three an entry (an import of 10,000 experts
        would otherwise spend longer on its log than on its rows).

        The before/after digests are taken now, of the values as they are now.
        """
        if isinstance(actor, Identity):
            actor = actor_of(actor)
        session.info["audit_recorder"] = self
        session.info.setdefault("audit_pending", []).extend(
            (actor, self._noted(change)) for change in changes)

    def _noted(self, change: AuditChange, profile: str | None = None) -> dict[str, Any]:
        """An entry's fields but its place in the chain, digested under ``profile`` (the recorder's own
        unless named)."""
        profile = profile or self.profile
        return {"action": change.action, "object_type": change.object_type, "object_id": change.object_id,
                "before_digest": change_digest(self._digest_key, change.before, profile),
                "after_digest": change_digest(self._digest_key, change.after, profile),
                "details": canonical_details(change.details)}

    def _lock_head(self, session: Session) -> tuple[int, str, str]:
        head = self.tables.head
        seq, entry_hash, chain_profile = session.execute(
            select(head.c.seq, head.c.entry_hash, head.c.profile).where(head.c.id == 1).with_for_update()).one()
        return seq, entry_hash, chain_profile or STANDARD

    def _append(self, noted: list[tuple[Actor, dict[str, Any]]], seq: int, prev_hash: str, chain_profile: str,
                written: list[tuple[str, str, str | None]]) -> tuple[list[dict[str, Any]], list[Rows], HeadMove]:
        """The noted entries after the head, locked at (``seq``, ``prev_hash``) under ``chain_profile``, the
        last binding the ``written`` rows (rows.py): the entries, the rows to insert, and the head's move.
        A chain under another profile than the recorder's first moves to it with an entry of its own,
        hashed as the entries before it; what follows is hashed anew."""
        rows = []
        if chain_profile != self.profile:
            switch = self._noted(AuditChange(PROFILE_CHANGED, "audit", self.service,
                                             details={"from": chain_profile, "to": self.profile}), chain_profile)
            rows.append(self._linked(seq + 1, prev_hash, system_actor(self.service), switch, chain_profile))
            seq, prev_hash = rows[-1]["seq"], rows[-1]["entry_hash"]
        for index, (actor, fields) in enumerate(noted, start=1):
            bound = rows_digest(written, self.profile) if written and index == len(noted) else None
            rows.append(self._linked(seq + 1, prev_hash, actor, fields, self.profile, bound))
            seq, prev_hash = rows[-1]["seq"], rows[-1]["entry_hash"]
        writes = [Rows(self.tables.entries, rows)]
        if written:
            writes.append(Rows(self.tables.rows, [{"seq": seq, "table_name": table, "row_key": key, "digest": digest}
                                                  for table, key, digest in written]))
        return rows, writes, HeadMove(seq, prev_hash, None if self.profile == STANDARD else self.profile)

    @staticmethod
    def _linked(seq: int, prev_hash: str, actor: Actor, fields: dict[str, Any], profile: str,
                bound: str | None = None) -> dict[str, Any]:
        """The entry row at ``seq`` after ``prev_hash``, hashed under ``profile`` (``bound``: its rows
        digest, when it binds the rows the transaction wrote)."""
        entry = {"seq": seq, "recorded_at": dt.datetime.now(dt.UTC), **fields, "prev_hash": prev_hash}
        entry_hash = compute_hash(actor=actor, rows_digest=bound, profile=profile, **entry)
        return {**entry, "actor_subject": actor.subject, "actor_roles": ",".join(actor.roles),
                "actor_unit": actor.unit, "rows_digest": bound, "entry_hash": entry_hash}

    @property
    def digest_key(self) -> bytes:
        """The key of the before/after and row digests, for verification inside the service."""
        return self._digest_key

    @property
    def public_keys(self) -> dict[str, PublicKeyEntry]:
        """The checkpoint keys that verify this service's checkpoints (the active one and retired ones)."""
        active = signing_public_entry(self._signing_key)
        return {key.key_id: key for key in (*self.retired_keys, active)}

    async def checkpoint(self, session: AsyncSession) -> SignedCheckpoint | None:
        """Sign the current head on demand (nothing to sign while the log is empty or already signed)."""
        return await session.run_sync(self._checkpoint_head)

    def _checkpoint_head(self, session: Session) -> SignedCheckpoint | None:
        head = self.tables.head
        seq, entry_hash = session.execute(
            select(head.c.seq, head.c.entry_hash).where(head.c.id == 1).with_for_update()).one()
        signed = session.execute(select(self.tables.checkpoints.c.seq)
                                 .where(self.tables.checkpoints.c.seq == seq)).first()
        if seq > 0 and signed is None:
            return self._store_checkpoint(session, seq, entry_hash)
        return None

    def _store_checkpoint(self, session: Session, seq: int, entry_hash: str) -> SignedCheckpoint:
        signed, writes = self._checkpoint_rows(session, seq, entry_hash)
        for table, rows in writes:
            session.execute(table.insert(), rows)
        return signed

    def _checkpoint_rows(self, session: Session, seq: int, entry_hash: str) -> tuple[SignedCheckpoint, list[Rows]]:
        """The head at ``seq`` signed: its checkpoint row and the event that announces it, to insert."""
        signed = sign_checkpoint(self._signing_key, self.service, seq, entry_hash,
                                 format_instant(dt.datetime.now(dt.UTC)))
        session.info.setdefault("audit_signed", []).append(signed)
        writes = [Rows(self.tables.checkpoints, [{
            "seq": seq, "entry_hash": entry_hash, "signed_at": signed.signed_at, "key_id": signed.key_id,
            "signature": signed.signature}])]
        if self.outbox is not None:
            writes.append(Rows(self.outbox.events,
                                [event_row(CHECKPOINT_EVENT, f"{self.service}:{seq}", signed.to_json())]))
        return signed, writes

    # At commit

    def finish(self, session: Session) -> None:
        """Append the noted entries, the last binding the rows the transaction wrote, and sign what is
        due (before_commit). Whatever can be worked out before the head is locked is: the rows written
        (a concurrent writer of the same row waited for this one's row lock already) and the entries'
        digests; under the lock, the entries' links, the due checkpoints and the append (appends.py)."""
        session.flush()  # the rows as they will be committed, changes after the last record included
        notes = session.info.get("audit_touched")
        pending: list[tuple[Actor, dict[str, Any]]] = session.info.pop("audit_pending", [])
        written = self._changed_rows(session, notes) if notes else []
        if written and not pending:
            # Rows the service wrote with no entry of their own (a bookkeeping change): named, not hidden.
            tables = sorted({table for table, _, _ in written})
            pending = [(system_actor(self.service), self._noted(AuditChange(
                "rows.written", "rows", ",".join(tables)[:100], details={"rows": len(written)})))]
        if not pending:
            return
        seq, prev_hash, chain_profile = self._lock_head(session)  # from here to the commit every other writer waits
        entries, writes, moved_head = self._append(pending, seq, prev_hash, chain_profile, written)
        due = [entry for entry in entries if self.checkpoint_every > 0 and entry["seq"] % self.checkpoint_every == 0]
        if any(entry["action"] in CHECKPOINT_AFTER for entry in entries):
            due.append(entries[-1])
        for due_seq, entry_hash in dict((entry["seq"], entry["entry_hash"]) for entry in due).items():
            writes += self._checkpoint_rows(session, due_seq, entry_hash)[1]
        self._appender.write(session, writes, moved_head)

    def _changed_rows(self, session: Session, notes: Any) -> list[tuple[str, str, str | None]]:
        """(table, key, digest) of each touched row whose digest is not already the ledger's latest."""
        now = [(audited.name, row_key(key), digest_of(self._digest_key, audited, row, self.profile))
               for audited, key, row in current_rows(session, notes)]
        ledger = self.tables.rows
        latest: dict[tuple[str, str], str | None] = {}
        # One statement for up to 500 rows of every table the transaction wrote (a reveal writes five).
        for start in range(0, len(now), 500):
            keys_by_table: dict[str, list[str]] = {}
            # equivalent mutant: 500 → 501 — the chunk only splits the ledger lookup: any size reads the same digests
            # equivalent mutant: + → - — no keys leave or_() empty: the whole ledger is read, the same latest digests
            for table, key, _ in now[start:start + 500]:
                # equivalent mutant: drop `keys_by_table.setdefault(table, []).append(key)` — as above
                keys_by_table.setdefault(table, []).append(key)
            found = session.execute(
                select(ledger.c.table_name, ledger.c.row_key, ledger.c.digest).where(or_(*(
                    and_(ledger.c.table_name == table, ledger.c.row_key.in_(keys))
                    for table, keys in sorted(keys_by_table.items()))))
                .order_by(ledger.c.seq))
            latest.update({(table, key): digest for table, key, digest in found})
        return [(table, key, digest) for table, key, digest in now
                if ((table, key) in latest and latest[(table, key)] != digest)
                or ((table, key) not in latest and digest is not None)]

    async def baseline(self, session: AsyncSession) -> int:
        """Digest, once, the rows that exist before any audited write (rows seeded by migrations, a
        database from before row digests): stored at sequence 0, bound to no entry but keyed, so a
        later edit of them is caught all the same. Returns how many rows (0 once taken)."""
        return await session.run_sync(self._baseline)

    def _baseline(self, session: Session) -> int:
        if self.rows is None:
            return 0
        head, ledger = self.tables.head, self.tables.rows
        session.execute(select(head.c.seq).where(head.c.id == 1).with_for_update())
        table, key = BASELINE_MARKER
        if session.execute(select(func.count()).select_from(ledger).where(
                ledger.c.table_name == table, ledger.c.row_key == key)).scalar_one():
            return 0
        known = {(name, key) for name, key in session.execute(select(ledger.c.table_name, ledger.c.row_key))}
        found = []
        for audited in self.rows.tables:
            columns = audited.key_columns
            for row in session.execute(select(*audited.table.columns)).mappings():
                name = row_key(row[column.name] for column in columns)
                if (audited.name, name) not in known:
                    found.append({"seq": 0, "table_name": audited.name, "row_key": name,
                                  "digest": digest_of(self._digest_key, audited, row)})  # seq 0: standard
        marker = {"seq": 0, "table_name": table, "row_key": key,
                  "digest": row_digest(self._digest_key, "", {"baseline": len(found)})}
        session.execute(ledger.insert(), [*found, marker])
        return len(found)


async def take_row_baseline(database: Any, audit: AuditRecorder) -> bool:
    """At a service's start: digest the rows that were there before any audited write, once. A database
    not reachable yet does not stop the start: the periodic task tries again."""
    try:
        async with database.transaction() as session:
            count = await audit.baseline(session)
    except Exception:
        _log.warning("audit row baseline not taken yet; tried again shortly")
        return False
    if count:
        _log.info("audit row baseline taken", extra={"fields": {"service": audit.service, "rows": count}})
    return True


async def checkpoint_periodically(state: Any, retry: float = 5.0) -> None:
    """Sign the head at least every ``checkpoint_interval`` while new entries come (a background task),
    after taking the row baseline if the start could not."""
    audit: AuditRecorder = state.audit
    while not await take_row_baseline(state.database, audit):
        await asyncio.sleep(retry)
    while True:
        await asyncio.sleep(audit.checkpoint_interval)
        try:
            async with state.database.transaction() as session:
                await audit.checkpoint(session)
        except Exception:  # the next round tries again; a failure is logged, never fatal
            _log.exception("periodic audit checkpoint failed")


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    recorder = session.info.get("audit_recorder")
    if isinstance(recorder, AuditRecorder):
        recorder.finish(session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    recorder = session.info.get("audit_recorder")
    signed: list[SignedCheckpoint] = session.info.pop("audit_signed", [])
    forget(session)
    if isinstance(recorder, AuditRecorder):
        session.info["audit_recorder"] = recorder  # a session of Database.transaction keeps its recorder
    for checkpoint in signed:
        _log.info("audit checkpoint signed", extra={"fields": {
            "service": checkpoint.service, "seq": checkpoint.seq, "head_hash": checkpoint.entry_hash,
            "signed_at": checkpoint.signed_at, "key_id": checkpoint.key_id, "signature": checkpoint.signature}})


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("audit_signed", None)
    recorder = session.info.get("audit_recorder")
    forget(session)
    if isinstance(recorder, AuditRecorder):
        session.info["audit_recorder"] = recorder
