"""Edges of the vendor registry, its spreadsheets and its demo data: the list filtered by status and
paged, related parties seen from both ends and no others, a legal representative added, restated or
removed by an edit, refused edits and relations, the audit entries of creates, relations and imports,
sheet rows with several problems, exports of bare vendors, and the demo registry `make run` loads.
Two product bugs found here are pinned (fixed with them): an enormous number in a date cell, and a refused USCC
hiding the row's other problems."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import false, select

import services.vendors.domain.vendors as registry
from services.vendors.demo import load_demo_data
from services.vendors.domain.spreadsheets import MASKED_ID_HEADER
from services.vendors.models import Vendor
from shared.audit.chain import change_digest
from shared.clock import beijing_today
from shared.db import Database
from shared.demo import bureau_unit, demo_projects, demo_vendors
from shared.identifiers import id_number_problem
from tests.vendors.conftest import VendorsApi, valid_id_number
from tests.vendors.test_exclusions import exclusion
from tests.vendors.test_spreadsheets import csv_file, import_entries, row, upload
from tests.vendors.test_vendor_registry import audit_entries


async def listed(api: VendorsApi, **params: Any) -> tuple[list[str], int]:
    response = await api.client.get("/api/v1/vendors", params=params, headers=api.admin)
    assert response.status_code == 200, response.text
    page = response.json()
    return [item["uscc"] for item in page["items"]], page["total"]


async def detail(api: VendorsApi, uscc: str) -> dict[str, Any]:
    response = await api.client.get(f"/api/v1/vendors/{uscc}", headers=api.admin)
    assert response.status_code == 200, response.text
    return response.json()

# The same seeds give the same county: the first demo vendor's legal representative, and who wrote the
# construction plan of PY-2026-001 for how much.
DEMO_FIRST_PERSON = ("林晓东", "330326198904260845")
DEMO_FIRST_PLAN = ("91330326832662272U", 39_000_000)


# --- the list: status filter, paging, ties ---------------------------------------------------------

async def test_the_list_filtered_by_status_shows_exactly_the_vendors_in_that_status(api: VendorsApi) -> None:
    active = await api.vendor("浙江正常科技有限公司")
    suspended = await api.vendor("浙江暂停科技有限公司", status="suspended")
    deregistered = await api.vendor("浙江注销科技有限公司", status="deregistered")
    other_suspended = await api.vendor("浙江又暂停科技有限公司", status="suspended")
    assert await listed(api, status="suspended") == (sorted([suspended, other_suspended]), 2)
    assert await listed(api, status="deregistered") == ([deregistered], 1)
    assert await listed(api, status="active") == ([active], 1)
    # Combined with a query: both must hold.
    assert await listed(api, status="suspended", q="又暂停") == ([other_suspended], 1)
    assert await listed(api) == (sorted([active, suspended, deregistered, other_suspended]), 4)


async def test_the_list_pages_in_uscc_order_and_counts_every_vendor_on_each_page(api: VendorsApi) -> None:
    registered = sorted([await api.vendor(f"浙江{n}号科技有限公司") for n in "一二三"])
    assert await listed(api, page=1, page_size=1) == ([registered[0]], 3)
    assert await listed(api, page=2, page_size=1) == ([registered[1]], 3)
    assert await listed(api, page=3, page_size=1) == ([registered[2]], 3)
    assert await listed(api, page=4, page_size=1) == ([], 3)
    assert await listed(api, page=2, page_size=2) == ([registered[2]], 3)


async def test_the_list_by_name_descending_breaks_ties_by_uscc_ascending(api: VendorsApi) -> None:
    twins = sorted([await api.vendor("浙江同名科技有限公司") for _ in range(3)])
    first = await api.vendor("浙江甲名科技有限公司")  # sorts after 同名 in code points
    assert "甲" > "同"
    assert await listed(api, sort="-name") == ([first, *twins], 4)
    assert await listed(api, sort="-name", page=2, page_size=2) == (twins[1:], 4)
    assert await listed(api, sort="name", page=1, page_size=2) == (twins[:2], 4)


# --- related parties --------------------------------------------------------------------------------

async def relate(api: VendorsApi, controlling: str, controlled: str, kind: str = "controlling") -> dict[str, Any]:
    response = await api.client.post(f"/api/v1/vendors/{controlling}/relations", headers=api.admin, json={
        "related_uscc": controlled, "kind": kind, "source": "国家企业信用信息公示系统", "valid_from": "2024-01-01"})
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_relation_shows_on_both_vendors_and_an_unrelated_one_on_neither(api: VendorsApi) -> None:
    parent, child, third, fourth, loner = [await api.vendor(f"浙江{n}公司") for n in ("母", "子", "丙", "丁", "独")]
    own = await relate(api, parent, child)
    other = await relate(api, third, fourth, kind="management")
    assert [r["id"] for r in (await detail(api, parent))["relations"]] == [own["id"]]
    assert [r["id"] for r in (await detail(api, child))["relations"]] == [own["id"]]
    assert [(r["controlling_uscc"], r["controlled_uscc"], r["kind"])
            for r in (await detail(api, parent))["relations"]] == [(parent, child, "controlling")]
    assert [(r["controlling_uscc"], r["controlled_uscc"], r["kind"])
            for r in (await detail(api, fourth))["relations"]] == [(third, fourth, "management")]
    assert [r["id"] for r in (await detail(api, third))["relations"]] == [other["id"]]
    alone = await detail(api, loner)
    # Five vendors without a legal representative do not share one.
    assert (alone["relations"], alone["same_legal_representative"]) == ([], [])


# --- the legal representative changed by an edit -------------------------------------------------------

async def test_an_edit_adding_a_legal_representative_stores_it_and_records_the_change(api: VendorsApi) -> None:
    uscc = await api.vendor("浙江无法人科技有限公司")
    id_number = valid_id_number(41)
    response = await api.client.patch(f"/api/v1/vendors/{uscc}", headers=api.admin,
                                      json={"legal_representative": {"name": "陈建国", "id_number": id_number}})
    assert response.status_code == 200, response.text
    assert response.json()["legal_representative"] == {"name": "陈建国", "id_number": "*" * 14 + id_number[-4:],
                                                       "id_number_masked": True}
    assert (await detail(api, uscc))["legal_representative"] == {"name": "陈建国", "id_number": id_number,
                                                                 "id_number_masked": False}
    [entry] = await audit_entries(api, "vendor.updated")
    assert (entry["object_id"], entry["details"]) == (uscc, {"changed": ["legal_representative"]})
    assert entry["before_digest"] != entry["after_digest"]


async def test_an_edit_restating_the_legal_representative_changes_nothing(api: VendorsApi) -> None:
    id_number = valid_id_number(42)
    uscc = await api.vendor(legal_representative={"name": "林海燕", "id_number": id_number})
    for restated in (id_number, id_number.lower()):
        response = await api.client.patch(f"/api/v1/vendors/{uscc}", headers=api.admin,
                                          json={"legal_representative": {"name": "林海燕", "id_number": restated}})
        assert response.status_code == 200, response.text
    assert await audit_entries(api, "vendor.updated") == []


async def test_an_edit_removing_the_legal_representative_clears_it_once(api: VendorsApi) -> None:
    id_number = valid_id_number(43)
    uscc = await api.vendor(legal_representative={"name": "王志强", "id_number": id_number})
    for _ in range(2):  # the second removal finds nothing to remove
        response = await api.client.patch(f"/api/v1/vendors/{uscc}", headers=api.admin,
                                          json={"legal_representative": None})
        assert response.status_code == 200, response.text
        assert response.json()["legal_representative"] is None
    assert (await detail(api, uscc))["legal_representative"] is None
    [entry] = await audit_entries(api, "vendor.updated")
    assert entry["details"] == {"changed": ["legal_representative"]}
    # Nothing was there to unmask, so reading it logged no unmasking.
    assert await audit_entries(api, "personal_data.unmasked") == []


async def test_a_sheet_adding_a_legal_representative_to_a_registered_vendor_updates_it(api: VendorsApi) -> None:
    uscc = await api.vendor("浙江无法人科技有限公司")
    id_number = valid_id_number(44)
    report = (await upload(api, csv_file([row(uscc, "浙江无法人科技有限公司", 法定代表人="陈建国",
                                                法定代表人身份证号=id_number)]), "a.csv")).json()
    assert (report["updated"], report["unchanged"], report["errors"]) == (1, 0, [])
    assert (await detail(api, uscc))["legal_representative"]["id_number"] == id_number
    [entry] = await import_entries(api)
    assert entry["details"] == {"created": [], "updated": {uscc: ["legal_representative"]}}


# --- edits and relations refused, and what the audit log keeps of creates and relations ----------------

async def test_an_edit_with_a_bad_id_number_or_a_certificate_twice_is_refused_and_changes_nothing(
        api: VendorsApi) -> None:
    uscc = await api.vendor("浙江原样有限公司", qualifications=[{"name": "ISO 9001", "certificate_number": "Q-1"}])
    id_number = valid_id_number(61)
    bad_id = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    twice = [{"name": "ISO 9001", "certificate_number": "Q-2"}, {"name": "ISO 9001", "certificate_number": "Q-2"}]
    response = await api.client.patch(f"/api/v1/vendors/{uscc}", headers=api.admin, json={
        "name": "浙江改名有限公司", "legal_representative": {"name": "李四", "id_number": bad_id},
        "qualifications": twice})
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("legal_representative.id_number", "id_number.check_digit"), ("qualifications[1]", "vendor.certificate_twice")]
    shown = await detail(api, uscc)
    assert (shown["name"], shown["legal_representative"], [q["certificate_number"] for q in shown["qualifications"]]
            ) == ("浙江原样有限公司", None, ["Q-1"])
    assert await audit_entries(api, "vendor.updated") == []
    missing = await api.client.patch(f"/api/v1/vendors/{api.new_uscc()}", headers=api.admin, json={"name": "x"})
    assert (missing.status_code, missing.json()["code"]) == (404, "vendor.unknown")


async def test_an_edit_of_status_and_qualifications_records_exactly_those_and_a_rename_dates_the_alias(
        api: VendorsApi) -> None:
    uscc = await api.vendor("浙江旧名有限公司", qualifications=[{"name": "ISO 9001", "certificate_number": "Q-1"}])
    same_qualifications = [{"name": "ISO 9001", "certificate_number": "Q-1"}]
    response = await api.client.patch(f"/api/v1/vendors/{uscc}", headers=api.admin, json={
        "status": "suspended", "qualifications": same_qualifications})
    assert response.status_code == 200, response.text
    response = await api.client.patch(f"/api/v1/vendors/{uscc}", headers=api.admin, json={
        "name": "浙江新名有限公司", "status": "suspended",
        "qualifications": [{"name": "ISO 9001", "certificate_number": "Q-1", "valid_until": "2030-01-31"}]})
    assert response.status_code == 200, response.text
    shown = response.json()
    assert (shown["name"], shown["status"], shown["aliases"]) == (
        "浙江新名有限公司", "suspended", [{"name": "浙江旧名有限公司", "used_until": beijing_today().isoformat()}])
    assert [(q["certificate_number"], q["valid_until"]) for q in shown["qualifications"]] == [("Q-1", "2030-01-31")]
    assert [entry["details"] for entry in reversed(await audit_entries(api, "vendor.updated"))] == [
        {"changed": ["status"]}, {"changed": ["name", "qualifications"]}]
    assert await listed(api, status="suspended", q="旧名") == ([uscc], 1)


async def test_the_audit_log_names_what_a_create_and_a_relation_recorded(api: VendorsApi) -> None:
    parent = await api.vendor("浙江母公司", qualifications=[{"name": "ISO 9001", "certificate_number": "Q-1"},
                                                            {"name": "CS2", "certificate_number": "CS2-9"}])
    child = await api.vendor("浙江子公司")
    [created, _] = await audit_entries(api, "vendor.created")
    assert (created["object_id"], created["details"]) == (child, {"qualifications": 0})
    assert (await audit_entries(api, "vendor.created"))[1]["details"] == {"qualifications": 2}
    relation = await relate(api, parent, child, kind="management")
    [entry] = await audit_entries(api, "vendor.relation_added")
    assert (entry["object_type"], entry["object_id"], entry["details"]) == (
        "vendor", parent, {"related_uscc": child, "kind": "management", "relation_id": relation["id"]})


async def test_a_relation_to_itself_or_ending_before_it_starts_is_refused_field_by_field(api: VendorsApi) -> None:
    uscc = await api.vendor()
    response = await api.client.post(f"/api/v1/vendors/{uscc}/relations", headers=api.admin, json={
        "related_uscc": uscc, "kind": "controlling", "source": "工商登记", "valid_from": "2024-01-01",
        "valid_until": "2023-12-31"})
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("valid_until", "period.end_before_start"), ("related_uscc", "vendor.related_to_itself")]
    assert (await detail(api, uscc))["relations"] == []
    assert await audit_entries(api, "vendor.relation_added") == []


async def test_a_create_that_loses_the_race_for_its_uscc_is_a_409_and_the_winner_stays(
        api: VendorsApi, monkeypatch: pytest.MonkeyPatch) -> None:
    winner = await api.vendor("浙江先到有限公司")

    def racing_select(*columns: Any) -> Any:
        statement = select(*columns)
        # The duplicate check runs before the other create commits: it finds nothing.
        return statement.where(false()) if columns == (Vendor.id,) else statement

    monkeypatch.setattr(registry, "select", racing_select)
    late = await api.client.post("/api/v1/vendors", json={"uscc": winner, "name": "浙江后到有限公司"},
                                 headers=api.admin)
    assert (late.status_code, late.json()["code"], late.json()["params"]) == (409, "vendor.exists", {"uscc": winner})
    monkeypatch.undo()
    assert (await detail(api, winner))["name"] == "浙江先到有限公司"
    assert len(await audit_entries(api, "vendor.created")) == 1


# --- sheets: a 法定代表人 without the ID number, statuses by name, counts, exports of bare vendors ----------

async def test_a_sheet_naming_a_representative_without_the_id_number_must_restate_the_stored_one(
        api: VendorsApi) -> None:
    person = {"name": "陈建国", "id_number": valid_id_number(51)}
    same = await api.vendor("浙江同一法人有限公司", legal_representative=person)
    changed = await api.vendor("浙江换法人有限公司", legal_representative=person)
    without = await api.vendor("浙江无法人有限公司")
    content = csv_file([row(same, "浙江同一法人有限公司", 法定代表人="陈建国"),  # 2
                        row(changed, "浙江换法人有限公司", 法定代表人="林海燕"),  # 3
                        row(without, "浙江无法人有限公司", 法定代表人="陈建国"),  # 4
                        row(api.new_uscc(), "浙江新状态有限公司", 状态="良好")])  # 5: reported after 3 and 4
    report = (await upload(api, content, "a.csv")).json()
    assert (report["rows"], report["created"], report["updated"], report["unchanged"], report["rejected"]) == (
        4, 0, 0, 1, 3)
    assert [(e["row"], e["column"], e["code"], e["message"]) for e in report["errors"]] == [
        (3, "法定代表人身份证号", "sheet.representative_id_number", "required with a new 法定代表人"),
        (4, "法定代表人身份证号", "sheet.representative_id_number", "required with a new 法定代表人"),
        (5, "状态", "sheet.vendor_status", "must be 正常, 暂停 or 注销")]
    assert (await detail(api, changed))["legal_representative"]["name"] == "陈建国"
    assert (await detail(api, without))["legal_representative"] is None
    assert await import_entries(api) == []


async def test_a_sheet_names_statuses_in_chinese_or_by_code_and_counts_dates_against_qualifications(
        api: VendorsApi) -> None:
    usccs = [api.new_uscc() for _ in range(6)]
    content = csv_file([
        row(usccs[0], "甲公司", 状态="正常"), row(usccs[1], "乙公司", 状态="暂停"),
        row(usccs[2], "丙公司", 状态="注销"), row(usccs[3], "丁公司", 状态="deregistered"),
        row(usccs[4], "戊公司", 资质名称="ISO 9001", 资质证书编号="Q-1", 资质有效期至="2027-01-01；2028-01-01"),  # 6
        row(usccs[5], "己公司", 资质名称="ISO 9001；CS2", 资质证书编号="Q-1", 资质有效期至="2027年3月1日"),  # 7
    ])
    report = (await upload(api, content, "a.csv")).json()
    assert (report["created"], report["rejected"]) == (4, 2)
    assert [(e["row"], e["column"], e["code"], e["message"], e["params"]) for e in report["errors"]] == [
        (6, "资质有效期至", "sheet.expiry_count", "lists 2 dates for 1 qualifications", {"dates": 2, "names": 1}),
        (7, "资质证书编号", "sheet.certificate_count", "lists 1 certificate numbers for 2 qualifications",
         {"numbers": 1, "names": 2})]
    statuses = {v["uscc"]: v["status"] for v in (await api.client.get(
        "/api/v1/vendors", headers=api.admin)).json()["items"]}
    assert statuses == {usccs[0]: "active", usccs[1]: "suspended", usccs[2]: "deregistered",
                        usccs[3]: "deregistered"}


async def test_an_export_leaves_the_cells_of_what_a_vendor_lacks_empty(api: VendorsApi) -> None:
    bare = await api.vendor("浙江空白有限公司", status="deregistered",
                            qualifications=[{"name": "ISO 9001", "certificate_number": "Q-1"}])
    debarred = await api.vendor("浙江禁入有限公司")
    response = await api.client.post("/api/v1/exclusions", headers=api.admin,
                                     json=exclusion(debarred, beijing_today(), None))
    assert response.status_code == 201, response.text
    exported = await api.client.get("/api/v1/vendors/export", params={"format": "csv"}, headers=api.admin)
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    by_uscc = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert {key: value for key, value in by_uscc[bare].items() if key != "更新时间"} == {
        "统一社会信用代码": bare, "供应商名称": "浙江空白有限公司", "状态": "注销", "法定代表人": "",
        MASKED_ID_HEADER: "", "资质名称": "ISO 9001", "资质证书编号": "Q-1", "资质有效期至": "", "曾用名": "",
        "禁止参加政府采购": "否"}
    assert by_uscc[debarred]["禁止参加政府采购"] == "是（至解除）"


async def test_a_sheet_row_with_several_problems_lists_each_once_and_counts_as_one_rejected_row(
        api: VendorsApi) -> None:
    content = csv_file([
        row("", "甲公司"),  # 2: no USCC at all is "required", not also "must be 18 characters"
        row(api.new_uscc(), "", 状态="良好"),  # 3
        row(api.new_uscc(), "乙公司", 资质名称="ISO 9001；CS2", 资质证书编号="Q-1；CS2-9",
            资质有效期至="明年；后年"),  # 4: one error for the column, however many dates are wrong
        row(api.new_uscc(), "丙公司", 法定代表人身份证号=valid_id_number(53), 资质名称="ISO 9001",
            资质证书编号="Q-1；Q-2"),  # 5
    ])
    report = (await upload(api, content, "a.csv")).json()
    assert (report["rows"], report["created"], report["rejected"]) == (4, 0, 4)
    assert [(e["row"], e["column"], e["code"]) for e in report["errors"]] == [
        (2, "统一社会信用代码", "field.required"),
        (3, "供应商名称", "field.required"), (3, "状态", "sheet.vendor_status"),
        (4, "资质有效期至", "sheet.not_a_date"),
        (5, "法定代表人", "sheet.representative_name"), (5, "资质证书编号", "sheet.certificate_count")]
    assert (await api.client.get("/api/v1/vendors", headers=api.admin)).json()["total"] == 0


async def test_a_sheet_replacing_qualifications_updates_them_and_the_import_entry_digests_both_sides(
        api: VendorsApi) -> None:
    uscc = await api.vendor("浙江旧名有限公司", qualifications=[{"name": "ISO 9001", "certificate_number": "Q-1"}])
    new = api.new_uscc()
    content = csv_file([row(uscc, "浙江新名有限公司", 资质名称="CS2", 资质证书编号="CS2-9", 资质有效期至="2029/2/28"),
                        row(new, "浙江新来有限公司", 状态="暂停")])
    report = (await upload(api, content, "a.csv")).json()
    assert (report["created"], report["updated"], report["errors"]) == (1, 1, [])
    shown = await detail(api, uscc)
    assert [(q["name"], q["certificate_number"], q["valid_until"]) for q in shown["qualifications"]] == [
        ("CS2", "CS2-9", "2029-02-28")]
    [entry] = await import_entries(api)
    assert entry["details"] == {"created": [new], "updated": {uscc: ["name", "qualifications"]}}
    audit = api.client.app.state.audit
    before = [{"uscc": uscc, "name": "浙江旧名有限公司", "status": "active", "aliases": [],
               "legal_representative": [None, None], "qualifications": [["ISO 9001", "Q-1", None]]}]
    after = [{"uscc": new, "name": "浙江新来有限公司", "status": "suspended", "aliases": [],
              "legal_representative": [None, None], "qualifications": []},
             {"uscc": uscc, "name": "浙江新名有限公司", "status": "active",
              "aliases": [["浙江旧名有限公司", beijing_today().isoformat()]],
              "legal_representative": [None, None], "qualifications": [["CS2", "CS2-9", "2029-02-28"]]}]
    assert (entry["before_digest"], entry["after_digest"]) == (
        change_digest(audit.digest_key, before, audit.profile), change_digest(audit.digest_key, after, audit.profile))


# --- sheets: product bugs found while writing these tests, fixed ----------------------------------------

async def test_an_expiry_date_with_an_enormous_number_is_a_row_error_not_a_500(api: VendorsApi) -> None:
    content = csv_file([row(api.new_uscc(), "甲公司", 资质名称="ISO 9001", 资质证书编号="Q-1",
                            资质有效期至="2027-99999999999999999999-01")])
    response = await upload(api, content, "a.csv", dry_run=True)
    assert response.status_code == 200, response.text
    assert [(e["row"], e["code"]) for e in response.json()["errors"]] == [(2, "sheet.not_a_date")]


async def test_a_sheet_row_reports_every_problem_the_create_endpoint_reports(api: VendorsApi) -> None:
    good = api.new_uscc()
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    id_number = valid_id_number(52)
    bad_id = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    api_answer = await api.client.post("/api/v1/vendors", headers=api.admin, json={
        "uscc": bad_check, "name": "甲公司", "legal_representative": {"name": "李四", "id_number": bad_id}})
    assert [e["code"] for e in api_answer.json()["errors"]] == ["uscc.check_character", "id_number.check_digit"]
    report = (await upload(api, csv_file([row(bad_check, "甲公司", 法定代表人="李四", 法定代表人身份证号=bad_id)]),
                           "a.csv", dry_run=True)).json()
    assert [(e["column"], e["code"]) for e in report["errors"]] == [
        ("统一社会信用代码", "uscc.check_character"), ("法定代表人身份证号", "id_number.check_digit")]


# --- the demo registry `make run` loads ----------------------------------------------------------------

async def load_demo(api: VendorsApi) -> list[bool]:
    """Load the demo registry into the service's own database twice; what each load answered."""
    app = api.client.app
    database = Database.from_url(app.state.database.engine.url.render_as_string(hide_password=False))
    answers = []
    try:
        for _ in range(2):
            async with database.transaction() as session:
                answers.append(await load_demo_data(session, app.state.audit, vault=app.state.vault))
    finally:
        await database.dispose()
    return answers


