"""Sealed means sealed, and nothing answers differently for a seated expert (docs/guarantees.md §7, issue 17 points
2 and 3).

Until the meeting's last half-day has ended only the panel's organiser, its supervisor and bureau
admins read who sits on it; every other reader of draws gets counts and the commitment, never a
member's pool number — in the draw, the record, the exclusions, the history, the printable record,
the audit log, the statistics and the webhook payloads. After the meeting the record is open to all.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlalchemy import text

from services.experts.domain.panels import is_sealed
from services.experts.models import Panel
from shared.clock import BEIJING, beijing_today
from shared.draw import KeySet, verify_record
from tests.experts.helpers import OTHER_UNIT, admin, create_expert, direct_database
from tests.experts.test_panels import (
    MEETING,
    ask_panel,
    build_pool,
    organiser,
    panel_body,
    register_project,
    reveal,
    seated,
    supervisor,
)


def outsiders(minter) -> dict[str, dict[str, str]]:
    """Readers of draws who are neither the panel's organiser nor its supervisor nor a bureau admin."""
    return {
        "auditor": minter.headers("experts", "auditor", subject="user:auditor"),
        "organiser of the same unit": organiser(minter, subject="user:colleague"),
        "organiser of another unit": organiser(minter, subject="user:other-organiser", unit=OTHER_UNIT),
        "another supervisor": supervisor(minter, subject="user:other-supervisor"),
        "service": minter.headers("experts", "service", subject="service:lifecycle"),
    }


def insiders(minter) -> dict[str, dict[str, str]]:
    return {"organiser": organiser(minter), "supervisor": supervisor(minter), "bureau admin": admin(minter)}


