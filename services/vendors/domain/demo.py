"""Demo registry for ``make run``: about 50 vendors and who was engaged on the demo projects."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.models import Engagement, Lot, Project, Vendor
from shared.audit import AuditRecorder, system_actor
from shared.clock import utc_now
from shared.demo import demo_projects, demo_vendors
from shared.projects import EngagementRole, upsert_project

SYSTEM = system_actor("vendors")


async def load_demo_data(session: AsyncSession, audit: AuditRecorder) -> bool:
    """Fill an empty registry; a registry that already has vendors is left alone."""
    if (await session.execute(select(func.count()).select_from(Vendor))).scalar_one():
        return False
    rng = random.Random(2021_29)
    now = utc_now()
    vendors = [Vendor(uscc=v.uscc, name=v.name, status="active", created_at=now, updated_at=now)
               for v in demo_vendors()]
    session.add_all(vendors)
    await session.flush()
    for project in demo_projects():
        await upsert_project(session, Project, Lot, project.code, project.reference, audit, SYSTEM)
        # The author of the construction plan has an engagement with no lot (Art. 10).
        plan_author = rng.choice(vendors)
        session.add(Engagement(vendor_id=plan_author.id, project_code=project.code, lot_code=None,
                               role=EngagementRole.OVERALL_DESIGN.value, started_on=dt.date(2026, 1, 5),
                               ended_on=dt.date(2026, 3, 31), amount_fen=rng.randint(20, 90) * 1_000_000,
                               created_at=now))
        for lot in project.reference.lots[: rng.randint(1, len(project.reference.lots))]:
            session.add(Engagement(
                vendor_id=rng.choice(vendors).id, project_code=project.code, lot_code=lot.code,
                role=lot.role.value, started_on=dt.date(2026, rng.randint(4, 9), 1), ended_on=None,
                amount_fen=rng.randint(50, 900) * 1_000_000, created_at=now))
    await audit.record(session, actor=SYSTEM, action="demo.loaded", object_type="registry", object_id="demo",
                       details={"vendors": len(vendors)})
    return True
