"""After the meeting: attendance and the organiser's evaluation of each member, due within a number
of working days; the organiser's to-do list; an expert's own invitations.

Evaluations feed the pool's suspension rules: a no-show or a low score counts against the expert.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain import seats as seat_rules
from services.experts.domain.experts import load_expert
from services.experts.domain.panels import (
    PanelDesk,
    conduct_counts,
    draws_of,
    may_organise,
    meeting_starts_at,
    panel_of,
    project_of,
)
from services.experts.domain.suspension import apply_suspension_rules
from services.experts.domain.working_days import working_day_after
from services.experts.models import Draw, Expert, Panel, PanelMember, Project
from services.experts.schemas import Evaluation, Invitation, TodoItem
from shared.clock import beijing_today, utc_now
from shared.contracts.statuses import HOLDING, DrawStatus, PanelStatus, SeatState
from shared.errors import Conflict, InvalidInput, NotFound, NotPermitted
from shared.identity import Identity


async def evaluate(session: AsyncSession, desk: PanelDesk, actor: Identity, draw: Draw, expert_code: str,
                   data: Evaluation) -> PanelMember:
    panel = await panel_of(session, draw, for_update=True)
    try:
        may_organise(actor, await project_of(session, panel.project_code), panel)
    except NotPermitted:  # answered as for a non-member, so that the answer names no member
        raise _not_seated(expert_code) from None
    if panel.status != PanelStatus.OPEN:
        raise Conflict("The panel was cancelled.", code="panel.cancelled")
    if utc_now() < meeting_starts_at(panel):
        raise Conflict("The meeting has not started; evaluations come after it.", code="evaluation.too_early")
    member = (await session.execute(select(PanelMember).where(
        PanelMember.panel_id == panel.id, PanelMember.expert_code == expert_code))).scalar_one_or_none()
    if member is None or member.state not in HOLDING:
        raise _not_seated(expert_code)
    if member.evaluated_at is not None:
        raise Conflict("This member was evaluated already; evaluations are not overwritten.",
                       code="evaluation.done")
    if data.attended and data.score is None:
        raise InvalidInput.for_field("score", "evaluation.score_needed", "a member who attended gets a score (0–100)")
    if not data.attended and data.score is not None:
        raise InvalidInput.for_field("score", "evaluation.no_score", "a member who did not attend gets no score")
    member.attended, member.score, member.evaluation_notes = data.attended, data.score, data.notes
    member.evaluated_at = member.updated_at = utc_now()
    # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
    await session.flush()
    due = await working_day_after(session, panel.meeting_on, desk.rules.evaluation_working_days)
    await desk.audit.record(session, actor=actor, action="panel.member_evaluated", object_type="panel",
                            object_id=panel.id, after={"member": member.id, "attended": data.attended,
                                                       "score": data.score, "notes": data.notes},
                            details={"expert_code": expert_code, "attended": data.attended, "score": data.score,
                                     "late": beijing_today() > due})
    expert: Expert = await load_expert(session, expert_code)
    counts = await conduct_counts(session, expert_code, desk.rules)
    await apply_suspension_rules(session, expert, desk.audit, counts=counts, rules=desk.rules)
    return member


def _not_seated(expert_code: str) -> NotFound:
    return NotFound("{expert} did not hold a seat on this panel.", code="panel.not_seated",
                    params={"expert": expert_code})


async def todo_list(session: AsyncSession, actor: Identity, evaluation_working_days: int) -> list[TodoItem]:
    """The organiser's open work: answers missing before the meeting, open seats, evaluations due or late."""
    panels = (await session.execute(select(Panel).where(
        Panel.organiser_subject == actor.subject, Panel.status == PanelStatus.OPEN,
        Panel.meeting_on >= beijing_today() - dt.timedelta(days=60)).order_by(Panel.meeting_on))).scalars().all()
    items: list[TodoItem] = []
    now, today = utc_now(), beijing_today()
    for panel in panels:
        draws = await draws_of(session, panel.id)
        first = next((draw for draw in draws if draw.supplementary_of is None), draws[0])
        members = await seat_rules.members_of(session, panel.id)
        seated = [m for m in members if m.state in HOLDING]
        common = {"panel_id": panel.id, "draw_id": first.id, "project_code": panel.project_code,
                  "meeting_on": panel.meeting_on}
        if now < meeting_starts_at(panel):
            waiting = [m.expert_code for m in seated if m.state == SeatState.INVITED]
            if waiting:
                items.append(TodoItem(kind="answers_missing", experts=waiting, **common))
            open_seats = seat_rules.open_seats(json.loads(panel.seats), members)
            if open_seats and all(draw.status != DrawStatus.COMMITTED for draw in draws):
                items.append(TodoItem(kind="seats_open", fields=open_seats, **common))
            continue
        pending = [m.expert_code for m in seated if m.evaluated_at is None]
        if pending:
            due = await working_day_after(session, panel.meeting_on, evaluation_working_days)
            items.append(TodoItem(kind="evaluations_late" if today > due else "evaluations_due", experts=pending,
                                  due_on=due, **common))
    return items


async def invitations(session: AsyncSession, actor: Identity,
                      contact_phone: Callable[[Panel], str | None] = lambda panel: None) -> list[Invitation]:
    """The signed-in expert's seats (invited, accepted) and answered invitations of the last year."""
    expert = (await session.execute(select(Expert).where(Expert.account_subject == actor.subject))).scalar_one_or_none()
    if expert is None:
        return []
    rows = await session.execute(
        select(PanelMember, Panel).join(Panel, Panel.id == PanelMember.panel_id)
        .where(PanelMember.expert_code == expert.code, PanelMember.state.in_((*HOLDING, SeatState.DECLINED)),
               Panel.status == PanelStatus.OPEN, Panel.meeting_on >= beijing_today() - dt.timedelta(days=365))
        .order_by(Panel.meeting_on.desc()))
    found = rows.all()
    names = dict((await session.execute(select(Project.code, Project.name).where(
        Project.code.in_({panel.project_code for _, panel in found})))).all()) if found else {}
    # An invited or accepted member reads where, when and whom to call; a declined one no longer needs to.
    return [Invitation(draw_id=member.draw_id, panel_id=panel.id, project_code=panel.project_code,
                       purpose=panel.purpose, meeting_on=panel.meeting_on, halves=seat_rules.halves_of(panel),
                       field=member.field_code, state=member.state, project_name=names.get(panel.project_code),
                       venue=panel.venue, starts_at=meeting_starts_at(panel), contact_name=panel.contact_name,
                       contact_phone=contact_phone(panel) if member.state in HOLDING else None,
                       notice=panel.notice)
            for member, panel in found]
