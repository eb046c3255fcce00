"""The vendor registry: USCC checked and unique, former names kept, the legal representative's ID
number encrypted and masked, qualifications with expiry, related parties, field-level errors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.clock import beijing_today
from tests.vendors.conftest import OTHER_UNIT, THIRD_UNIT, VendorsApi, valid_id_number


async def test_create_then_read_masks_the_id_number_except_for_bureau_admins(api: VendorsApi) -> None:
    id_number = valid_id_number(1)
    uscc = await api.vendor(legal_representative={"name": "陈建国", "id_number": id_number},
                            qualifications=[{"name": "信息系统建设和服务能力等级证书", "certificate_number": "CS3-001",
                                             "valid_until": "2020-01-01"},
                                            {"name": "ISO 27001", "certificate_number": "ISMS-9"}])
    as_rater = (await api.client.get(f"/api/v1/vendors/{uscc}", headers=api.headers("rater"))).json()
    assert as_rater["legal_representative"] == {"name": "陈建国", "id_number": "*" * 14 + id_number[-4:],
                                                "id_number_masked": True}
    assert [q["expired"] for q in as_rater["qualifications"]] == [True, False]
    assert "personal_data.unmasked" not in await api.audit_actions()

    asked_masked = (await api.client.get(f"/api/v1/vendors/{uscc}", params={"masked": "true"},
                                         headers=api.admin)).json()
    assert asked_masked["legal_representative"] == as_rater["legal_representative"]
    assert "personal_data.unmasked" not in await api.audit_actions()  # an admin's masked read logs nothing

    as_admin = (await api.client.get(f"/api/v1/vendors/{uscc}", headers=api.admin)).json()
    assert as_admin["legal_representative"]["id_number"] == id_number
    assert (await api.audit_actions())[-1] == "personal_data.unmasked"

    listed = (await api.client.get("/api/v1/vendors", headers=api.admin)).json()
    assert listed["items"][0]["legal_representative"]["id_number_masked"] is True


async def test_the_id_number_is_not_stored_in_plaintext(api: VendorsApi) -> None:
    id_number = valid_id_number(2)
    uscc = await api.vendor(legal_representative={"name": "林海燕", "id_number": id_number})
    # The app's engine belongs to the test client's event loop; read the table through one of our own.
    engine = create_async_engine(api.client.app.state.database.engine.url)
    async with engine.connect() as connection:
        row = (await connection.execute(text(
            "SELECT legal_representative_id_token, legal_representative_id_index FROM vendors WHERE uscc = :u"),
            {"u": uscc})).one()
    await engine.dispose()
    assert id_number not in " ".join(row) and id_number[6:14] not in row[0]
    audit = (await api.client.get("/api/v1/audit", headers=api.headers("auditor"))).json()
    assert id_number not in json.dumps(audit)


async def test_a_duplicate_uscc_is_refused(api: VendorsApi) -> None:
    uscc = await api.vendor()
    again = await api.client.post("/api/v1/vendors", json={"uscc": uscc, "name": "另一家"}, headers=api.admin)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/conflict"


async def test_renaming_keeps_the_former_name_as_an_alias(api: VendorsApi) -> None:
    uscc = await api.vendor(name="浙江旧名信息技术有限公司")
    response = await api.client.patch(f"/api/v1/vendors/{uscc}", json={"name": "浙江新名数字科技有限公司"},
                                      headers=api.admin)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "浙江新名数字科技有限公司"
    assert [alias["name"] for alias in response.json()["aliases"]] == ["浙江旧名信息技术有限公司"]
    found = (await api.client.get("/api/v1/vendors", params={"q": "旧名"}, headers=api.admin)).json()
    assert [item["uscc"] for item in found["items"]] == [uscc]
    assert (await api.audit_actions())[-1] == "vendor.updated"


async def test_a_patch_that_changes_nothing_writes_no_audit_entry(api: VendorsApi) -> None:
    uscc = await api.vendor(name="浙江不变有限公司")
    before = await api.audit_actions()
    response = await api.client.patch(f"/api/v1/vendors/{uscc}", json={"name": "浙江不变有限公司"},
                                      headers=api.admin)
    assert response.status_code == 200
    assert await api.audit_actions() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"uscc": "91330326MA2CT8U6X1", "name": "校验位错"}, "uscc"),
    ({"uscc": "91330326MA2CT8U6X", "name": "太短"}, "uscc"),
    ({"uscc": "913303267395011234", "name": "x", "legal_representative": {"name": "张三", "id_number": "123"}},
     "legal_representative.id_number"),
    ({"uscc": "913303267395011234", "name": "x", "status": "closed"}, "status"),
    ({"uscc": "913303267395011234", "name": ""}, "name"),
    ({"uscc": "913303267395011234", "name": "x", "qualifications": [{"name": "a"}]},
     "qualifications[0].certificate_number"),
])
async def test_bad_vendor_input_names_the_field_and_writes_nothing(api: VendorsApi, body: dict[str, object],
                                                                   field: str) -> None:
    response = await api.client.post("/api/v1/vendors", json=body, headers=api.admin)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert (await api.client.get("/api/v1/vendors", headers=api.admin)).json()["total"] == 0


async def test_relations_and_the_same_legal_representative_show_on_the_vendor(api: VendorsApi) -> None:
    person = {"name": "王志强", "id_number": valid_id_number(28)}  # ends in X
    parent = await api.vendor(name="母公司", legal_representative=person)
    child = await api.vendor(name="子公司")
    same_person = {**person, "id_number": person["id_number"].lower()}  # matched after normalising
    sibling = await api.vendor(name="同法人公司", legal_representative=same_person)
    response = await api.client.post(f"/api/v1/vendors/{parent}/relations", headers=api.admin, json={
        "related_uscc": child, "kind": "controlling", "source": "国家企业信用信息公示系统",
        "valid_from": "2024-01-01"})
    assert response.status_code == 201, response.text
    detail = (await api.client.get(f"/api/v1/vendors/{child}", headers=api.headers("auditor"))).json()
    assert [(r["controlling_uscc"], r["controlled_uscc"], r["kind"]) for r in detail["relations"]] == [
        (parent, child, "controlling")]
    assert (await api.client.get(f"/api/v1/vendors/{parent}", headers=api.headers("auditor"))).json()[
        "same_legal_representative"] == [sibling]


async def test_a_relation_to_an_unregistered_vendor_is_a_field_error(api: VendorsApi) -> None:
    parent = await api.vendor()
    response = await api.client.post(f"/api/v1/vendors/{parent}/relations", headers=api.admin, json={
        "related_uscc": api.new_uscc(), "kind": "management", "source": "工商登记", "valid_from": "2024-01-01"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "related_uscc"


@pytest.mark.parametrize("role", ["procurement_officer", "rater", "auditor", "vendor", "service"])
async def test_only_bureau_admins_change_the_registry(api: VendorsApi, role: str) -> None:
    response = await api.client.post("/api/v1/vendors", json={"uscc": api.new_uscc(), "name": "x"},
                                     headers=api.headers(role))
    assert response.status_code == 403


async def test_an_unknown_vendor_is_404(api: VendorsApi) -> None:
    response = await api.client.get(f"/api/v1/vendors/{api.new_uscc()}", headers=api.admin)
    assert response.status_code == 404


# --- registry upkeep: engagements corrected, ended, voided; no duplicates; exclusions shown -------

ENGAGEMENTS = "/api/v1/projects/PY-2027-001/engagements"


async def audit_entries(api: VendorsApi, action: str) -> list[dict[str, Any]]:
    page = (await api.client.get("/api/v1/audit", params={"page_size": 200}, headers=api.headers("auditor"))).json()
    return [item for item in page["items"] if item["action"] == action]


async def listed_engagements(api: VendorsApi) -> list[dict[str, Any]]:
    response = await api.client.get(ENGAGEMENTS, headers=api.admin)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_engagement_is_corrected_and_ended_with_before_and_after_in_the_audit(api: VendorsApi) -> None:
    project, uscc = await api.project(), await api.vendor()
    recorded = await api.engage(project, uscc, "construction", "L2")
    response = await api.client.patch(f"{ENGAGEMENTS}/{recorded['id']}", headers=api.admin,
                                      json={"amount_fen": 46_500_000, "ended_on": "2026-11-30"})
    assert response.status_code == 200, response.text
    corrected = response.json()
    assert (corrected["amount_fen"], corrected["ended_on"], corrected["voided"]) == (46_500_000, "2026-11-30", False)
    assert await listed_engagements(api) == [corrected]
    [entry] = await audit_entries(api, "engagement.corrected")
    assert (entry["object_type"], entry["object_id"]) == ("engagement", str(recorded["id"]))
    assert entry["before_digest"] and entry["after_digest"] and entry["before_digest"] != entry["after_digest"]
    assert entry["details"]["changed"] == ["ended_on", "amount_fen"]
    unchanged = await api.client.patch(f"{ENGAGEMENTS}/{recorded['id']}", headers=api.admin,
                                       json={"amount_fen": 46_500_000})
    assert unchanged.status_code == 200 and len(await audit_entries(api, "engagement.corrected")) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"ended_on": "2025-12-31"}, "ended_on"), ({"lot_code": "L9"}, "lot_code"), ({"amount_fen": -1}, "amount_fen"),
    ({"role": "painter"}, "role"), ({"vendor_uscc": "91330326526018159K"}, "vendor_uscc"),
])
async def test_bad_corrections_name_the_field_and_change_nothing(api: VendorsApi, body: dict[str, Any],
                                                                 field: str) -> None:
    project, uscc = await api.project(), await api.vendor()
    recorded = await api.engage(project, uscc, "construction", "L2")
    response = await api.client.patch(f"{ENGAGEMENTS}/{recorded['id']}", headers=api.admin, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in response.json()["errors"]]
    assert await listed_engagements(api) == [recorded]
    missing = await api.client.patch(f"{ENGAGEMENTS}/999999", headers=api.admin, json={"amount_fen": 1})
    assert missing.status_code == 404


async def test_a_void_engagement_stays_readable_and_counts_in_no_check(api: VendorsApi) -> None:
    project, designer = await api.project(), await api.vendor()
    recorded = await api.engage(project, designer, "overall_design", "L1")
    assert api.verdicts(await api.check(project, "L2", [designer]))[designer]["verdict"] == "barred"

    blank = await api.client.post(f"{ENGAGEMENTS}/{recorded['id']}/void", headers=api.admin, json={"reason": " "})
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "reason"
    response = await api.client.post(f"{ENGAGEMENTS}/{recorded['id']}/void", headers=api.admin,
                                     json={"reason": "供应商录入错误，应为另一家公司"})
    assert response.status_code == 201, response.text
    [shown] = await listed_engagements(api)
    assert (shown["id"], shown["voided"]) == (recorded["id"], True)
    assert shown["void_reason"] == "供应商录入错误，应为另一家公司"
    assert shown["voided_at"] is not None

    assert api.verdicts(await api.check(project, "L2", [designer]))[designer]["verdict"] == "allowed"
    barred = (await api.client.get(f"/api/v1/projects/{project}/barred-list", headers=api.admin)).json()
    # The void design engagement bars nothing; what remains is Art. 29 read the other way: the check just
    # allowed the vendor as a bidder for L2, so it may not now oversee that work (design L1, supervision L3).
    assert [(e["lot_code"], e["reason"], e["params"]["roles"], e["params"]["bid_lots"]) for e in barred["entries"]] == [
        ("L1", "other_procurement", [], ["L2"]), ("L3", "other_procurement", [], ["L2"])]
    involved = (await api.client.get(f"/api/v1/projects/{project}/involved-vendors", headers=api.admin)).json()
    assert designer not in [item["uscc"] for item in involved if "engaged as overall_design" in item["reasons"]]
    again = await api.client.post(f"{ENGAGEMENTS}/{recorded['id']}/void", headers=api.admin, json={"reason": "再次"})
    assert again.status_code == 409
    late = await api.client.patch(f"{ENGAGEMENTS}/{recorded['id']}", headers=api.admin, json={"amount_fen": 1})
    assert late.status_code == 409
    [entry] = await audit_entries(api, "engagement.voided")
    assert entry["before_digest"] != entry["after_digest"] and entry["details"]["reason"].startswith("供应商")


async def test_an_identical_engagement_posted_twice_is_a_409_not_a_second_row(api: VendorsApi) -> None:
    project, uscc = await api.project(), await api.vendor()
    first = await api.engage(project, uscc, "supervision", "L3")
    body = {"vendor_uscc": uscc, "role": "supervision", "lot_code": "L3", "started_on": "2026-01-05",
            "amount_fen": 48_000_000}
    twice = await api.client.post(ENGAGEMENTS, json=body, headers=api.admin)
    assert twice.status_code == 409, twice.text
    assert twice.json()["engagement_id"] == first["id"]
    assert await listed_engagements(api) == [first]
    # A correction that would make two rows identical is refused the same way.
    second = await api.engage(project, uscc, "supervision", "L3", amount_fen=1)
    same = await api.client.patch(f"{ENGAGEMENTS}/{second['id']}", json={"amount_fen": 48_000_000}, headers=api.admin)
    assert same.status_code == 409
    # Once the first is void, the same engagement may be recorded again.
    await api.client.post(f"{ENGAGEMENTS}/{first['id']}/void", headers=api.admin, json={"reason": "重复录入"})
    assert (await api.client.post(ENGAGEMENTS, json=body, headers=api.admin)).status_code == 201


async def test_only_engagement_writers_correct_and_void_and_an_officer_only_on_its_units_projects(
        api: VendorsApi) -> None:
    project, uscc = await api.project(owner_unit=OTHER_UNIT), await api.vendor()
    recorded = await api.engage(project, uscc, "construction", "L2")
    for headers in (api.headers("procurement_officer", unit=THIRD_UNIT), api.headers("rater", unit=OTHER_UNIT),
                    api.headers("auditor")):
        patched = await api.client.patch(f"{ENGAGEMENTS}/{recorded['id']}", json={"amount_fen": 1}, headers=headers)
        voided = await api.client.post(f"{ENGAGEMENTS}/{recorded['id']}/void", json={"reason": "x"}, headers=headers)
        assert (patched.status_code, voided.status_code) == (403, 403)
    own = api.headers("procurement_officer", unit=OTHER_UNIT)
    assert (await api.client.patch(f"{ENGAGEMENTS}/{recorded['id']}", json={"amount_fen": 1},
                                   headers=own)).status_code == 200


async def test_a_vendor_under_an_active_exclusion_shows_as_excluded_in_the_list_and_its_page(api: VendorsApi,
                                                                                               ) -> None:
    excluded, later, lapsed, clean = [await api.vendor(name=f"浙江{n}科技有限公司") for n in "甲乙丙丁"]
    today = beijing_today()
    for uscc, starts, ends in ((excluded, today - dt.timedelta(days=30), today + dt.timedelta(days=300)),
                               (later, today + dt.timedelta(days=30), None),
                               (lapsed, today - dt.timedelta(days=400), today - dt.timedelta(days=35))):
        response = await api.client.post("/api/v1/exclusions", headers=api.admin, json={
            "uscc": uscc, "vendor_name": "某公司", "issuing_body": "平阳县财政局",
            "decision_number": "平财采〔2026〕1号", "scope": "全国范围内政府采购活动",
            "reason": "提供虚假材料谋取中标", "starts_on": starts.isoformat(), "ends_on": ends and ends.isoformat()})
        assert response.status_code == 201, response.text
    listed = {item["uscc"]: item for item in (await api.client.get(
        "/api/v1/vendors", headers=api.headers("procurement_officer"))).json()["items"]}
    assert {uscc: (item["excluded"], item["excluded_until"]) for uscc, item in listed.items()} == {
        excluded: (True, (today + dt.timedelta(days=300)).isoformat()), later: (False, None), lapsed: (False, None),
        clean: (False, None)}
    page = (await api.client.get(f"/api/v1/vendors/{excluded}", headers=api.headers("rater"))).json()
    assert (page["excluded"], page["status"]) == (True, "active")  # the registry status is the bureau's own


async def test_the_list_sorts_by_an_allowed_column_and_names_sort_for_any_other(api: VendorsApi) -> None:
    names = ("2号测试科技有限公司", "3号测试科技有限公司", "1号测试科技有限公司")
    registered = [await api.vendor(name) for name in names]

    async def listed(sort: str) -> list[str]:
        response = await api.client.get("/api/v1/vendors", params={"sort": sort, "page_size": 500}, headers=api.admin)
        assert response.status_code == 200, response.text
        return [item["uscc"] for item in response.json()["items"] if item["uscc"] in registered]

    by_name = [registered[2], registered[0], registered[1]]
    assert await listed("name") == by_name
    assert await listed("-name") == by_name[::-1]
    assert await listed("-uscc") == sorted(registered, reverse=True)
    assert await listed("uscc") == sorted(registered)
    refused = await api.client.get("/api/v1/vendors", params={"sort": "legal_representative_id_token"},
                                   headers=api.admin)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [(error["field"], error["code"], error["source"]) for error in refused.json()["errors"]] == [
        ("sort", "field.choice", "query")]


async def test_the_audit_log_sorts_by_an_allowed_column_and_names_sort_for_any_other(api: VendorsApi) -> None:
    uscc = await api.vendor()
    await api.client.get(f"/api/v1/vendors/{uscc}", headers=api.admin)  # personal_data.unmasked, after vendor.created

    async def entries(sort: str | None) -> list[tuple[int, str]]:
        params = {"page_size": 500, **({"sort": sort} if sort else {})}
        response = await api.client.get("/api/v1/audit", params=params, headers=api.headers("auditor"))
        assert response.status_code == 200, response.text
        return [(item["seq"], item["action"]) for item in response.json()["items"]]

    newest_first = await entries(None)
    assert [seq for seq, _ in newest_first] == sorted((seq for seq, _ in newest_first), reverse=True)
    assert await entries("-recorded_at") == newest_first
    assert await entries("recorded_at") == newest_first[::-1]
    by_action = await entries("action")
    assert [action for _, action in by_action] == sorted(action for _, action in newest_first)
    assert [action for _, action in await entries("-action")] == sorted((a for _, a in newest_first), reverse=True)
    refused = await api.client.get("/api/v1/audit", params={"sort": "details"}, headers=api.headers("auditor"))
    assert refused.status_code == 422
    assert [(error["field"], error["code"]) for error in refused.json()["errors"]] == [("sort", "field.choice")]


async def test_an_ended_engagement_posted_twice_is_a_409_and_the_first_is_on_the_record(api: VendorsApi) -> None:
    await api.project()  # PY-2027-001, which ENGAGEMENTS names
    uscc = await api.vendor()
    body = {"vendor_uscc": uscc, "role": "supervision", "lot_code": "L3", "started_on": "2026-01-05",
            "ended_on": "2026-06-30", "amount_fen": 48_000_000}
    first = await api.client.post(ENGAGEMENTS, json=body, headers=api.admin)
    assert first.status_code == 201, first.text
    twice = await api.client.post(ENGAGEMENTS, json=body, headers=api.admin)
    assert twice.status_code == 409 and twice.json()["engagement_id"] == first.json()["id"]
    [entry] = await audit_entries(api, "engagement.recorded")
    assert entry["object_id"] == str(first.json()["id"])
    # A USCC whose check character is wrong is named as such, not as an unknown vendor.
    wrong_check = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
    malformed = await api.client.post(ENGAGEMENTS, json={**body, "vendor_uscc": wrong_check}, headers=api.admin)
    assert malformed.status_code == 422
    [error] = malformed.json()["errors"]
    assert error["field"] == "vendor_uscc" and error["code"] != "vendor.no_such_uscc"


async def test_a_qualification_is_valid_all_of_its_last_day(api: VendorsApi) -> None:
    today = beijing_today()
    uscc = await api.vendor(qualifications=[
        {"name": "今日到期", "certificate_number": "Q-1", "valid_until": today.isoformat()},
        {"name": "昨日到期", "certificate_number": "Q-2", "valid_until": (today - dt.timedelta(days=1)).isoformat()}])
    shown = (await api.client.get(f"/api/v1/vendors/{uscc}", headers=api.headers("rater"))).json()
    assert [(q["name"], q["expired"]) for q in shown["qualifications"]] == [("今日到期", False), ("昨日到期", True)]
