"""Engagements, conflict checks (Art. 29; Implementing Regulations Art. 18) and the barred list."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from msgspec import to_builtins
from sqlalchemy import update

from services.vendors.domain import rules
from services.vendors.models import ConflictCheck
from shared.db import Database
from tests.support.identity import BUREAU_USCC
from tests.vendors.conftest import OTHER_UNIT, THIRD_UNIT, VendorsApi, valid_id_number

LOTS = [
    {"code": "L1", "name": "总体设计", "procurement_method": "competitive_consultation", "role": "overall_design"},
    {"code": "L2", "name": "平台建设", "procurement_method": "public_tender", "role": "construction"},
    {"code": "L3", "name": "工程监理", "procurement_method": "competitive_consultation", "role": "supervision"},
    {"code": "L4", "name": "原厂维保", "procurement_method": "single_source", "role": "operations"},
    {"code": "L5", "name": "第三方检测", "procurement_method": "single_source", "role": "testing"},
]


def rules_of(verdict: dict) -> list[str]:
    return [rule["rule"] for reason in verdict["reasons"] for rule in reason.get("rules", [])]


async def test_a_design_vendor_is_barred_from_construction_but_may_supervise(api: VendorsApi) -> None:
    project = await api.project()
    designer, builder = await api.vendor(name="设计院"), await api.vendor(name="集成商")
    await api.engage(project, designer, "overall_design", lot="L1")

    construction = api.verdicts(await api.check(project, "L2", [designer, builder]))
    assert construction[designer]["verdict"] == "barred"
    assert rules_of(construction[designer]) == ["PY-2021-29", "GPL-IR-18-2"]
    assert construction[builder] == {"uscc": builder, "name": "集成商", "registered": True, "verdict": "allowed",
                                     "reasons": []}

    supervision = await api.check(project, "L3", [designer])
    assert supervision["policy"] == "combinable" and "295" in supervision["policy_text"]
    assert api.verdicts(supervision)[designer]["verdict"] == "allowed"


async def test_single_source_lots_and_the_engaged_lot_itself_are_not_barred(api: VendorsApi) -> None:
    project = await api.project()
    supervisor = await api.vendor()
    await api.engage(project, supervisor, "supervision", lot="L3")
    assert api.verdicts(await api.check(project, "L4", [supervisor]))[supervisor]["verdict"] == "allowed"
    assert api.verdicts(await api.check(project, "L3", [supervisor]))[supervisor]["verdict"] == "allowed"


async def test_an_engagement_without_a_lot_bars_the_projects_other_procurement(api: VendorsApi) -> None:
    project = await api.project()
    plan_author = await api.vendor(name="建设方案编制单位")
    await api.engage(project, plan_author, "overall_design", lot=None)
    verdict = api.verdicts(await api.check(project, "L2", [plan_author]))[plan_author]
    assert verdict["verdict"] == "barred"
    assert verdict["reasons"][0]["params"] == {"role": "overall_design", "lot_code": None}


async def test_a_construction_engagement_bars_no_other_construction_lot(api: VendorsApi) -> None:
    project = await api.project(lots=[*LOTS, {"code": "L6", "name": "二期建设", "procurement_method": "public_tender",
                                              "role": "construction"}])
    builder = await api.vendor()
    await api.engage(project, builder, "construction", lot="L2")
    assert api.verdicts(await api.check(project, "L6", [builder]))[builder]["verdict"] == "allowed"


async def test_related_bidders_are_both_flagged_naming_each_other(api: VendorsApi) -> None:
    project = await api.project()
    person = {"name": "陈建国", "id_number": valid_id_number(5)}
    first = await api.vendor(name="甲", legal_representative=person)
    second = await api.vendor(name="乙", legal_representative=person)
    parent, child = await api.vendor(name="母"), await api.vendor(name="子")
    stranger = await api.vendor(name="无关")
    await api.client.post(f"/api/v1/vendors/{parent}/relations", headers=api.admin, json={
        "related_uscc": child, "kind": "controlling", "source": "股权登记", "valid_from": "2020-01-01"})
    verdicts = api.verdicts(await api.check(project, "L2", [first, second, parent, child, stranger]))
    for uscc, other in ((first, second), (second, first), (parent, child), (child, parent)):
        assert verdicts[uscc]["verdict"] == "flagged"
        assert [(r["code"], r["related_uscc"]) for r in verdicts[uscc]["reasons"]] == [("related_bidder", other)]
        assert rules_of(verdicts[uscc]) == ["GPL-IR-18-1"]
    assert verdicts[stranger]["verdict"] == "allowed"


async def test_an_expired_relation_flags_nobody(api: VendorsApi) -> None:
    project = await api.project()
    parent, child = await api.vendor(), await api.vendor()
    await api.client.post(f"/api/v1/vendors/{parent}/relations", headers=api.admin, json={
        "related_uscc": child, "kind": "management", "source": "工商登记", "valid_from": "2020-01-01",
        "valid_until": "2021-12-31"})
    assert {v["verdict"] for v in (await api.check(project, "L2", [parent, child]))["verdicts"]} == {"allowed"}


async def test_an_unregistered_bidder_gets_an_answer_and_an_active_exclusion_bars(api: VendorsApi) -> None:
    project = await api.project()
    unknown, debarred = api.new_uscc(), api.new_uscc()
    response = await api.client.post("/api/v1/exclusions", headers=api.admin, json={
        "uscc": debarred, "vendor_name": "浙江失信科技有限公司", "issuing_body": "平阳县财政局",
        "decision_number": "平财采〔2026〕7号", "scope": "全国政府采购活动", "reason": "提供虚假材料",
        "starts_on": "2026-01-01"})
    assert response.status_code == 201, response.text
    verdicts = api.verdicts(await api.check(project, "L2", [unknown, debarred]))
    assert verdicts[unknown]["registered"] is False and verdicts[unknown]["verdict"] == "flagged"
    assert verdicts[unknown]["reasons"][0]["code"] == "not_registered"
    assert verdicts[debarred]["verdict"] == "barred"
    assert [r["code"] for r in verdicts[debarred]["reasons"]] == ["excluded", "not_registered"]


async def test_a_check_is_stored_and_read_back_unchanged(api: VendorsApi) -> None:
    project = await api.project()
    designer = await api.vendor()
    await api.engage(project, designer, "specification", lot="L1")
    made = await api.check(project, "L2", [designer], headers=api.headers("procurement_officer"))
    assert made["rule_version"] and made["checked_by"] == "user:test" and made["bidders"] == [designer]
    await api.engage(project, designer, "testing", lot="L3")  # later changes do not alter the stored answer
    read = await api.client.get(f"/api/v1/conflict-checks/{made['id']}", headers=api.headers("auditor"))
    assert read.status_code == 200
    assert read.json() == made
    assert "conflict_check.made" in await api.audit_actions()


async def test_the_strict_policy_bars_service_roles_from_each_other(api: VendorsApi) -> None:
    api.client.app.state.conflict_policy = "strict"
    project = await api.project()
    designer = await api.vendor()
    await api.engage(project, designer, "overall_design", lot="L1")
    check = await api.check(project, "L3", [designer])
    assert check["policy"] == "strict"
    assert api.verdicts(check)[designer]["verdict"] == "barred"


async def test_procurement_officers_act_only_on_their_own_units_projects(api: VendorsApi) -> None:
    project = await api.project()
    bidder = await api.vendor()
    outsider = api.headers("procurement_officer", unit=OTHER_UNIT)
    refused = await api.client.post(f"/api/v1/projects/{project}/lots/L2/conflict-checks",
                                    json={"bidders": [bidder]}, headers=outsider)
    assert refused.status_code == 403
    made = await api.check(project, "L2", [bidder])
    assert (await api.client.get(f"/api/v1/conflict-checks/{made['id']}", headers=outsider)).status_code == 403
    engagement = await api.client.post(f"/api/v1/projects/{project}/engagements", headers=outsider, json={
        "vendor_uscc": bidder, "role": "testing", "started_on": "2026-01-01", "amount_fen": 1})
    assert engagement.status_code == 403


@pytest.mark.parametrize(("bidders", "field"), [
    (["91330326MA2CT8U6X1"], "bidders[0]"),
    ([], "bidders"),
])


async def test_bad_bidder_lists_are_refused_and_nothing_is_stored(api: VendorsApi, bidders: list[str],
                                                                   field: str) -> None:
    project = await api.project()
    response = await api.client.post(f"/api/v1/projects/{project}/lots/L2/conflict-checks",
                                     json={"bidders": bidders}, headers=api.admin)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]
    assert "conflict_check.made" not in await api.audit_actions()


async def test_a_bidder_listed_twice_and_an_unknown_lot(api: VendorsApi) -> None:
    project = await api.project()
    bidder = await api.vendor()
    twice = await api.client.post(f"/api/v1/projects/{project}/lots/L2/conflict-checks",
                                  json={"bidders": [bidder, bidder]}, headers=api.admin)
    assert [e["field"] for e in twice.json()["errors"]] == ["bidders[1]"]
    unknown_lot = await api.client.post(f"/api/v1/projects/{project}/lots/L9/conflict-checks",
                                        json={"bidders": [bidder]}, headers=api.admin)
    assert unknown_lot.status_code == 404


@pytest.mark.parametrize(("changes", "field"), [
    ({"lot_code": "L9"}, "lot_code"),
    ({"ended_on": "2025-01-01"}, "ended_on"),
    ({"amount_fen": 1.5}, "amount_fen"),
    ({"role": "catering"}, "role"),
])


async def test_bad_engagements_name_the_field(api: VendorsApi, changes: dict[str, object], field: str) -> None:
    project = await api.project()
    vendor = await api.vendor()
    body = {"vendor_uscc": vendor, "role": "testing", "started_on": "2026-01-05", "amount_fen": 100, **changes}
    response = await api.client.post(f"/api/v1/projects/{project}/engagements", json=body, headers=api.admin)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    listed = await api.client.get(f"/api/v1/projects/{project}/engagements", headers=api.admin)
    assert listed.json() == []


async def test_the_barred_list_as_json_and_csv(api: VendorsApi) -> None:
    project = await api.project()
    designer = await api.vendor(name="设计院")
    await api.engage(project, designer, "overall_design", lot="L1")
    barred = (await api.client.get(f"/api/v1/projects/{project}/barred-list", headers=api.admin)).json()
    # L1 is its own lot, L3 is a service lot (combinable), L4 is single-source: only L2 is barred.
    assert [(e["uscc"], e["lot_code"], e["rules"]) for e in barred["entries"]] == [
        (designer, "L2", ["PY-2021-29", "GPL-IR-18-2"])]
    response = await api.client.get(f"/api/v1/projects/{project}/barred-list", params={"format": "csv"},
                                    headers=api.headers("procurement_officer"))
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["统一社会信用代码", "供应商名称", "标段"]
    assert rows[1][:3] == [designer, "设计院", "L2"]


# --- Art. 29 read both ways ----------------------------------------------------------------------


async def test_a_builder_bidding_to_supervise_its_own_work_is_flagged_with_its_reason(api: VendorsApi) -> None:
    project = await api.project()
    builder = await api.vendor(name="集成商")
    engagement = await api.engage(project, builder, "construction", lot="L2")
    verdict = api.verdicts(await api.check(project, "L3", [builder]))[builder]
    assert verdict["verdict"] == "flagged"
    [reason] = verdict["reasons"]
    assert reason["code"] == "other_procurement" and reason["engagement_id"] == engagement["id"]
    assert reason["params"] == {"via": "engagement", "role": "construction", "lot_code": "L2",
                                "service_role": "supervision"}
    assert rules_of(verdict) == ["PY-2021-29", "GPL-IR-18-2"]


async def test_under_the_strict_policy_the_builder_is_barred_from_supervising(api: VendorsApi) -> None:
    api.client.app.state.conflict_policy = "strict"
    project = await api.project()
    builder = await api.vendor()
    await api.engage(project, builder, "software", lot=None)  # an engagement on the whole project counts too
    verdict = api.verdicts(await api.check(project, "L3", [builder]))[builder]
    assert verdict["verdict"] == "barred"
    assert [(r["code"], r["params"]["lot_code"]) for r in verdict["reasons"]] == [("other_procurement", None)]


async def test_a_bidder_for_the_construction_lot_is_flagged_when_it_bids_to_supervise(api: VendorsApi) -> None:
    project = await api.project()
    bidder, barred_bidder = await api.vendor(name="投标人"), await api.vendor(name="设计院")
    await api.engage(project, barred_bidder, "overall_design", lot="L1")
    construction = api.verdicts(await api.check(project, "L2", [bidder, barred_bidder]))
    assert construction[bidder]["verdict"] == "allowed" and construction[barred_bidder]["verdict"] == "barred"
    supervision = api.verdicts(await api.check(project, "L3", [bidder, barred_bidder]))
    assert supervision[bidder]["verdict"] == "flagged"
    assert [r["params"] for r in supervision[bidder]["reasons"]] == [
        {"via": "bid", "role": "construction", "lot_code": "L2", "service_role": "supervision"}]
    # Barred from the construction lot, the designer took no part in it: it may still supervise.
    assert supervision[barred_bidder]["verdict"] == "allowed"


async def test_single_source_lots_stay_excepted_and_the_allowed_verdict_says_why(api: VendorsApi) -> None:
    project = await api.project(lots=LOTS)
    designer, builder = await api.vendor(name="设计院"), await api.vendor(name="集成商")
    design = await api.engage(project, designer, "overall_design", lot="L1")
    await api.engage(project, builder, "construction", lot="L2")
    maintenance = api.verdicts(await api.check(project, "L4", [designer, builder]))
    assert maintenance[designer]["verdict"] == "allowed"
    assert maintenance[designer]["reasons"][0]["code"] == "single_source_excepted"
    assert maintenance[designer]["reasons"][0]["params"] == {
        "excepts": "service_role_elsewhere", "role": "overall_design", "lot_code": "L1"}
    assert maintenance[designer]["reasons"][0]["engagement_id"] == design["id"]
    assert rules_of(maintenance[designer]) == ["PY-2021-29", "GPL-IR-18-2"]
    assert maintenance[builder] == {"uscc": builder, "name": "集成商", "registered": True, "verdict": "allowed",
                                    "reasons": []}
    testing = api.verdicts(await api.check(project, "L5", [builder]))[builder]
    assert testing["verdict"] == "allowed"
    assert [(r["code"], r["params"]["excepts"]) for r in testing["reasons"]] == [
        ("single_source_excepted", "other_procurement")]
    # Taking part in a single-source lot is outside the rule as well.
    maintainer = await api.vendor(name="原厂")
    await api.engage(project, maintainer, "operations", lot="L4")
    assert api.verdicts(await api.check(project, "L3", [maintainer]))[maintainer]["verdict"] == "allowed"


@pytest.mark.parametrize("policy", ["combinable", "strict"])
async def test_the_barred_list_shows_both_directions(api: VendorsApi, policy: str) -> None:
    api.client.app.state.conflict_policy = policy
    project = await api.project(lots=LOTS)
    designer, builder, bidder = (await api.vendor(name="设计院"), await api.vendor(name="集成商"),
                                 await api.vendor(name="投标人"))
    await api.engage(project, designer, "overall_design", lot="L1")
    await api.engage(project, builder, "construction", lot="L2")
    await api.check(project, "L2", [bidder])
    barred = (await api.client.get(f"/api/v1/projects/{project}/barred-list", headers=api.admin)).json()
    entries = {(e["uscc"], e["lot_code"]): e for e in barred["entries"]}
    reverse = "barred" if policy == "strict" else "flagged"
    expected = {(builder, "L1"): reverse, (builder, "L3"): reverse, (bidder, "L1"): reverse, (bidder, "L3"): reverse,
                (designer, "L2"): "barred"}
    if policy == "strict":
        expected[(designer, "L3")] = "barred"
    assert {key: entry["verdict"] for key, entry in entries.items()} == expected  # single-source L4, L5: nobody
    assert entries[(builder, "L3")]["reason"] == "other_procurement"
    assert entries[(builder, "L3")]["params"] == {"roles": ["construction"], "bid_lots": [],
                                                  "service_role": "supervision"}
    assert entries[(bidder, "L3")]["params"] == {"roles": [], "bid_lots": ["L2"], "service_role": "supervision"}
    assert entries[(bidder, "L3")]["vendor_name"] == "投标人"
    assert [rule["rule"] for rule in barred["rules"]] == ["PY-2021-29", "GPL-IR-18-2"]
    response = await api.client.get(f"/api/v1/projects/{project}/barred-list", params={"format": "csv"},
                                    headers=api.admin)
    rows = {(row[0], row[2]): row for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))}
    row = rows[(builder, "L3")]
    assert row[4:] == ["关注" if policy == "combinable" else "禁止", "已参加本项目其他采购活动",
                       "《平阳县县级党政机关信息化项目建设管理办法》（平政办〔2021〕59号）第二十九条；"
                       "《中华人民共和国政府采购法实施条例》（国务院令第658号）第十八条第二款",
                       "已参加本项目其他采购活动（承担建设/集成），再提供监理服务将监督自己的工作"]


# --- verdicts as codes with parameters, in one language -------------------------------------------

MIXED = re.compile(r"[\u4e00-\u9fff].*\b[A-Za-z]{3,}\b|\b[A-Za-z]{3,}\b.*[\u4e00-\u9fff]")


def strings_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


async def test_no_sentence_in_a_check_or_barred_list_mixes_languages(api: VendorsApi) -> None:
    project = await api.project(lots=LOTS)
    designer, builder, unknown = await api.vendor(name="设计院"), await api.vendor(name="集成商"), api.new_uscc()
    person = {"name": "陈建国", "id_number": valid_id_number(9)}
    twin = await api.vendor(name="孪生", legal_representative=person)
    twin2 = await api.vendor(name="孪生二", legal_representative=person)
    await api.client.patch(f"/api/v1/vendors/{twin2}", headers=api.admin, json={"status": "suspended"})
    await api.client.post("/api/v1/exclusions", headers=api.admin, json={
        "uscc": unknown, "vendor_name": "失信公司", "issuing_body": "平阳县财政局",
        "decision_number": "平财采〔2026〕7号",
        "scope": "全国政府采购活动", "reason": "提供虚假材料", "starts_on": "2026-01-01"})
    await api.engage(project, designer, "overall_design", lot="L1")
    await api.engage(project, builder, "construction", lot="L2")
    checks = [await api.check(project, "L2", [designer, unknown, twin, twin2]),
              await api.check(project, "L3", [builder]), await api.check(project, "L4", [designer])]
    codes = {r["code"] for check in checks for v in check["verdicts"] for r in v["reasons"]}
    assert codes == {"service_role_elsewhere", "excluded", "not_registered", "related_bidder", "vendor_status",
                     "other_procurement", "single_source_excepted"}
    barred = (await api.client.get(f"/api/v1/projects/{project}/barred-list", headers=api.admin)).json()
    for document in [*checks, barred]:
        assert "detail" not in str(document)
        assert [text for text in strings_in(document) if MIXED.search(text)] == []


async def test_a_check_stored_under_the_old_rules_reads_back_in_codes_with_corrected_citations(
        api: VendorsApi) -> None:
    """Checks stored before the register (rule version 2026.1) cited Art. 18's paragraphs the wrong
    way round, the county document by a wrong title, and gave mixed-language sentences. The stored row
    is left as it was (its audit digest stays true); it reads back in today's shape."""
    project = await api.project()
    designer, twin = await api.vendor(name="设计院"), await api.vendor(name="子公司")
    made = await api.check(project, "L2", [designer, twin])
    legacy = {**made, "rule_version": "2026.1",
              "policy_text": "服务类角色可相互兼任（财办库〔2015〕295号）：... Service roles may be combined.",
              "verdicts": [
                  {"uscc": designer, "name": "设计院", "registered": True, "verdict": "barred", "reasons": [
                      {"code": "service_role_elsewhere", "engagement_id": 7,
                       "detail": "已在本项目标段 L1承担总体设计服务 "
                                 "(holds a overall_design engagement on this project)",
                       "rules": [{"rule": "PY-2021-29", "text": "《平阳县政府投资信息化项目管理办法》第二十九条：…",
                                  "text_en": "…"},
                                 {"rule": "GPL-IR-18-1", "text": "…第十八条第一款：除单一来源…", "text_en": "…"}]},
                      {"code": "excluded", "exclusion_id": 3,
                       "detail": "平阳县财政局 平财采〔2026〕7号：2026-01-01 至 解除前 "
                                 "禁止参加政府采购活动（全国政府采购活动） (active exclusion)",
                       "rules": [{"rule": "GPL-77", "text": "…", "text_en": "…"}]}]},
                  {"uscc": twin, "name": "子公司", "registered": True, "verdict": "flagged", "reasons": [
                      {"code": "related_bidder", "related_uscc": designer,
                       "detail": f"{designer} 对 {twin} 存在直接控股（来源：股权 登记） (controlling relationship)；"
                                 "同一标段只能有一家继续参加 (only one may continue)",
                       "rules": [{"rule": "GPL-IR-18-2", "text": "…", "text_en": "…"}]},
                      {"code": "vendor_status", "detail": "供应商库状态为 suspended"},
                      {"code": "not_registered", "detail": "未在供应商库登记 (not in the registry: x)"},
                      {"code": "unheard_of", "detail": "某个说明 (some gloss)"}]}]}
    stored = json.dumps(legacy, ensure_ascii=False)
    # The service's database on a connection of the test's own (the app's belongs to the client's loop).
    database = Database.from_url(api.client.app.state.database.engine.url.render_as_string(hide_password=False))
    async with database.transaction() as session:
        await session.execute(update(ConflictCheck).where(ConflictCheck.id == made["id"]).values(answer=stored))
    read = (await api.client.get(f"/api/v1/conflict-checks/{made['id']}", headers=api.admin)).json()
    assert read["rule_version"] == "2026.1" and read["policy_text"] == rules.POLICY_TEXT["combinable"]
    barred, flagged = read["verdicts"]
    assert barred["verdict"] == "barred" and flagged["verdict"] == "flagged"  # the verdicts as they were made
    assert [(r["code"], r["params"]) for r in barred["reasons"]] == [
        ("service_role_elsewhere", {"role": "overall_design", "lot_code": "L1"}),
        ("excluded", {"issuing_body": "平阳县财政局", "decision_number": "平财采〔2026〕7号", "starts_on": "2026-01-01",
                      "ends_on": None, "scope": "全国政府采购活动"})]
    assert barred["reasons"][0]["rules"] == [to_builtins(rules.COUNTY_ART_29.cited()),
                                             to_builtins(rules.NATIONAL_18_2.cited())]
    assert flagged["reasons"][0]["rules"] == [to_builtins(rules.NATIONAL_18_1.cited())]
    assert [(r["code"], r.get("params", {})) for r in flagged["reasons"]] == [
        ("related_bidder", {"basis": "controlling", "controlling_uscc": designer, "controlled_uscc": twin,
                            "source": "股权 登记"}),
        ("vendor_status", {"status": "suspended"}), ("not_registered", {}),
        ("unheard_of", {"text": "某个说明"})]
    assert [text for text in strings_in(read) if MIXED.search(text)] == []
    async with database.reading() as session:
        assert (await session.get(ConflictCheck, made["id"])).answer == stored  # never rewritten
    await database.dispose()
