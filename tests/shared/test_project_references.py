"""Project references as experts and vendors both store them (PUT /api/v1/projects/{code})."""

from __future__ import annotations

import pytest

from tests.support.identity import AssertionMinter

OWNER = "11330326862981311N"


def project(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "平阳县城市大脑（二期）", "kind": "construction", "owner_unit": OWNER,
        "investment_fen": 250_000_000, "planned_completion": "2027-12-31",
        "lots": [
            {"code": "L2", "name": "平台建设", "procurement_method": "public_tender", "role": "construction"},
            {"code": "L1", "name": "监理", "procurement_method": "competitive_consultation",
             "role": "supervision"},
        ],
    }
    body.update(changes)
    return body


async def test_put_registers_then_repeats_change_nothing(any_service, minter: AssertionMinter) -> None:
    service, client = any_service
    headers = minter.headers(service, "service")
    created = await client.put("/api/v1/projects/PY-2027-001", json=project(), headers=headers)
    assert created.status_code == 201, created.text
    stored = created.json()["project"]
    assert created.json()["outcome"] == "created"
    assert [lot["code"] for lot in stored["lots"]] == ["L1", "L2"]  # canonical order
    assert stored["is_major"] is True  # construction ≥ 2,000,000 CNY (Art. 2)

    repeated = await client.put("/api/v1/projects/PY-2027-001", json=project(), headers=headers)
    assert repeated.status_code == 200
    assert repeated.json()["outcome"] == "unchanged"
    assert repeated.json()["project"] == stored

    reordered = project(lots=list(reversed(project()["lots"])))  # type: ignore[arg-type]
    same = await client.put("/api/v1/projects/PY-2027-001", json=reordered, headers=headers)
    assert same.json()["outcome"] == "unchanged"


async def test_put_updates_fields_and_lots(any_service, minter: AssertionMinter) -> None:
    service, client = any_service
    headers = minter.headers(service, "bureau_admin")
    await client.put("/api/v1/projects/P1", json=project(), headers=headers)
    changed = project(name="改名后的项目", investment_fen=100, lots=[
        {"code": "L1", "name": "监理（调整）", "procurement_method": "single_source", "role": "supervision"},
        {"code": "L3", "name": "检测", "procurement_method": "request_for_quotation", "role": "testing"},
    ])
    response = await client.put("/api/v1/projects/P1", json=changed, headers=headers)
    assert response.status_code == 200
    assert response.json()["outcome"] == "updated"
    read = (await client.get("/api/v1/projects/P1", headers=headers)).json()
    assert read["name"] == "改名后的项目"
    assert read["is_major"] is False
    assert [(lot["code"], lot["procurement_method"]) for lot in read["lots"]] == [
        ("L1", "single_source"), ("L3", "request_for_quotation")]


@pytest.mark.parametrize(("body", "field"), [
    (project(owner_unit="91330326MA2CT8U6X1"), "owner_unit"),
    (project(kind="building"), "kind"),
    (project(investment_fen=-1), "investment_fen"),
    (project(investment_fen=12.5), "investment_fen"),
    (project(planned_completion="2027-02-30"), "planned_completion"),
    (project(lots=[{"code": "L1", "name": "a", "procurement_method": "auction", "role": "testing"}]),
     "lots[0].procurement_method"),
    (project(lots=[{"code": "L1", "name": "a", "procurement_method": "single_source", "role": "testing"},
                   {"code": "L1", "name": "b", "procurement_method": "single_source", "role": "testing"}]),
     "lots[1].code"),
    ({k: v for k, v in project().items() if k != "name"}, "name"),
    (project(surprise=1), "surprise"),
])
async def test_bad_input_names_the_field_and_writes_nothing(any_service, minter: AssertionMinter,
                                                            body: dict[str, object], field: str) -> None:
    service, client = any_service
    headers = minter.headers(service, "service")
    response = await client.put("/api/v1/projects/PY-BAD", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in response.json()["errors"]]
    assert (await client.get("/api/v1/projects/PY-BAD", headers=headers)).status_code == 404


async def test_malformed_json_is_a_400_problem(any_service, minter: AssertionMinter) -> None:
    service, client = any_service
    response = await client.put("/api/v1/projects/P1", content=b"{not json",
                                headers={**minter.headers(service, "service"),
                                         "content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/malformed-request"


async def test_an_invalid_project_code_is_refused(any_service, minter: AssertionMinter) -> None:
    service, client = any_service
    response = await client.put("/api/v1/projects/-bad", json=project(),
                                headers=minter.headers(service, "service"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "code"


async def test_without_an_assertion_the_service_answers_401(any_service) -> None:
    _, client = any_service
    response = await client.put("/api/v1/projects/P1", json=project())
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_assertion_from_another_key_is_401(any_service) -> None:
    service, client = any_service
    stranger = AssertionMinter()
    response = await client.get("/api/v1/projects/", headers=stranger.headers(service, "bureau_admin"))
    assert response.status_code == 401


async def test_an_assertion_for_the_other_service_is_401(any_service, minter: AssertionMinter) -> None:
    service, client = any_service
    other = "vendors" if service == "experts" else "experts"
    response = await client.get("/api/v1/projects/", headers=minter.headers(other, "bureau_admin"))
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["organiser", "expert", "vendor", "auditor", "procurement_officer"])
async def test_roles_that_may_not_register_projects_get_403(any_service, minter: AssertionMinter,
                                                            role: str) -> None:
    service, client = any_service
    response = await client.put("/api/v1/projects/P1", json=project(), headers=minter.headers(service, role))
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"


async def test_both_services_give_a_unit_role_only_its_own_units_projects(any_service,
                                                                          minter: AssertionMinter) -> None:
    service, client = any_service
    county = "11330326MB1234567E"
    for code, owner in (("PY-BUREAU-1", OWNER), ("PY-COUNTY-1", county)):
        response = await client.put(f"/api/v1/projects/{code}", json=project(owner_unit=owner),
                                    headers=minter.headers(service, "service"))
        assert response.status_code == 201, response.text

    async def codes(role: str, unit: str) -> list[str]:
        response = await client.get("/api/v1/projects/", headers=minter.headers(service, role, unit=unit))
        assert response.status_code == 200, response.text
        return [item["code"] for item in response.json()]

    assert await codes("organiser", county) == ["PY-COUNTY-1"]
    assert await codes("procurement_officer", county) == ["PY-COUNTY-1"]
    assert await codes("organiser", OWNER) == ["PY-BUREAU-1", "PY-COUNTY-1"]  # the bureau's unit
    assert await codes("auditor", county) == ["PY-BUREAU-1", "PY-COUNTY-1"]
    assert await codes("supervisor", county) == ["PY-BUREAU-1", "PY-COUNTY-1"]
    refused = await client.get("/api/v1/projects/PY-BUREAU-1", headers=minter.headers(service, "rater", unit=county))
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
