"""The draw archive, a draw found by a prefix of its number, the organiser's desk, a year's export,
the public bulletin and the register of self-evaluations the spot check draws from (Art. 25)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import itertools
import json
import uuid
import zipfile
from typing import Any

from sqlalchemy import text, update

from services.experts.models import Draw, Panel
from shared.clock import beijing_today
from shared.draw import KeySet, verify_record
from tests.experts.helpers import OTHER_UNIT, THIRD_UNIT, admin, audit_entries, direct_database
from tests.experts.test_panels import (
    LAST_YEAR,
    OWNER,
    SUPERVISOR,
    SUPERVISOR_UNIT,
    ask_panel,
    build_pool,
    organiser,
    panel_body,
    register_project,
    reveal,
    supervisor,
)
from tests.support.identity import BUREAU_USCC

OTHER_SUPERVISOR = {"subject": "user:other-supervisor", "name": "张监督", "unit": SUPERVISOR_UNIT}


def auditor(minter) -> dict[str, str]:
    return minter.headers("experts", "auditor")


def service(minter) -> dict[str, str]:
    return minter.headers("experts", "service")


async def meeting_ended(client, panel_id: str, days_ago: int = 1) -> None:
    async with direct_database(client) as database, database.transaction() as session:
        await session.execute(update(Panel).where(Panel.id == panel_id).values(
            meeting_on=beijing_today() - dt.timedelta(days=days_ago)))


async def bulletin(client, minter, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/bulletin", params=params, headers=service(minter))
    assert response.status_code == 200, response.text
    return response.json()


# --- the public bulletin: nothing about a panel before its meeting has ended -----------------------

async def test_the_bulletin_shows_nothing_of_a_panel_before_its_meeting_has_ended(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    pool = await build_pool(experts_client, minter, 5)
    draw = await ask_panel(experts_client, minter)
    revealed = await reveal(experts_client, minter, draw["id"])
    primaries = revealed["result"]["APP"]["primaries"]

    # Revealed, seats taken, meeting ahead: the bulletin says nothing, not even that the draw exists.
    response = await experts_client.get("/api/v1/bulletin", headers=service(minter))
    assert response.json()["items"] == [] and response.json()["total"] == 0
    assert draw["id"] not in response.text and "P1" not in response.text
    assert not any(code in response.text for code in pool)
    early = await experts_client.get(f"/api/v1/bulletin/{draw['id']}/record", headers=service(minter))
    unknown = await experts_client.get(f"/api/v1/bulletin/{uuid.uuid4()}/record", headers=service(minter))
    assert early.status_code == unknown.status_code == 404
    assert early.json()["code"] == unknown.json()["code"] == "bulletin.unknown"
    assert not any(code in early.text for code in pool)

    # The meeting is today, afternoon only: still sealed until its end at 18:00 Beijing time.
    async with direct_database(experts_client) as database, database.transaction() as session:
        await session.execute(update(Panel).where(Panel.id == draw["panel"]["id"]).values(
            meeting_on=beijing_today() + dt.timedelta(days=1), halves="afternoon"))
    assert (await bulletin(experts_client, minter))["items"] == []

    await meeting_ended(experts_client, draw["panel"]["id"])
    shown = await bulletin(experts_client, minter)
    assert shown["total"] == 1
    item = shown["items"][0]
    assert (item["draw_id"], item["project_code"], item["project_name"], item["purpose"]) == (
        draw["id"], "P1", "城市大脑", "technical_review")
    assert item["commitment"] == draw["commitment"] and item["exclusion_counts"] == draw["exclusion_counts"]
    assert item["result"]["APP"]["primaries"] == primaries
    assert item["names"] is None and "专家APP" not in json.dumps(shown, ensure_ascii=False)
    record = (await experts_client.get(f"/api/v1/bulletin/{draw['id']}/record", headers=service(minter))).json()
    keys = KeySet.from_json((await experts_client.get("/.well-known/sortes-keys", headers=service(minter))).json())
    assert verify_record(record, keys).ok

    # Names only where the setting says so.
    state = experts_client.app.state
    state.rules = dataclasses.replace(state.rules, bulletin_names=1)
    named = (await bulletin(experts_client, minter))["items"][0]["names"]
    assert set(named) == set(primaries) | set(revealed["result"]["APP"]["reserves"])
    assert all(name.startswith("专家APP") for name in named.values())


async def test_the_bulletin_is_for_the_gateway_only_and_leaves_out_cancelled_panels(experts_client, minter) -> None:
    for headers in (organiser(minter), admin(minter), auditor(minter), supervisor(minter)):
        assert (await experts_client.get("/api/v1/bulletin", headers=headers)).status_code == 403
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 5)
    draw = await ask_panel(experts_client, minter)
    await reveal(experts_client, minter, draw["id"])
    response = await experts_client.post(f"/api/v1/draws/{draw['id']}/cancel", json={"reason": "项目暂停实施"},
                                         headers=organiser(minter))
    assert response.status_code == 200, response.text
    await meeting_ended(experts_client, draw["panel"]["id"])
    assert (await bulletin(experts_client, minter))["items"] == []


# --- the archive ----------------------------------------------------------------------------------

async def _two_units_draws(client, minter) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """P1 (OWNER's): one revealed and one committed draw; P2 (OTHER_UNIT's): one committed draw."""
    await register_project(client, minter)
    await register_project(client, minter, "P1B")
    response = await client.put("/api/v1/projects/P2", headers=service(minter), json={
        "name": "智慧医疗", "kind": "construction", "owner_unit": THIRD_UNIT, "investment_fen": 100_000_000,
        "lots": [], "planned_completion": "2027-12-31"})
    assert response.status_code in (200, 201), response.text
    await build_pool(client, minter, 6)
    await build_pool(client, minter, 3, field="CLOUD")
    revealed = await ask_panel(client, minter)
    await reveal(client, minter, revealed["id"])
    committed = await ask_panel(client, minter, panel_body(purpose="initial_acceptance", field="CLOUD", count=1),
                                project="P1B")
    response = await client.post("/api/v1/projects/P2/panels", json=panel_body(supervisor=OTHER_SUPERVISOR),
                                 headers=organiser(minter, subject="user:other-organiser", unit=THIRD_UNIT))
    assert response.status_code == 201, response.text
    return revealed, committed, response.json()


def ids(page: dict[str, Any]) -> list[str]:
    return [item["draw_id"] for item in page["items"]]


async def archive(client, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/draws", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_archive_shows_each_reader_the_draws_it_may_and_never_a_member(experts_client, minter) -> None:
    revealed, committed, other = await _two_units_draws(experts_client, minter)
    everything = await archive(experts_client, auditor(minter))
    assert everything["total"] == 3 and set(ids(everything)) == {revealed["id"], committed["id"], other["id"]}
    instants = [item["committed_at"] for item in everything["items"]]
    assert instants == sorted(instants, reverse=True)  # newest first
    assert set(ids(await archive(experts_client, admin(minter)))) == set(ids(everything))
    assert set(ids(await archive(experts_client, organiser(minter)))) == {revealed["id"], committed["id"]}
    other_organiser = organiser(minter, subject="user:other-organiser", unit=THIRD_UNIT)
    assert ids(await archive(experts_client, other_organiser)) == [other["id"]]
    assert set(ids(await archive(experts_client, supervisor(minter)))) == {revealed["id"], committed["id"]}
    assert ids(await archive(experts_client, supervisor(minter, "user:other-supervisor"))) == [other["id"]]
    assert (await experts_client.get("/api/v1/draws", headers=minter.headers("experts", "expert"))).status_code == 403

    response = await experts_client.get("/api/v1/draws", headers=admin(minter))
    members = [m["expert_code"] for m in revealed["panel"]["members"]] or []
    record = (await experts_client.get(f"/api/v1/draws/{revealed['id']}/record", headers=admin(minter))).json()
    drawn = record["result"]["APP"]["primaries"] + record["result"]["APP"]["reserves"]
    assert not any(code in response.text for code in [*members, *drawn])  # even the admin: facts only
    item = next(i for i in response.json()["items"] if i["draw_id"] == revealed["id"])
    assert (item["project_name"], item["status"], item["fields"], item["organiser_name"] is None) == (
        "城市大脑", "revealed", {"APP": 2}, False)
    assert item["commitment"] == revealed["commitment"] and item["meeting_on"] == revealed["panel"]["meeting_on"]


async def test_the_archive_filters_and_pages(experts_client, minter) -> None:
    revealed, committed, other = await _two_units_draws(experts_client, minter)
    headers = auditor(minter)
    assert ids(await archive(experts_client, headers, purpose="initial_acceptance")) == [committed["id"]]
    assert ids(await archive(experts_client, headers, status="revealed")) == [revealed["id"]]
    assert ids(await archive(experts_client, headers, field="CLOUD")) == [committed["id"]]
    assert ids(await archive(experts_client, headers, project="智慧")) == [other["id"]]
    assert set(ids(await archive(experts_client, headers, project="p1"))) == {revealed["id"], committed["id"]}
    assert ids(await archive(experts_client, headers, project="P1B")) == [committed["id"]]
    assert ids(await archive(experts_client, headers, organiser="other-organiser")) == [other["id"]]
    assert ids(await archive(experts_client, headers, supervisor="张监督")) == [other["id"]]
    today = beijing_today().isoformat()
    assert (await archive(experts_client, headers, **{"from": today, "to": today}))["total"] == 3
    yesterday = (beijing_today() - dt.timedelta(days=1)).isoformat()
    assert (await archive(experts_client, headers, to=yesterday))["total"] == 0
    first = await archive(experts_client, headers, page=1, size=2)
    second = await archive(experts_client, headers, page=2, size=2)
    assert (first["total"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    assert set(ids(first)) | set(ids(second)) == {revealed["id"], committed["id"], other["id"]}

    for params, field, code in (({"purpose": "banquet"}, "purpose", "archive.unknown_purpose"),
                                ({"status": "lost"}, "status", "archive.unknown_status"),
                                ({"from": "2026-13-01"}, "from", "archive.bad_date"),
                                ({"from": today, "to": yesterday}, "to", "archive.period_reversed"),
                                ({"field": "app; drop"}, "field", "archive.bad_field")):
        response = await experts_client.get("/api/v1/draws", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    response = await experts_client.get("/api/v1/draws", params={"size": 0}, headers=headers)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "size"


async def test_a_draw_opens_by_a_unique_prefix_of_at_least_eight_characters(experts_client, minter,
                                                                          monkeypatch) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 6)
    numbers = (f"abcdef12-0000-4000-8000-{n:012d}" for n in itertools.count(1))
    monkeypatch.setattr("services.experts.domain.draws.uuid.uuid4", lambda: uuid.UUID(next(numbers)))
    first = await ask_panel(experts_client, minter)
    monkeypatch.undo()
    response = await experts_client.get(f"/api/v1/draws/{first['id'][:8]}", headers=auditor(minter))
    assert response.status_code == 200 and response.json()["id"] == first["id"]
    response = await experts_client.get(f"/api/v1/draws/{first['id'][:13].upper()}/record", headers=auditor(minter))
    assert response.status_code == 200 and response.json()["draw_id"] == first["id"]

    response = await experts_client.get(f"/api/v1/draws/{first['id'][:7]}", headers=auditor(minter))
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("draw_id", "draw.id_too_short")]

    monkeypatch.setattr("services.experts.domain.draws.uuid.uuid4", lambda: uuid.UUID(next(numbers)))
    await register_project(experts_client, minter, "P3")
    second = await ask_panel(experts_client, minter, project="P3")
    monkeypatch.undo()
    assert second["id"][:8] == first["id"][:8]
    response = await experts_client.get(f"/api/v1/draws/{first['id'][:8]}", headers=auditor(minter))
    assert response.status_code == 409 and response.json()["code"] == "draw.id_ambiguous"
    assert response.json()["params"] == {"prefix": first["id"][:8]}
    response = await experts_client.get(f"/api/v1/draws/{second['id']}", headers=auditor(minter))
    assert response.status_code == 200 and response.json()["id"] == second["id"]
    response = await experts_client.get("/api/v1/draws/ffffffff", headers=auditor(minter))
    assert response.status_code == 404 and response.json()["code"] == "draw.unknown"


# --- the organiser's desk -------------------------------------------------------------------------

async def test_the_organisers_desk_lists_what_waits_for_the_witness_answers_and_evaluations(experts_client,
                                                                                         minter) -> None:
    revealed, committed, other = await _two_units_draws(experts_client, minter)
    response = await experts_client.get("/api/v1/panels/organising", headers=organiser(minter))
    assert response.status_code == 200, response.text
    desk = response.json()
    assert ids({"items": desk["awaiting_witness"]}) == [committed["id"]]
    assert ids({"items": desk["awaiting_answers"]}) == [revealed["id"]]
    assert desk["awaiting_evaluation"] == []
    assert set(ids({"items": desk["recent"]})) == {revealed["id"], committed["id"]}

    await meeting_ended(experts_client, revealed["panel"]["id"], days_ago=2)
    desk = (await experts_client.get("/api/v1/panels/organising", headers=organiser(minter))).json()
    assert desk["awaiting_answers"] == [] and ids({"items": desk["awaiting_evaluation"]}) == [revealed["id"]]
    other_desk = (await experts_client.get("/api/v1/panels/organising", headers=organiser(
        minter, subject="user:other-organiser", unit=THIRD_UNIT))).json()
    assert ids({"items": other_desk["awaiting_witness"]}) == [other["id"]] and other_desk["awaiting_evaluation"] == []
    assert (await experts_client.get("/api/v1/panels/organising", headers=auditor(minter))).status_code == 403


# --- a year's draws for the file ------------------------------------------------------------------

async def test_a_years_draws_export_as_formula_safe_sheets_and_verifiable_records(experts_client, minter) -> None:
    response = await experts_client.put("/api/v1/projects/P1", headers=service(minter), json={
        "name": "=HYPERLINK(\"http://evil\")", "kind": "construction", "owner_unit": OWNER,
        "investment_fen": 1, "lots": [], "planned_completion": "2027-12-31"})
    assert response.status_code in (200, 201)
    await build_pool(experts_client, minter, 6)
    ended = await ask_panel(experts_client, minter)
    await reveal(experts_client, minter, ended["id"])
    await meeting_ended(experts_client, ended["panel"]["id"])
    sealed = await ask_panel(experts_client, minter, panel_body(count=1, reserves=1))
    await reveal(experts_client, minter, sealed["id"])
    year = beijing_today().year

    response = await experts_client.get("/api/v1/draws/export", params={"year": year, "format": "csv"},
                                        headers=auditor(minter))
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["抽取编号", "类型", "用途", "项目编号"] and len(rows) == 3
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row[4:5])
    assert "技术审查" in rows[1] and "已揭示" in rows[1]
    response = await experts_client.get("/api/v1/draws/export", params={"year": year, "format": "xlsx"},
                                        headers=auditor(minter))
    assert response.status_code == 200 and response.content[:2] == b"PK"

    response = await experts_client.get("/api/v1/draws/export", params={"year": year, "format": "zip"},
                                        headers=auditor(minter))
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(response.content))
    keys = KeySet.from_json(json.loads(bundle.read("sortes-keys.json")))
    assert bundle.namelist().count(f"records/{ended['id']}.json") == 1
    assert verify_record(json.loads(bundle.read(f"records/{ended['id']}.json")), keys).ok
    # The auditor may not read a list still sealed: that record stays out, named with why.
    assert f"records/{sealed['id']}.json" not in bundle.namelist()
    assert json.loads(bundle.read("left-out.json"))["draws"] == [
        {"draw_id": sealed["id"], "why": "sealed until the meeting has ended"}]
    response = await experts_client.get("/api/v1/draws/export", params={"year": year, "format": "zip"},
                                        headers=admin(minter))
    assert f"records/{sealed['id']}.json" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()

    response = await experts_client.get("/api/v1/draws/export", params={"year": year - 1, "format": "csv"},
                                        headers=auditor(minter))
    assert len(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))) == 1
    response = await experts_client.get("/api/v1/draws/export", params={"year": 1999}, headers=auditor(minter))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "year"


# --- the register of self-evaluations and the spot check (Art. 25) ---------------------------------

def evaluation(project: str, kind: str = "application", year: int = LAST_YEAR, **changes: Any) -> dict[str, Any]:
    return {"year": year, "project_code": project, "kind": kind, "submitted_on": f"{year}-06-30", **changes}


async def test_units_and_the_lifecycle_system_keep_the_register_of_self_evaluations(experts_client, minter) -> None:
    response = await experts_client.post("/api/v1/self-evaluations", json=evaluation("PY-1"),
                                         headers=organiser(minter))
    assert response.status_code == 201, response.text
    assert (response.json()["unit_uscc"], response.json()["kind"]) == (OWNER, "application")
    first = response.json()
    response = await experts_client.post("/api/v1/self-evaluations", json=evaluation("PY-1", "performance",
                                                                                     unit_uscc=OTHER_UNIT),
                                         headers=service(minter))
    assert response.status_code == 201 and response.json()["unit_uscc"] == OTHER_UNIT
    response = await experts_client.post("/api/v1/self-evaluations", json=evaluation("PY-1", unit_uscc=OWNER),
                                         headers=service(minter))
    assert response.status_code == 409 and response.json()["code"] == "self_evaluation.duplicate"
    response = await experts_client.post("/api/v1/self-evaluations", json=evaluation("PY-2", unit_uscc=OTHER_UNIT),
                                         headers=organiser(minter))
    assert response.status_code == 403 and response.json()["code"] == "self_evaluation.own_unit_only"
    response = await experts_client.post("/api/v1/self-evaluations", json=evaluation("PY-2"), headers=service(minter))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "unit_uscc"
    future = (beijing_today() + dt.timedelta(days=3)).isoformat()
    response = await experts_client.post("/api/v1/self-evaluations", headers=organiser(minter),
                                         json=evaluation("PY-3", submitted_on=future))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "submitted_on"
    response = await experts_client.post("/api/v1/self-evaluations", headers=organiser(minter),
                                         json=evaluation("PY-3", kind="expert"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "kind"
    register = (await experts_client.get("/api/v1/self-evaluations", params={"year": LAST_YEAR},
                                         headers=auditor(minter))).json()
    assert [(row["project_code"], row["kind"]) for row in register] == [("PY-1", "application"),
                                                                        ("PY-1", "performance")]
    assert register[0] == first  # read back as recorded, to the instant and its time zone
    assert [e["action"] for e in await audit_entries(experts_client, minter)].count("self_evaluation.recorded") == 2


async def test_a_years_spot_check_draws_from_its_register_once_and_only_after_the_year(experts_client,
                                                                                    minter) -> None:
    ask = {"year": LAST_YEAR, "supervisor": SUPERVISOR}
    response = await experts_client.post("/api/v1/spot-checks", json=ask, headers=admin(minter))
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("year", "spot_check.register_empty")]
    for n in range(1, 31):
        kind = "application" if n <= 20 else "performance"
        response = await experts_client.post("/api/v1/self-evaluations", headers=service(minter),
                                             json=evaluation(f"PY-{n:03d}", kind, unit_uscc=OWNER))
        assert response.status_code == 201
    response = await experts_client.post("/api/v1/self-evaluations", headers=service(minter),
                                         json=evaluation("PY-NOW", year=beijing_today().year, unit_uscc=OWNER,
                                                         submitted_on=beijing_today().isoformat()))
    assert response.status_code == 201
    response = await experts_client.post("/api/v1/spot-checks", json={**ask, "year": beijing_today().year},
                                         headers=admin(minter))
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("year", "spot_check.year_not_ended")]

    response = await experts_client.post("/api/v1/spot-checks", json=ask, headers=admin(minter))
    assert response.status_code == 201, response.text
    first = response.json()
    assert first["receipt"]["quotas"] == [{"field": "APPLICATION", "count": 2}, {"field": "PERFORMANCE", "count": 1}]
    assert first["receipt"]["candidates"]["APPLICATION"] == [f"PY-{n:03d}" for n in range(1, 21)]
    response = await experts_client.post("/api/v1/spot-checks", json=ask, headers=service(minter))
    assert response.status_code == 409 and response.json()["code"] == "spot_check.already_drawn"
    await reveal(experts_client, minter, first["id"])
    response = await experts_client.post("/api/v1/spot-checks", json=ask, headers=admin(minter))
    assert response.status_code == 409

    response = await experts_client.post(f"/api/v1/draws/{first['id']}/cancel", headers=admin(minter),
                                         json={"reason": "抽查名单录入有误，重新抽取"})
    assert response.status_code == 200, response.text
    assert response.json()["cancel_phase"] == "after_reveal"
    response = await experts_client.post("/api/v1/spot-checks", json=ask, headers=admin(minter))
    assert response.status_code == 201, response.text
    assert response.json()["id"] != first["id"]
    # The cancelled one keeps its record and reason in the archive.
    listed = await archive(experts_client, auditor(minter), purpose="spot_check")
    assert sorted((item["cancel_reason"] or "", item["status"]) for item in listed["items"]) == [
        ("", "committed"), ("抽查名单录入有误，重新抽取", "revealed")]
    async with direct_database(experts_client) as database, database.reading() as session:
        row = await session.get(Draw, first["id"])
        assert row is not None and row.cancel_reason == "抽查名单录入有误，重新抽取" and row.record is not None


async def test_the_supervisor_of_a_spot_check_is_not_who_asks_for_it(experts_client, minter) -> None:
    await experts_client.post("/api/v1/self-evaluations", headers=service(minter),
                              json=evaluation("PY-001", unit_uscc=OWNER))
    myself = {**SUPERVISOR, "subject": "user:admin"}
    response = await experts_client.post("/api/v1/spot-checks", headers=admin(minter),
                                         json={"year": LAST_YEAR, "supervisor": myself})
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("supervisor", "spot_check.supervisor_is_asker")]
    assert await archive(experts_client, auditor(minter), purpose="spot_check") == {
        "items": [], "total": 0, "page": 1, "page_size": 50}


async def test_a_spot_check_keeps_its_population_draws_no_reserves_and_leaves_registered_entries_as_they_were(
        experts_client, minter) -> None:
    registered = (await experts_client.post("/api/v1/self-evaluations", headers=service(minter),
                                            json=evaluation("PY-001", unit_uscc=OWNER))).json()
    # The request hands over the year's list: one already registered, two new (entered under the asker's unit).
    response = await experts_client.post("/api/v1/spot-checks", headers=admin(minter), json={
        "year": LAST_YEAR, "supervisor": SUPERVISOR, "submissions": [
            {"project_code": "PY-001", "kind": "application"}, {"project_code": "PY-002", "kind": "application"},
            {"project_code": "PY-002", "kind": "performance"}]})
    assert response.status_code == 201, response.text
    assert response.json()["receipt"]["reserves_per_field"] == 0
    drawn = await reveal(experts_client, minter, response.json()["id"])
    assert {field: lists["reserves"] for field, lists in drawn["result"].items()} == {
        "APPLICATION": [], "PERFORMANCE": []}
    register = (await experts_client.get("/api/v1/self-evaluations", params={"year": LAST_YEAR},
                                         headers=auditor(minter))).json()
    assert register[0] == registered
    assert [(row["project_code"], row["kind"], row["unit_uscc"]) for row in register[1:]] == [
        ("PY-002", "application", BUREAU_USCC), ("PY-002", "performance", BUREAU_USCC)]
    async with direct_database(experts_client) as database, database.reading() as session:
        population = (await session.execute(text(
            "SELECT project_code FROM spot_check_submissions WHERE draw_id = :draw ORDER BY project_code"),
            {"draw": drawn["id"]})).scalars().all()
    assert population == ["PY-001", "PY-002"]  # one row a project, as drawn
