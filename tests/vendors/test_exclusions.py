"""The exclusion register: whether a debarment is active follows from its Beijing dates."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.audit.chain import change_digest
from shared.clock import beijing_today
from tests.vendors.conftest import VendorsApi


def exclusion(uscc: str, starts_on: dt.date, ends_on: dt.date | None) -> dict[str, object]:
    return {"uscc": uscc, "vendor_name": "浙江某公司", "issuing_body": "温州市财政局",
            "decision_number": "温财〔2026〕1号", "scope": "浙江省政府采购活动", "reason": "串通投标",
            "starts_on": starts_on.isoformat(), "ends_on": ends_on and ends_on.isoformat()}


async def test_active_is_computed_from_the_dates(api: VendorsApi) -> None:
    today = beijing_today()
    current, ended, future = api.new_uscc(), api.new_uscc(), api.new_uscc()
    for uscc, start, end in ((current, today, today), (ended, today - dt.timedelta(days=30),
                                                        today - dt.timedelta(days=1)),
                             (future, today + dt.timedelta(days=1), None)):
        response = await api.client.post("/api/v1/exclusions", json=exclusion(uscc, start, end), headers=api.admin)
        assert response.status_code == 201, response.text
    listed = (await api.client.get("/api/v1/exclusions", headers=api.headers("auditor"))).json()
    assert {item["uscc"]: item["active"] for item in listed["items"]} == {current: True, ended: False, future: False}
    active = (await api.client.get("/api/v1/exclusions", params={"active": "true"}, headers=api.admin)).json()
    assert [item["uscc"] for item in active["items"]] == [current]
    assert (await api.audit_actions()).count("exclusion.recorded") == 3


@pytest.mark.parametrize(("changes", "field"), [
    ({"uscc": "91330326MA2CT8U6X1"}, "uscc"),
    ({"ends_on": "2020-01-01"}, "ends_on"),
    ({"issuing_body": ""}, "issuing_body"),
])
async def test_bad_exclusions_name_the_field(api: VendorsApi, changes: dict[str, object], field: str) -> None:
    body = {**exclusion(api.new_uscc(), dt.date(2026, 1, 1), None), **changes}
    response = await api.client.post("/api/v1/exclusions", json=body, headers=api.admin)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_only_bureau_admins_record_exclusions(api: VendorsApi) -> None:
    body = exclusion(api.new_uscc(), dt.date(2026, 1, 1), None)
    for role in ("procurement_officer", "auditor", "service"):
        assert (await api.client.post("/api/v1/exclusions", json=body, headers=api.headers(role))).status_code == 403


async def test_a_recorded_exclusion_is_answered_and_audited_under_its_id(api: VendorsApi) -> None:
    uscc = api.new_uscc()
    created = await api.client.post("/api/v1/exclusions", headers=api.admin,
                                    json=exclusion(uscc, beijing_today(), None))
    assert created.status_code == 201, created.text
    listed = (await api.client.get("/api/v1/exclusions", params={"uscc": uscc}, headers=api.admin)).json()["items"]
    assert [item["id"] for item in listed] == [created.json()["id"]]
    audit = (await api.client.get("/api/v1/audit", params={"object_type": "exclusion"},
                                  headers=api.headers("auditor"))).json()["items"]
    assert [(entry["action"], entry["object_id"]) for entry in audit] == [("exclusion.recorded",
                                                                           str(created.json()["id"]))]
    for _ in range(2):
        await api.client.post("/api/v1/exclusions", headers=api.admin, json=exclusion(uscc, beijing_today(), None))
    second_page = (await api.client.get("/api/v1/exclusions", params={"uscc": uscc, "page": 2, "page_size": 2},
                                        headers=api.admin)).json()
    assert ([item["id"] for item in second_page["items"]], second_page["total"]) == ([created.json()["id"]], 3)


async def test_the_audit_digest_covers_the_recorded_facts_not_the_computed_active_flag(api: VendorsApi) -> None:
    # Whoever holds the service's digest key can check an entry against the exclusion as recorded; the
    # `active` flag follows from the day it is read, so it is no part of what was recorded.
    created = await api.client.post("/api/v1/exclusions", headers=api.admin,
                                    json=exclusion(api.new_uscc(), beijing_today(), None))
    assert created.status_code == 201, created.text
    recorded = {field: value for field, value in created.json().items() if field != "active"}
    # The app's engine belongs to the test client's event loop; read the log through one of our own.
    engine = create_async_engine(api.client.app.state.database.engine.url)
    async with engine.connect() as connection:
        after_digest = (await connection.execute(text(
            "SELECT after_digest FROM audit_log WHERE action = 'exclusion.recorded' AND object_id = :id"),
            {"id": str(created.json()["id"])})).scalar_one()
    await engine.dispose()
    audit = api.client.app.state.audit
    assert after_digest == change_digest(audit.digest_key, recorded, audit.profile)


@pytest.mark.parametrize("open_ended_first", [True, False])
async def test_a_vendor_under_two_exclusions_is_excluded_until_the_later_end_or_until_lifted(
        api: VendorsApi, open_ended_first: bool) -> None:
    today = beijing_today()
    dated, later = api.new_uscc(), today + dt.timedelta(days=90)
    for end in (today + dt.timedelta(days=30), later):
        response = await api.client.post("/api/v1/exclusions", json=exclusion(dated, today, end), headers=api.admin)
        assert response.status_code == 201, response.text
    open_ended = api.new_uscc()
    for end in ((None, today + dt.timedelta(days=30)) if open_ended_first else (today + dt.timedelta(days=30), None)):
        response = await api.client.post("/api/v1/exclusions", json=exclusion(open_ended, today, end),
                                          headers=api.admin)
        assert response.status_code == 201, response.text
    for uscc in (dated, open_ended):
        await api.client.post("/api/v1/vendors", headers=api.admin, json={"uscc": uscc, "name": "浙江某公司"})
    shown = {uscc: (await api.client.get(f"/api/v1/vendors/{uscc}", headers=api.headers("auditor"))).json()
             for uscc in (dated, open_ended)}
    assert (shown[dated]["excluded"], shown[dated]["excluded_until"]) == (True, later.isoformat())
    assert (shown[open_ended]["excluded"], shown[open_ended]["excluded_until"]) == (True, None)
