"""Joining the pool by application (入库申请与审核), and experts' own changes under review."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from services.experts.models import ExpertApplication, ExpertChangeRequest
from tests.experts.helpers import (
    EMPLOYER,
    OTHER_UNIT,
    admin,
    audit_entries,
    create_expert,
    direct_database,
    valid_id_number,
)

PUBLIC = {"subject": "gateway"}


def application(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "赵磊", "birth_date": "1982-05-01", "unit_uscc": OTHER_UNIT, "unit_name": "浙江鳌江信息技术有限公司",
        "title": "高级工程师", "years_in_field": 12, "fields": [{"code": "APP", "primary": True}, {"code": "SEC"}],
        "id_number": valid_id_number(dt.date(1982, 5, 1)), "phone": "13812345678",
        "certificates": [{"name": "CISP", "expires_on": "2028-01-31"}],
    }
    body.update(changes)
    return body


def public(minter) -> dict[str, str]:
    return minter.headers("experts", "service", **PUBLIC)


def unit_user(minter) -> dict[str, str]:
    return minter.headers("experts", "organiser", subject="user:org", unit=OTHER_UNIT)


async def apply(client, minter, **changes: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/expert-applications", json=application(**changes), headers=public(minter))
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_approved_application_enters_the_pool_with_a_number_and_training_pending(
        experts_client, minter) -> None:
    id_number = valid_id_number(dt.date(1982, 5, 1))
    receipt = await apply(experts_client, minter, id_number=id_number)
    assert receipt["number"] == "SQ000001" and receipt["status"] == "pending"
    assert re.fullmatch(r"([A-HJKMNP-Z2-9]{4}-){3}[A-HJKMNP-Z2-9]{4}", receipt["receipt_code"])
    queue = (await experts_client.get("/api/v1/expert-applications", params={"status": "pending"},
                                      headers=admin(minter))).json()
    assert [item["number"] for item in queue["items"]] == ["SQ000001"]
    assert queue["items"][0]["personal_data"]["id_number"] == "*" * 14 + id_number[-4:]
    assert queue["items"][0]["kind"] == "self"
    approved = await experts_client.post("/api/v1/expert-applications/SQ000001/approve", json={},
                                         headers=admin(minter))
    assert approved.status_code == 200, approved.text
    code = approved.json()["expert_code"]
    assert code == "E00001"
    expert = (await experts_client.get(f"/api/v1/experts/{code}", headers=admin(minter))).json()
    assert expert["status"] == "active" and expert["last_trained_on"] is None and expert["trained_until"] is None
    assert expert["personal_data"]["id_number"] == id_number and expert["personal_data"]["phone"] == "13812345678"
    assert expert["certificates"] == [{"name": "CISP", "expires_on": "2028-01-31"}]
    assert expert["fields"] == [{"code": "APP", "primary": True}, {"code": "SEC", "primary": False}]
    typed = receipt["receipt_code"].replace("-", " ").lower()  # as a person may type it back
    status = await experts_client.post("/api/v1/expert-applications/status", headers=public(minter),
                                       json={"number": "SQ000001", "receipt_code": typed})
    assert status.json()["status"] == "approved" and status.json()["expert_code"] == code
    actions = [e["action"] for e in await audit_entries(experts_client, minter, object_id="SQ000001")]
    assert sorted(actions) == ["expert_application.approved", "expert_application.submitted"]


async def test_a_rejection_needs_a_reason_and_the_applicant_reads_it_with_the_receipt_code_only(
        experts_client, minter) -> None:
    receipt = await apply(experts_client, minter)
    no_reason = await experts_client.post("/api/v1/expert-applications/SQ000001/reject", json={},
                                          headers=admin(minter))
    assert no_reason.status_code in (400, 422)
    assert "reason" in no_reason.text
    rejected = await experts_client.post("/api/v1/expert-applications/SQ000001/reject",
                                         json={"reason": "从业年限不足"}, headers=admin(minter))
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    again = await experts_client.post("/api/v1/expert-applications/SQ000001/approve", json={}, headers=admin(minter))
    assert again.status_code == 409 and again.json()["code"] == "application.decided"
    wrong = await experts_client.post("/api/v1/expert-applications/status", headers=public(minter),
                                      json={"number": "SQ000001", "receipt_code": "guess"})
    assert wrong.status_code == 404 and wrong.json()["errors"][0]["field"] == "receipt_code"
    seen = (await experts_client.post("/api/v1/expert-applications/status", headers=public(minter),
                                      json={"number": "SQ000001", "receipt_code": receipt["receipt_code"]})).json()
    assert (seen["status"], seen["reason"], seen["expert_code"]) == ("rejected", "从业年限不足", None)
    assert "id_number" not in seen and "phone" not in seen


async def test_an_application_is_checked_as_the_pool_is_and_nothing_is_written(experts_client, minter) -> None:
    response = await experts_client.post("/api/v1/expert-applications", headers=public(minter), json=application(
        id_number="330326198205010000", phone="abc", fields=[{"code": "APP"}], unit_uscc="91330326MA2CT8U6X5"))
    assert response.status_code == 422, response.text
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"id_number", "phone", "fields"} <= fields
    assert "330326198205010000" not in response.text
    retired = await experts_client.post("/api/v1/expert-applications", headers=public(minter),
                                        json=application(fields=[{"code": "NOPE", "primary": True}]))
    assert retired.status_code == 422 and retired.json()["errors"][0]["field"] == "fields[0].code"
    async with direct_database(experts_client) as database, database.reading() as session:
        assert (await session.execute(select(ExpertApplication))).scalars().all() == []


async def test_a_duplicate_of_the_pool_or_of_an_open_application_is_named(experts_client, minter) -> None:
    id_number = valid_id_number(dt.date(1982, 5, 1))
    expert = await create_expert(experts_client, minter, id_number=id_number, birth_date="1982-05-01")
    public_try = await experts_client.post("/api/v1/expert-applications", headers=public(minter),
                                           json=application(id_number=id_number.lower()))
    assert public_try.status_code == 409
    assert public_try.json()["errors"][0]["field"] == "id_number"
    assert public_try.json()["code"] == "application.already_in_pool"
    assert expert["code"] not in public_try.text  # the public page does not tell pool numbers
    recommended = await experts_client.post("/api/v1/expert-recommendations", headers=unit_user(minter),
                                            json=application(id_number=id_number))
    assert recommended.status_code == 409
    assert recommended.json()["code"] == "application.duplicate_expert"
    assert recommended.json()["params"] == {"expert": expert["code"]}
    other = valid_id_number(dt.date(1982, 5, 1))
    first = await experts_client.post("/api/v1/expert-recommendations", headers=unit_user(minter),
                                      json=application(id_number=other))
    assert first.status_code == 201
    second = await experts_client.post("/api/v1/expert-recommendations", headers=unit_user(minter),
                                       json=application(id_number=other))
    assert second.status_code == 409 and second.json()["params"] == {"application": first.json()["number"]}
    mine = (await experts_client.get("/api/v1/expert-recommendations", headers=unit_user(minter))).json()
    assert [(item["number"], item["kind"], item["recommended_by_unit"]) for item in mine["items"]] == [
        (first.json()["number"], "recommended", OTHER_UNIT)]


async def test_only_the_gateway_applies_publicly_and_only_admins_review(experts_client, minter) -> None:
    as_key = await experts_client.post("/api/v1/expert-applications", json=application(),
                                       headers=minter.headers("experts", "service", subject="apikey:lifecycle"))
    assert as_key.status_code == 403
    await apply(experts_client, minter)
    for headers in (unit_user(minter), public(minter), minter.headers("experts", "expert", subject="user:x")):
        assert (await experts_client.get("/api/v1/expert-applications", headers=headers)).status_code == 403
        assert (await experts_client.post("/api/v1/expert-applications/SQ000001/approve", json={},
                                          headers=headers)).status_code == 403


# Change requests

async def _linked_expert(client, minter) -> tuple[dict[str, Any], dict[str, str]]:
    expert = await create_expert(client, minter, account_subject="user:wang")
    return expert, minter.headers("experts", "expert", subject="user:wang")


async def test_an_approved_employer_change_keeps_the_old_employer_for_the_avoidance(experts_client, minter) -> None:
    expert, me = await _linked_expert(experts_client, minter)
    proposed = await experts_client.post("/api/v1/experts/me/change-requests", headers=me, json={
        "unit_uscc": OTHER_UNIT, "unit_name": "浙江鳌江信息技术有限公司", "title": "正高级工程师",
        "phone": "13700001111"})
    assert proposed.status_code == 201, proposed.text
    body = proposed.json()
    assert body["changes"]["phone"] == "137****1111" and body["current"]["unit_uscc"] == EMPLOYER
    unchanged = (await experts_client.get(f"/api/v1/experts/{expert['code']}", headers=admin(minter))).json()
    assert unchanged["unit_uscc"] == EMPLOYER  # nothing changes before the review
    approved = await experts_client.post(f"/api/v1/expert-change-requests/{body['number']}/approve",
                                         json={"reason": "单位证明已核实"}, headers=admin(minter))
    assert approved.status_code == 200, approved.text
    after = (await experts_client.get(f"/api/v1/experts/{expert['code']}", headers=admin(minter))).json()
    assert (after["unit_uscc"], after["title"]) == (OTHER_UNIT, "正高级工程师")
    assert after["personal_data"]["phone"] == "13700001111"
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    assert [(f["unit_uscc"], f["ended_on"]) for f in after["former_employers"]] == [(EMPLOYER, today)]
    actions = [e["action"] for e in await audit_entries(experts_client, minter, object_id=expert["code"])]
    assert {"expert_change.proposed", "expert_change.approved"} <= set(actions)


async def test_the_day_the_old_employer_was_left_can_be_given(experts_client, minter) -> None:
    expert, me = await _linked_expert(experts_client, minter)
    number = (await experts_client.post("/api/v1/experts/me/change-requests", headers=me, json={
        "unit_uscc": OTHER_UNIT, "unit_name": "浙江鳌江信息技术有限公司", "left_on": "2026-01-15"})).json()["number"]
    await experts_client.post(f"/api/v1/expert-change-requests/{number}/approve", json={"left_on": "2026-02-01"},
                              headers=admin(minter))
    after = (await experts_client.get(f"/api/v1/experts/{expert['code']}", headers=admin(minter))).json()
    assert [(f["unit_uscc"], f["ended_on"]) for f in after["former_employers"]] == [(EMPLOYER, "2026-02-01")]


async def test_a_rejected_change_changes_nothing_and_bad_changes_are_refused(experts_client, minter) -> None:
    expert, me = await _linked_expert(experts_client, minter)
    for body, field in (({}, "changes"), ({"unit_uscc": OTHER_UNIT}, "unit_name"), ({"phone": "x1"}, "phone"),
                        ({"fields": [{"code": "APP"}]}, "fields"), ({"title": "x", "left_on": "2020-01-01"}, "left_on"),
                        ({"fields": [{"code": "NOPE", "primary": True}]}, "fields[0].code")):
        refused = await experts_client.post("/api/v1/experts/me/change-requests", headers=me, json=body)
        assert refused.status_code == 422, body
        assert field in {error["field"] for error in refused.json()["errors"]}, refused.text
    number = (await experts_client.post("/api/v1/experts/me/change-requests", headers=me,
                                        json={"title": "教授"})).json()["number"]
    rejected = await experts_client.post(f"/api/v1/expert-change-requests/{number}/reject",
                                         json={"reason": "职称证书未提供"}, headers=admin(minter))
    assert rejected.status_code == 200 and rejected.json()["decision_reason"] == "职称证书未提供"
    after = (await experts_client.get(f"/api/v1/experts/{expert['code']}", headers=admin(minter))).json()
    assert after["title"] == expert["title"]
    mine = (await experts_client.get("/api/v1/experts/me/change-requests", headers=me)).json()["items"]
    assert [(item["number"], item["status"]) for item in mine] == [(number, "rejected")]
    async with direct_database(experts_client) as database, database.reading() as session:
        assert len((await session.execute(select(ExpertChangeRequest))).scalars().all()) == 1


async def test_an_approval_refused_midway_writes_nothing(experts_client, minter) -> None:
    await experts_client.post("/api/v1/fields", headers=admin(minter),
                              json={"code": "GONE", "name_zh": "停用领域", "name_en": "Gone"})
    await apply(experts_client, minter, fields=[{"code": "GONE", "primary": True}])
    await experts_client.patch("/api/v1/fields/GONE", json={"retired": True}, headers=admin(minter))
    refused = await experts_client.post("/api/v1/expert-applications/SQ000001/approve", json={},
                                        headers=admin(minter))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "fields[0].code"
    assert (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()["total"] == 0
    still = (await experts_client.get("/api/v1/expert-applications/SQ000001", headers=admin(minter))).json()
    assert still["status"] == "pending" and still["expert_code"] is None
    actions = [e["action"] for e in await audit_entries(experts_client, minter, object_id="SQ000001")]
    assert actions == ["expert_application.submitted"]


async def test_a_person_entering_the_pool_meanwhile_is_named_in_the_queue_and_at_approval(
        experts_client, minter) -> None:
    id_number = valid_id_number(dt.date(1982, 5, 1))
    await apply(experts_client, minter, id_number=id_number)
    expert = await create_expert(experts_client, minter, id_number=id_number, birth_date="1982-05-01")
    queue = (await experts_client.get("/api/v1/expert-applications", headers=admin(minter))).json()
    assert queue["items"][0]["duplicate_of"] == expert["code"]
    refused = await experts_client.post("/api/v1/expert-applications/SQ000001/approve", json={},
                                        headers=admin(minter))
    assert refused.status_code == 409 and refused.json()["params"] == {"expert": expert["code"]}
    assert refused.json()["errors"][0]["field"] == "id_number"
    assert id_number not in refused.text


async def test_the_application_keeps_its_personal_data_sealed(experts_client, minter) -> None:
    id_number = valid_id_number(dt.date(1982, 5, 1))
    await apply(experts_client, minter, id_number=id_number, phone="13812340000")
    async with direct_database(experts_client) as database, database.reading() as session:
        stored = (await session.execute(select(ExpertApplication))).scalar_one()
    columns = " ".join(str(value) for value in vars(stored).values())
    assert id_number not in columns and "13812340000" not in columns
    assert stored.id_number_index and stored.receipt_digest


async def test_two_admins_deciding_at_once_decide_once(experts_client, minter) -> None:
    await apply(experts_client, minter)
    path = "/api/v1/expert-applications/SQ000001/"
    answers = await asyncio.gather(
        experts_client.post(path + "approve", json={}, headers=admin(minter)),
        experts_client.post(path + "reject", json={"reason": "重复"}, headers=admin(minter)),
        experts_client.post(path + "approve", json={}, headers=admin(minter)))
    assert sorted(answer.status_code for answer in answers) == [200, 409, 409]
    approved = sum(answer.status_code == 200 and answer.json()["status"] == "approved" for answer in answers)
    pool = (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()["total"]
    assert pool == approved  # an expert only when the approval was the decision
    actions = [e["action"] for e in await audit_entries(experts_client, minter, object_id="SQ000001")]
    assert len(actions) == 2
