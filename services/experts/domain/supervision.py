"""The supervisor's (监督人员) side of the draws: the ones naming them, so that they find the draw
whose witness they are to type without being handed its number."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.models import Draw, Panel, Project
from services.experts.schemas import SupervisedDraw
from shared.clock import as_utc, utc_now
from shared.contracts.statuses import DrawStatus
from shared.identity import Identity

RECENT_DAYS = 90


async def supervised_draws(session: AsyncSession, actor: Identity) -> list[SupervisedDraw]:
    """Every draw naming ``actor`` as supervisor that still awaits the witness, then those revealed
    or cancelled in the last 90 days; newest first in each part. Only the draw's facts are read:
    never its members, whose list is sealed until the meeting."""
    settled_at = func.coalesce(Draw.revealed_at, Draw.cancelled_at)
    rows = await session.execute(
        select(Draw.id, Draw.panel_id, Draw.supplementary_of, Draw.project_code, Draw.purpose, Draw.status,
               Draw.committed_at, Draw.committed_by, Draw.revealed_at, Draw.cancelled_at, Panel.meeting_on,
               Panel.seats, Project.name.label("project_name"))
        .outerjoin(Panel, Panel.id == Draw.panel_id)
        .outerjoin(Project, Project.code == Draw.project_code)
        .where(Draw.supervisor_subject == actor.subject,
               or_(Draw.status == DrawStatus.COMMITTED, settled_at >= utc_now() - dt.timedelta(days=RECENT_DAYS)))
        # equivalent mutant: 1 → 2 — the open draws sort first at 0; the rest after them at 1 or 2 alike
        .order_by(case((Draw.status == DrawStatus.COMMITTED, 0), else_=1),
                  func.coalesce(settled_at, Draw.committed_at).desc(), Draw.id))
    return [SupervisedDraw(
        draw_id=row.id, kind="spot_check" if row.panel_id is None else
        ("supplementary" if row.supplementary_of else "panel"), panel_id=row.panel_id,
        project_code=row.project_code, purpose=row.purpose, status=row.status,
        committed_at=as_utc(row.committed_at), committed_by=row.committed_by, meeting_on=row.meeting_on,
        seats=None if row.seats is None else json.loads(row.seats), revealed_at=as_utc(row.revealed_at),
        cancelled_at=as_utc(row.cancelled_at), project_name=row.project_name) for row in rows]
