"""When an expert can sit: unavailable periods and the conflicts they declare (回避) with units.

An expert signed in with the expert role keeps their own (see :func:`is_account_of`); bureau admins
keep anyone's.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.experts.models import DeclaredConflict, Expert, Unavailability
from services.experts.schemas import (
    DeclaredConflictInput,
    DeclaredConflictView,
    UnavailabilityInput,
    UnavailabilityView,
)
from shared.audit import AuditRecorder
from shared.clock import as_utc, utc_now
from shared.errors import InvalidInput, NotFound
from shared.identifiers import uscc_problem
from shared.identity import Identity

HALVES = ("morning", "afternoon")


def half_day(day: dt.date, half: str) -> tuple[dt.date, int]:
    """A half-day as what orders it: the day, then morning before afternoon."""
    return day, HALVES.index(half)


async def is_account_of(session: AsyncSession, subject: str, code: str) -> bool:
    """Whether the sign-in ``subject`` is the expert with pool number ``code``."""
    linked = await session.execute(select(Expert.id).where(Expert.code == code, Expert.account_subject == subject))
    return linked.first() is not None


async def expert_of_account(session: AsyncSession, subject: str) -> Expert:
    """The expert whose sign-in account is ``subject``, as a bureau admin linked them."""
    statement = select(Expert).where(Expert.account_subject == subject).options(selectinload(Expert.fields))
    expert = (await session.execute(statement)).scalar_one_or_none()
    if expert is None:
        raise NotFound("No expert of the pool is linked to this sign-in account; a bureau admin links it.",
                       code="expert.no_account_link")
    return expert


async def expert_by_code(session: AsyncSession, code: str) -> Expert:
    expert = (await session.execute(select(Expert).where(Expert.code == code))).scalar_one_or_none()
    if expert is None:
        raise NotFound("No expert with pool number {expert}.", code="expert.unknown", params={"expert": code})
    return expert


def unavailability_view(period: Unavailability) -> UnavailabilityView:
    return UnavailabilityView(id=period.id, starts_on=period.starts_on, starts_half=period.starts_half,
                              ends_on=period.ends_on, ends_half=period.ends_half, reason=period.reason)


def conflict_view(conflict: DeclaredConflict) -> DeclaredConflictView:
    return DeclaredConflictView(id=conflict.id, unit_uscc=conflict.unit_uscc, until=conflict.until,
                                reason=conflict.reason, declared_at=as_utc(conflict.declared_at))


async def list_unavailability(session: AsyncSession, expert: Expert) -> list[UnavailabilityView]:
    rows = await session.execute(select(Unavailability).where(Unavailability.expert_id == expert.id)
                                 .order_by(Unavailability.starts_on, Unavailability.id))
    return [unavailability_view(period) for period in rows.scalars()]


async def add_unavailability(session: AsyncSession, audit: AuditRecorder, actor: Identity, expert: Expert,
                             new: UnavailabilityInput) -> UnavailabilityView:
    if half_day(new.ends_on, new.ends_half) < half_day(new.starts_on, new.starts_half):
        raise InvalidInput.for_field("ends_on", "period.ends_before_start", "the period ends before it starts")
    period = Unavailability(expert_id=expert.id, starts_on=new.starts_on, starts_half=new.starts_half,
                            ends_on=new.ends_on, ends_half=new.ends_half, reason=new.reason, created_at=utc_now())
    session.add(period)
    await session.flush()
    view = unavailability_view(period)
    await audit.record(session, actor=actor, action="expert.unavailability_added", object_type="expert",
                       object_id=expert.code, after=msgspec.to_builtins(view), details={"period_id": period.id})
    return view


async def remove_unavailability(session: AsyncSession, audit: AuditRecorder, actor: Identity, expert: Expert,
                                period_id: int) -> None:
    period = await session.get(Unavailability, period_id)
    if period is None or period.expert_id != expert.id:
        raise NotFound("No unavailable period {period} for expert {expert}.", code="availability.unknown_period",
                       params={"period": period_id, "expert": expert.code})
    before = msgspec.to_builtins(unavailability_view(period))
    await session.delete(period)
    await audit.record(session, actor=actor, action="expert.unavailability_removed", object_type="expert",
                       object_id=expert.code, before=before, details={"period_id": period_id})


async def list_declared_conflicts(session: AsyncSession, expert: Expert) -> list[DeclaredConflictView]:
    rows = await session.execute(select(DeclaredConflict).where(DeclaredConflict.expert_id == expert.id)
                                 .order_by(DeclaredConflict.id))
    return [conflict_view(conflict) for conflict in rows.scalars()]


async def declare_conflict(session: AsyncSession, audit: AuditRecorder, actor: Identity, expert: Expert,
                           new: DeclaredConflictInput) -> DeclaredConflictView:
    if problem := uscc_problem(new.unit_uscc):
        raise InvalidInput.of([problem.at("unit_uscc")])
    conflict = DeclaredConflict(expert_id=expert.id, unit_uscc=new.unit_uscc, until=new.until, reason=new.reason,
                                declared_at=utc_now())
    session.add(conflict)
    await session.flush()
    view = conflict_view(conflict)
    await audit.record(session, actor=actor, action="expert.conflict_declared", object_type="expert",
                       object_id=expert.code, after=msgspec.to_builtins(view),
                       details={"conflict_id": conflict.id, "unit_uscc": conflict.unit_uscc})
    return view


async def withdraw_conflict(session: AsyncSession, audit: AuditRecorder, actor: Identity, expert: Expert,
                            conflict_id: int) -> None:
    conflict = await session.get(DeclaredConflict, conflict_id)
    if conflict is None or conflict.expert_id != expert.id:
        raise NotFound("No declared conflict {conflict} for expert {expert}.", code="availability.unknown_conflict",
                       params={"conflict": conflict_id, "expert": expert.code})
    before = msgspec.to_builtins(conflict_view(conflict))
    await session.delete(conflict)
    await audit.record(session, actor=actor, action="expert.conflict_withdrawn", object_type="expert",
                       object_id=expert.code, before=before, details={"conflict_id": conflict_id})
