"""Reading the expert pool (专家库)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.experts.models import Expert, ExpertField, Field
from services.experts.schemas import ExpertFieldView, ExpertView, FieldView, Page
from shared.clock import add_months
from shared.errors import NotFound

TRAINING_VALID_MONTHS = 12  # Art. 30: training counts for a year


def trained_until(last_trained_on: dt.date | None,
                  valid_months: int = TRAINING_VALID_MONTHS) -> dt.date | None:
    return add_months(last_trained_on, valid_months) if last_trained_on else None


def expert_view(expert: Expert) -> ExpertView:
    return ExpertView(
        code=expert.code, name=expert.name, unit_uscc=expert.unit_uscc, unit_name=expert.unit_name,
        title=expert.title, years_in_field=expert.years_in_field, status=expert.status,
        fields=[ExpertFieldView(code=f.field_code, primary=f.is_primary) for f in expert.fields],
        trained_until=trained_until(expert.last_trained_on),
    )


async def list_experts(session: AsyncSession, *, page: int, page_size: int,
                       field_code: str | None = None, status: str | None = None) -> Page[ExpertView]:
    query = select(Expert)
    if field_code:
        query = query.where(Expert.id.in_(
            select(ExpertField.expert_id).where(ExpertField.field_code == field_code)))
    if status:
        query = query.where(Expert.status == status)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(
        query.options(selectinload(Expert.fields)).order_by(Expert.code)
        .offset((page - 1) * page_size).limit(page_size))
    return Page(items=[expert_view(e) for e in rows.scalars()], total=total, page=page,
                page_size=page_size)


async def get_expert(session: AsyncSession, code: str) -> ExpertView:
    expert = (await session.execute(
        select(Expert).where(Expert.code == code).options(selectinload(Expert.fields))
    )).scalar_one_or_none()
    if expert is None:
        raise NotFound(f"No expert with pool number {code}.")
    return expert_view(expert)


async def list_fields(session: AsyncSession) -> list[FieldView]:
    rows = await session.execute(select(Field).order_by(Field.code))
    return [FieldView(code=f.code, parent_code=f.parent_code, name_zh=f.name_zh, name_en=f.name_en,
                      retired=f.retired_at is not None) for f in rows.scalars()]
