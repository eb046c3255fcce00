"""What a draw and its panel look like to a caller, with the sealed list (保密名单) kept sealed.

Until the meeting's last half-day has ended only the organiser, the supervisor and bureau admins read
who sits on the panel (names and contacts, and pool numbers); every other reader of draws gets its
counts, the commitment and the exclusion counts, never a member's pool number. Each read of a sealed
list by those who may, and each showing of a contact, is an audit entry for the auditors. After the
meeting the pool numbers are open to every reader of draws.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain import reroll
from services.experts.domain import seats as seat_rules
from services.experts.domain.draws import receipt_of
from services.experts.domain.notices import statuses_by_member as notice_statuses
from services.experts.domain.panels import (
    draws_of,
    is_sealed,
    kept,
    meeting_ends_at,
    meeting_starts_at,
    panel_of,
    reads_members,
    reserve_shortfall,
    sees_sealed_list,
)
from services.experts.domain.personal_data import PersonalDataVault, contact_phone_context
from services.experts.domain.working_days import working_day_after
from services.experts.models import Draw, Expert, Panel, PanelMember, Project
from services.experts.schemas import DrawView, HistoryEntry, MemberView, PanelView, ShortfallView
from shared.audit import AuditRecorder
from shared.audit.store import AuditPage
from shared.audit.tables import AuditTables
from shared.clock import as_utc, utc_now
from shared.contracts.statuses import HOLDING, DrawStatus, PanelStatus
from shared.crypto import mask_phone
from shared.draw import FieldSelection, shortfall
from shared.identity import Identity

SEALED_LIST_READ = "panel.sealed_list_read"
SEALED = "[sealed]"  # what stands for a pool number, a seed or a secret in what a sealed panel shows others
_POOL_NUMBER = re.compile(r"^E\d{5,}$")
_DRAWING_SECRETS = ("seed", "secret")  # with the commit receipt, either gives the result away


async def draw_view(session: AsyncSession, audit: AuditRecorder, vault: PersonalDataVault, actor: Identity,
                    draw: Draw, evaluation_working_days: int) -> DrawView:
    receipt = receipt_of(draw)
    record = json.loads(draw.record) if draw.record else None
    result = record["result"] if record else None
    panel_row = await panel_of(session, draw) if draw.panel_id is not None else None
    open_result = panel_row is None or reads_members(actor, panel_row)
    missing = {}
    if result is not None:
        outcome = {field: FieldSelection(tuple(lists["primaries"]), tuple(lists["reserves"]))
                   for field, lists in result.items()}
        missing = {field: ShortfallView(primaries=gap.primaries, reserves=gap.reserves)
                   for field, gap in shortfall(receipt.quota_map, receipt.reserves_per_field, outcome).items()}
    # Before the reveal, how many reserves the frozen lists cannot supply (reported, never refused).
    reserves_missing = (reserve_shortfall(receipt.quota_map, receipt.reserves_per_field, receipt.candidate_map)
                        if draw.status == DrawStatus.COMMITTED else {})
    panel = None
    if panel_row is not None:
        panel = await panel_view(session, audit, vault, actor, panel_row, evaluation_working_days)
    avoided = await reroll.extra_avoidances(session, draw, panel_row)
    lists_avoidances = panel_row is None or sees_sealed_list(actor, panel_row)
    return DrawView(
        id=draw.id, kind="spot_check" if draw.panel_id is None else
        ("supplementary" if draw.supplementary_of else "panel"), purpose=draw.purpose,
        project_code=draw.project_code, status=draw.status, committed_at=as_utc(draw.committed_at),
        revealed_at=as_utc(draw.revealed_at), commitment=receipt.commitment,
        candidates_digest=receipt.candidates_digest, exclusions_digest=draw.exclusions_digest,
        exclusion_counts=json.loads(draw.exclusion_counts),
        candidate_counts={field: len(ids) for field, ids in receipt.candidates},
        receipt=receipt.to_json_dict(), supervisor=draw.supervisor_subject, supplementary_of=draw.supplementary_of,
        reserve_shortfall=reserves_missing, shortfall=missing, result=result if open_result else None,
        cancel_reason=draw.cancel_reason, panel=panel, cancel_phase=draw.cancel_phase,
        cancelled_at=as_utc(draw.cancelled_at), cancelled_by=draw.cancelled_by,
        avoidances=avoided if lists_avoidances else None, avoidance_count=len(avoided))


async def panel_view(session: AsyncSession, audit: AuditRecorder, vault: PersonalDataVault, actor: Identity,
                     panel: Panel, evaluation_working_days: int) -> PanelView:
    all_members = await seat_rules.members_of(session, panel.id)
    sealed = is_sealed(panel)
    named = sees_sealed_list(actor, panel)
    members = all_members if reads_members(actor, panel) else []
    experts = await _experts(session, [m.expert_code for m in members]) if named and members else {}
    if sealed and named and members:
        await audit.record(session, actor=actor, action=SEALED_LIST_READ, object_type="panel", object_id=panel.id,
                           details={"members": len(members)})
    by_id = {member.id: member.expert_code for member in members}
    delivery = await notice_statuses(session, panel.id) if named and members else {}
    views = []
    contacts_shown: list[str] = []
    for member in members:
        expert = experts.get(member.expert_code)
        phone = None
        if expert is not None and member.state in HOLDING and expert.phone_token is not None:
            phone = vault.open(expert).phone
            contacts_shown.append(member.expert_code)
        views.append(member_view(member, by_id, None if expert is None else expert.name, phone,
                                 delivery.get(member.id)))
    if contacts_shown:
        await audit.record(session, actor=actor, action="personal_data.unmasked", object_type="panel",
                           object_id=panel.id, details={"fields": ["phone"], "experts": contacts_shown})
    successor = await reroll.replaced_by(session, panel.id)
    return PanelView(
        id=panel.id, project_code=panel.project_code, purpose=panel.purpose, meeting_on=panel.meeting_on,
        halves=seat_rules.halves_of(panel), seats=json.loads(panel.seats), reserves_per_field=panel.reserves_per_field,
        organiser=panel.organiser_name, organiser_unit=panel.organiser_unit, supervisor=panel.supervisor_name,
        supervisor_unit=panel.supervisor_unit, status=panel.status, cancel_reason=panel.cancel_reason, sealed=sealed,
        draws=[draw.id for draw in await draws_of(session, panel.id)],
        open_seats=(seat_rules.open_seats(json.loads(panel.seats), all_members) if panel.status == PanelStatus.OPEN
                    else {}),
        members=views, evaluations_due_on=await working_day_after(session, panel.meeting_on, evaluation_working_days),
        sealed_until=meeting_ends_at(panel), member_counts=_counts(all_members),
        answers_open=panel.status == PanelStatus.OPEN and utc_now() < meeting_starts_at(panel),
        cancel_phase=panel.cancel_phase, cancelled_at=as_utc(panel.cancelled_at), replaces=panel.replaces,
        replaced_by=successor,
        replaces_draw=await reroll.first_draw_id(session, panel.replaces),
        replaced_by_draw=await reroll.first_draw_id(session, successor),
        project_name=await project_name(session, panel.project_code),
        venue=panel.venue, starts_at=json.loads(panel.starts_at or "{}"), meeting_starts_at=meeting_starts_at(panel),
        contact_name=panel.contact_name, contact_phone=_contact_phone(vault, panel, whole=named),
        notice=panel.notice, participating_units=json.loads(panel.participating_units or "[]"))


async def project_name(session: AsyncSession, code: str) -> str | None:
    project = kept(session, await session.get(Project, code))
    return None if project is None else project.name


def _contact_phone(vault: PersonalDataVault, panel: Panel, *, whole: bool) -> str | None:
    """The meeting's contact phone: whole for the organiser, supervisor and bureau admins, masked for others."""
    if panel.contact_phone_token is None:
        return None
    phone = vault.keyring.decrypt(panel.contact_phone_token, context=contact_phone_context(panel.id))
    return phone if whole else mask_phone(phone)


