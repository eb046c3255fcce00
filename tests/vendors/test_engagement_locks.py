"""Two identical engagements never both land: a post or a correction that would match an engagement another
transaction is recording for the same vendor waits for it on the vendor's row, then is refused as a
duplicate (PostgreSQL, where transactions run side by side; SQLite lets one writer in at a time anyway)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.models import Engagement, Vendor
from shared.clock import utc_now
from tests.support.databases import url_of
from tests.support.held import holding, waited
from tests.vendors.conftest import VendorsApi

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]
AMOUNT = 48_000_000


def recording(uscc: str, project: str, amount_fen: int):
    """A transaction recording an engagement as the service does: the vendor's row locked first."""

    async def record(session: AsyncSession) -> None:
        vendor = (await session.execute(select(Vendor).where(Vendor.uscc == uscc).with_for_update())).scalar_one()
        session.add(Engagement(vendor_id=vendor.id, project_code=project, lot_code="L2", role="construction",
                               started_on=dt.date(2026, 1, 5), amount_fen=amount_fen, created_at=utc_now()))
        await session.flush()

    return record


async def test_an_engagement_posted_while_the_same_is_being_recorded_waits_and_is_refused(api: VendorsApi) -> None:
    uscc, project = await api.vendor(), await api.project()
    holding(url_of(api.client), recording(uscc, project, AMOUNT))
    late, answered = await waited(api.client.post(f"/api/v1/projects/{project}/engagements", headers=api.admin, json={
        "vendor_uscc": uscc, "role": "construction", "lot_code": "L2", "started_on": "2026-01-05",
        "amount_fen": AMOUNT}))
    assert late, "the post went ahead while the same engagement was being recorded"
    assert answered.status_code == 409 and answered.json()["code"] == "engagement.duplicate", answered.text


async def test_a_correction_into_an_engagement_being_recorded_waits_and_is_refused(api: VendorsApi) -> None:
    uscc, project = await api.vendor(), await api.project()
    recorded = await api.engage(project, uscc, "construction", "L2", amount_fen=AMOUNT - 1)
    holding(url_of(api.client), recording(uscc, project, AMOUNT))
    late, answered = await waited(api.client.patch(f"/api/v1/projects/{project}/engagements/{recorded['id']}",
                                                   headers=api.admin, json={"amount_fen": AMOUNT}))
    assert late, "the correction went ahead while the engagement it would match was being recorded"
    assert answered.status_code == 409 and answered.json()["code"] == "engagement.duplicate", answered.text
