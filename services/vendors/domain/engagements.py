"""Engagements: which vendor does what on a registered project (vendor × project × lot × role)."""

from __future__ import annotations

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from services.vendors.domain.inputs import check_period, check_uscc, raise_if_any
from services.vendors.models import Engagement, Project, Vendor
from services.vendors.schemas import EngagementCreate, EngagementView
from shared.audit import AuditRecorder
from shared.clock import utc_now
from shared.errors import FieldError, InvalidInput, NotFound, NotPermitted
from shared.identity import Identity
from shared.roles import Role

# Procurement officers act for their own unit's projects only; these roles act on any project.
ANY_PROJECT_ROLES = (Role.BUREAU_ADMIN, Role.SERVICE, Role.AUDITOR)


async def load_project(session: AsyncSession, code: str) -> Project:
    """The project with its lots; 404 when it is not registered."""
    # One round trip: the lots come joined (a conflict check pays for every query it makes).
    project = (await session.execute(select(Project).where(Project.code == code)
                                     .options(joinedload(Project.lots)))).unique().scalar_one_or_none()
    if project is None:
        raise NotFound(f"No project {code} is registered.")
    return project


async def project_for_caller(session: AsyncSession, code: str, caller: Identity) -> Project:
    """The project if ``caller`` may act on it: a procurement officer only for its own unit's projects."""
    project = await load_project(session, code)
    if not caller.has_any(ANY_PROJECT_ROLES) and project.owner_unit != caller.unit:
        raise NotPermitted(f"Project {code} belongs to another unit.")
    return project


def engagement_view(engagement: Engagement) -> EngagementView:
    return EngagementView(id=engagement.id, vendor_uscc=engagement.vendor.uscc, vendor_name=engagement.vendor.name,
                          project_code=engagement.project_code, lot_code=engagement.lot_code,
                          role=engagement.role, started_on=engagement.started_on, ended_on=engagement.ended_on,
                          amount_fen=engagement.amount_fen)


async def project_engagements(session: AsyncSession, project: Project) -> list[EngagementView]:
    rows = await session.execute(
        select(Engagement).where(Engagement.project_code == project.code)
        .options(selectinload(Engagement.vendor)).order_by(Engagement.id))
    return [engagement_view(e) for e in rows.scalars()]


async def record_engagement(session: AsyncSession, audit: AuditRecorder, actor: Identity, project: Project,
                            data: EngagementCreate) -> EngagementView:
    errors: list[FieldError] = []
    check_uscc(errors, "vendor_uscc", data.vendor_uscc)
    check_period(errors, "started_on", data.started_on, "ended_on", data.ended_on)
    if data.lot_code is not None and data.lot_code not in {lot.code for lot in project.lots}:
        errors.append(FieldError("lot_code", f"project {project.code} has no such lot"))
    raise_if_any(errors)
    vendor = (await session.execute(select(Vendor).where(Vendor.uscc == data.vendor_uscc))).scalar_one_or_none()
    if vendor is None:
        raise InvalidInput.for_field("vendor_uscc", "no vendor with this USCC is registered")
    engagement = Engagement(vendor=vendor, project_code=project.code, lot_code=data.lot_code,
                            role=data.role.value, started_on=data.started_on, ended_on=data.ended_on,
                            amount_fen=data.amount_fen, created_at=utc_now())
    session.add(engagement)
    await session.flush()
    view = engagement_view(engagement)
    await audit.record(session, actor=actor, action="engagement.recorded", object_type="project",
                       object_id=project.code, after=msgspec.to_builtins(view),
                       details={"engagement_id": engagement.id, "vendor_uscc": data.vendor_uscc,
                                "lot_code": data.lot_code, "role": data.role.value})
    return view
