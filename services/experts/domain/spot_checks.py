"""The annual spot check (Art. 25) and the register it draws from.

The register keeps every submitted self-evaluation (自评报告) by year: application self-evaluations
(申报自评) of the year, and performance self-evaluations (绩效自评) of projects completed the year
before, each entered once by its unit (console or API) or by the lifecycle system. A year's spot
check draws ceil(rate × n) of each kind from that year's register with sortes-draw/1 under project
code ``SPOT-<year>``, a supervisor and a witness like any panel — once the year has ended (Beijing
date), and once: a second draw of the same year needs the first cancelled with a reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.draws import DrawLedger, NewDraw
from services.experts.models import Draw, Project, SelfEvaluation, SpotCheckSubmission
from services.experts.schemas import SelfEvaluationInput, SelfEvaluationView
from shared.audit import AuditRecorder
from shared.clock import as_utc, beijing_today, utc_now
from shared.contracts.panels import SpotCheckRequest
from shared.errors import Conflict, FieldError, InvalidInput, NotPermitted, field_error
from shared.identity import Identity
from shared.permissions import LIFECYCLE_SYSTEM_AND_ADMIN

# The sample's "fields": one per kind of self-evaluation, each drawn at the rate from its own list.
KIND_FIELDS = {"application": "APPLICATION", "performance": "PERFORMANCE"}


def sample_size(submissions: int, percent: int) -> int:
    return math.ceil(submissions * percent / 100)


def spot_check_code(year: int) -> str:
    return f"SPOT-{year}"


# --- the register -----------------------------------------------------------------------------------

async def record_self_evaluation(session: AsyncSession, audit: AuditRecorder, actor: Identity,
                                 data: SelfEvaluationInput) -> SelfEvaluation:
    """Enter a submitted self-evaluation: an organiser for its own unit, a bureau admin or the lifecycle
    system for any unit. The same project, year and kind twice is a 409."""
    unit = data.unit_uscc
    if not actor.has_any(LIFECYCLE_SYSTEM_AND_ADMIN):
        if unit is not None and unit != actor.unit:
            raise NotPermitted("A unit enters its own self-evaluations only.", code="self_evaluation.own_unit_only")
        unit = actor.unit
    if unit is None:
        raise InvalidInput.for_field("unit_uscc", "self_evaluation.unit_needed", "name the submitting unit")
    if data.submitted_on > beijing_today():
        raise InvalidInput.for_field("submitted_on", "self_evaluation.future", "not a day still to come")
    existing = (await session.execute(select(SelfEvaluation).where(
        SelfEvaluation.year == data.year, SelfEvaluation.project_code == data.project_code,
        SelfEvaluation.kind == data.kind))).scalar_one_or_none()
    if existing is not None:
        raise Conflict("The {year} self-evaluation of this kind for {project} is in the register already.",
                       code="self_evaluation.duplicate",
                       params={"project": data.project_code, "year": data.year})
    row = await _add(session, actor, data.year, data.project_code, data.kind, unit, data.submitted_on)
    await audit.record(session, actor=actor, action="self_evaluation.recorded", object_type="self_evaluation",
                       object_id=str(row.id), after=_facts(row), details=_facts(row))
    return row


async def _add(session: AsyncSession, actor: Identity, year: int, project_code: str, kind: str, unit: str,
               submitted_on: object) -> SelfEvaluation:
    row = SelfEvaluation(year=year, project_code=project_code, kind=kind, unit_uscc=unit,
                         submitted_on=submitted_on, recorded_by=actor.subject, recorded_at=utc_now())
    session.add(row)
    await session.flush()
    return row


def _facts(row: SelfEvaluation) -> dict[str, object]:
    return {"year": row.year, "project_code": row.project_code, "kind": row.kind, "unit_uscc": row.unit_uscc,
            "submitted_on": row.submitted_on.isoformat()}


async def register_of(session: AsyncSession, year: int) -> list[SelfEvaluationView]:
    rows = await session.execute(select(SelfEvaluation, Project.name)
                                 .outerjoin(Project, Project.code == SelfEvaluation.project_code)
                                 .where(SelfEvaluation.year == year)
                                 .order_by(SelfEvaluation.kind, SelfEvaluation.project_code))
    return [SelfEvaluationView(id=row.id, year=row.year, project_code=row.project_code, project_name=name,
                               kind=row.kind, unit_uscc=row.unit_uscc, submitted_on=row.submitted_on,
                               recorded_by=row.recorded_by, recorded_at=as_utc(row.recorded_at)) for row, name in rows]


# --- the draw -----------------------------------------------------------------------------------------

async def commit_spot_check(session: AsyncSession, ledger: DrawLedger, actor: Identity, data: SpotCheckRequest,
                            percent: int) -> Draw:
    errors = _request_errors(actor, data)
    if errors:
        raise InvalidInput.of(errors)
    code = spot_check_code(data.year)
    standing = (await session.execute(select(Draw.id).where(
        Draw.project_code == code, Draw.panel_id.is_(None), Draw.cancelled_at.is_(None)))).scalars().first()
    if standing is not None:
        raise Conflict("The spot check of {year} was drawn already ({draw}); cancel it with a reason before "
                       "drawing again.", code="spot_check.already_drawn", params={"year": data.year, "draw": standing})
    await _enter_submissions(session, actor, data)
    register = (await session.execute(select(SelfEvaluation).where(SelfEvaluation.year == data.year))).scalars().all()
    if not register:
        raise InvalidInput.for_field("year", "spot_check.register_empty",
                                     "no self-evaluation of {year} is in the register", {"year": data.year})
    candidates: dict[str, list[str]] = {}
    for row in register:
        candidates.setdefault(KIND_FIELDS[row.kind], []).append(row.project_code)
    draw = await ledger.commit(session, actor, NewDraw(
        purpose="spot_check", project_code=code,
        quotas={field: sample_size(len(codes), percent) for field, codes in sorted(candidates.items())},
        reserves_per_field=0, candidates={field: sorted(codes) for field, codes in candidates.items()},
        excluded=[], supervisor_subject=data.supervisor.subject))
    # The population as drawn, one row a project (a project with both kinds is listed under each field).
    population = {row.project_code: row.kind for row in register}
    session.add_all(SpotCheckSubmission(draw_id=draw.id, project_code=project, kind=kind)
                    for project, kind in sorted(population.items()))
    # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
    await session.flush()
    return draw


async def _enter_submissions(session: AsyncSession, actor: Identity, data: SpotCheckRequest) -> None:
    """The request's own list, entered in the register first (the lifecycle system's way of handing
    over the year's submissions); those already there stay as they are."""
    if not data.submissions:
        return
    have = {(code, kind) for code, kind in (await session.execute(select(
        SelfEvaluation.project_code, SelfEvaluation.kind).where(SelfEvaluation.year == data.year))).all()}
    for submission in data.submissions:
        if (submission.project_code, submission.kind) not in have:
            await _add(session, actor, data.year, submission.project_code, submission.kind,
                       actor.unit or "-", beijing_today())


def _request_errors(actor: Identity, data: SpotCheckRequest) -> list[FieldError]:
    errors = []
    if data.supervisor.subject == actor.subject:
        errors.append(field_error("supervisor", "spot_check.supervisor_is_asker",
                                  "the supervisor cannot be who asks for the draw"))
    if data.year >= beijing_today().year:
        errors.append(field_error("year", "spot_check.year_not_ended",
                                  "the spot check of {year} is drawn once the year has ended (Beijing date)",
                                  {"year": data.year}))
    errors += _duplicates(data)
    return errors


def _duplicates(data: SpotCheckRequest) -> Sequence[FieldError]:
    errors = []
    seen: set[tuple[str, str]] = set()
    for index, submission in enumerate(data.submissions):
        key = (submission.project_code, submission.kind)
        if key in seen:
            errors.append(field_error(f"submissions[{index}].project_code", "field.listed_twice", "listed twice"))
        seen.add(key)
    return errors
