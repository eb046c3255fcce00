"""The exclusion register: debarments (禁止参加政府采购活动), active or not by their Beijing dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import msgspec
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.domain.inputs import check_period, check_uscc, raise_if_any
from services.vendors.models import Exclusion
from services.vendors.schemas import ExclusionCreate, ExclusionView, Page
from shared.audit import AuditRecorder
from shared.clock import as_utc, beijing_today, utc_now
from shared.errors import FieldError
from shared.identity import Identity


def is_active(exclusion: Exclusion, day: dt.date) -> bool:
    return exclusion.starts_on <= day and (exclusion.ends_on is None or day <= exclusion.ends_on)


def exclusion_view(exclusion: Exclusion, today: dt.date) -> ExclusionView:
    return ExclusionView(id=exclusion.id, uscc=exclusion.uscc, vendor_name=exclusion.vendor_name,
                         issuing_body=exclusion.issuing_body, decision_number=exclusion.decision_number,
                         scope=exclusion.scope, reason=exclusion.reason, starts_on=exclusion.starts_on,
                         ends_on=exclusion.ends_on, active=is_active(exclusion, today),
                         recorded_at=as_utc(exclusion.recorded_at))


def _active_on(day: dt.date) -> ColumnElement[bool]:
    return (Exclusion.starts_on <= day) & or_(Exclusion.ends_on.is_(None), Exclusion.ends_on >= day)


async def record_exclusion(session: AsyncSession, audit: AuditRecorder, actor: Identity,
                           data: ExclusionCreate) -> ExclusionView:
    errors: list[FieldError] = []
    check_uscc(errors, "uscc", data.uscc)
    check_period(errors, "starts_on", data.starts_on, "ends_on", data.ends_on)
    raise_if_any(errors)
    exclusion = Exclusion(**msgspec.structs.asdict(data), recorded_at=utc_now(), recorded_by=actor.subject)
    session.add(exclusion)
    await session.flush()
    view = exclusion_view(exclusion, beijing_today())
    content = msgspec.to_builtins(view)
    content.pop("active")  # computed, not recorded
    await audit.record(session, actor=actor, action="exclusion.recorded", object_type="exclusion",
                       object_id=str(exclusion.id), after=content,
                       details={"uscc": data.uscc, "decision_number": data.decision_number})
    return view


async def list_exclusions(session: AsyncSession, *, page: int, page_size: int, uscc: str | None = None,
                          active: bool | None = None) -> Page[ExclusionView]:
    today = beijing_today()
    statement = select(Exclusion)
    if uscc:
        statement = statement.where(Exclusion.uscc == uscc)
    if active is not None:
        statement = statement.where(_active_on(today) if active else ~_active_on(today))
    total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
    rows = await session.execute(statement.order_by(Exclusion.id.desc())
                                 .offset((page - 1) * page_size).limit(page_size))
    return Page(items=[exclusion_view(e, today) for e in rows.scalars()], total=total, page=page,
                page_size=page_size)


async def active_exclusions(session: AsyncSession, day: dt.date,
                            usccs: Collection[str] | None = None) -> list[Exclusion]:
    """Exclusions in force on ``day``, of the given USCCs only when they are given."""
    statement = select(Exclusion).where(_active_on(day))
    if usccs is not None:
        statement = statement.where(Exclusion.uscc.in_(list(usccs)))
    return list((await session.execute(statement.order_by(Exclusion.id))).scalars())