def member_view(member: PanelMember, by_id: dict[int, str] | None = None, name: str | None = None,
                phone: str | None = None, notices: dict[str, str] | None = None) -> MemberView:
    return MemberView(
        expert_code=member.expert_code, field=member.field_code, kind=member.kind,  # type: ignore[arg-type]
        position=member.position, state=member.state, draw_id=member.draw_id,
        replaces=None if member.replaces is None or by_id is None else by_id.get(member.replaces),
        channel=member.channel,
        reason=member.reason, decline_category=member.decline_category, answered_at=as_utc(member.answered_at),
        attended=member.attended, score=member.score,
        evaluated_at=as_utc(member.evaluated_at), name=name, phone=phone,
        notices=notices or {})  # type: ignore[arg-type]


async def _experts(session: AsyncSession, codes: Sequence[str]) -> dict[str, Expert]:
    rows = await session.execute(select(Expert).where(Expert.code.in_(list(codes))))
    return {expert.code: expert for expert in rows.scalars()}


def _counts(members: Sequence[PanelMember]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for member in members:
        counts[member.state] = counts.get(member.state, 0) + 1
    return dict(sorted(counts.items()))


async def history(session: AsyncSession, tables: AuditTables, actor: Identity, draw: Draw) -> list[HistoryEntry]:
    """The audit entries of the draw's panel and of each of its draws (or of a spot check's draw), in
    order; pool numbers and the seed redacted while the list is sealed to ``actor``."""
    draw_ids = [each.id for each in await draws_of(session, draw.panel_id)] if draw.panel_id else [draw.id]
    entries = tables.entries
    concerns = and_(entries.c.object_type == "draw", entries.c.object_id.in_(draw_ids))
    if draw.panel_id is not None:
        concerns = or_(concerns, and_(entries.c.object_type == "panel", entries.c.object_id == draw.panel_id))
    rows = await session.execute(select(entries).where(concerns).order_by(entries.c.seq))
    hidden = draw.panel_id is not None and not reads_members(actor, await panel_of(session, draw))
    return [HistoryEntry(seq=row.seq, recorded_at=as_utc(row.recorded_at), actor=row.actor_subject, action=row.action,
                         details=redacted(json.loads(row.details)) if hidden else json.loads(row.details))
            for row in rows]


def redacted(details: Any) -> Any:
    """``details`` with every pool number, seed and secret replaced by :data:`SEALED` (lists keep their
    length: counts may be shown)."""
    if isinstance(details, dict):
        return {key: SEALED if key in _DRAWING_SECRETS else redacted(value) for key, value in details.items()}
    if isinstance(details, list):
        return [redacted(value) for value in details]
    if isinstance(details, str) and _POOL_NUMBER.match(details):
        return SEALED
    return details


async def redact_audit_page(session: AsyncSession, actor: Identity, page: AuditPage) -> AuditPage:
    """The audit log as ``actor`` reads it: entries on a panel (or on one of its draws) whose list is
    sealed to ``actor`` have their details redacted. At read time only: stored entries and their hash
    chain stay as they are."""
    panel_ids = {item.object_id for item in page.items if item.object_type == "panel"}
    draw_ids = {item.object_id for item in page.items if item.object_type == "draw"}
    panel_of_draw = dict((await session.execute(select(Draw.id, Draw.panel_id).where(
        Draw.id.in_(draw_ids), Draw.panel_id.is_not(None)))).all()) if draw_ids else {}
    wanted = panel_ids | set(panel_of_draw.values())
    panels = (await session.execute(select(Panel).where(Panel.id.in_(wanted)))).scalars() if wanted else []
    hidden = {panel.id for panel in panels if not reads_members(actor, panel)}
    if not hidden:
        return page

    def sealed(object_type: str, object_id: str) -> bool:
        return (object_type == "panel" and object_id in hidden) or (
            object_type == "draw" and panel_of_draw.get(object_id) in hidden)

    items = [msgspec.structs.replace(item, details=redacted(item.details))
             if sealed(item.object_type, item.object_id) else item for item in page.items]
    return msgspec.structs.replace(page, items=items)
