"""Which vendors are involved in a project: engaged on it, or bidding for one of its lots.

The gateway asks this before every panel draw, so that experts working (now or within the look-back)
for any of them are avoided (回避). Bidders are those named in the project's stored conflict checks.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.models import ConflictCheck, Engagement, Project, Vendor
from shared.contracts.vendors import InvolvedVendor


async def involved_vendors(session: AsyncSession, project: Project) -> list[InvolvedVendor]:
    reasons: dict[str, list[str]] = {}
    names: dict[str, str | None] = {}
    engaged = await session.execute(
        select(Vendor.uscc, Vendor.name, Engagement.role, Engagement.lot_code)
        .join(Vendor, Vendor.id == Engagement.vendor_id)
        .where(Engagement.project_code == project.code, Engagement.voided_at.is_(None))
        .order_by(Engagement.id))
    for uscc, name, role, lot in engaged:
        names[uscc] = name
        reasons.setdefault(uscc, []).append(f"engaged as {role}" + (f" on lot {lot}" if lot else ""))
    checks = await session.execute(select(ConflictCheck.lot_code, ConflictCheck.answer)
                                   .where(ConflictCheck.project_code == project.code)
                                   .order_by(ConflictCheck.checked_at))
    for lot, answer in checks:
        for bidder in json.loads(answer)["verdicts"]:
            uscc = bidder["uscc"]
            names.setdefault(uscc, bidder.get("name"))
            reason = f"bidder on lot {lot}"
            if reason not in reasons.setdefault(uscc, []):
                reasons[uscc].append(reason)
    return [InvolvedVendor(uscc=uscc, name=names.get(uscc), reasons=found) for uscc, found in sorted(reasons.items())]
