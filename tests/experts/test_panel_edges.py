"""The edges of the panel rules: the request's audit entry, a meeting on today's date, the major-project
threshold, the start-time window of each half-day, unknown fields, the reserve shortfall, the avoidance
of experts already seated for the same project, answers and their conduct rules, the one-time link at
the meeting's start and once the organiser has recorded the answer, and the conduct look-back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select, update

from services.experts.domain import panel_views, supervision
from services.experts.domain import panels as panel_rules
from services.experts.domain.panels import conduct_counts
from services.experts.models import Booking, PanelMember
from shared.audit.chain import change_digest
from shared.clock import BEIJING, add_months, beijing_today
from shared.demo import demo_units
from tests.experts.helpers import admin, audit_entries, create_expert, direct_database
from tests.experts.test_notifications import _gateway, _outbox, _token_of
from tests.experts.test_panels import (
    MEETING,
    OWNER,
    ask_panel,
    build_pool,
    move_meeting,
    organiser,
    panel_body,
    register_project,
    reveal,
    seated,
    supervising,
    supervisor,
)
from tests.experts.test_reroll import cancel

PUBLIC_SECURITY = demo_units()[3].uscc  # 平阳县公安局
PHONE_DECLINE = {"channel": "phone", "reason": "出差"}


def _set_rules(client, **changes: int) -> None:
    """The pool rules of the running service, as the SORTES_EXPERTS_* settings would set them."""
    state = client.app.state
    state.panels = dataclasses.replace(state.panels, rules=dataclasses.replace(state.panels.rules, **changes))


async def _register(client, minter, code: str, kind: str, investment_fen: int) -> None:
    response = await client.put(f"/api/v1/projects/{code}", headers=minter.headers("experts", "service"), json={
        "name": "边界项目", "kind": kind, "owner_unit": OWNER, "investment_fen": investment_fen,
        "lots": [], "planned_completion": "2027-12-31"})
    assert response.status_code in (200, 201), response.text


async def _answer(client, minter, draw_id: str, code: str, verb: str, body: dict[str, Any]) -> Any:
    return await client.post(f"/api/v1/draws/{draw_id}/members/{code}/{verb}", json=body, headers=organiser(minter))


async def _exclusions(client, minter, draw_id: str) -> dict[str, list[str]]:
    response = await client.get(f"/api/v1/draws/{draw_id}/exclusions", headers=organiser(minter))
    assert response.status_code == 200, response.text
    return {each["expert_code"]: each["reasons"] for each in response.json()}


async def _only_token(client, minter) -> str:
    response = await client.get("/api/v1/notifications", params={"page_size": 200}, headers=admin(minter))
    [message] = response.json()["items"]
    return re.search(r"\?t=([A-Za-z0-9_-]+)", message["text"]).group(1)


async def _one_member_panel(client, minter, **changes: Any) -> tuple[dict[str, Any], str]:
    await register_project(client, minter)
    await build_pool(client, minter, 1)
    draw = await reveal(client, minter, (await ask_panel(client, minter, panel_body(count=1, reserves=0,
                                                                                    **changes)))["id"])
    [member] = seated(draw)
    return draw, member


# --- the request ----------------------------------------------------------------------------------------

async def test_a_request_is_audited_and_a_meeting_today_may_still_be_asked_for(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 2)
    today = beijing_today()
    draw = await ask_panel(experts_client, minter, panel_body(count=1, reserves=0, meeting=today))
    assert draw["panel"]["meeting_on"] == today.isoformat()
    [entry] = [e for e in await audit_entries(experts_client, minter) if e["action"] == "panel.requested"]
    assert entry["object_id"] == draw["panel"]["id"]
    assert entry["details"]["meeting_on"] == today.isoformat() and entry["details"]["seats"] == {"APP": 1}


async def test_an_unknown_field_is_named_unknown_and_a_reserve_short_by_one_is_reported(experts_client,
                                                                                       minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 2)
    response = await experts_client.post("/api/v1/projects/P1/panels", headers=organiser(minter),
                                         json=panel_body(seats=[{"field": "NOPE", "count": 1}]))
    assert response.status_code == 422
    assert response.json()["errors"][0] == {**response.json()["errors"][0], "field": "seats[0].field",
                                            "code": "field_taxonomy.unknown"}
    committed = await ask_panel(experts_client, minter, panel_body(count=2, reserves=1))
    assert committed["reserve_shortfall"] == {"total": 1}


@pytest.mark.parametrize(("kind", "investment_fen", "major"), [
    ("construction", 200_000_000, True),  # exactly 2,000,000 CNY: major
    ("construction", 199_999_999, False),
    ("operations", 200_000_000, False),
])
async def test_the_bureau_organises_the_expert_review_of_a_construction_project_from_two_million_cny(
        experts_client, minter, kind: str, investment_fen: int, major: bool) -> None:
    await _register(experts_client, minter, "B1", kind, investment_fen)
    await build_pool(experts_client, minter, 2)
    response = await experts_client.post("/api/v1/projects/B1/panels", headers=organiser(minter),
                                         json=panel_body(count=1, reserves=0, purpose="expert_review"))
    if major:
        assert response.status_code == 403 and response.json()["code"] == "panel.bureau_organises"
    else:
        assert response.status_code == 201, response.text


# --- the notice -------------------------------------------------------------------------------------------

async def test_a_start_time_lies_within_its_half_day_from_six_and_from_noon_up_to_its_end(experts_client,
                                                                                         minter) -> None:
    draw, _ = await _one_member_panel(experts_client, minter)
    url = f"/api/v1/draws/{draw['id']}/notice"
    for half, start, allowed in [("morning", "05:59", False), ("morning", "06:00", True), ("morning", "11:59", True),
                                 ("morning", "12:00", False), ("afternoon", "11:59", False),
                                 ("afternoon", "12:00", True), ("afternoon", "17:59", True),
                                 ("afternoon", "18:00", False)]:
        response = await experts_client.post(url, headers=organiser(minter), json={"starts_at": {half: start}})
        if allowed:
            assert response.status_code == 200, (half, start, response.text)
        else:
            assert response.status_code == 422, (half, start, response.text)
            assert response.json()["errors"][0]["field"] == f"starts_at.{half}"
            assert response.json()["errors"][0]["code"] == "panel.start_outside_half_day"


async def test_a_notice_change_is_audited_with_the_start_times_and_whether_a_phone_is_set(experts_client,
                                                                                         minter) -> None:
    draw, _ = await _one_member_panel(experts_client, minter)
    response = await experts_client.post(f"/api/v1/draws/{draw['id']}/notice", headers=organiser(minter),
                                         json={"starts_at": {"morning": "09:15"}, "contact_phone": "13800138000"})
    assert response.status_code == 200, response.text
    [entry] = [e for e in await audit_entries(experts_client, minter) if e["action"] == "panel.notice_changed"]
    assert entry["details"]["changed"] == ["contact_phone", "starts_at"] and "13800138000" not in str(entry)
    # The log keeps keyed digests of the notice as it was and as it is: the start times and whether a
    # phone is set, never the phone.
    audit = experts_client.app.state.audit
    facts = {"venue": None, "contact_name": None, "notice": None}
    assert entry["before_digest"] == change_digest(audit.digest_key, {**facts, "starts_at": {},
                                                                      "contact_phone_set": False}, audit.profile)
    assert entry["after_digest"] == change_digest(audit.digest_key, {**facts, "starts_at": {"morning": "09:15"},
                                                                     "contact_phone_set": True}, audit.profile)


# --- avoidances -----------------------------------------------------------------------------------------

async def test_experts_seated_for_the_same_project_are_avoided_only_when_the_rule_is_on(experts_client,
                                                                                       minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 5)
    first = await reveal(experts_client, minter,
                         (await ask_panel(experts_client, minter, panel_body(count=1, reserves=0)))["id"])
    [taken] = seated(first)
    # The rule is off by default: the expert already seated for P1 stays a candidate for its next panel.
    off = await ask_panel(experts_client, minter, panel_body(count=1, reserves=0, meeting=MEETING + dt.timedelta(1)))
    assert taken in off["receipt"]["candidates"]["APP"] and "SAME_PROJECT" not in off["exclusion_counts"]
    await cancel(experts_client, minter, off["id"])

    _set_rules(experts_client, avoid_same_project_experts=1)
    second = await ask_panel(experts_client, minter, panel_body(count=2, reserves=0,
                                                                meeting=MEETING + dt.timedelta(2)))
    assert second["exclusion_counts"] == {"SAME_PROJECT": 1}
    assert await _exclusions(experts_client, minter, second["id"]) == {taken: ["SAME_PROJECT"]}
    second = await reveal(experts_client, minter, second["id"])
    leaving, staying = seated(second)
    assert (await _answer(experts_client, minter, second["id"], leaving, "decline", PHONE_DECLINE)).status_code == 200
    # A supplementary draw still avoids the other panel's expert, and only that one: its own panel's
    # members are left out as placed.
    extra = await experts_client.post(f"/api/v1/draws/{second['id']}/supplementary", json={},
                                      headers=organiser(minter))
    assert extra.status_code == 201, extra.text
    assert await _exclusions(experts_client, minter, extra.json()["id"]) == {
        taken: ["SAME_PROJECT"], leaving: ["ALREADY_PLACED"], staying: ["ALREADY_PLACED"]}


async def test_a_supplementary_draw_still_avoids_the_participating_units_staff(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 3)
    police = (await create_expert(experts_client, minter, name="公安专家", unit_uscc=PUBLIC_SECURITY))["code"]
    body = panel_body(count=2, reserves=0,
                      participating_units=[{"unit_uscc": PUBLIC_SECURITY, "department": "public_security"}])
    draw = await reveal(experts_client, minter, (await ask_panel(experts_client, minter, body))["id"])
    assert police not in seated(draw)
    assert (await _answer(experts_client, minter, draw["id"], seated(draw)[0], "decline",
                          PHONE_DECLINE)).status_code == 200
    extra = await experts_client.post(f"/api/v1/draws/{draw['id']}/supplementary", json={},
                                      headers=organiser(minter))
    assert extra.status_code == 201, extra.text
    assert police not in extra.json()["receipt"]["candidates"]["APP"]
    assert (await _exclusions(experts_client, minter, extra.json()["id"]))[police] == ["AVOID_EMPLOYER"]


# --- answers --------------------------------------------------------------------------------------------

async def test_an_accepted_answer_is_logged_on_the_seat_with_its_channel(experts_client, minter) -> None:
    draw, member = await _one_member_panel(experts_client, minter)
    response = await _answer(experts_client, minter, draw["id"], member, "accept", {"channel": "sms"})
    assert response.status_code == 200 and response.json()["state"] == "accepted"
    [entry] = [e for e in await audit_entries(experts_client, minter) if e["action"] == "seat.accepted"]
    assert entry["details"]["channel"] == "sms" and entry["details"]["state"] == "accepted"
    assert entry["details"]["draw_id"] == draw["id"] and entry["details"]["expert_code"] == "[sealed]"


@pytest.mark.parametrize("by_link", [False, True])
async def test_a_decline_reaching_the_threshold_suspends_the_expert_whichever_way_it_came(
        experts_client, minter, by_link: bool) -> None:
    draw, member = await _one_member_panel(experts_client, minter)
    _set_rules(experts_client, suspension_max_declines=1)
    if by_link:
        response = await experts_client.post("/api/v1/invitation-links/answer", headers=_gateway(minter), json={
            "token": await _only_token(experts_client, minter), "accept": False, "reason": "出差在外"})
    else:
        response = await _answer(experts_client, minter, draw["id"], member, "decline", PHONE_DECLINE)
    assert response.status_code == 200, response.text
    expert = (await experts_client.get(f"/api/v1/experts/{member}", headers=admin(minter))).json()
    assert expert["status"] == "suspended"


# --- the one-time link ----------------------------------------------------------------------------------

async def test_a_link_closes_once_the_organiser_has_recorded_the_answer(experts_client, minter) -> None:
    draw, member = await _one_member_panel(experts_client, minter, contact_name="陈联系")
    token, gateway = await _only_token(experts_client, minter), _gateway(minter)
    looked = (await experts_client.post("/api/v1/invitation-links/lookup", json={"token": token},
                                        headers=gateway)).json()
    assert looked["state"] == "open" and looked["contact"] is not None and "陈联系" in looked["contact"]
    accepted = await _answer(experts_client, minter, draw["id"], member, "accept", {"channel": "phone"})
    assert accepted.status_code == 200
    looked = (await experts_client.post("/api/v1/invitation-links/lookup", json={"token": token},
                                        headers=gateway)).json()
    assert looked["state"] == "closed"
    answered = await experts_client.post("/api/v1/invitation-links/answer", headers=gateway,
                                         json={"token": token, "accept": False, "reason": "改主意了"})
    assert answered.status_code == 409 and answered.json()["code"] == "invitation_link.closed"


async def test_a_link_of_a_cancelled_panel_is_closed(experts_client, minter) -> None:
    draw, _ = await _one_member_panel(experts_client, minter)
    token, gateway = await _only_token(experts_client, minter), _gateway(minter)
    await cancel(experts_client, minter, draw["id"])
    looked = await experts_client.post("/api/v1/invitation-links/lookup", json={"token": token}, headers=gateway)
    assert looked.json()["state"] == "closed" and looked.json()["contact"] is None
    answered = await experts_client.post("/api/v1/invitation-links/answer", headers=gateway,
                                         json={"token": token, "accept": True})
    assert answered.status_code == 409 and answered.json()["code"] == "invitation_link.closed"


async def test_a_link_expires_at_the_very_second_the_meeting_starts(experts_client, minter,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    await _one_member_panel(experts_client, minter)
    token, gateway = await _only_token(experts_client, minter), _gateway(minter)
    starts = dt.datetime.combine(MEETING, dt.time(8, 30), BEIJING).astimezone(dt.UTC)  # the default morning start
    monkeypatch.setattr(panel_rules, "utc_now", lambda: starts - dt.timedelta(seconds=1))
    looked = await experts_client.post("/api/v1/invitation-links/lookup", json={"token": token}, headers=gateway)
    assert looked.json()["state"] == "open"
    monkeypatch.setattr(panel_rules, "utc_now", lambda: starts)
    looked = await experts_client.post("/api/v1/invitation-links/lookup", json={"token": token}, headers=gateway)
    assert looked.json()["state"] == "closed"
    answered = await experts_client.post("/api/v1/invitation-links/answer", headers=gateway,
                                         json={"token": token, "accept": True})
    assert answered.status_code == 409 and answered.json()["code"] == "invitation_link.expired"


# --- conduct over the look-back ---------------------------------------------------------------------------

async def test_conduct_counts_from_the_first_instant_of_the_look_back_and_low_scores_below_the_rule(
        experts_client, minter) -> None:
    draw, member = await _one_member_panel(experts_client, minter)
    assert (await _answer(experts_client, minter, draw["id"], member, "decline", PHONE_DECLINE)).status_code == 200
    rules = experts_client.app.state.rules
    since = dt.datetime.combine(add_months(beijing_today(), -rules.conduct_lookback_months), dt.time(), dt.UTC)

    async def counts_with(**values: Any) -> tuple[int, int]:
        async with direct_database(experts_client) as database:
            async with database.transaction() as session:
                await session.execute(update(PanelMember).where(PanelMember.expert_code == member).values(**values))
            async with database.reading() as session:
                assert (await session.execute(select(PanelMember.state)
                                              .where(PanelMember.expert_code == member))).scalar_one() == "declined"
                counts = await conduct_counts(session, member, rules)
        return counts.declines, counts.low_scores

    assert await counts_with(updated_at=since, score=rules.low_score_below) == (1, 0)
    assert await counts_with(score=rules.low_score_below - 1) == (1, 1)
    assert await counts_with(updated_at=since - dt.timedelta(seconds=1)) == (0, 0)


async def test_answers_are_open_until_the_very_instant_the_meeting_starts(experts_client, minter, monkeypatch) -> None:
    draw, _ = await _one_member_panel(experts_client, minter)
    url = f"/api/v1/draws/{draw['id']}"
    starts = dt.datetime.fromisoformat(
        (await experts_client.get(url, headers=organiser(minter))).json()["panel"]["meeting_starts_at"])
    for now, still_open in ((starts - dt.timedelta(microseconds=1), True), (starts, False)):
        monkeypatch.setattr(panel_views, "utc_now", lambda now=now: now)
        view = (await experts_client.get(url, headers=organiser(minter))).json()
        assert view["panel"]["answers_open"] is still_open, now


async def test_an_answer_is_taken_until_the_very_instant_the_meeting_starts(experts_client, minter,
                                                                           monkeypatch) -> None:
    draw, member = await _one_member_panel(experts_client, minter)
    starts = dt.datetime.fromisoformat(draw["panel"]["meeting_starts_at"])
    token = _token_of((await _outbox(experts_client, minter))[0])
    accept = f"/api/v1/draws/{draw['id']}/members/{member}/accept"

    async def link_state() -> str:
        looked = await experts_client.post("/api/v1/invitation-links/lookup", json={"token": token},
                                           headers=_gateway(minter))
        return looked.json()["state"]

    monkeypatch.setattr(panel_rules, "utc_now", lambda: starts)
    assert await link_state() == "closed"
    by_link = await experts_client.post("/api/v1/invitation-links/answer", json={"token": token, "accept": True},
                                        headers=_gateway(minter))
    assert by_link.status_code == 409 and by_link.json()["code"] == "invitation_link.expired"
    recorded = await experts_client.post(accept, json={"channel": "phone"}, headers=organiser(minter))
    assert recorded.status_code == 409 and recorded.json()["code"] == "panel.meeting_started"

    monkeypatch.setattr(panel_rules, "utc_now", lambda: starts - dt.timedelta(microseconds=1))
    assert await link_state() == "open"
    by_link = await experts_client.post("/api/v1/invitation-links/answer", json={"token": token, "accept": True},
                                        headers=_gateway(minter))
    assert by_link.status_code == 200, by_link.text


async def test_a_supervisor_sees_a_settled_draw_for_exactly_90_days(experts_client, minter, monkeypatch) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    drawn = await reveal(experts_client, minter, (await ask_panel(experts_client, minter))["id"])
    revealed = dt.datetime.fromisoformat(drawn["revealed_at"])
    listed = []
    for after in (dt.timedelta(days=90), dt.timedelta(days=90, microseconds=1)):
        monkeypatch.setattr(supervision, "utc_now", lambda after=after: revealed + after)
        listed.append([item["draw_id"] for item in await supervising(experts_client, supervisor(minter))])
    assert listed == [[drawn["id"]], []]


async def test_a_member_seated_on_another_panel_on_the_day_moved_to_is_unable_not_seated_twice(experts_client,
                                                                                               minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 2)
    moved = await reveal(experts_client, minter, (await ask_panel(
        experts_client, minter, panel_body(count=1, reserves=0)))["id"])
    [member] = seated(moved)
    later = MEETING + dt.timedelta(days=7)
    other = await reveal(experts_client, minter, (await ask_panel(  # both experts of the pool, a week later
        experts_client, minter, panel_body(count=2, reserves=0, meeting=later)))["id"])
    assert member in seated(other)
    assert (await move_meeting(experts_client, minter, moved["id"], later)).status_code == 200
    after = (await experts_client.get(f"/api/v1/draws/{moved['id']}", headers=organiser(minter))).json()
    unable = next(m for m in after["panel"]["members"] if m["expert_code"] == member)
    assert (unable["state"], unable["reason"]) == ("unable", "seated on an overlapping panel after the move")
    async with direct_database(experts_client) as database, database.reading() as session:
        bookings = (await session.execute(select(Booking.panel_id).where(
            Booking.expert_code == member, Booking.day == later))).scalars().all()
    assert bookings == [other["panel"]["id"]]
