"""The draw ledger: commit, reveal and cancel sortes-draw/1 draws, and give their records.

Panels, supplementary draws and the annual spot check all draw through here. The secret is sealed
with the service's data key the moment it is made and opened only to reveal: a process killed
between commit and reveal loses nothing, and the secret never reaches a log, an error or an answer
before the witness is accepted.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.draw_keys import DrawKeys
from services.experts.domain.statuses import CancelPhase
from services.experts.models import Draw, DrawExclusion
from shared.audit import AuditRecorder
from shared.clock import as_utc, utc_now
from shared.contracts.statuses import DrawStatus
from shared.crypto import KeyRing
from shared.draw import CommitReceipt, DrawInputError, DrawRecord, check_witness, commit, reveal
from shared.errors import Conflict, InvalidInput, NotFound
from shared.identity import Identity
from shared.outbox import OutboxTables, publish

SECRET_SIZE = 32


def protocol_time(moment: Any) -> str:
    """An instant as the protocol writes it: UTC, whole seconds."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def exclusions_digest(excluded: Sequence[tuple[str, Sequence[str]]]) -> str:
    """SHA-256 over every left-out expert with its reasons, one ``<code>:<R1>,<R2>`` line each, sorted."""
    lines = sorted(f"{code}:{','.join(sorted(reasons))}\n" for code, reasons in excluded)
    return hashlib.sha256(("sortes exclusions\n" + "".join(lines)).encode()).hexdigest()


def exclusion_counts(excluded: Sequence[tuple[str, Sequence[str]]]) -> dict[str, int]:
    """How many left-out experts each reason applies to (an expert with two reasons counts in both)."""
    counts = Counter(reason for _, reasons in excluded for reason in reasons)
    return dict(sorted(counts.items()))


@dataclass(frozen=True)
class NewDraw:
    """What a draw commits to: the quotas, the reserves and the frozen candidate lists."""

    purpose: str
    project_code: str
    quotas: Mapping[str, int]
    reserves_per_field: int
    candidates: Mapping[str, Sequence[str]]
    excluded: Sequence[tuple[str, Sequence[str]]]
    supervisor_subject: str
    panel_id: str | None = None
    supplementary_of: str | None = None