# --- who reads a project's engagements, checks and barred list ---------------------------------

async def test_a_unit_role_reads_engagements_and_barred_lists_only_of_its_own_units_projects(api: VendorsApi) -> None:
    project, designer = await api.project(owner_unit=OTHER_UNIT), await api.vendor()
    await api.engage(project, designer, "overall_design", lot="L1")
    check = await api.check(project, "L2", [designer])
    reads = (f"/api/v1/projects/{project}/engagements", f"/api/v1/projects/{project}/barred-list",
             f"/api/v1/projects/{project}/barred-list?format=csv", f"/api/v1/conflict-checks/{check['id']}")
    for role in ("procurement_officer", "organiser", "rater"):
        for path in reads:
            response = await api.client.get(path, headers=api.headers(role, unit=THIRD_UNIT))
            # The 403 of an act on another unit's project: refused, with no amount in the answer.
            assert response.status_code == 403, (role, path, response.status_code)
            assert "48000000" not in response.text and designer not in response.text
    for headers in (api.headers("procurement_officer", unit=OTHER_UNIT), api.headers("procurement_officer"),
                    api.headers("auditor", unit=THIRD_UNIT)):  # its own unit, the bureau, an auditor
        for path in reads:
            assert (await api.client.get(path, headers=headers)).status_code == 200, path


