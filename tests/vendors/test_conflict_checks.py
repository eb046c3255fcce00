"""Engagements, conflict checks (Art. 29; Implementing Regulations Art. 18) and the barred list."""

from __future__ import annotations

import csv
import io

import pytest

from tests.support.identity import BUREAU_USCC
from tests.vendors.conftest import OTHER_UNIT, THIRD_UNIT, VendorsApi, valid_id_number


def rules_of(verdict: dict) -> list[str]:
    return [rule["rule"] for reason in verdict["reasons"] for rule in reason.get("rules", [])]


async def test_a_design_vendor_is_barred_from_construction_but_may_supervise(api: VendorsApi) -> None:
    project = await api.project()
    designer, builder = await api.vendor(name="设计院"), await api.vendor(name="集成商")
    await api.engage(project, designer, "overall_design", lot="L1")

    construction = api.verdicts(await api.check(project, "L2", [designer, builder]))
    assert construction[designer]["verdict"] == "barred"
    assert rules_of(construction[designer]) == ["PY-2021-29", "GPL-IR-18-1"]
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
    assert "项目（不分标段）" in verdict["reasons"][0]["detail"]


async def test_construction_engagements_bar_nothing(api: VendorsApi) -> None:
    project = await api.project()
    builder = await api.vendor()
    await api.engage(project, builder, "construction", lot="L2")
    assert api.verdicts(await api.check(project, "L3", [builder]))[builder]["verdict"] == "allowed"


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
        assert rules_of(verdicts[uscc]) == ["GPL-IR-18-2"]
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
        (designer, "L2", ["PY-2021-29", "GPL-IR-18-1"])]
    response = await api.client.get(f"/api/v1/projects/{project}/barred-list", params={"format": "csv"},
                                    headers=api.headers("procurement_officer"))
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["统一社会信用代码", "供应商名称", "标段"]
    assert rows[1][:3] == [designer, "设计院", "L2"]


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