async def test_the_demo_registry_is_loaded_once_with_its_people_relations_debarment_and_ratings(
        api: VendorsApi) -> None:
    assert await load_demo(api) == [True, False]  # a registry that has vendors is left alone
    demo = demo_vendors()
    page = (await api.client.get("/api/v1/vendors", params={"page_size": 500}, headers=api.admin)).json()
    assert page["total"] == len(demo) == 50
    assert {(v["uscc"], v["name"], v["status"]) for v in page["items"]} == {(d.uscc, d.name, "active") for d in demo}
    assert all(v["legal_representative"]["id_number_masked"] for v in page["items"])

    # Two companies share one legal representative, found through the blind index alone.
    first, second, plain = (await detail(api, demo[3].uscc), await detail(api, demo[17].uscc),
                            await detail(api, demo[0].uscc))
    assert first["legal_representative"] == second["legal_representative"]
    assert (first["same_legal_representative"], second["same_legal_representative"]) == (
        [demo[17].uscc], [demo[3].uscc])
    assert plain["same_legal_representative"] == []
    for person in (first["legal_representative"], plain["legal_representative"]):
        id_number = person["id_number"]
        assert id_number_problem(id_number) is None and id_number.startswith("330326")
        assert dt.date(1965, 1, 1) <= dt.date(int(id_number[6:10]), int(id_number[10:12]),
                                              int(id_number[12:14])) <= dt.date(1990, 1, 1)
        assert person["name"][0] in "陈林王张李黄吴郑周蔡杨徐" and len(person["name"]) == 3
    assert (plain["legal_representative"]["name"], plain["legal_representative"]["id_number"]) == DEMO_FIRST_PERSON

    for controlling, controlled, kind in ((0, 1, "controlling"), (5, 6, "controlling"), (10, 11, "management")):
        for uscc in (demo[controlling].uscc, demo[controlled].uscc):
            assert [(r["controlling_uscc"], r["controlled_uscc"], r["kind"], r["source"], r["valid_from"],
                     r["valid_until"]) for r in (await detail(api, uscc))["relations"]] == [
                (demo[controlling].uscc, demo[controlled].uscc, kind, "国家企业信用信息公示系统", "2023-06-01", None)]
    assert (await detail(api, demo[2].uscc))["relations"] == []

    exclusions = (await api.client.get("/api/v1/exclusions", headers=api.admin)).json()
    assert [(e["uscc"], e["vendor_name"], e["issuing_body"], e["decision_number"], e["scope"], e["starts_on"],
             e["ends_on"]) for e in exclusions["items"]] == [
        (demo[-1].uscc, demo[-1].name, "平阳县财政局", "平财采〔2026〕7号", "全国范围内的政府采购活动", "2026-03-01",
         "2027-02-28")]
    assert exclusions["items"][0]["reason"].startswith("提供虚假材料谋取中标")

    ratings = (await api.client.get("/api/v1/ratings", headers=api.headers("auditor"))).json()["items"]
    assert [(r["vendor_uscc"], r["project_code"], r["stage"], r["overall"], r["final_level"], r["visibility"],
             r["rated_on"], r["comment_until"], r["rater_unit"], r["status"]) for r in reversed(ratings)] == [
        (demo[index].uscc, "PY-2026-001", "初步验收", overall, "qualified" if index == 8 else overall, visibility,
         "2026-06-15", "2026-06-29", bureau_unit().uscc, "final")
        for index, overall, visibility in ((2, "excellent", "public"), (4, "good", "government"),
                                           (8, "basically_qualified", "public"), (12, "qualified", "bureau"))]
    assert all(set(r["factors"].values()) == {r["overall"]} for r in ratings)
    disputed = [r for r in ratings if r["comment"] or r["review"]]
    assert [(r["vendor_uscc"], r["comment"]["disputes"], r["review"]["outcome"], r["review"]["revised_level"],
             r["review"]["reviewer_unit"]) for r in disputed] == [
        (demo[8].uscc, True, "revised", "qualified", "11330326MB1234567E")]

    lots = {project.code: [(lot.code, lot.role.value) for lot in project.reference.lots]
            for project in demo_projects()}
    rated = {r["engagement_id"]: r for r in ratings}
    for code, project_lots in lots.items():
        engagements = (await api.client.get(f"/api/v1/projects/{code}/engagements", headers=api.admin)).json()
        plan, *rest = [e for e in engagements if e["id"] not in rated]
        assert (plan["lot_code"], plan["role"], plan["started_on"], plan["ended_on"]) == (
            None, "overall_design", "2026-01-05", "2026-03-31")
        assert 20_000_000 <= plan["amount_fen"] <= 90_000_000 and plan["amount_fen"] % 1_000_000 == 0
        assert 1 <= len(rest) <= len(project_lots)
        assert [(e["lot_code"], e["role"]) for e in rest] == project_lots[:len(rest)]
        for engagement in rest:
            year, month, day = engagement["started_on"].split("-")
            assert (year, day) == ("2026", "01") and 4 <= int(month) <= 9
            assert engagement["ended_on"] is None and engagement["amount_fen"] % 1_000_000 == 0
            assert 50_000_000 <= engagement["amount_fen"] <= 900_000_000
        if code == "PY-2026-001":
            assert [(e["vendor_uscc"], e["lot_code"], e["role"], e["started_on"], e["amount_fen"])
                    for e in engagements if e["id"] in rated] == [
                (demo[index].uscc, lot, role, "2026-02-01", (index + 3) * 10_000_000)
                for index, lot, role in ((2, "L2", "construction"), (4, "L2", "software"), (8, "L2", "construction"),
                                         (12, "L3", "supervision"))]
            assert (plan["vendor_uscc"], plan["amount_fen"]) == DEMO_FIRST_PLAN

    [loaded] = await audit_entries(api, "demo.loaded")
    assert (loaded["object_type"], loaded["object_id"], loaded["details"]) == ("registry", "demo", {"vendors": 50})
    assert len(await audit_entries(api, "project.created")) == 5


async def test_a_relation_to_a_malformed_uscc_is_refused_on_its_field(api: VendorsApi) -> None:
    parent, valid = await api.vendor(), api.new_uscc()
    wrong = valid[:17] + ("0" if valid[17] != "0" else "1")  # the check character off
    response = await api.client.post(f"/api/v1/vendors/{parent}/relations", headers=api.admin, json={
        "related_uscc": wrong, "kind": "controlling", "source": "股权登记", "valid_from": "2024-01-01"})
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("related_uscc", "uscc.check_character")]


async def test_a_relation_flags_bidders_on_its_first_and_on_its_last_day(api: VendorsApi) -> None:
    project, today = await api.project(), beijing_today().isoformat()
    parent, child = await api.vendor(name="母"), await api.vendor(name="子")
    response = await api.client.post(f"/api/v1/vendors/{parent}/relations", headers=api.admin, json={
        "related_uscc": child, "kind": "controlling", "source": "股权登记", "valid_from": today, "valid_until": today})
    assert response.status_code == 201, response.text
    assert {v["verdict"] for v in (await api.check(project, "L2", [parent, child]))["verdicts"]} == {"flagged"}
