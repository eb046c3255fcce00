"""Draw statistics for auditors: per expert (draws, seats, accepted, declined, last drawn) and per
period (committed, revealed, cancelled — by phase and by who cancelled —, supplementary draws, spot
checks, and the panels that replaced one cancelled after its reveal)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.panels import reads_members
from services.experts.domain.reroll import first_draw_id
from services.experts.domain.statuses import CancelPhase
from services.experts.models import Draw, Panel, PanelMember
from services.experts.schemas import CancelsBy, DrawStatistics, ExpertStatistics, Replacement
from shared.clock import BEIJING, as_utc
from shared.contracts.statuses import HOLDING, MemberKind, SeatState
from shared.identity import Identity

# States of a member who held a seat at some point (a reserve moved up included).
_SEATED = (*HOLDING, SeatState.DECLINED, SeatState.UNABLE)


@dataclass
class _Tally:
    draws: int = 0
    seats: int = 0
    accepted: int = 0
    declined: int = 0
    last_drawn_at: dt.datetime | None = None


async def draw_statistics(session: AsyncSession, since: dt.date, until: dt.date,
                          actor: Identity) -> DrawStatistics:
    """Draws committed on Beijing dates ``since`` to ``until`` (both included). The per-expert lines
    leave out the panels whose list is sealed to ``actor`` (their draws still count in the totals)."""
    start = dt.datetime.combine(since, dt.time(), BEIJING).astimezone(dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), BEIJING).astimezone(dt.UTC)
    draws = (await session.execute(select(Draw).where(Draw.committed_at >= start, Draw.committed_at < end)
                                   )).scalars().all()
    panel_ids = {draw.panel_id for draw in draws if draw.panel_id is not None}
    panels = (await session.execute(select(Panel).where(Panel.id.in_(panel_ids)))).scalars() if panel_ids else []
    sealed = {panel.id for panel in panels if not reads_members(actor, panel)}
    tallies: dict[str, _Tally] = {}
    for draw in draws:
        if draw.record is None or draw.panel_id is None or draw.panel_id in sealed:
            continue
        revealed_at = as_utc(draw.revealed_at)
        for lists in json.loads(draw.record)["result"].values():
            for code in (*lists["primaries"], *lists["reserves"]):
                tally = tallies.setdefault(code, _Tally())
                tally.draws += 1
                # equivalent mutant: > → >= — an equal instant sets the same latest one
                if tally.last_drawn_at is None or (revealed_at is not None and revealed_at > tally.last_drawn_at):
                    tally.last_drawn_at = revealed_at
    members = await session.execute(select(PanelMember.expert_code, PanelMember.state, PanelMember.kind,
                                           PanelMember.replaces)
                                    .where(PanelMember.draw_id.in_([draw.id for draw in draws
                                                                    if draw.panel_id not in sealed])))
    for code, state, kind, replaces in members:
        tally = tallies.setdefault(code, _Tally())
        tally.seats += state in _SEATED and (kind == MemberKind.PRIMARY or replaces is not None)
        tally.accepted += state == SeatState.ACCEPTED
        tally.declined += state == SeatState.DECLINED
    cancelled = [draw for draw in draws if draw.cancel_phase is not None]
    phases = Counter((draw.cancelled_by or "", draw.cancel_phase) for draw in cancelled)
    return DrawStatistics(
        since=since, until=until, committed=len(draws),
        revealed=sum(d.revealed_at is not None for d in draws), cancelled=len(cancelled),
        supplementary=sum(d.supplementary_of is not None for d in draws),
        spot_checks=sum(d.panel_id is None for d in draws),
        experts=[ExpertStatistics(expert_code=code, draws=t.draws, seats=t.seats, accepted=t.accepted,
                                  declined=t.declined, last_drawn_at=t.last_drawn_at)
                 for code, t in sorted(tallies.items(), key=lambda item: (len(item[0]), item[0]))],
        cancelled_before_reveal=sum(d.cancel_phase == CancelPhase.BEFORE_REVEAL for d in cancelled),
        cancelled_after_reveal=sum(d.cancel_phase == CancelPhase.AFTER_REVEAL for d in cancelled),
        cancels_by=[CancelsBy(subject=subject, before_reveal=phases[subject, CancelPhase.BEFORE_REVEAL],
                              after_reveal=phases[subject, CancelPhase.AFTER_REVEAL])
                    for subject in sorted({subject for subject, _ in phases})],
        replacements=await _replacements(session, start, end))


async def _replacements(session: AsyncSession, start: dt.datetime, end: dt.datetime) -> list[Replacement]:
    """The panels whose first draw was committed in the period and that replace a panel cancelled after its reveal."""
    rows = (await session.execute(
        select(Panel, Draw.id).join(Draw, Draw.panel_id == Panel.id)
        .where(Panel.replaces.is_not(None), Draw.supplementary_of.is_(None), Draw.committed_at >= start,
               Draw.committed_at < end).order_by(Draw.committed_at, Draw.id))).all()
    return [Replacement(panel_id=panel.id, draw_id=draw_id, project_code=panel.project_code, purpose=panel.purpose,
                        replaces=panel.replaces or "", replaces_draw=await first_draw_id(session, panel.replaces),
                        cancel_reason=await _cancel_reason(session, panel.replaces))
            for panel, draw_id in rows]


async def _cancel_reason(session: AsyncSession, panel_id: str | None) -> str | None:
    return (await session.execute(select(Panel.cancel_reason).where(Panel.id == panel_id))).scalar_one_or_none()
