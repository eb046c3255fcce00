"""The pool: profiles with pool numbers, at most 3 fields, status changes, the filtered list."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.experts.helpers import (
    EMPLOYER,
    OTHER_UNIT,
    admin,
    audit_entries,
    create_expert,
    profile,
    valid_id_number,
)


async def test_creating_assigns_the_next_pool_number_and_keeps_the_whole_profile(experts_client, minter) -> None:
    first = await create_expert(experts_client, minter)
    second = await create_expert(experts_client, minter, name="李敏", fields=[
        {"code": "NET.MR", "primary": True}, {"code": "SEC"}, {"code": "DATA"}],
        former_employers=[{"unit_uscc": OTHER_UNIT, "unit_name": "浙江鳌江信息技术有限公司",
                           "started_on": "2010-03-01", "ended_on": "2023-06-30"}],
        certificates=[{"name": "CISP", "expires_on": "2028-01-31"}],
        bad_conduct_records=[{"occurred_on": "2019-05-01", "description": "评审迟到"}])
    assert (first["code"], second["code"]) == ("E00001", "E00002")
    read = (await experts_client.get("/api/v1/experts/E00002", headers=minter.headers("experts", "organiser"))).json()
    assert read["fields"] == [{"code": "NET.MR", "primary": True}, {"code": "DATA", "primary": False},
                              {"code": "SEC", "primary": False}]
    assert read["former_employers"][0]["ended_on"] == "2023-06-30"
    assert read["certificates"] == [{"name": "CISP", "expires_on": "2028-01-31"}]
    assert read["bad_conduct_records"] == [{"occurred_on": "2019-05-01", "description": "评审迟到"}]
    assert read["status"] == "active" and read["trained_until"]
    entries = await audit_entries(experts_client, minter, object_id="E00002")
    assert [entry["action"] for entry in entries] == ["expert.created"]


async def test_personal_data_is_masked_for_everyone_but_bureau_admins(experts_client, minter) -> None:
    id_number = valid_id_number()
    created = await create_expert(experts_client, minter, id_number=id_number)
    masked = {"phone": "139****5678", "id_number": "*" * 14 + id_number[-4:],
              "bank_account": "**** **** **** 0123"}
    for role in ("organiser", "supervisor", "auditor", "service"):
        detail = (await experts_client.get(f"/api/v1/experts/{created['code']}",
                                           headers=minter.headers("experts", role))).json()
        assert (detail["personal_data"], detail["personal_data_masked"]) == (masked, True)
    assert created["personal_data"] == masked  # the answer to the create as well
    entries = await audit_entries(experts_client, minter, object_id=created["code"])
    assert [entry["action"] for entry in entries] == ["expert.created"]  # nothing was shown whole


async def test_a_bureau_admin_sees_personal_data_whole_and_the_showing_is_audited(experts_client, minter) -> None:
    id_number = valid_id_number()
    created = await create_expert(experts_client, minter, id_number=id_number.lower(), bank_account=None)
    shown = (await experts_client.get(f"/api/v1/experts/{created['code']}", headers=admin(minter))).json()
    assert shown["personal_data"] == {"phone": "13912345678", "id_number": id_number, "bank_account": None}
    assert shown["personal_data_masked"] is False
    entries = await audit_entries(experts_client, minter, object_id=created["code"])
    assert (entries[0]["action"], entries[0]["actor"]) == ("personal_data.unmasked", "user:admin")
    assert entries[0]["details"] == {"fields": ["phone", "id_number"]}
    assert "13912345678" not in json.dumps(entries) and id_number not in json.dumps(entries)
    listed = await experts_client.get("/api/v1/experts", headers=admin(minter))
    assert "13912345678" not in listed.text  # lists carry no personal data at all


async def test_a_bureau_admin_may_read_an_expert_masked_and_nothing_is_logged(experts_client, minter) -> None:
    id_number = valid_id_number()
    created = await create_expert(experts_client, minter, id_number=id_number)
    read = await experts_client.get(f"/api/v1/experts/{created['code']}", params={"masked": "true"},
                                    headers=admin(minter))
    assert read.status_code == 200
    assert (read.json()["personal_data"]["phone"], read.json()["personal_data_masked"]) == ("139****5678", True)
    assert id_number not in read.text
    entries = await audit_entries(experts_client, minter, object_id=created["code"])
    assert [entry["action"] for entry in entries] == ["expert.created"]
    refused = await experts_client.get(f"/api/v1/experts/{created['code']}", params={"masked": "perhaps"},
                                       headers=admin(minter))
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["masked"]


async def test_the_same_id_number_twice_is_a_409_and_writes_nothing(experts_client, minter) -> None:
    id_number = valid_id_number()
    await create_expert(experts_client, minter, id_number=id_number)
    # Written another way (lower-case x, full-width digits) it is still the same person.
    again = await experts_client.post("/api/v1/experts", json=profile(id_number=f" {id_number} "),
                                      headers=admin(minter))
    assert again.status_code == 409
    assert again.json()["code"] == "expert.id_number_taken"
    assert again.json()["errors"] == [{"field": "id_number", "code": "expert.id_number_taken",
                                       "message": "already in the pool", "params": {}, "source": "body"}]
    assert id_number not in again.text
    listed = (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()
    assert listed["total"] == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"id_number": "330326198001010010"}, "id_number"),
    ({"unit_uscc": "91330326MA2CT8U6X1"}, "unit_uscc"),
    ({"phone": "call me"}, "phone"),
    ({"bank_account": "12"}, "bank_account"),
    ({"birth_date": "2020-01-01"}, "birth_date"),
    ({"fields": [{"code": "APP", "primary": True}, {"code": "SEC"}, {"code": "DC"}, {"code": "DATA"}]}, "fields"),
    ({"fields": [{"code": "APP"}, {"code": "SEC"}]}, "fields"),
    ({"fields": [{"code": "APP", "primary": True}, {"code": "APP"}]}, "fields[1].code"),
    ({"fields": [{"code": "NOPE", "primary": True}]}, "fields[0].code"),
    ({"years_in_field": -1}, "years_in_field"),
    ({"former_employers": [{"unit_uscc": OTHER_UNIT, "unit_name": "某公司", "started_on": "2020-01-01",
                            "ended_on": "2019-01-01"}]}, "former_employers[0].ended_on"),
    ({"surprise": True}, "surprise"),
])
async def test_bad_profiles_name_the_field_and_write_nothing(experts_client, minter, changes, field) -> None:
    response = await experts_client.post("/api/v1/experts", json=profile(**changes), headers=admin(minter))
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert "330326198001010010" not in response.text  # an ID number is never echoed
    assert (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()["total"] == 0


async def test_patch_changes_only_what_is_given_and_is_audited(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter)
    changed = await experts_client.patch(f"/api/v1/experts/{created['code']}",
                                         json={"title": "正高级工程师", "phone": "13800001111", "bank_account": None},
                                         headers=admin(minter))
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["title"] == "正高级工程师" and body["name"] == created["name"]
    assert body["personal_data"] == {**created["personal_data"], "phone": "138****1111", "bank_account": None}
    entries = await audit_entries(experts_client, minter, object_id=created["code"])
    assert entries[0]["action"] == "expert.updated"
    assert entries[0]["details"] == {"personal_data_changed": ["phone", "bank_account"]}
    assert entries[0]["before_digest"] != entries[0]["after_digest"]


async def test_a_new_employer_keeps_the_old_one_among_the_former_employers(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter)
    renamed = await experts_client.patch(f"/api/v1/experts/{created['code']}", json={"unit_name": "平阳县数据局"},
                                         headers=admin(minter))
    assert renamed.json()["former_employers"] == []  # a new name for the same employer is no move
    moved = await experts_client.patch(f"/api/v1/experts/{created['code']}", headers=admin(minter),
                                       json={"unit_uscc": OTHER_UNIT, "unit_name": "浙江鳌江信息技术有限公司"})
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    assert [(f["unit_uscc"], f["unit_name"], f["ended_on"]) for f in moved.json()["former_employers"]] == [
        (EMPLOYER, "平阳县数据局", today)]
    # Given with the change, the former employers are the ones given.
    given = await experts_client.patch(f"/api/v1/experts/{created['code']}", headers=admin(minter), json={
        "unit_uscc": EMPLOYER, "unit_name": "平阳县大数据发展管理局", "former_employers": []})
    assert given.json()["former_employers"] == []


async def test_only_bureau_admins_change_the_pool(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter)
    for role in ("organiser", "supervisor", "auditor", "service", "expert"):
        headers = minter.headers("experts", role)
        assert (await experts_client.post("/api/v1/experts", json=profile(), headers=headers)).status_code == 403
        assert (await experts_client.patch(f"/api/v1/experts/{created['code']}", json={"title": "x"},
                                           headers=headers)).status_code == 403
    assert (await experts_client.get("/api/v1/experts", headers=minter.headers("experts", "vendor"))).status_code == 403


async def test_status_changes_need_a_reason_and_suspensions_an_end_date(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter)
    url = f"/api/v1/experts/{created['code']}/status"
    no_reason = await experts_client.put(url, json={"status": "retired"}, headers=admin(minter))
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    no_date = await experts_client.put(url, json={"status": "suspended", "reason": "连续两次缺席"},
                                       headers=admin(minter))
    assert no_date.status_code == 422 and no_date.json()["errors"][0]["field"] == "suspended_until"
    until = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    suspended = await experts_client.put(url, json={"status": "suspended", "reason": "连续两次缺席",
                                                    "suspended_until": until}, headers=admin(minter))
    assert suspended.status_code == 200
    assert (suspended.json()["status"], suspended.json()["suspended_until"]) == ("suspended", until)
    assert suspended.json()["status_reason"] == "连续两次缺席" and suspended.json()["status_changed_on"]
    # The pool list says until when, so the console can show it beside the status.
    listed = (await experts_client.get("/api/v1/experts", params={"q": created["code"]}, headers=admin(minter))).json()
    assert [(e["status"], e["suspended_until"]) for e in listed["items"]] == [("suspended", until)]
    retired = await experts_client.put(url, json={"status": "retired", "reason": "本人申请"}, headers=admin(minter))
    assert retired.json()["suspended_until"] is None
    entries = await audit_entries(experts_client, minter, object_id=created["code"])
    assert [(e["details"]["from"], e["details"]["to"]) for e in entries if e["action"] == "expert.status_changed"] == [
        ("suspended", "retired"), ("active", "suspended")]
    # Nothing is deleted: a retired expert is still in the pool.
    assert (await experts_client.get(url.removesuffix("/status"), headers=admin(minter))).status_code == 200


async def test_bad_conduct_records_are_only_added(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter)
    added = await experts_client.post(f"/api/v1/experts/{created['code']}/bad-conduct",
                                      json={"occurred_on": "2025-04-01", "description": "泄露评审信息"},
                                      headers=admin(minter))
    assert added.status_code == 201
    assert added.json()["bad_conduct_records"] == [{"occurred_on": "2025-04-01", "description": "泄露评审信息"}]
    replace = await experts_client.patch(f"/api/v1/experts/{created['code']}", json={"bad_conduct_records": []},
                                         headers=admin(minter))
    assert replace.status_code == 422


async def test_the_list_filters_sorts_and_pages(experts_client, minter) -> None:
    old_training = (dt.date.today() - dt.timedelta(days=500)).isoformat()
    await create_expert(experts_client, minter, name="赵一", fields=[{"code": "NET.BI", "primary": True}])
    await create_expert(experts_client, minter, name="钱二", unit_uscc=OTHER_UNIT, unit_name="浙江瓯越软件有限公司",
                        last_trained_on=old_training, years_in_field=30)
    third = await create_expert(experts_client, minter, name="孙三", years_in_field=3,
                                fields=[{"code": "SEC", "primary": True}, {"code": "NET.BI"}])
    until = (dt.date.today() + dt.timedelta(days=9)).isoformat()
    await experts_client.put(f"/api/v1/experts/{third['code']}/status",
                             json={"status": "suspended", "reason": "r", "suspended_until": until},
                             headers=admin(minter))

    async def codes(**params: object) -> list[str]:
        response = await experts_client.get("/api/v1/experts", params=params, headers=admin(minter))
        assert response.status_code == 200, response.text
        return [item["code"] for item in response.json()["items"]]

    assert await codes(field="NET.BI") == ["E00001", "E00003"]
    assert await codes(status="suspended") == ["E00003"]
    assert await codes(unit=EMPLOYER) == ["E00001", "E00003"]
    assert await codes(trained="false") == ["E00002"]
    assert await codes(trained="true") == ["E00001", "E00003"]
    assert await codes(q="瓯越") == ["E00002"]
    assert await codes(q="孙") == ["E00003"]
    assert await codes(sort="-years_in_field") == ["E00002", "E00001", "E00003"]
    assert await codes(page=2, page_size=2) == ["E00003"]
    page = (await experts_client.get("/api/v1/experts", params={"page_size": 2}, headers=admin(minter))).json()
    assert (page["total"], page["page"], page["page_size"]) == (3, 1, 2)
    assert "personal_data" not in page["items"][0]
    bad = await experts_client.get("/api/v1/experts", params={"sort": "birth_date"}, headers=admin(minter))
    assert bad.status_code in {400, 422}


async def test_an_unknown_pool_number_is_404(experts_client, minter) -> None:
    response = await experts_client.get("/api/v1/experts/E99999", headers=admin(minter))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
