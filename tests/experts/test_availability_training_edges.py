"""Edges of availability, training and automatic suspension: a one-half-day period, another expert's
period or conflict never removed through the wrong pool number, the audit of declared conflicts, a
new or unattended training showing no one, the trainings list paged, a corrected result in a session
that did not set the expert's last training date, a clean record under thresholds of one, and a
suspension already running as long or longer left as it is."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from services.experts.domain.experts import change_status
from services.experts.domain.suspension import ConductCounts, apply_suspension_rules, suspension_reason
from services.experts.models import Expert
from services.experts.schemas import StatusChange
from services.experts.settings import PoolRules
from shared.audit import system_actor
from tests.experts.helpers import OTHER_UNIT, THIRD_UNIT, admin, audit_entries, create_expert, direct_database
from tests.experts.test_availability import as_expert
from tests.experts.test_training import new_training

# --- availability ----------------------------------------------------------------------------------

@pytest.mark.parametrize("half", ["morning", "afternoon"])
async def test_a_period_of_one_half_day_is_taken(experts_client, minter, half: str) -> None:
    expert = await create_expert(experts_client, minter)
    url = f"/api/v1/experts/{expert['code']}/unavailability"
    added = await experts_client.post(url, json={"starts_on": "2026-12-03", "starts_half": half,
                                                 "ends_on": "2026-12-03", "ends_half": half, "reason": "体检"},
                                      headers=admin(minter))
    assert added.status_code == 201, added.text
    assert added.json() == {"id": added.json()["id"], "starts_on": "2026-12-03", "starts_half": half,
                            "ends_on": "2026-12-03", "ends_half": half, "reason": "体检"}
    assert (await experts_client.get(url, headers=admin(minter))).json() == [added.json()]


async def test_another_experts_period_is_not_removed_through_this_experts_pool_number(experts_client, minter) -> None:
    first = await create_expert(experts_client, minter)
    other = await create_expert(experts_client, minter)
    other_url = f"/api/v1/experts/{other['code']}/unavailability"
    period = (await experts_client.post(other_url, json={"starts_on": "2026-12-01", "ends_on": "2026-12-02"},
                                        headers=admin(minter))).json()
    for period_id in (period["id"], period["id"] + 1000):
        response = await experts_client.delete(f"/api/v1/experts/{first['code']}/unavailability/{period_id}",
                                               headers=admin(minter))
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "availability.unknown_period"
    assert (await experts_client.get(other_url, headers=admin(minter))).json() == [period]
    actions = [e["action"] for e in await audit_entries(experts_client, minter)]
    assert "expert.unavailability_removed" not in actions


async def test_another_experts_conflict_is_not_withdrawn_through_this_experts_pool_number(experts_client,
                                                                                         minter) -> None:
    first = await create_expert(experts_client, minter)
    other = await create_expert(experts_client, minter)
    other_url = f"/api/v1/experts/{other['code']}/declared-conflicts"
    conflict = (await experts_client.post(other_url, json={"unit_uscc": OTHER_UNIT, "reason": "曾任顾问"},
                                          headers=admin(minter))).json()
    for conflict_id in (conflict["id"], conflict["id"] + 1000):
        response = await experts_client.delete(f"/api/v1/experts/{first['code']}/declared-conflicts/{conflict_id}",
                                               headers=admin(minter))
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "availability.unknown_conflict"
    # As declared, to the instant (read back from SQLite too, with its time zone).
    assert (await experts_client.get(other_url, headers=admin(minter))).json() == [conflict]
    actions = [e["action"] for e in await audit_entries(experts_client, minter)]
    assert "expert.conflict_withdrawn" not in actions


async def test_declaring_and_withdrawing_a_conflict_are_audited_under_the_pool_number(experts_client, minter) -> None:
    expert = await create_expert(experts_client, minter, account_subject="user:expert-1")
    url = f"/api/v1/experts/{expert['code']}/declared-conflicts"
    declared = (await experts_client.post(url, json={"unit_uscc": THIRD_UNIT, "until": "2027-06-30"},
                                          headers=as_expert(minter))).json()
    withdrawn = await experts_client.delete(f"{url}/{declared['id']}", headers=admin(minter))
    assert withdrawn.status_code == 204
    entries = [e for e in await audit_entries(experts_client, minter, object_id=expert["code"])
               if e["action"].startswith("expert.conflict_")]
    assert [(e["action"], e["actor"], e["object_type"], e["object_id"], e["details"]) for e in entries] == [
        ("expert.conflict_withdrawn", "user:admin", "expert", expert["code"], {"conflict_id": declared["id"]}),
        ("expert.conflict_declared", "user:expert-1", "expert", expert["code"],
         {"conflict_id": declared["id"], "unit_uscc": THIRD_UNIT}),
    ]


# --- training --------------------------------------------------------------------------------------

async def test_a_new_training_shows_no_one_attended_or_passed(experts_client, minter) -> None:
    created = await new_training(experts_client, minter, "2026-04-20")
    assert created == {"id": created["id"], "number": "T2026-001", "title": "2026年度评审专家培训",
                       "held_on": "2026-04-20", "attended": 0, "passed": 0}


async def test_trainings_are_listed_page_by_page_latest_first_and_unattended_ones_count_no_one(
        experts_client, minter) -> None:
    expert = await create_expert(experts_client, minter, last_trained_on=None)
    january, june, september = [await new_training(experts_client, minter, day)
                                for day in ("2026-01-15", "2026-06-01", "2026-09-20")]
    await experts_client.post(f"/api/v1/trainings/{june['id']}/attendance", headers=admin(minter),
                              json={"records": [{"expert_code": expert["code"], "passed": True}]})

    async def page(number: int) -> tuple[int, list[tuple[str, str, int, int]]]:
        response = await experts_client.get("/api/v1/trainings", params={"page": number, "page_size": 1},
                                            headers=admin(minter))
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["page"], body["page_size"]) == (number, 1)
        return body["total"], [(t["number"], t["held_on"], t["attended"], t["passed"]) for t in body["items"]]

    assert await page(1) == (3, [("T2026-003", "2026-09-20", 0, 0)])
    assert await page(2) == (3, [("T2026-002", "2026-06-01", 1, 1)])
    assert await page(3) == (3, [("T2026-001", "2026-01-15", 0, 0)])
    assert await page(4) == (3, [])
    assert [january["number"], september["number"]] == ["T2026-001", "T2026-003"]


async def test_a_corrected_result_in_a_session_that_did_not_set_the_last_training_date_leaves_it(
        experts_client, minter) -> None:
    # The profile's own last training date (a course before the pool kept sessions) is later than the
    # session, and the same as a second session's day.
    expert = await create_expert(experts_client, minter, last_trained_on="2026-05-01")
    code = expert["code"]
    march, may = await new_training(experts_client, minter, "2026-03-10"), await new_training(
        experts_client, minter, "2026-05-01")

    async def record(training: dict, passed: bool) -> str | None:
        response = await experts_client.post(f"/api/v1/trainings/{training['id']}/attendance",
                                             headers=admin(minter),
                                             json={"records": [{"expert_code": code, "passed": passed}]})
        assert response.status_code == 200, response.text
        return response.json()["experts"][0]["trained_until"]

    async def last_trained_on() -> tuple[str, str]:
        read = (await experts_client.get(f"/api/v1/experts/{code}", headers=admin(minter))).json()
        return read["last_trained_on"], read["trained_until"]

    assert await record(march, True) == "2027-05-01"
    assert await record(march, True) == "2027-05-01"  # the same pass recorded again
    assert await record(march, False) == "2027-05-01"  # a pass in the older session corrected to a fail
    assert await last_trained_on() == ("2026-05-01", "2027-05-01")
    assert await record(may, False) == "2027-05-01"  # a fail on the day of the last training date
    assert await record(may, False) == "2027-05-01"  # and the same fail again
    assert await last_trained_on() == ("2026-05-01", "2027-05-01")


# --- automatic suspension --------------------------------------------------------------------------

ONE_EACH = PoolRules(suspension_max_declines=1, suspension_max_no_shows=1, suspension_max_low_scores=1,
                     suspension_months=6)


def test_under_thresholds_of_one_a_clean_record_suspends_no_one_and_one_decline_names_only_declines() -> None:
    assert suspension_reason(ConductCounts(), ONE_EACH) is None
    assert suspension_reason(ConductCounts(declines=1), ONE_EACH) == \
        "自动暂停：近12个月内无正当理由拒绝邀请1次（达到1次即暂停）"
    assert suspension_reason(ConductCounts(no_shows=1), ONE_EACH) == \
        "自动暂停：近12个月内接受邀请后缺席1次（达到1次即暂停）"
    assert suspension_reason(ConductCounts(low_scores=1), ONE_EACH) == \
        "自动暂停：近12个月内评价得分低于60分1次（达到1次即暂停）"


TODAY = dt.date(2026, 12, 1)  # the rules' six months from here end on 2027-06-01


async def _suspended_until(client, minter, until: dt.date | None, *, status: str = "suspended") -> str:
    """An expert suspended (by hand, on 2026-11-01) until ``until``; with another ``status``, one whose
    row keeps ``until`` as a stale end date."""
    created = await create_expert(client, minter)
    async with direct_database(client) as database, database.transaction() as session:
        expert = (await session.execute(select(Expert).where(Expert.code == created["code"]))).scalar_one()
        if status == "suspended":
            await change_status(session, client.app.state.audit, system_actor("experts"), expert,
                                StatusChange(status="suspended", reason="人工暂停", suspended_until=until),
                                today=dt.date(2026, 11, 1))
        else:
            expert.suspended_until = until
    return created["code"]


async def _apply(client, code: str) -> bool:
    async with direct_database(client) as database, database.transaction() as session:
        expert = (await session.execute(select(Expert).where(Expert.code == code))).scalar_one()
        return await apply_suspension_rules(session, expert, client.app.state.audit,
                                            counts=ConductCounts(no_shows=2), rules=ONE_EACH, today=TODAY)


async def _row(client, code: str) -> tuple[str, dt.date | None, str | None]:
    """The expert's stored status, end date and reason (not the status as read on today's date)."""
    async with direct_database(client) as database, database.reading() as session:
        return tuple((await session.execute(select(Expert.status, Expert.suspended_until, Expert.status_reason)
                                            .where(Expert.code == code))).one())


async def _status_changes(client, minter, code: str) -> list[tuple[str, dict]]:
    return [(e["actor"], e["details"]) for e in await audit_entries(client, minter, object_id=code)
            if e["action"] == "expert.status_changed"]


@pytest.mark.parametrize("until", [dt.date(2027, 6, 1), dt.date(2027, 9, 30)])
async def test_a_suspension_running_as_long_or_longer_is_left_as_it_is(experts_client, minter,
                                                                      until: dt.date) -> None:
    code = await _suspended_until(experts_client, minter, until)
    changes = await _status_changes(experts_client, minter, code)
    assert await _apply(experts_client, code) is False
    assert await _row(experts_client, code) == ("suspended", until, "人工暂停")
    assert await _status_changes(experts_client, minter, code) == changes


async def test_a_suspension_ending_sooner_is_extended(experts_client, minter) -> None:
    code = await _suspended_until(experts_client, minter, dt.date(2027, 5, 31))
    assert await _apply(experts_client, code) is True
    assert await _row(experts_client, code) == (
        "suspended", dt.date(2027, 6, 1), "自动暂停：近12个月内接受邀请后缺席2次（达到1次即暂停）")
    assert (await _status_changes(experts_client, minter, code))[0] == (
        "system:experts", {"from": "suspended", "to": "suspended", "suspended_until": "2027-06-01"})


async def test_an_active_expert_with_a_stale_later_end_date_is_suspended(experts_client, minter) -> None:
    code = await _suspended_until(experts_client, minter, dt.date(2027, 9, 30), status="active")
    assert await _apply(experts_client, code) is True
    assert await _row(experts_client, code) == (
        "suspended", dt.date(2027, 6, 1), "自动暂停：近12个月内接受邀请后缺席2次（达到1次即暂停）")
    assert await _status_changes(experts_client, minter, code) == [
        ("system:experts", {"from": "active", "to": "suspended", "suspended_until": "2027-06-01"})]