async def test_projects_are_listed_to_a_unit_role_only_of_its_own_unit(api: VendorsApi) -> None:
    ours = await api.project("PY-OURS-1", owner_unit=OTHER_UNIT)
    theirs = await api.project("PY-THEIRS-1", owner_unit=THIRD_UNIT)

    async def codes(role: str, unit: str, **params: str) -> list[str]:
        response = await api.client.get("/api/v1/projects/", params=params, headers=api.headers(role, unit=unit))
        assert response.status_code == 200, response.text
        return [project["code"] for project in response.json()]

    assert await codes("procurement_officer", OTHER_UNIT) == [ours]
    assert await codes("rater", THIRD_UNIT) == [theirs]
    assert await codes("auditor", OTHER_UNIT) == [ours, theirs]
    assert await codes("organiser", BUREAU_USCC) == [ours, theirs]  # the bureau's units read every project
    assert await codes("auditor", OTHER_UNIT, q="THEIRS") == [theirs]
    assert await codes("auditor", OTHER_UNIT, q="城市大脑") == [ours, theirs]
    refused = await api.client.get(f"/api/v1/projects/{theirs}", headers=api.headers("organiser", unit=OTHER_UNIT))
    assert refused.status_code == 403
    assert (await api.client.get(f"/api/v1/projects/{ours}",
                                 headers=api.headers("organiser", unit=OTHER_UNIT))).json()["code"] == ours
