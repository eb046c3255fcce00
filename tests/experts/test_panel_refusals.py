"""What a panel refuses after its request: acting on a cancelled panel, an organiser of another unit
taking a supplementary draw, moving, editing the notice or cancelling; a supplementary draw in an
unknown field or beyond the pool; moving into the past; answers once the meeting has started; who
cancels a spot check, and only once. Also what a notice edit keeps, and how supplementary draws are
cancelled (services/experts/domain/panels.py, PanelDesk.supplementary to PanelDesk.answer)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.experts.domain import panels as panel_rules
from shared.clock import beijing_today
from tests.experts.helpers import OTHER_UNIT, admin, audit_entries
from tests.experts.test_panels import (
    LAST_YEAR,
    SUPERVISOR,
    ask_panel,
    build_pool,
    count_rows,
    move_meeting,
    organiser,
    panel_body,
    register_project,
    reveal,
    seated,
)
from tests.experts.test_reroll import cancel, revealed_then_cancelled

NOTICE = {"venue": "平阳县行政中心 5 楼 502 会议室", "starts_at": {"morning": "09:00"}, "contact_name": "陈联系",
          "contact_phone": "13800138000", "notice": "请携带身份证，提前十分钟签到。"}


async def view_of(client, minter, draw_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/draws/{draw_id}", headers=organiser(minter))
    assert response.status_code == 200, response.text
    return response.json()


async def acts(client, headers: dict[str, str], draw_id: str) -> dict[str, Any]:
    """Each act of the organiser on a panel, as its draw's routes take them: the status and code of each."""
    url = f"/api/v1/draws/{draw_id}"
    requests = {
        "supplementary": (f"{url}/supplementary", {"seats": [{"field": "APP", "count": 1}]}),
        "meeting": (f"{url}/meeting", {"meeting_on": (beijing_today() + dt.timedelta(days=20)).isoformat(),
                                       "halves": ["afternoon"], "reason": "会议室调整"}),
        "notice": (f"{url}/notice", {"venue": "另一个会议室"}),
        "cancel": (f"{url}/cancel", {"reason": "项目暂停"}),
    }
    answers = {}
    for name, (path, body) in requests.items():
        response = await client.post(path, json=body, headers=headers)
        answers[name] = (response.status_code, response.json().get("code"))
    return answers


async def spot_check(client, minter) -> dict[str, Any]:
    response = await client.post("/api/v1/spot-checks", headers=admin(minter), json={
        "year": LAST_YEAR, "submissions": [{"project_code": "PY-2026-001", "kind": "application"}],
        "supervisor": SUPERVISOR})
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_cancelled_panel_takes_no_supplementary_draw_move_notice_cancel_or_answer(experts_client,
                                                                                           minter) -> None:
    first = await revealed_then_cancelled(experts_client, minter)
    draws_before = await count_rows(experts_client, "draws")
    assert await acts(experts_client, organiser(minter), first["id"]) == {
        name: (409, "panel.cancelled") for name in ("supplementary", "meeting", "notice", "cancel")}
    response = await experts_client.post(f"/api/v1/draws/{first['id']}/members/{seated(first)[0]}/decline",
                                         json={"channel": "phone", "reason": "出差"}, headers=organiser(minter))
    assert (response.status_code, response.json().get("code")) == (409, "panel.cancelled")
    view = await view_of(experts_client, minter, first["id"])
    assert view["panel"]["meeting_on"] == first["panel"]["meeting_on"] and view["panel"]["venue"] is None
    assert await count_rows(experts_client, "draws") == draws_before
    cancels = [e for e in await audit_entries(experts_client, minter) if e["action"] == "panel.cancelled"]
    assert len(cancels) == 1


