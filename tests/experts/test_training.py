"""Training (Art. 30): sessions, attendance, and a pass keeping an expert drawable for 12 months."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from services.experts.domain.training import next_training_number
from services.experts.models import TrainingSession
from shared.clock import utc_now
from shared.db import Database
from tests.experts.helpers import admin, audit_entries, create_expert
from tests.support.databases import TestDatabases


async def new_training(client, minter, held_on: str = "2026-03-10") -> dict:
    response = await client.post("/api/v1/trainings", json={"title": "2026年度评审专家培训", "held_on": held_on},
                                 headers=admin(minter))
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_pass_sets_trained_until_twelve_months_on_and_a_fail_does_not(experts_client, minter) -> None:
    passer = await create_expert(experts_client, minter, last_trained_on=None)
    failer = await create_expert(experts_client, minter, last_trained_on=None)
    training = await new_training(experts_client, minter)
    response = await experts_client.post(
        f"/api/v1/trainings/{training['id']}/attendance", headers=admin(minter),
        json={"records": [{"expert_code": passer["code"], "passed": True},
                          {"expert_code": failer["code"], "passed": False}]})
    assert response.status_code == 200, response.text
    assert response.json()["training"]["attended"] == 2 and response.json()["training"]["passed"] == 1
    assert [(e["code"], e["trained_until"]) for e in response.json()["experts"]] == [
        (passer["code"], "2027-03-10"), (failer["code"], None)]
    read = (await experts_client.get(f"/api/v1/experts/{passer['code']}", headers=admin(minter))).json()
    assert (read["last_trained_on"], read["trained_until"]) == ("2026-03-10", "2027-03-10")
    entries = await audit_entries(experts_client, minter, object_type="training")
    assert [e["action"] for e in entries] == ["training.attendance_recorded", "training.created"]


async def test_an_older_session_does_not_move_training_back_and_a_corrected_pass_does(experts_client, minter) -> None:
    expert = await create_expert(experts_client, minter, last_trained_on=None)
    early, late = await new_training(experts_client, minter, "2025-11-01"), await new_training(experts_client, minter)
    for training in (late, early):
        await experts_client.post(f"/api/v1/trainings/{training['id']}/attendance", headers=admin(minter),
                                  json={"records": [{"expert_code": expert["code"], "passed": True}]})
    read = (await experts_client.get(f"/api/v1/experts/{expert['code']}", headers=admin(minter))).json()
    assert read["last_trained_on"] == "2026-03-10"
    corrected = await experts_client.post(f"/api/v1/trainings/{late['id']}/attendance", headers=admin(minter),
                                          json={"records": [{"expert_code": expert["code"], "passed": False}]})
    assert corrected.json()["experts"][0]["trained_until"] == "2026-11-01"
    listed = (await experts_client.get("/api/v1/trainings", headers=admin(minter))).json()
    assert [(t["held_on"], t["attended"], t["passed"]) for t in listed["items"]] == [
        ("2026-03-10", 1, 0), ("2025-11-01", 1, 1)]


async def test_unknown_experts_are_refused_and_nothing_is_recorded(experts_client, minter) -> None:
    expert = await create_expert(experts_client, minter, last_trained_on=None)
    training = await new_training(experts_client, minter)
    response = await experts_client.post(
        f"/api/v1/trainings/{training['id']}/attendance", headers=admin(minter),
        json={"records": [{"expert_code": expert["code"], "passed": True}, {"expert_code": "E99999", "passed": True}]})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["records[1].expert_code"]
    read = (await experts_client.get(f"/api/v1/experts/{expert['code']}", headers=admin(minter))).json()
    assert read["trained_until"] is None
    missing = await experts_client.post("/api/v1/trainings/999/attendance", headers=admin(minter),
                                        json={"records": [{"expert_code": expert["code"], "passed": True}]})
    assert missing.status_code == 404


async def test_only_bureau_admins_record_training(experts_client, minter) -> None:
    response = await experts_client.post("/api/v1/trainings", json={"title": "t", "held_on": "2026-01-01"},
                                         headers=minter.headers("experts", "organiser"))
    assert response.status_code == 403
    bad = await experts_client.post("/api/v1/trainings", json={"title": "", "held_on": "2026-02-30"},
                                    headers=admin(minter))
    assert bad.status_code == 422


async def test_sessions_have_their_own_numbers_and_show_who_attended_with_results(experts_client, minter) -> None:
    passer = await create_expert(experts_client, minter, name="甲", last_trained_on=None)
    failer = await create_expert(experts_client, minter, name="乙", last_trained_on=None)
    first = await new_training(experts_client, minter, "2026-03-10")
    second = await new_training(experts_client, minter, "2026-09-01")
    next_year = await new_training(experts_client, minter, "2027-01-05")
    assert [first["number"], second["number"], next_year["number"]] == ["T2026-001", "T2026-002", "T2027-001"]
    listed = (await experts_client.get("/api/v1/trainings", headers=admin(minter))).json()["items"]
    assert [item["number"] for item in listed] == ["T2027-001", "T2026-002", "T2026-001"]

    await experts_client.post(f"/api/v1/trainings/{second['id']}/attendance", headers=admin(minter), json={
        "records": [{"expert_code": failer["code"], "passed": False}, {"expert_code": passer["code"], "passed": True}]})
    response = await experts_client.get(f"/api/v1/trainings/{second['id']}/attendance",
                                        headers=minter.headers("experts", "auditor"))
    assert response.status_code == 200, response.text
    view = response.json()
    assert (view["training"]["number"], view["training"]["attended"], view["training"]["passed"]) == (
        "T2026-002", 2, 1)
    assert [(a["code"], a["name"], a["passed"], a["trained_until"]) for a in view["attendees"]] == [
        (passer["code"], "甲", True, "2027-09-01"), (failer["code"], "乙", False, None)]
    refused = await experts_client.get(f"/api/v1/trainings/{second['id']}/attendance",
                                       headers=minter.headers("experts", "organiser"))
    assert refused.status_code == 403
    missing = await experts_client.get("/api/v1/trainings/999/attendance", headers=admin(minter))
    assert missing.status_code == 404 and missing.json()["code"] == "training.unknown"


@pytest.mark.postgres
async def test_two_sessions_created_at_once_take_two_numbers(postgres_available: bool,
                                                               test_databases: TestDatabases) -> None:
    # PostgreSQL runs both transactions side by side (SQLite lets one writer in at a time): the second
    # must wait for the first's number instead of reading the same last number and failing on it.
    database = Database.from_url(await asyncio.to_thread(test_databases.fresh, "experts", "postgresql"))
    release = asyncio.Event()

    async def create(title: str, hold: bool) -> str:
        async with database.transaction() as session:
            number = await next_training_number(session, 2027)
            session.add(TrainingSession(number=number, title=title, held_on=dt.date(2027, 3, 1), created_at=utc_now()))
            await session.flush()
            if hold:
                await release.wait()
            return number

    try:
        first = asyncio.create_task(create("上午场", hold=True))
        await asyncio.sleep(0.5)
        second = asyncio.create_task(create("下午场", hold=False))
        await asyncio.sleep(1.0)
        assert not second.done(), "the second session took a number while the first was still taking its own"
        release.set()
        assert await asyncio.wait_for(asyncio.gather(first, second), timeout=10) == ["T2027-001", "T2027-002"]
    finally:
        await database.dispose()
