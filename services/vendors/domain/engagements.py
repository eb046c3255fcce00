"""Engagements: which vendor does what on a registered project (vendor × project × lot × role).

An engagement is corrected or ended by a PATCH and voided (作废) with a reason, never deleted: a void
engagement stays readable, marked void, and counts in no conflict check, avoidance or rating standing.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from services.vendors.domain.inputs import check_period, check_uscc, raise_if_any
from services.vendors.models import Engagement, Project, Vendor
from services.vendors.schemas import EngagementCreate, EngagementPatch, EngagementView, EngagementVoid
from shared.audit import AuditRecorder
from shared.clock import as_utc, utc_now
from shared.errors import Conflict, FieldError, InvalidInput, NotFound, NotPermitted, field_error
from shared.identity import Identity
from shared.permissions import ANY_UNITS_PROCUREMENT_AND_LIFECYCLE_SYSTEM
from shared.projects import sees_every_project

# Procurement officers act for their own unit's projects only; these roles act on any project.
_FIELDS = ("role", "lot_code", "started_on", "ended_on", "amount_fen")


async def load_project(session: AsyncSession, code: str) -> Project:
    """The project with its lots; 404 when it is not registered."""
    # One round trip: the lots come joined (a conflict check pays for every query it makes).
    project = (await session.execute(select(Project).where(Project.code == code)
                                     .options(joinedload(Project.lots)))).unique().scalar_one_or_none()
    if project is None:
        raise NotFound("No project {project} is registered.", code="project.unknown", params={"project": code})
    return project


async def project_for_caller(session: AsyncSession, code: str, caller: Identity) -> Project:
    """The project if ``caller`` may act on it: a procurement officer only for its own unit's projects."""
    project = await load_project(session, code)
    if not caller.has_any(ANY_UNITS_PROCUREMENT_AND_LIFECYCLE_SYSTEM) and project.owner_unit != caller.unit:
        raise NotPermitted("Project {project} belongs to another unit.", code="project.other_unit",
                           params={"project": code})
    return project


async def project_for_reader(session: AsyncSession, code: str, caller: Identity,
                             bureau_units: frozenset[str]) -> Project:
    """The project if ``caller`` may read its engagements (with their amounts), checks and barred list: a
    unit role only its own unit's projects, the bureau and the oversight roles every project. Refused
    with the same 403 as an act on another unit's project: that a project exists is no secret (the
    lifecycle system registers it for both services), what was contracted on it is."""
    project = await load_project(session, code)
    if not sees_every_project(caller, bureau_units) and project.owner_unit != caller.unit:
        raise NotPermitted("Project {project} belongs to another unit.", code="project.other_unit",
                           params={"project": code})
    return project


def live() -> ColumnElement[bool]:
    """A condition on ``Engagement``: not void."""
    return Engagement.voided_at.is_(None)


def engagement_view(engagement: Engagement) -> EngagementView:
    return EngagementView(id=engagement.id, vendor_uscc=engagement.vendor.uscc, vendor_name=engagement.vendor.name,
                          project_code=engagement.project_code, lot_code=engagement.lot_code,
                          role=engagement.role, started_on=engagement.started_on, ended_on=engagement.ended_on,
                          amount_fen=engagement.amount_fen, voided=engagement.voided_at is not None,
                          voided_at=as_utc(engagement.voided_at), void_reason=engagement.void_reason)


def _content(engagement: Engagement) -> dict[str, Any]:
    return msgspec.to_builtins(engagement_view(engagement))


async def project_engagements(session: AsyncSession, project: Project) -> list[EngagementView]:
    rows = await session.execute(
        select(Engagement).where(Engagement.project_code == project.code)
        .options(selectinload(Engagement.vendor)).order_by(Engagement.id))
    return [engagement_view(e) for e in rows.scalars()]


def _check(errors: list[FieldError], project: Project, started_on: Any, ended_on: Any, lot_code: str | None) -> None:
    check_period(errors, "started_on", started_on, "ended_on", ended_on)
    if lot_code is not None and lot_code not in {lot.code for lot in project.lots}:
        errors.append(field_error("lot_code", "project.no_such_lot", "project {project} has no such lot",
                                  {"project": project.code}))


async def _identical(session: AsyncSession, engagement: Engagement) -> int | None:
    """The id of another live engagement with the same vendor, project, lot, role, dates and amount."""
    statement = select(Engagement.id).where(
        live(), Engagement.vendor_id == engagement.vendor_id, Engagement.project_code == engagement.project_code,
        Engagement.lot_code.is_(None) if engagement.lot_code is None else Engagement.lot_code == engagement.lot_code,
        Engagement.role == engagement.role, Engagement.started_on == engagement.started_on,
        Engagement.ended_on.is_(None) if engagement.ended_on is None else Engagement.ended_on == engagement.ended_on,
        Engagement.amount_fen == engagement.amount_fen)
    if engagement.id is not None:
        statement = statement.where(Engagement.id != engagement.id)
    return (await session.execute(statement.limit(1))).scalar_one_or_none()