async def test_only_the_owner_units_organiser_takes_a_supplementary_draw_moves_edits_or_cancels(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    draw = await reveal(experts_client, minter, (await ask_panel(experts_client, minter,
                                                                 panel_body(count=2, reserves=0)))["id"])
    stranger = organiser(minter, subject="user:stranger", unit=OTHER_UNIT)
    assert await acts(experts_client, stranger, draw["id"]) == {
        name: (403, "panel.own_unit_only") for name in ("supplementary", "meeting", "notice", "cancel")}
    view = await view_of(experts_client, minter, draw["id"])
    assert (view["panel"]["status"], view["panel"]["meeting_on"], view["panel"]["halves"], view["panel"]["venue"]) == (
        "open", draw["panel"]["meeting_on"], ["morning"], None)
    assert view["panel"]["draws"] == [draw["id"]]


async def test_a_supplementary_draw_in_an_unknown_field_or_beyond_the_pool_is_refused_and_writes_nothing(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 3)
    draw = await reveal(experts_client, minter, (await ask_panel(experts_client, minter,
                                                                 panel_body(count=2, reserves=0)))["id"])
    url = f"/api/v1/draws/{draw['id']}/supplementary"
    before = await count_rows(experts_client, "draws")
    response = await experts_client.post(url, json={"seats": [{"field": "NOPE", "count": 1}]},
                                         headers=organiser(minter))
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("seats[0].field",
                                                                             "field_taxonomy.unknown")]
    # One expert is left beside the two seated: two more seats cannot be filled.
    response = await experts_client.post(url, json={"seats": [{"field": "APP", "count": 2}]},
                                         headers=organiser(minter))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "draw.too_few_eligible" and problem["fillable_seats"] == 1
    assert problem["errors"][0]["field"] == "seats[0].count"
    assert await count_rows(experts_client, "draws") == before


async def test_a_meeting_moves_to_today_but_not_to_yesterday(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 3)
    committed = await ask_panel(experts_client, minter, panel_body(count=1, reserves=0))
    today = beijing_today()  # Beijing date, as the service reads it
    response = await move_meeting(experts_client, minter, committed["id"], today - dt.timedelta(days=1),
                                  halves=("afternoon",), reason="提前")
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("meeting_on",
                                                                             "panel.meeting_moved_to_past")]
    response = await move_meeting(experts_client, minter, committed["id"], today, halves=("afternoon",), reason="提前")
    assert response.status_code == 200, response.text
    assert response.json()["panel"]["meeting_on"] == today.isoformat()


async def test_a_spot_check_has_no_meeting_to_move_and_no_members_to_answer(experts_client, minter) -> None:
    draw = await spot_check(experts_client, minter)
    response = await move_meeting(experts_client, minter, draw["id"], beijing_today() + dt.timedelta(days=5),
                                  reason="x", headers=admin(minter))
    assert (response.status_code, response.json().get("code")) == (404, "draw.not_a_panel")
    response = await experts_client.post(f"/api/v1/draws/{draw['id']}/members/PY-2026-001/decline",
                                         json={"channel": "phone", "reason": "出差"}, headers=admin(minter))
    assert (response.status_code, response.json().get("code")) == (404, "draw.not_a_panel")


async def test_a_spot_check_is_cancelled_by_who_committed_it_or_a_bureau_admin_and_only_once(experts_client,
                                                                                            minter) -> None:
    draw = await spot_check(experts_client, minter)  # committed by user:admin
    url = f"/api/v1/draws/{draw['id']}/cancel"
    response = await experts_client.post(url, json={"reason": "抽查范围有误"}, headers=organiser(minter))
    assert (response.status_code, response.json().get("code")) == (403, "draw.cancel_not_permitted")
    await reveal(experts_client, minter, draw["id"], witness="监督人见证 0417")
    other_admin = minter.headers("experts", "bureau_admin", subject="user:other-admin")
    response = await experts_client.post(url, json={"reason": "抽查范围有误"}, headers=other_admin)
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert (cancelled["status"], cancelled["cancelled_by"], cancelled["cancel_phase"]) == (
        "revealed", "user:other-admin", "after_reveal")
    response = await experts_client.post(url, json={"reason": "再次取消"}, headers=admin(minter))
    assert (response.status_code, response.json().get("code")) == (409, "draw.not_cancellable")
    cancels = [e for e in await audit_entries(experts_client, minter) if e["action"] == "draw.cancelled"]
    assert len(cancels) == 1


