"""What a draw and its panel look like to a caller, with the sealed list (保密名单) kept sealed.

Until the meeting starts only the organiser, the supervisor and bureau admins see the names and
contacts of the panel's members; everyone else sees pool numbers. Each read of a sealed list by
those who may, and each showing of a contact, is an audit entry for the auditors.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain import reroll
from services.experts.domain import seats as seat_rules
from services.experts.domain.draws import receipt_of
from services.experts.domain.panels import draws_of, is_sealed, panel_of, reserve_shortfall, sees_sealed_list
from services.experts.domain.personal_data import PersonalDataVault
from services.experts.domain.working_days import working_day_after
from services.experts.models import Draw, Expert, Panel, PanelMember
from services.experts.schemas import DrawView, HistoryEntry, MemberView, PanelView, ShortfallView
from shared.audit import AuditRecorder
from shared.audit.tables import AuditTables
from shared.clock import as_utc
from shared.draw import FieldSelection, shortfall
from shared.errors import NotPermitted
from shared.identity import Identity
from shared.roles import Role

SEALED_LIST_READ = "panel.sealed_list_read"


async def draw_view(session: AsyncSession, audit: AuditRecorder, vault: PersonalDataVault, actor: Identity,
                    draw: Draw, evaluation_working_days: int) -> DrawView:
    receipt = receipt_of(draw)
    record = json.loads(draw.record) if draw.record else None
    result = record["result"] if record else None
    missing = {}
    if result is not None:
        outcome = {field: FieldSelection(tuple(lists["primaries"]), tuple(lists["reserves"]))
                   for field, lists in result.items()}
        missing = {field: ShortfallView(primaries=gap.primaries, reserves=gap.reserves)
                   for field, gap in shortfall(receipt.quota_map, receipt.reserves_per_field, outcome).items()}
    # Before the reveal, how many reserves the frozen lists cannot supply (reported, never refused).
    reserves_missing = (reserve_shortfall(receipt.quota_map, receipt.reserves_per_field, receipt.candidate_map)
                        if draw.status == "committed" else {})
    panel = None
    panel_row = await panel_of(session, draw) if draw.panel_id is not None else None
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
        reserve_shortfall=reserves_missing, shortfall=missing, result=result, cancel_reason=draw.cancel_reason,
        panel=panel, cancel_phase=draw.cancel_phase, cancelled_at=as_utc(draw.cancelled_at),
        cancelled_by=draw.cancelled_by, avoidances=avoided if lists_avoidances else None,
        avoidance_count=len(avoided))


async def panel_view(session: AsyncSession, audit: AuditRecorder, vault: PersonalDataVault, actor: Identity,
                     panel: Panel, evaluation_working_days: int) -> PanelView:
    members = await seat_rules.members_of(session, panel.id)
    sealed = is_sealed(panel)
    named = sees_sealed_list(actor, panel)
    experts = await _experts(session, [m.expert_code for m in members]) if named and members else {}
    if sealed and named and members:
        await audit.record(session, actor=actor, action=SEALED_LIST_READ, object_type="panel", object_id=panel.id,
                           details={"members": len(members)})
    by_id = {member.id: member.expert_code for member in members}
    views = []
    contacts_shown: list[str] = []
    for member in members:
        expert = experts.get(member.expert_code)
        phone = None
        if expert is not None and member.state in seat_rules.HOLDING and expert.phone_token is not None:
            phone = vault.open(expert).phone
            contacts_shown.append(member.expert_code)
        views.append(member_view(member, by_id, None if expert is None else expert.name, phone))
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
        open_seats=seat_rules.open_seats(json.loads(panel.seats), members) if panel.status == "open" else {},
        members=views, evaluations_due_on=await working_day_after(session, panel.meeting_on, evaluation_working_days),
        cancel_phase=panel.cancel_phase, cancelled_at=as_utc(panel.cancelled_at), replaces=panel.replaces,
        replaced_by=successor,
        replaces_draw=await reroll.first_draw_id(session, panel.replaces),
        replaced_by_draw=await reroll.first_draw_id(session, successor))


def member_view(member: PanelMember, by_id: dict[int, str] | None = None, name: str | None = None,
                phone: str | None = None) -> MemberView:
    return MemberView(
        expert_code=member.expert_code, field=member.field_code, kind=member.kind,  # type: ignore[arg-type]
        position=member.position, state=member.state, draw_id=member.draw_id,
        replaces=None if member.replaces is None or by_id is None else by_id.get(member.replaces),
        channel=member.channel,
        reason=member.reason, answered_at=as_utc(member.answered_at), attended=member.attended, score=member.score,
        evaluated_at=as_utc(member.evaluated_at), name=name, phone=phone)


async def _experts(session: AsyncSession, codes: Sequence[str]) -> dict[str, Expert]:
    rows = await session.execute(select(Expert).where(Expert.code.in_(list(codes))))
    return {expert.code: expert for expert in rows.scalars()}


async def sealing_panels(session: AsyncSession, expert_code: str) -> list[Panel]:
    """Open panels on which the expert holds a seat and whose meeting has not started."""
    rows = await session.execute(select(Panel).join(PanelMember, PanelMember.panel_id == Panel.id).where(
        PanelMember.expert_code == expert_code, PanelMember.state.in_(seat_rules.HOLDING), Panel.status == "open"))
    return [panel for panel in rows.scalars() if is_sealed(panel)]


async def sealed_from(session: AsyncSession, actor: Identity) -> set[str]:
    """Pool numbers of the experts seated on sealed panels whose list ``actor`` may not see: a
    listing or search leaves them out, as a lookup by pool number refuses them."""
    if actor.has_any([Role.BUREAU_ADMIN]):
        return set()
    rows = await session.execute(select(PanelMember.expert_code, Panel).join(Panel, PanelMember.panel_id == Panel.id)
                                 .where(PanelMember.state.in_(seat_rules.HOLDING), Panel.status == "open"))
    return {code for code, panel in rows.all() if is_sealed(panel) and not sees_sealed_list(actor, panel)}


async def refuse_sealed_lookup(session: AsyncSession, actor: Identity, expert_code: str) -> None:
    """A seated expert of a sealed panel is looked up only by that panel's organiser or supervisor,
    or a bureau admin (the service role included among those refused)."""
    if actor.has_any([Role.BUREAU_ADMIN]):
        return
    for panel in await sealing_panels(session, expert_code):
        if not sees_sealed_list(actor, panel):
            raise NotPermitted("This expert is seated on a panel whose list is sealed until the meeting starts.")


async def history(session: AsyncSession, tables: AuditTables, draw: Draw) -> list[HistoryEntry]:
    """The audit entries of the draw's panel and of each of its draws (or of a spot check's draw), in order."""
    draw_ids = [each.id for each in await draws_of(session, draw.panel_id)] if draw.panel_id else [draw.id]
    entries = tables.entries
    concerns = and_(entries.c.object_type == "draw", entries.c.object_id.in_(draw_ids))
    if draw.panel_id is not None:
        concerns = or_(concerns, and_(entries.c.object_type == "panel", entries.c.object_id == draw.panel_id))
    rows = await session.execute(select(entries).where(concerns).order_by(entries.c.seq))
    return [HistoryEntry(seq=row.seq, recorded_at=as_utc(row.recorded_at), actor=row.actor_subject, action=row.action,
                         details=json.loads(row.details)) for row in rows]