async def _refuse_identical(session: AsyncSession, engagement: Engagement) -> None:
    # The vendor's row is locked first (see the callers), so two identical posts take turns here.
    same = await _identical(session, engagement)
    if same is not None:
        raise Conflict("An identical engagement is already recorded (engagement {engagement}).",
                       code="engagement.duplicate", params={"engagement": same}, engagement_id=same)


async def _locked_vendor(session: AsyncSession, vendor_id: int | None = None, uscc: str | None = None) -> Vendor | None:
    statement = select(Vendor).where(Vendor.id == vendor_id if vendor_id is not None else Vendor.uscc == uscc)
    return (await session.execute(statement.with_for_update())).scalar_one_or_none()


async def record_engagement(session: AsyncSession, audit: AuditRecorder, actor: Identity, project: Project,
                            data: EngagementCreate) -> EngagementView:
    errors: list[FieldError] = []
    check_uscc(errors, "vendor_uscc", data.vendor_uscc)
    _check(errors, project, data.started_on, data.ended_on, data.lot_code)
    raise_if_any(errors)
    vendor = await _locked_vendor(session, uscc=data.vendor_uscc)
    if vendor is None:
        raise InvalidInput.for_field("vendor_uscc", "vendor.no_such_uscc", "no vendor with this USCC is registered")
    engagement = Engagement(vendor=vendor, vendor_id=vendor.id, project_code=project.code, lot_code=data.lot_code,
                            role=data.role.value, started_on=data.started_on, ended_on=data.ended_on,
                            amount_fen=data.amount_fen, created_at=utc_now())
    await _refuse_identical(session, engagement)
    session.add(engagement)
    await session.flush()
    view = engagement_view(engagement)
    await audit.record(session, actor=actor, action="engagement.recorded", object_type="engagement",
                       object_id=str(engagement.id), after=msgspec.to_builtins(view),
                       details={"project_code": project.code, "vendor_uscc": data.vendor_uscc,
                                "lot_code": data.lot_code, "role": data.role.value})
    return view


async def _engagement_of(session: AsyncSession, project: Project, engagement_id: int) -> Engagement:
    """The project's engagement, its vendor's row locked (the duplicate check's turn) and then its own."""
    found = (await session.execute(select(Engagement.vendor_id).where(
        Engagement.id == engagement_id, Engagement.project_code == project.code))).scalar_one_or_none()
    if found is None:
        raise NotFound("Project {project} has no engagement {engagement}.", code="engagement.unknown",
                       params={"project": project.code, "engagement": engagement_id})
    await _locked_vendor(session, vendor_id=found)
    return (await session.execute(select(Engagement).where(Engagement.id == engagement_id)
                                  .options(selectinload(Engagement.vendor)).with_for_update(of=Engagement))).scalar_one()


async def correct_engagement(session: AsyncSession, audit: AuditRecorder, actor: Identity, project: Project,
                             engagement_id: int, patch: EngagementPatch) -> EngagementView:
    """Correct an engagement or end it (``ended_on``); audited with the content before and after."""
    engagement = await _engagement_of(session, project, engagement_id)
    if engagement.voided_at is not None:
        raise Conflict("Engagement {engagement} is void; record a new one instead.", code="engagement.void",
                       params={"engagement": engagement_id})
    wanted = {name: getattr(patch, name) for name in _FIELDS if getattr(patch, name) is not msgspec.UNSET}
    if "role" in wanted:
        wanted["role"] = wanted["role"].value
    errors: list[FieldError] = []
    merged = {name: wanted.get(name, getattr(engagement, name)) for name in _FIELDS}
    _check(errors, project, merged["started_on"], merged["ended_on"], merged["lot_code"])
    raise_if_any(errors)
    changed = [name for name, value in wanted.items() if getattr(engagement, name) != value]
    if not changed:
        return engagement_view(engagement)
    before = _content(engagement)
    for name in changed:
        setattr(engagement, name, wanted[name])
    await _refuse_identical(session, engagement)
    # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
    await session.flush()
    view = engagement_view(engagement)
    await audit.record(session, actor=actor, action="engagement.corrected", object_type="engagement",
                       object_id=str(engagement.id), before=before, after=msgspec.to_builtins(view),
                       details={"project_code": project.code, "changed": changed})
    return view


async def void_engagement(session: AsyncSession, audit: AuditRecorder, actor: Identity, project: Project,
                          engagement_id: int, data: EngagementVoid) -> EngagementView:
    if not data.reason.strip():
        raise InvalidInput.for_field("reason", "field.blank", "must not be blank")
    engagement = await _engagement_of(session, project, engagement_id)
    if engagement.voided_at is not None:
        raise Conflict("Engagement {engagement} is already void.", code="engagement.already_void",
                       params={"engagement": engagement_id})
    before = _content(engagement)
    engagement.voided_at, engagement.voided_by, engagement.void_reason = utc_now(), actor.subject, data.reason
    # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
    await session.flush()
    view = engagement_view(engagement)
    await audit.record(session, actor=actor, action="engagement.voided", object_type="engagement",
                       object_id=str(engagement.id), before=before, after=msgspec.to_builtins(view),
                       details={"project_code": project.code, "reason": data.reason})
    return view