@dataclass(frozen=True)
class DrawLedger:
    keys: DrawKeys
    keyring: KeyRing
    audit: AuditRecorder
    outbox: OutboxTables

    async def commit(self, session: AsyncSession, actor: Identity, new: NewDraw) -> Draw:
        draw_id = str(uuid.uuid4())
        committed_at = utc_now()
        secret = secrets.token_bytes(SECRET_SIZE)
        receipt = commit(draw_id, new.purpose, new.project_code, protocol_time(committed_at), dict(new.quotas),
                         new.reserves_per_field, new.candidates, self.keys.signer, secret=secret)
        digest, counts = exclusions_digest(new.excluded), exclusion_counts(new.excluded)
        draw = Draw(id=draw_id, panel_id=new.panel_id, supplementary_of=new.supplementary_of, purpose=new.purpose,
                    project_code=new.project_code, status=DrawStatus.COMMITTED,
                    supervisor_subject=new.supervisor_subject,
                    # equivalent mutant: False → True — every code in a receipt is ASCII, and every reader parses it
                    receipt=json.dumps(receipt.to_json_dict(), ensure_ascii=False),
                    secret_token=self.keyring.encrypt(secret.hex(), context=_secret_context(draw_id)),
                    exclusions_digest=digest, exclusion_counts=json.dumps(counts), committed_by=actor.subject,
                    committed_at=committed_at)
        session.add(draw)
        session.add_all(DrawExclusion(draw_id=draw_id, expert_code=code, reasons=",".join(reasons))
                        for code, reasons in new.excluded)
        # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it (no default to read)
        await session.flush()
        await self.audit.record(session, actor=actor, action="draw.committed", object_type="draw", object_id=draw_id,
                                after=receipt.to_json_dict(), details={
                                    "panel_id": new.panel_id, "project_code": new.project_code,
                                    "purpose": new.purpose, "supplementary_of": new.supplementary_of,
                                    "commitment": receipt.commitment, "candidates_digest": receipt.candidates_digest,
                                    "exclusions_digest": digest, "exclusion_counts": counts,
                                    "quotas": dict(sorted(new.quotas.items()))})
        await publish(session, self.outbox, "draw.committed", draw_id, {
            "draw_id": draw_id, "panel_id": new.panel_id, "project_code": new.project_code, "purpose": new.purpose,
            "commitment": receipt.commitment})
        return draw

    async def reveal(self, session: AsyncSession, actor: Identity, draw: Draw, witness: str) -> DrawRecord:
        """Run ``draw`` with the supervisor's witness; the caller places the result and records it."""
        if draw.status != DrawStatus.COMMITTED:
            raise Conflict("The draw is {status}; only a committed draw can be revealed.", code="draw.not_committed",
                           params={"status": draw.status})
        try:
            check_witness(witness, refuse_unassigned=True)
        except DrawInputError as error:
            raise InvalidInput.for_field("witness", "witness.invalid", "{reason}", {"reason": str(error)}) from None
        receipt = receipt_of(draw)
        signer = self.keys.signer_for(receipt.key_id)  # a retired key still reveals the draws it committed
        if signer is None:
            raise Conflict("The draw was committed under a signing key this service no longer holds; "
                           "cancel it with a reason and draw again.", code="draw.key_gone")
        secret = bytes.fromhex(self.keyring.decrypt(draw.secret_token, context=_secret_context(draw.id)))
        drawn_at = max(protocol_time(utc_now()), receipt.committed_at)
        record = reveal(receipt, secret, witness, drawn_at, signer)
        draw.status, draw.record, draw.revealed_at = DrawStatus.REVEALED, json.dumps(record.to_json_dict(),
        # equivalent mutant: False → True — every reader of the record parses it: either spelling, the same value
                                                                             ensure_ascii=False), utc_now()
        # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
        await session.flush()
        return record

    async def cancel(self, session: AsyncSession, actor: Identity, draw: Draw, reason: str) -> None:
        """Record the cancel on the draw. A committed draw becomes cancelled (before_reveal); a revealed one
        (its panel cancelled once the result was known) keeps its status and record, with the cancel beside."""
        phase = CancelPhase.AFTER_REVEAL if draw.status == DrawStatus.REVEALED else CancelPhase.BEFORE_REVEAL
        if phase == CancelPhase.BEFORE_REVEAL:
            draw.status = DrawStatus.CANCELLED
        draw.cancel_reason, draw.cancelled_at, draw.cancel_phase, draw.cancelled_by = (reason, utc_now(), phase,
                                                                                       actor.subject)
        # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
        await session.flush()
        await self.audit.record(session, actor=actor, action="draw.cancelled", object_type="draw", object_id=draw.id,
                                after={"status": draw.status, "reason": reason, "phase": phase},
                                details={"panel_id": draw.panel_id, "phase": phase})


def _secret_context(draw_id: str) -> str:
    return f"experts.draw_secret:{draw_id}"


def receipt_of(draw: Draw) -> CommitReceipt:
    return CommitReceipt.from_json_dict(json.loads(draw.receipt))


def record_document(draw: Draw) -> dict[str, Any]:
    """The protocol record once revealed; the commit receipt before (no secret, witness or result)."""
    return json.loads(draw.record if draw.record is not None else draw.receipt)


async def draw_by_id(session: AsyncSession, draw_id: str, *, for_update: bool = False) -> Draw:
    statement = select(Draw).where(Draw.id == draw_id)
    if for_update:  # and read afresh: the session may hold the row as it was before the lock was had
        statement = statement.with_for_update().execution_options(populate_existing=True)
    draw = (await session.execute(statement)).scalar_one_or_none()
    if draw is None:
        raise NotFound("No draw {draw}.", code="draw.unknown", params={"draw": draw_id})
    return draw


async def excluded_of(session: AsyncSession, draw_id: str) -> list[tuple[str, str]]:
    rows = await session.execute(select(DrawExclusion.expert_code, DrawExclusion.reasons)
                                 .where(DrawExclusion.draw_id == draw_id))
    return sorted(rows.all(), key=lambda row: (len(row[0]), row[0]))
