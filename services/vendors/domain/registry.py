"""Reading the vendor registry and a project's engagements."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.vendors.models import Engagement, Project, Vendor
from services.vendors.schemas import EngagementView, Page, VendorView
from shared.errors import NotFound


def vendor_view(vendor: Vendor) -> VendorView:
    return VendorView(uscc=vendor.uscc, name=vendor.name, status=vendor.status)


async def list_vendors(session: AsyncSession, *, page: int, page_size: int) -> Page[VendorView]:
    total = (await session.execute(select(func.count()).select_from(Vendor))).scalar_one()
    rows = await session.execute(select(Vendor).order_by(Vendor.uscc)
                                 .offset((page - 1) * page_size).limit(page_size))
    return Page(items=[vendor_view(v) for v in rows.scalars()], total=total, page=page,
                page_size=page_size)


async def get_vendor(session: AsyncSession, uscc: str) -> VendorView:
    vendor = (await session.execute(select(Vendor).where(Vendor.uscc == uscc))).scalar_one_or_none()
    if vendor is None:
        raise NotFound(f"No vendor with USCC {uscc} is registered.")
    return vendor_view(vendor)


async def project_engagements(session: AsyncSession, project_code: str) -> list[EngagementView]:
    if await session.get(Project, project_code) is None:
        raise NotFound(f"No project {project_code} is registered.")
    rows = await session.execute(
        select(Engagement).where(Engagement.project_code == project_code)
        .options(selectinload(Engagement.vendor)).order_by(Engagement.id))
    return [EngagementView(id=e.id, vendor_uscc=e.vendor.uscc, vendor_name=e.vendor.name,
                           project_code=e.project_code, lot_code=e.lot_code, role=e.role,
                           started_on=e.started_on, ended_on=e.ended_on, amount_fen=e.amount_fen)
            for e in rows.scalars()]