async def get_json(client, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(path, headers=headers, params=params)
    assert response.status_code == 200, (path, response.text)
    return response.json()


async def revealed_panel(client, minter) -> tuple[dict[str, Any], list[str]]:
    """A revealed panel ten days ahead, one decline replaced from the reserves: (the draw as its
    organiser reads it, every pool number it drew)."""
    await register_project(client, minter)
    await build_pool(client, minter, 6)
    committed = await ask_panel(client, minter, panel_body(count=2, reserves=2))
    draw = await reveal(client, minter, committed["id"])
    declined = seated(draw)[0]
    response = await client.post(f"/api/v1/draws/{draw['id']}/members/{declined}/decline",
                                 json={"channel": "phone", "reason": "出差"}, headers=organiser(minter))
    assert response.status_code == 200, response.text
    drawn = [code for lists in draw["result"].values() for code in (*lists["primaries"], *lists["reserves"])]
    return draw, drawn


def without(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name != key}


def names_any(body: str, codes: list[str]) -> list[str]:
    return [code for code in codes if re.search(rf"\b{code}\b", body)]


async def panel_entries(client, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The audit entries on panels and draws, as ``headers`` reads them."""
    page = await get_json(client, "/api/v1/audit", headers, page_size=500)
    return [entry for entry in page["items"] if entry["object_type"] in ("panel", "draw")]


async def move_meeting_to(client, day: dt.date) -> None:
    async with direct_database(client) as database, database.transaction() as session:
        await session.execute(text("UPDATE panels SET meeting_on = :day"), {"day": day})


async def test_a_sealed_panel_shows_others_counts_and_the_commitment_never_a_member(experts_client, minter) -> None:
    draw, drawn = await revealed_panel(experts_client, minter)
    url = f"/api/v1/draws/{draw['id']}"
    for who, headers in outsiders(minter).items():
        view = await get_json(experts_client, url, headers)
        # The commit receipt lists every candidate of the pool; nothing else names anyone.
        assert names_any(json.dumps(without(view, "receipt")), drawn) == [], who
        assert view["status"] == "revealed" and view["result"] is None and view["panel"]["members"] == [], who
        assert view["commitment"] == draw["commitment"] and view["exclusion_counts"] == draw["exclusion_counts"]
        assert view["panel"]["sealed"] and view["panel"]["member_counts"] == {
            "invited": 2, "declined": 1, "reserve": 1}, who
        record = await get_json(experts_client, f"{url}/record", headers)
        assert record == draw["receipt"], who  # the commit receipt: no secret, seed, witness or result
        exclusions = await get_json(experts_client, f"{url}/exclusions", headers)
        assert all(entry["expert_code"] is None for entry in exclusions), who
        for path in ("history", "printable"):
            response = await experts_client.get(f"{url}/{path}", headers=headers)
            assert response.status_code == 200 and names_any(response.text, drawn) == [], (who, path)
            assert draw["receipt"]["commitment"] in response.text or path == "history", (who, path)
    auditor = outsiders(minter)["auditor"]
    about_the_panel = await panel_entries(experts_client, auditor)
    assert names_any(json.dumps(about_the_panel), drawn) == []
    assert "seat.declined" in [entry["action"] for entry in about_the_panel]
    revealed = next(entry for entry in about_the_panel if entry["action"] == "draw.revealed")
    assert revealed["details"]["seed"] == "[sealed]" and revealed["details"]["result"]["APP"]["primaries"] == [
        "[sealed]"] * 2
    stats = await experts_client.get("/api/v1/draw-statistics", headers=auditor)
    assert stats.json()["revealed"] == 1 and names_any(stats.text, drawn) == []

    for who, headers in insiders(minter).items():
        view = await get_json(experts_client, url, headers)
        assert view["result"] == draw["result"] and len(view["panel"]["members"]) == 4, who
        assert view["panel"]["answers_open"], who  # answers close when the meeting starts, as before
        assert (await get_json(experts_client, f"{url}/record", headers))["result"] == draw["result"], who
        exclusions = await get_json(experts_client, f"{url}/exclusions", headers)
        assert all(entry["expert_code"] for entry in exclusions), who
    assert set(names_any(json.dumps(await panel_entries(experts_client, admin(minter))), drawn)) == set(drawn)
    # Redacted when read, not when stored: the chain still verifies.
    verification = await get_json(experts_client, "/api/v1/audit/verification", auditor)
    assert verification["ok"], verification


async def test_the_service_role_reads_counts_even_of_a_panel_it_asked_for(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    lifecycle = minter.headers("experts", "service", subject="service:lifecycle", unit=OTHER_UNIT)
    response = await experts_client.post("/api/v1/projects/P1/panels", json=panel_body(), headers=lifecycle)
    assert response.status_code == 201, response.text
    draw = await reveal(experts_client, minter, response.json()["id"])
    view = await get_json(experts_client, f"/api/v1/draws/{draw['id']}", lifecycle)
    assert view["result"] is None and view["panel"]["members"] == [] and view["panel"]["member_counts"]
    assert (await get_json(experts_client, f"/api/v1/draws/{draw['id']}/record", lifecycle)) == draw["receipt"]


async def test_after_the_meeting_the_record_is_open_to_every_draw_reader(experts_client, minter) -> None:
    draw, drawn = await revealed_panel(experts_client, minter)
    url = f"/api/v1/draws/{draw['id']}"
    await move_meeting_to(experts_client, beijing_today() - dt.timedelta(days=1))
    keys = KeySet.from_json((await experts_client.get("/.well-known/sortes-keys", headers=organiser(minter))).json())
    for who, headers in outsiders(minter).items():
        view = await get_json(experts_client, url, headers)
        assert view["result"] == draw["result"] and not view["panel"]["sealed"], who
        assert not view["panel"]["answers_open"], who
        assert {m["expert_code"] for m in view["panel"]["members"]} == set(drawn), who
        # Nor how each invitation reached its member: that is the organiser's call sheet.
        assert all(m["name"] is None and m["phone"] is None and m["notices"] == {}
                   for m in view["panel"]["members"]), who
        record = await get_json(experts_client, f"{url}/record", headers)
        assert record["result"] == draw["result"] and verify_record(record, keys).ok, who
        history = await experts_client.get(f"{url}/history", headers=headers)
        assert set(names_any(history.text, drawn)) == set(drawn), who
    auditor = outsiders(minter)["auditor"]
    assert set(names_any(json.dumps(await panel_entries(experts_client, auditor)), drawn)) == set(drawn)
    stats = await get_json(experts_client, "/api/v1/draw-statistics", auditor,
                           since=(beijing_today() - dt.timedelta(days=30)).isoformat())
    assert {entry["expert_code"] for entry in stats["experts"]} == set(drawn)


def panel_meeting(day: dt.date, halves: str) -> Panel:
    return Panel(meeting_on=day, halves=halves, status="open")


def beijing(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), BEIJING)


def test_the_list_stays_sealed_until_the_last_half_day_has_ended() -> None:
    day = dt.date(2026, 12, 10)
    whole_day, morning, afternoon = (panel_meeting(day, "morning,afternoon"), panel_meeting(day, "morning"),
                                     panel_meeting(day, "afternoon"))
    # Once the meeting has started the members are in the room, but the list is still sealed.
    assert is_sealed(whole_day, beijing(day, 9)) and is_sealed(whole_day, beijing(day, 17, 59))
    assert not is_sealed(whole_day, beijing(day, 18))
    assert is_sealed(morning, beijing(day, 11, 59)) and not is_sealed(morning, beijing(day, 12))
    assert is_sealed(afternoon, beijing(day, 14, 30)) and not is_sealed(afternoon, beijing(day, 18))


async def test_webhook_payloads_carry_counts_never_a_pool_number(experts_client, minter) -> None:
    _, drawn = await revealed_panel(experts_client, minter)
    async with direct_database(experts_client) as database, database.reading() as session:
        events = (await session.execute(text("SELECT event_type, payload FROM outbox_events"))).all()
    kinds = {kind for kind, _ in events}
    assert {"draw.revealed", "seat.changed"} <= kinds
    for kind, payload in events:
        assert names_any(payload, drawn) == [], (kind, payload)
    revealed = json.loads(next(payload for kind, payload in events if kind == "draw.revealed"))
    assert revealed["result"] == {"APP": {"primaries": 2, "reserves": 2}}


# --- no oracles -------------------------------------------------------------------------------------

def shape(body: Any, code: str) -> Any:
    """A body with the pool number asked about replaced, so two answers can be compared."""
    return json.loads(json.dumps(body).replace(code, "<code>"))


async def test_listing_search_lookup_and_export_answer_alike_for_a_seated_expert(experts_client, minter) -> None:
    draw, _ = await revealed_panel(experts_client, minter)
    sitting = seated(draw)[1]  # the first declined
    free = (await create_expert(experts_client, minter, name="专家APP9", unit_uscc=OTHER_UNIT,
                                fields=[{"code": "APP", "primary": True}]))["code"]
    for who, headers in {**outsiders(minter), **insiders(minter)}.items():
        listing = await get_json(experts_client, "/api/v1/experts", headers, page_size=500)
        assert {sitting, free} <= {item["code"] for item in listing["items"]}, who
        answers = []
        for code in (sitting, free):
            found = await get_json(experts_client, "/api/v1/experts", headers, q=code)
            looked_up = await experts_client.get(f"/api/v1/experts/{code}", headers=headers)
            answers.append((found["total"], looked_up.status_code, sorted(looked_up.json())))
        assert answers[0] == answers[1] == (1, 200, answers[0][2]), who
    export = await experts_client.get("/api/v1/experts/export", params={"format": "csv"},
                                      headers=outsiders(minter)["auditor"])
    assert sitting in export.text and free in export.text


async def test_member_routes_answer_the_same_404_for_not_a_member_and_not_yours(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    pool = [(await create_expert(experts_client, minter, name=f"专家{n}", unit_uscc=OTHER_UNIT,
                                 account_subject=f"user:expert-{n}"))["code"] for n in range(5)]
    draw = await reveal(experts_client, minter, (await ask_panel(experts_client, minter,
                                                                 panel_body(count=2, reserves=1)))["id"])
    me, colleague = seated(draw)
    outsider = next(code for code in pool if code not in draw["result"]["APP"]["primaries"] + draw[
        "result"]["APP"]["reserves"])
    as_me = minter.headers("experts", "expert", subject=f"user:expert-{pool.index(me)}")
    other_unit = organiser(minter, subject="user:other-organiser", unit=OTHER_UNIT)
    url = f"/api/v1/draws/{draw['id']}/members"
    for who, headers, route, body in (("a seated expert", as_me, "accept", {}),
                                      ("a seated expert", as_me, "decline", {"reason": "出差"}),
                                      ("another unit's organiser", other_unit, "accept", {"channel": "phone"}),
                                      ("another unit's organiser", other_unit, "decline",
                                       {"channel": "phone", "reason": "出差"}),
                                      ("another unit's organiser", other_unit, "evaluation", {"attended": True,
                                                                                              "score": 80})):
        answers = []
        for code in (colleague, outsider):
            response = await experts_client.post(f"{url}/{code}/{route}", json=body, headers=headers)
            answers.append((response.status_code, shape(response.json(), code)))
        assert answers[0] == answers[1] and answers[0][0] == 404, (who, route, answers)
    # The expert still answers for themself.
    response = await experts_client.post(f"{url}/{me}/accept", json={}, headers=as_me)
    assert response.status_code == 200 and response.json()["state"] == "accepted"


async def test_an_expert_seated_elsewhere_is_excluded_for_the_same_reason_as_one_unavailable(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await register_project(experts_client, minter, "P2")
    pool = await build_pool(experts_client, minter, 4)
    first = await reveal(experts_client, minter, (await ask_panel(experts_client, minter,
                                                                  panel_body(count=1, reserves=0)))["id"])
    [sitting] = seated(first)
    away = next(code for code in pool if code != sitting)
    response = await experts_client.post(f"/api/v1/experts/{away}/unavailability", headers=admin(minter), json={
        "starts_on": MEETING.isoformat(), "ends_on": MEETING.isoformat(), "reason": "出差"})
    assert response.status_code == 201, response.text
    second = await ask_panel(experts_client, minter, panel_body(count=1, reserves=0), project="P2")
    exclusions = await get_json(experts_client, f"/api/v1/draws/{second['id']}/exclusions", organiser(minter))
    reasons = {entry["expert_code"]: entry["reasons"] for entry in exclusions}
    assert reasons[sitting] == reasons[away] == ["UNAVAILABLE"]


async def test_the_audit_log_read_about_panels_alone_is_sealed_too(experts_client, minter) -> None:
    _, drawn = await revealed_panel(experts_client, minter)
    auditor = outsiders(minter)["auditor"]
    page = await get_json(experts_client, "/api/v1/audit", auditor, object_type="panel", page_size=500)
    assert {entry["object_type"] for entry in page["items"]} == {"panel"}  # no draw entry on the page
    assert "seat.declined" in [entry["action"] for entry in page["items"]]
    assert names_any(json.dumps(page["items"]), drawn) == []
    whole = await get_json(experts_client, "/api/v1/audit", admin(minter), object_type="panel", page_size=500)
    assert set(names_any(json.dumps(whole["items"]), drawn)) == set(drawn[:3])  # the seated, the declined, the moved-up


async def test_on_one_page_a_past_panels_entries_are_open_while_a_coming_ones_stay_sealed(experts_client,
                                                                                           minter) -> None:
    await register_project(experts_client, minter)
    await register_project(experts_client, minter, "P2")
    await build_pool(experts_client, minter, 6)
    past, coming = [await reveal(experts_client, minter, (await ask_panel(
        experts_client, minter, panel_body(count=2, reserves=0), project=project))["id"]) for project in ("P1", "P2")]
    declines = {}
    for draw in (past, coming):  # a decline: an entry on the panel itself naming the member
        declines[draw["id"]] = seated(draw)[0]
        response = await experts_client.post(f"/api/v1/draws/{draw['id']}/members/{seated(draw)[0]}/decline",
                                             json={"channel": "phone", "reason": "出差"}, headers=organiser(minter))
        assert response.status_code == 200, response.text
    async with direct_database(experts_client) as database, database.transaction() as session:
        await session.execute(text("UPDATE panels SET meeting_on = :day WHERE id = :id"),
                              {"day": beijing_today() - dt.timedelta(days=1), "id": past["panel"]["id"]})
    entries = await get_json(experts_client, "/api/v1/audit", outsiders(minter)["auditor"], object_type="panel",
                             page_size=500)
    declined = {entry["object_id"]: json.dumps(entry["details"]) for entry in entries["items"]
                if entry["action"] == "seat.declined"}
    assert names_any(declined[past["panel"]["id"]], [declines[past["id"]]]) == [declines[past["id"]]]
    assert names_any(declined[coming["panel"]["id"]], [declines[coming["id"]]]) == []
    entries = await get_json(experts_client, "/api/v1/audit", outsiders(minter)["auditor"], object_type="draw",
                             page_size=500)
    revealed = {entry["object_id"]: json.dumps(entry["details"]) for entry in entries["items"]
                if entry["action"] == "draw.revealed"}
    assert set(names_any(revealed[past["id"]], seated(past))) == set(seated(past))
    assert names_any(revealed[coming["id"]], seated(coming)) == []
