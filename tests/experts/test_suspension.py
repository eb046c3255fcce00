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
from tests.experts.test_panels import MEETING, ask_panel, build_pool, organiser, panel_body, register_project, reveal

RULES = PoolRules(suspension_max_declines=3, suspension_max_no_shows=2, suspension_max_low_scores=2,
                  suspension_months=6)


@pytest.mark.parametrize(("counts", "expected"), [
    (ConductCounts(), None),
    (ConductCounts(declines=2, no_shows=1, low_scores=1), None),
    (ConductCounts(declines=3), "自动暂停：近12个月内无正当理由拒绝邀请3次（达到3次即暂停）"),
    (ConductCounts(no_shows=2, low_scores=5), "自动暂停：近12个月内接受邀请后缺席2次（达到2次即暂停）；"
                                              "评价得分低于60分5次（达到2次即暂停）"),
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
    assert read["status_reason"] == "自动暂停：近12个月内接受邀请后缺席2次（达到2次即暂停）"
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
    assert [row[-2] for row in csv.reader(io.StringIO(exported.text.lstrip("\ufeff")))][1:] == ["在库", "暂停", "暂停"]

    # Reading changed nothing: the only new entries are the admin's unmaskings.
    entries = await audit_entries(experts_client, minter)
    new_entries = entries[:len(entries) - entries_before]
    assert {entry["action"] for entry in new_entries} == {"personal_data.unmasked"}
    async with direct_database(experts_client) as database, database.reading() as session:
        assert (await session.execute(select(Expert.status).where(Expert.code == lapsed["code"]))).scalar_one() \
            == "suspended"


async def _decline_on_panels(client, minter, expert: str, categories: list[str | None]) -> None:
    """``expert`` is drawn onto one panel per category and declines it with that category."""
    for index, category in enumerate(categories):
        meeting = MEETING + dt.timedelta(days=index)
        committed = await ask_panel(client, minter, panel_body(count=1, reserves=0, meeting=meeting))
        await reveal(client, minter, committed["id"])
        body = {"channel": "phone", "reason": "说明", **({"reason_category": category} if category else {})}
        response = await client.post(f"/api/v1/draws/{committed['id']}/members/{expert}/decline", json=body,
                                     headers=organiser(minter))
        assert response.status_code == 200, response.text
        assert response.json()["decline_category"] == (category or "other")


async def test_declines_with_a_valid_reason_never_suspend_and_those_without_do_in_chinese(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    [excused] = await build_pool(experts_client, minter, 1)
    await _decline_on_panels(experts_client, minter, excused, ["illness", "meeting_clash", "unavailable"])
    read = (await experts_client.get(f"/api/v1/experts/{excused}", headers=admin(minter))).json()
    assert read["status"] == "active"

    await experts_client.put(f"/api/v1/experts/{excused}/status", headers=admin(minter),
                             json={"status": "retired", "reason": "测试换人"})
    [unexcused] = await build_pool(experts_client, minter, 1)
    await _decline_on_panels(experts_client, minter, unexcused, ["other", None, "illness", "other"])
    read = (await experts_client.get(f"/api/v1/experts/{unexcused}", headers=admin(minter))).json()
    assert read["status"] == "suspended"
    assert read["status_reason"] == "自动暂停：近12个月内无正当理由拒绝邀请3次（达到3次即暂停）"
    entries = await audit_entries(experts_client, minter)
    assert [e["details"].get("decline_category") for e in entries if e["action"] == "seat.declined"][:4] == [
        "other", "illness", "other", "other"]


async def test_an_unknown_decline_category_is_refused_naming_the_field(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    [expert] = await build_pool(experts_client, minter, 1)
    committed = await ask_panel(experts_client, minter, panel_body(count=1, reserves=0))
    await reveal(experts_client, minter, committed["id"])
    response = await experts_client.post(f"/api/v1/draws/{committed['id']}/members/{expert}/decline",
                                         json={"channel": "phone", "reason": "x", "reason_category": "busy"},
                                         headers=organiser(minter))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason_category"
