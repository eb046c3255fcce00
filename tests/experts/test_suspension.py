"""Automatic suspension after declines, no-shows or low evaluation scores reach their thresholds."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from services.experts.domain.experts import change_status
from services.experts.domain.suspension import ConductCounts, apply_suspension_rules, suspension_reason
from services.experts.models import Expert
from services.experts.schemas import StatusChange
from services.experts.settings import PoolRules
from shared.audit import system_actor
from shared.clock import beijing_today
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


async def test_a_suspension_past_its_end_reads_as_active_everywhere_without_a_write(experts_client, minter) -> None:
    today = beijing_today()
    lapsed, ends_today, running = [await create_expert(experts_client, minter, name=name)
                                   for name in ("甲", "乙", "丙")]
    async with direct_database(experts_client) as database, database.transaction() as session:
        for created, until in ((lapsed, today - dt.timedelta(days=1)), (ends_today, today),
                               (running, today + dt.timedelta(days=30))):
            expert = (await session.execute(select(Expert).where(Expert.code == created["code"]))).scalar_one()
            await change_status(session, experts_client.app.state.audit, system_actor("experts"), expert,
                                StatusChange(status="suspended", reason="r", suspended_until=until),
                                today=until - dt.timedelta(days=60))
    entries_before = len(await audit_entries(experts_client, minter))

    read = (await experts_client.get(f"/api/v1/experts/{lapsed['code']}", headers=admin(minter))).json()
    assert (read["status"], read["suspended_until"], read["status_reason"]) == (
        "active", (today - dt.timedelta(days=1)).isoformat(), "r")
    for code, status in ((ends_today["code"], "suspended"), (running["code"], "suspended")):
        assert (await experts_client.get(f"/api/v1/experts/{code}", headers=admin(minter))).json()["status"] == status

    async def listed(**params: str) -> list[tuple[str, str]]:
        page = await experts_client.get("/api/v1/experts", params=params, headers=admin(minter))
        return [(item["name"], item["status"]) for item in page.json()["items"]]

    assert await listed() == [("甲", "active"), ("乙", "suspended"), ("丙", "suspended")]
    assert await listed(status="active") == [("甲", "active")]
    assert await listed(status="suspended") == [("乙", "suspended"), ("丙", "suspended")]
    exported = await experts_client.get("/api/v1/experts/export", params={"format": "csv"}, headers=admin(minter))
    assert [row[-1] for row in csv.reader(io.StringIO(exported.text.lstrip("\ufeff")))][1:] == ["在库", "暂停", "暂停"]

    # Reading changed nothing: the only new entries are the admin's unmaskings.
    entries = await audit_entries(experts_client, minter)
    new_entries = entries[:len(entries) - entries_before]
    assert {entry["action"] for entry in new_entries} == {"personal_data.unmasked"}
    async with direct_database(experts_client) as database, database.reading() as session:
        assert (await session.execute(select(Expert.status).where(Expert.code == lapsed["code"]))).scalar_one() \
            == "suspended"
