"""No re-roll by one person (draw integrity): what stops an organiser from cancelling a panel whose
result they dislike and asking again with the drawn experts named to avoid.

Three things together. A panel cancelled after its reveal must be named (``replaces``) by the next
panel of its project and purpose within the replacement window, so the chain shows on the draw page,
the record and the statistics. Every extra avoidance (回避) carries a reason code from a fixed list.
And the supervisor, a second person, confirms every extra avoidance before the reveal, seeing which
of the avoided experts were drawn in an earlier draw of the project.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.statuses import CancelPhase
from services.experts.models import Draw, Panel
from services.experts.schemas import AvoidanceView
from shared.clock import utc_now
from shared.contracts.panels import ExpertAvoidance
from shared.contracts.statuses import PanelStatus
from shared.errors import Conflict, FieldError, InvalidInput, field_error

EXPLANATION_MIN_LENGTH = 10  # the code ``other`` says why in at least these characters


def check_avoidance_reasons(avoid_experts: Sequence[ExpertAvoidance]) -> None:
    """The code ``other`` needs an explanation; each expert is named once."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, avoidance in enumerate(avoid_experts):
        explanation = (avoidance.explanation or "").strip()
        if avoidance.reason == "other" and len(explanation) < EXPLANATION_MIN_LENGTH:
            errors.append(field_error(f"avoid_experts[{index}].explanation", "avoidance.explanation_short",
                                      "the reason other needs an explanation of at least {min} characters",
                                      {"min": EXPLANATION_MIN_LENGTH}))
        if avoidance.code in seen:
            errors.append(field_error(f"avoid_experts[{index}].code", "avoidance.expert_twice",
                                      "each expert is named once"))
        seen.add(avoidance.code)
    if errors:
        raise InvalidInput(errors[0].message, code="avoidance.invalid", errors=errors)


def stored_expert_avoidances(avoid_experts: Sequence[ExpertAvoidance]) -> list[dict[str, str | None]]:
    return [{"code": a.code, "reason": a.reason, "explanation": (a.explanation or "").strip() or None}
            for a in avoid_experts]


async def panels_to_replace(session: AsyncSession, project_code: str, purpose: str,
                            window_days: int) -> list[Panel]:
    """Panels of the project and purpose cancelled within the window and not yet replaced, newest
    first: those cancelled after their reveal, and replacements cancelled in any phase (the chain
    carries on, so a replacement cancelled before its reveal does not end it)."""
    since = utc_now() - dt.timedelta(days=window_days)
    replaced = select(Panel.replaces).where(Panel.replaces.is_not(None))
    rows = await session.execute(select(Panel).where(
        Panel.project_code == project_code, Panel.purpose == purpose, Panel.status == PanelStatus.CANCELLED,
        or_(Panel.cancel_phase == CancelPhase.AFTER_REVEAL, Panel.replaces.is_not(None)), Panel.cancelled_at >= since,
        Panel.id.not_in(replaced))
        .order_by(Panel.cancelled_at.desc(), Panel.id))
    return list(rows.scalars())


async def panel_replaced(session: AsyncSession, project_code: str, purpose: str, replaces: str | None,
                         window_days: int) -> Panel | None:
    """The cancelled panel a new request replaces; 409 when it must name one and does not, 422 when
    the one it names is not such a panel."""
    open_cases = await panels_to_replace(session, project_code, purpose, window_days)
    if replaces is None:
        if not open_cases:
            return None
        first = open_cases[0]
        raise Conflict(
            "The panel {panel} of this project and purpose was cancelled after its reveal (or replaced "
            "one that was); a new panel must name it in replaces.", code="panel.replaces_needed",
            params={"panel": first.id},
            errors=[field_error("replaces", "panel.replaces_needed", "name the cancelled panel {panel}",
                                {"panel": first.id})],
            replaces=first.id, replaces_draw=await first_draw_id(session, first.id),
            panels_to_replace=[panel.id for panel in open_cases])
    for panel in open_cases:
        if panel.id == replaces:
            return panel
    raise InvalidInput.for_field(
        "replaces", "panel.not_replaceable", "no panel of this project and purpose cancelled after its reveal "
        "(or replacing one) within {days} days and not yet replaced has this id", {"days": window_days})


async def first_draw_id(session: AsyncSession, panel_id: str | None) -> str | None:
    if panel_id is None:
        return None
    return (await session.execute(select(Draw.id).where(Draw.panel_id == panel_id, Draw.supplementary_of.is_(None))
                                  .order_by(Draw.committed_at, Draw.id).limit(1))).scalar_one_or_none()


async def replaced_by(session: AsyncSession, panel_id: str) -> str | None:
    return (await session.execute(select(Panel.id).where(Panel.replaces == panel_id))).scalar_one_or_none()


async def chain_of(session: AsyncSession, panel: Panel) -> dict[str, str | None]:
    """The first draws of the panel ``panel`` replaces and of the panel that replaced it, for the record."""
    replaced = await session.get(Panel, panel.replaces) if panel.replaces else None
    return {"replaces_draw": await first_draw_id(session, panel.replaces),
            "replaces_reason": None if replaced is None else replaced.cancel_reason,
            "replaced_by_draw": await first_draw_id(session, await replaced_by(session, panel.id))}


async def extra_avoidances(session: AsyncSession, draw: Draw, panel: Panel | None) -> list[AvoidanceView]:
    """The experts the organiser named to avoid for the draw's panel, each flagged when an earlier
    revealed draw of the same project drew it (primary or reserve). A spot check has none."""
    if panel is None:
        return []
    stored = json.loads(panel.avoidances).get("experts", [])
    if not stored:
        return []
    earlier = await session.execute(select(Draw.record).where(
        Draw.project_code == draw.project_code, Draw.panel_id != panel.id, Draw.record.is_not(None),
        Draw.committed_at <= draw.committed_at))
    drawn: set[str] = set()
    for (record,) in earlier:
        for lists in json.loads(record)["result"].values():
            drawn.update(lists["primaries"], lists["reserves"])
    return [AvoidanceView(code=entry["code"], reason=entry.get("reason") or "other",
                          explanation=entry.get("explanation"), drawn_earlier=entry["code"] in drawn)
            for entry in stored]


def check_confirmation(avoidances: Sequence[AvoidanceView], confirmed: Sequence[str]) -> None:
    """The supervisor confirms exactly the panel's extra avoidances: none left out, none added."""
    expected = {avoidance.code for avoidance in avoidances}
    if set(confirmed) == expected and len(confirmed) == len(set(confirmed)):
        return
    missing = sorted(expected - set(confirmed))
    if missing:
        raise InvalidInput.for_field("confirmed_avoidances", "avoidance.unconfirmed",
                                     "confirm every extra avoidance before the reveal; not confirmed: {experts}",
                                     {"experts": ", ".join(missing)})
    raise InvalidInput.for_field("confirmed_avoidances", "avoidance.confirmed_wrongly",
                                 "confirm exactly the extra avoidances of this draw, each once")