async def test_editing_only_the_venue_keeps_the_start_times_and_the_contact_phone(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 3)
    committed = await ask_panel(experts_client, minter, panel_body(count=1, **NOTICE))
    url = f"/api/v1/draws/{committed['id']}/notice"
    response = await experts_client.post(url, headers=organiser(minter), json={"venue": "平阳县大数据局 2 楼"})
    assert response.status_code == 200, response.text
    panel = response.json()["panel"]
    assert (panel["venue"], panel["starts_at"], panel["contact_name"], panel["contact_phone"], panel["notice"]) == (
        "平阳县大数据局 2 楼", {"morning": "09:00"}, "陈联系", "13800138000", NOTICE["notice"])
    response = await experts_client.post(url, headers=organiser(minter), json={
        "starts_at": {"morning": "08:45"}, "contact_phone": "13900139000"})
    assert response.status_code == 200, response.text
    panel = response.json()["panel"]
    assert (panel["venue"], panel["starts_at"], panel["contact_name"], panel["contact_phone"]) == (
        "平阳县大数据局 2 楼", {"morning": "08:45"}, "陈联系", "13900139000")
    assert panel["meeting_starts_at"] == f"{panel['meeting_on']}T00:45:00Z"


async def test_a_committed_supplementary_draw_is_cancelled_alone_a_revealed_one_only_with_the_panel(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 6)
    committed = await ask_panel(experts_client, minter, panel_body(count=2, reserves=0))
    draw = await reveal(experts_client, minter, committed["id"])
    response = await experts_client.post(f"/api/v1/draws/{draw['id']}/members/{seated(draw)[0]}/decline",
                                         json={"channel": "phone", "reason": "出差"}, headers=organiser(minter))
    assert response.status_code == 200, response.text

    async def supplementary() -> dict[str, Any]:
        response = await experts_client.post(f"/api/v1/draws/{draw['id']}/supplementary", json={},
                                             headers=organiser(minter))
        assert response.status_code == 201, response.text
        return response.json()

    extra = await supplementary()
    cancelled = await cancel(experts_client, minter, extra["id"], "监督人未到场")
    assert (cancelled["status"], cancelled["cancel_reason"], cancelled["panel"]["status"]) == (
        "cancelled", "监督人未到场", "open")
    placed = await reveal(experts_client, minter, (await supplementary())["id"])
    response = await experts_client.post(f"/api/v1/draws/{placed['id']}/cancel", json={"reason": "结果不理想"},
                                         headers=organiser(minter))
    assert (response.status_code, response.json().get("code")) == (409, "draw.supplementary_placed")
    assert (await view_of(experts_client, minter, placed["id"]))["cancelled_at"] is None

    whole = await cancel(experts_client, minter, draw["id"], "项目暂停")
    assert whole["panel"]["status"] == "cancelled"
    [entry] = [e for e in await audit_entries(experts_client, minter) if e["action"] == "panel.cancelled"]
    assert (entry["object_type"], entry["object_id"]) == ("panel", draw["panel"]["id"])
    assert entry["details"] == {"draw_id": draw["id"], "phase": "after_reveal"}


async def test_answers_close_at_the_very_instant_the_meeting_starts(experts_client, minter, monkeypatch) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 3)
    draw = await reveal(experts_client, minter, (await ask_panel(experts_client, minter,
                                                                 panel_body(count=2, reserves=0)))["id"])
    first, second = seated(draw)
    starts = dt.datetime.fromisoformat(draw["panel"]["meeting_starts_at"].replace("Z", "+00:00"))
    url = f"/api/v1/draws/{draw['id']}/members"
    monkeypatch.setattr(panel_rules, "utc_now", lambda: starts - dt.timedelta(seconds=1))
    response = await experts_client.post(f"{url}/{first}/accept", json={"channel": "phone"},
                                         headers=organiser(minter))
    assert response.status_code == 200, response.text
    monkeypatch.setattr(panel_rules, "utc_now", lambda: starts)
    response = await experts_client.post(f"{url}/{second}/accept", json={"channel": "phone"},
                                         headers=organiser(minter))
    assert (response.status_code, response.json().get("code")) == (409, "panel.meeting_started")
