"""Automatic suspension after declines, no-shows or low evaluation scores reach their thresholds."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from services.experts.domain.suspension import ConductCounts, apply_suspension_rules, suspension_reason
from services.experts.models import Expert
from services.experts.settings import PoolRules
from tests.experts.helpers import admin, audit_entries, create_expert, direct_database

RULES = PoolRules(suspension_max_declines=3, suspension_max_no_shows=2, suspension_max_low_scores=2,
                  suspension_months=6)


@pytest.mark.parametrize(("counts", "expected"), [
    (ConductCounts(), None),
    (ConductCounts(declines=2, no_shows=1, low_scores=1), None),
    (ConductCounts(declines=3), "Suspended automatically: 3 declined invitations (threshold 3)"),
    (ConductCounts(no_shows=2, low_scores=5), "Suspended automatically: 2 no-shows (threshold 2); "
                                              "5 low evaluation scores (threshold 2)"),
])
def test_the_rule_names_every_threshold_reached(counts: ConductCounts, expected: str | None) -> None:
    assert suspension_reason(counts, RULES) == expected


def test_thresholds_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SORTES_EXPERTS_SUSPENSION_MAX_DECLINES", "5")
    rules = PoolRules.from_env()
    assert rules.suspension_max_declines == 5
    assert suspension_reason(ConductCounts(declines=4), rules) is None


async def test_the_hook_suspends_with_the_reason_and_audits_it(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter)
    today = dt.date(2026, 12, 1)
    async with direct_database(experts_client) as database, database.transaction() as session:
        expert = (await session.execute(select(Expert).where(Expert.code == created["code"]))).scalar_one()
        assert not await apply_suspension_rules(session, expert, experts_client.app.state.audit,
                                                counts=ConductCounts(declines=1), rules=RULES, today=today)
        assert await apply_suspension_rules(session, expert, experts_client.app.state.audit,
                                            counts=ConductCounts(no_shows=2), rules=RULES, today=today)
    read = (await experts_client.get(f"/api/v1/experts/{created['code']}", headers=admin(minter))).json()
    assert (read["status"], read["suspended_until"]) == ("suspended", "2027-06-01")
    assert read["status_reason"] == "Suspended automatically: 2 no-shows (threshold 2)"
    entries = await audit_entries(experts_client, minter, object_id=created["code"])
    assert [(e["actor"], e["details"]["to"]) for e in entries if e["action"] == "expert.status_changed"] == [
        ("system:experts", "suspended")]


async def test_the_hook_leaves_retired_experts_retired(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter)
    await experts_client.put(f"/api/v1/experts/{created['code']}/status", json={"status": "retired", "reason": "r"},
                             headers=admin(minter))
    async with direct_database(experts_client) as database, database.transaction() as session:
        expert = (await session.execute(select(Expert).where(Expert.code == created["code"]))).scalar_one()
        assert not await apply_suspension_rules(session, expert, experts_client.app.state.audit,
                                                counts=ConductCounts(declines=9), rules=RULES)
    read = (await experts_client.get(f"/api/v1/experts/{created['code']}", headers=admin(minter))).json()
    assert read["status"] == "retired"
