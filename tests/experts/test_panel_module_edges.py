"""Panels' domain modules at their edges (tests from mutation survivors, each seen failing with its
mutant planted): extra avoidances' explanation length, an expert named twice and the replacement
window's last second (reroll); evaluations from the meeting's first second, only of seated members,
late from the day after the due day, the organiser's to-do list and the expert's invitations at their
windows (evaluations); the printed record's avoidances, changed seats, witness and cancel rows
(printable); per-expert statistics and a period's Beijing-midnight bounds (statistics); a spot
check's sample size rounded up, a self-evaluation's audit entry and register line (spot_checks)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import update

from services.experts.domain import evaluations, printable, reroll, spot_checks
from services.experts.models import Draw, Panel
from shared.clock import BEIJING, beijing_today, utc_now
from tests.experts.helpers import OTHER_UNIT, THIRD_UNIT, admin, audit_entries, create_expert, direct_database
from tests.experts.test_archive import evaluation as self_evaluation
from tests.experts.test_panel_purposes import PUBLIC_SECURITY
from tests.experts.test_panels import (
    LAST_YEAR,
    MEETING,
    OWNER,
    ask_panel,
    build_pool,
    organiser,
    panel_body,
    register_project,
    reveal,
    seated,
    supervisor,
)
from tests.experts.test_reroll import cancel, revealed_then_cancelled, rows_written

SHORT = "the reason other needs an explanation of at least 10 characters"


async def refused(client, minter, body: dict[str, Any]) -> dict[str, Any]:
    """A panel request refused with 422 that writes nothing; its problem document."""
    before = await rows_written(client)
    response = await client.post("/api/v1/projects/P1/panels", headers=organiser(minter), json=body)
    assert response.status_code == 422, response.text
    assert await rows_written(client) == before
    return response.json()


def errors_of(problem: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(error["field"], error["code"], error["params"]) for error in problem["errors"]]


async def test_the_reason_other_needs_an_explanation_of_ten_characters_after_trimming(experts_client,
                                                                                     minter) -> None:
    await register_project(experts_client, minter)
    pool = await build_pool(experts_client, minter, 6)
    problem = await refused(experts_client, minter, panel_body(avoid_experts=[
        {"code": pool[0], "reason": "vendor_interest"},
        {"code": pool[1], "reason": "other", "explanation": "  曾为该项目编写需求  "}]))  # nine characters
    assert (problem["code"], problem["detail"]) == ("avoidance.invalid", SHORT)
    assert errors_of(problem) == [("avoid_experts[1].explanation", "avoidance.explanation_short", {"min": 10})]

    committed = await ask_panel(experts_client, minter, panel_body(avoid_experts=[
        {"code": pool[0], "reason": "vendor_interest"},
        {"code": pool[1], "reason": "other", "explanation": "  曾为该项目编写需求书  "}]))  # ten
    view = (await experts_client.get(f"/api/v1/draws/{committed['id']}", headers=supervisor(minter))).json()
    assert [(a["code"], a["reason"], a["explanation"]) for a in view["avoidances"]] == [
        (pool[0], "vendor_interest", None), (pool[1], "other", "曾为该项目编写需求书")]


async def test_an_expert_named_twice_to_avoid_is_refused_at_the_second_naming(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    pool = await build_pool(experts_client, minter, 6)
    problem = await refused(experts_client, minter, panel_body(avoid_experts=[
        {"code": pool[0], "reason": "vendor_interest"}, {"code": pool[1], "reason": "close_relative"},
        {"code": pool[0], "reason": "close_relative"}]))
    assert (problem["code"], problem["detail"]) == ("avoidance.invalid", "each expert is named once")
    assert errors_of(problem) == [("avoid_experts[2].code", "avoidance.expert_twice", {})]
    # Both faults of one request are named, each at its place.
    problem = await refused(experts_client, minter, panel_body(avoid_experts=[
        {"code": pool[0], "reason": "other", "explanation": "太短"}, {"code": pool[0], "reason": "vendor_interest"}]))
    assert problem["detail"] == SHORT
    assert errors_of(problem) == [("avoid_experts[0].explanation", "avoidance.explanation_short", {"min": 10}),
                                  ("avoid_experts[1].code", "avoidance.expert_twice", {})]


async def test_a_panel_cancelled_exactly_the_window_ago_must_still_be_named(experts_client, minter,
                                                                            monkeypatch) -> None:
    first = await revealed_then_cancelled(experts_client, minter)
    now = utc_now()
    monkeypatch.setattr(reroll, "utc_now", lambda: now)
    async with direct_database(experts_client) as database, database.transaction() as session:
        await session.execute(update(Panel).where(Panel.id == first["panel"]["id"])
                              .values(cancelled_at=now - dt.timedelta(days=180)))
    before = await rows_written(experts_client)
    response = await experts_client.post("/api/v1/projects/P1/panels", headers=organiser(minter), json=panel_body())
    assert response.status_code == 409, response.text
    problem = response.json()
    assert (problem["code"], problem["replaces"], problem["replaces_draw"], problem["panels_to_replace"]) == (
        "panel.replaces_needed", first["panel"]["id"], first["id"], [first["panel"]["id"]])
    assert await rows_written(experts_client) == before
    # One second later it has left the window.
    monkeypatch.setattr(reroll, "utc_now", lambda: now + dt.timedelta(seconds=1))
    committed = await ask_panel(experts_client, minter)
    assert committed["panel"]["replaces"] is None


async def test_an_evaluation_is_taken_from_the_meetings_first_second_and_is_audited(experts_client, minter,
                                                                                    monkeypatch) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    draw = await reveal(experts_client, minter, (await ask_panel(experts_client, minter))["id"])
    start = dt.datetime.fromisoformat(draw["panel"]["meeting_starts_at"])
    member = sorted(seated(draw))[0]
    url = f"/api/v1/draws/{draw['id']}/members/{member}/evaluation"
    monkeypatch.setattr(evaluations, "utc_now", lambda: start - dt.timedelta(seconds=1))
    response = await experts_client.post(url, json={"attended": True, "score": 85}, headers=organiser(minter))
    assert response.status_code == 409 and response.json()["code"] == "evaluation.too_early"
    monkeypatch.setattr(evaluations, "utc_now", lambda: start)
    response = await experts_client.post(url, json={"attended": True, "score": 85, "notes": "意见专业"},
                                         headers=organiser(minter))
    assert response.status_code == 200, response.text
    assert (response.json()["attended"], response.json()["score"], response.json()["evaluated_at"]) == (
        True, 85, draw["panel"]["meeting_starts_at"])
    entries = [e for e in await audit_entries(experts_client, minter) if e["action"] == "panel.member_evaluated"]
    assert [(e["actor"], e["object_type"], e["object_id"], e["details"]) for e in entries] == [
        ("user:organiser", "panel", draw["panel"]["id"],
         {"attended": True, "expert_code": "[sealed]", "late": False, "score": 85})]


async def test_only_a_member_holding_a_seat_is_evaluated(experts_client, minter, monkeypatch) -> None:
    await register_project(experts_client, minter)
    pool = await build_pool(experts_client, minter, 6)
    draw = await reveal(experts_client, minter, (await ask_panel(experts_client, minter))["id"])
    declined = sorted(seated(draw))[0]
    response = await experts_client.post(f"/api/v1/draws/{draw['id']}/members/{declined}/decline",
                                         json={"channel": "phone", "reason": "出差"}, headers=organiser(minter))
    assert response.status_code == 200, response.text
    drawn = {code for lists in draw["result"].values() for code in (*lists["primaries"], *lists["reserves"])}
    never_drawn = sorted(set(pool) - drawn)[0]
    start = dt.datetime.fromisoformat(draw["panel"]["meeting_starts_at"])
    monkeypatch.setattr(evaluations, "utc_now", lambda: start + dt.timedelta(hours=1))
    before = await rows_written(experts_client)
    for code in (declined, never_drawn):
        response = await experts_client.post(f"/api/v1/draws/{draw['id']}/members/{code}/evaluation",
                                             json={"attended": True, "score": 60}, headers=organiser(minter))
        assert response.status_code == 404, response.text
        assert (response.json()["code"], response.json()["params"]) == ("panel.not_seated", {"expert": code})
    assert await rows_written(experts_client) == before


async def todo(client, minter) -> list[tuple[Any, ...]]:
    response = await client.get("/api/v1/panels/todo", headers=organiser(minter))
    assert response.status_code == 200, response.text
    return [(item["kind"], item["panel_id"], item["draw_id"], item["meeting_on"], sorted(item["experts"]),
             item["fields"], item["due_on"]) for item in response.json()]


async def test_the_todo_list_names_open_seats_the_first_draw_and_evaluations_from_the_meetings_start(
        experts_client, minter, monkeypatch) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 6)
    committed = await ask_panel(experts_client, minter, panel_body(count=2, reserves=0))
    draw = await reveal(experts_client, minter, committed["id"])
    declined, kept = sorted(seated(draw))
    response = await experts_client.post(f"/api/v1/draws/{draw['id']}/members/{declined}/decline",
                                         json={"channel": "phone", "reason": "出差"}, headers=organiser(minter))
    assert response.status_code == 200, response.text
    panel, meeting_on = draw["panel"]["id"], draw["panel"]["meeting_on"]
    assert await todo(experts_client, minter) == [
        ("answers_missing", panel, draw["id"], meeting_on, [kept], {}, None),
        ("seats_open", panel, draw["id"], meeting_on, [], {"APP": 1}, None)]
    response = await experts_client.post(f"/api/v1/draws/{draw['id']}/supplementary", json={},
                                         headers=organiser(minter))
    assert response.status_code == 201, response.text
    # While the supplementary draw waits for its reveal, the open seat is not the organiser's to do.
    assert await todo(experts_client, minter) == [("answers_missing", panel, draw["id"], meeting_on, [kept], {}, None)]
    extra = await reveal(experts_client, minter, response.json()["id"])
    (added,) = extra["result"]["APP"]["primaries"]
    start = dt.datetime.fromisoformat(draw["panel"]["meeting_starts_at"])
    due = dt.date.fromisoformat(draw["panel"]["evaluations_due_on"])

    monkeypatch.setattr(evaluations, "utc_now", lambda: start - dt.timedelta(seconds=1))
    assert await todo(experts_client, minter) == [
        ("answers_missing", panel, draw["id"], meeting_on, sorted([kept, added]), {}, None)]
    monkeypatch.setattr(evaluations, "utc_now", lambda: start)
    assert await todo(experts_client, minter) == [
        ("evaluations_due", panel, draw["id"], meeting_on, sorted([kept, added]), {}, due.isoformat())]

    monkeypatch.setattr(evaluations, "beijing_today", lambda: due)
    assert await todo(experts_client, minter) == [
        ("evaluations_due", panel, draw["id"], meeting_on, sorted([kept, added]), {}, due.isoformat())]
    monkeypatch.setattr(evaluations, "beijing_today", lambda: due + dt.timedelta(days=1))
    assert await todo(experts_client, minter) == [
        ("evaluations_late", panel, draw["id"], meeting_on, sorted([kept, added]), {}, due.isoformat())]

    # Kept on the list while the meeting is at most 60 days back.
    meeting = dt.date.fromisoformat(meeting_on)
    monkeypatch.setattr(evaluations, "utc_now", lambda: start + dt.timedelta(days=61))
    monkeypatch.setattr(evaluations, "beijing_today", lambda: meeting + dt.timedelta(days=60))
    assert await todo(experts_client, minter) == [
        ("evaluations_late", panel, draw["id"], meeting_on, sorted([kept, added]), {}, due.isoformat())]
    monkeypatch.setattr(evaluations, "beijing_today", lambda: meeting + dt.timedelta(days=61))
    assert await todo(experts_client, minter) == []


async def test_an_evaluation_on_its_due_day_is_on_time_and_the_day_after_late(experts_client, minter,
                                                                              monkeypatch) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    draw = await reveal(experts_client, minter, (await ask_panel(experts_client, minter))["id"])
    start = dt.datetime.fromisoformat(draw["panel"]["meeting_starts_at"])
    due = dt.date.fromisoformat(draw["panel"]["evaluations_due_on"])
    monkeypatch.setattr(evaluations, "utc_now", lambda: start + dt.timedelta(days=20))
    for day, member in zip((due, due + dt.timedelta(days=1)), sorted(seated(draw)), strict=True):
        monkeypatch.setattr(evaluations, "beijing_today", lambda day=day: day)
        response = await experts_client.post(f"/api/v1/draws/{draw['id']}/members/{member}/evaluation",
                                             json={"attended": False}, headers=organiser(minter))
        assert response.status_code == 200, response.text
    entries = [e for e in await audit_entries(experts_client, minter) if e["action"] == "panel.member_evaluated"]
    assert [e["details"] for e in reversed(entries)] == [
        {"attended": False, "expert_code": "[sealed]", "late": late, "score": None} for late in (False, True)]


async def test_an_invitation_stays_on_the_experts_list_for_a_year_after_the_meeting(experts_client, minter,
                                                                                    monkeypatch) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 3, account_subject=None)
    draw = await reveal(experts_client, minter,
                        (await ask_panel(experts_client, minter, panel_body(count=1, reserves=0)))["id"])
    [member] = seated(draw)
    response = await experts_client.patch(f"/api/v1/experts/{member}", json={"account_subject": "user:expert-1"},
                                          headers=admin(minter))
    assert response.status_code == 200, response.text
    expert = minter.headers("experts", "expert", subject="user:expert-1", unit=OTHER_UNIT)
    meeting = dt.date.fromisoformat(draw["panel"]["meeting_on"])
    for days, listed in ((365, [draw["id"]]), (366, [])):
        monkeypatch.setattr(evaluations, "beijing_today", lambda days=days: meeting + dt.timedelta(days=days))
        response = await experts_client.get("/api/v1/panels/invitations", headers=expert)
        assert response.status_code == 200, response.text
        assert [invitation["draw_id"] for invitation in response.json()] == listed, days


async def test_a_unit_avoided_as_a_joint_department_prints_the_department_by_name(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    committed = await ask_panel(experts_client, minter, panel_body(avoid_units=[
        {"unit_uscc": THIRD_UNIT, "reason": "participating:finance", "unit_name": "平阳县财政局"}]))
    response = await experts_client.get(f"/api/v1/draws/{committed['id']}/printable", headers=organiser(minter))
    assert response.status_code == 200, response.text
    assert "<tr><td>平阳县财政局</td><td>参与单位：财政局</td></tr>" in response.text


def test_a_joint_department_not_known_is_printed_as_typed_without_the_code_prefix() -> None:
    assert printable.unit_reason("participating:县委网信办") == "参与单位：县委网信办"


async def test_the_record_lists_avoided_experts_vendor_reasons_as_typed_and_only_the_seats_that_changed(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    avoided = (await create_expert(experts_client, minter, name="回避专家", fields=[{"code": "APP", "primary": True}],
                                   unit_uscc=THIRD_UNIT))["code"]
    committed = await ask_panel(experts_client, minter, panel_body(count=2, reserves=1, avoid_units=[
        {"unit_uscc": THIRD_UNIT, "reason": "vendor: engaged as testing on lot 2; 与业主有合作关系",
         "unit_name": "温州检测有限公司"}]))
    draw = await reveal(experts_client, minter, committed["id"])
    declined, staying = draw["result"]["APP"]["primaries"]
    (reserve,) = draw["result"]["APP"]["reserves"]
    response = await experts_client.post(f"/api/v1/draws/{draw['id']}/members/{declined}/decline",
                                         json={"channel": "phone", "reason": "出差"}, headers=organiser(minter))
    assert response.status_code == 200, response.text
    response = await experts_client.get(f"/api/v1/draws/{draw['id']}/printable", headers=organiser(minter))
    assert response.status_code == 200, response.text
    page = response.text
    assert "<tr><td>温州检测有限公司</td><td>供应商：承担本项目检测（标段 2）；与业主有合作关系</td></tr>" in page
    assert f'<tr><td>专家 <span class="mono">{avoided}</span></td><td>回避：现工作单位为回避单位</td></tr>' in page
    changes = page[page.index("六、替补与变动"):page.index("</table>", page.index("六、替补与变动"))]
    assert re.findall(r'<tr><td class="mono">(\w+)</td>.*?<td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>'
                      r'<td class="mono">(\w*)</td></tr>', changes) == [
        (declined, "谢绝", "出差", "电话", ""), (reserve, "已通知", "", "", declined)]
    assert staying not in changes


async def test_the_record_awaits_the_witness_names_joint_departments_and_shows_the_cancel_phase_with_its_time(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    committed = await ask_panel(experts_client, minter, panel_body(participating_units=[
        {"unit_uscc": PUBLIC_SECURITY, "department": "public_security"}]))
    url = f"/api/v1/draws/{committed['id']}/printable"
    page = (await experts_client.get(url, headers=organiser(minter))).text
    assert (f'<tr><td><span class="unit" data-uscc="{PUBLIC_SECURITY}">{PUBLIC_SECURITY}</span></td>'
            "<td>参与单位：公安局</td></tr>") in page
    # An auditor, to whom the list is sealed, reads a committed draw as awaiting the witness...
    auditor = minter.headers("experts", "auditor")
    page = (await experts_client.get(url, headers=auditor)).text
    assert "<tr><th>见证值</th><td>（待监督人输入）</td></tr>" in page and "名单保密" not in page
    await reveal(experts_client, minter, committed["id"])
    # ... and a revealed one as sealed until the meeting.
    page = (await experts_client.get(url, headers=auditor)).text
    assert "<tr><th>抽取结果</th><td>已揭示；名单保密，会议结束后公开</td></tr>" in page
    assert "（待监督人输入）" not in page
    cancelled = await cancel(experts_client, minter, committed["id"])
    at = dt.datetime.fromisoformat(cancelled["cancelled_at"]).astimezone(BEIJING)
    page = (await experts_client.get(url, headers=organiser(minter))).text
    assert f"<tr><th>取消</th><td>揭示后取消 · {at:%Y-%m-%d %H:%M:%S}（北京时间）</td></tr>" in page


def per_expert(stats: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(e["expert_code"], e["draws"], e["seats"], e["accepted"], e["declined"], e["last_drawn_at"])
            for e in stats["experts"]]


async def test_the_statistics_count_per_expert_draws_seats_answers_and_the_last_reveal(experts_client,
                                                                                      minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 5)
    draw = await reveal(experts_client, minter, (await ask_panel(experts_client, minter))["id"])
    accepting, declining = draw["result"]["APP"]["primaries"]
    moved_up, waiting = draw["result"]["APP"]["reserves"]
    for code, answer, body in ((accepting, "accept", {"channel": "sms"}),
                               (declining, "decline", {"channel": "phone", "reason": "出差"})):
        response = await experts_client.post(f"/api/v1/draws/{draw['id']}/members/{code}/{answer}", json=body,
                                             headers=organiser(minter))
        assert response.status_code == 200, response.text
    stats = (await experts_client.get("/api/v1/draw-statistics", headers=admin(minter))).json()
    at = draw["revealed_at"]
    assert per_expert(stats) == sorted([(accepting, 1, 1, 1, 0, at), (declining, 1, 1, 0, 1, at),
                                        (moved_up, 1, 1, 0, 0, at), (waiting, 1, 0, 0, 0, at)])
    assert (stats["committed"], stats["revealed"], stats["supplementary"], stats["spot_checks"]) == (1, 1, 0, 0)


async def test_a_draw_committed_at_beijing_midnight_counts_on_that_day_and_not_the_day_before(experts_client,
                                                                                             minter) -> None:
    first = await revealed_then_cancelled(experts_client, minter)
    second = await ask_panel(experts_client, minter, panel_body(replaces=first["panel"]["id"]))
    day = beijing_today() - dt.timedelta(days=3)
    async with direct_database(experts_client) as database, database.transaction() as session:
        midnight = dt.datetime.combine(day, dt.time(), BEIJING).astimezone(dt.UTC)  # stored in UTC
        await session.execute(update(Draw).where(Draw.id == second["id"]).values(committed_at=midnight))

    async def period(since: dt.date, until: dt.date) -> tuple[int, list[tuple[str, str]]]:
        response = await experts_client.get("/api/v1/draw-statistics", headers=admin(minter),
                                            params={"since": since.isoformat(), "until": until.isoformat()})
        assert response.status_code == 200, response.text
        stats = response.json()
        return stats["committed"], [(r["panel_id"], r["draw_id"]) for r in stats["replacements"]]

    assert await period(day, day) == (1, [(second["panel"]["id"], second["id"])])
    before = day - dt.timedelta(days=1)
    assert await period(before, before) == (0, [])


async def test_an_expert_drawn_thrice_was_last_drawn_at_the_latest_reveal_whatever_the_order(experts_client,
                                                                                           minter) -> None:
    pool = await build_pool(experts_client, minter, 2)
    draws = []
    for offset, project in enumerate(("P1", "P2", "P3")):
        await register_project(experts_client, minter, project)
        committed = await ask_panel(experts_client, minter, panel_body(
            reserves=0, meeting=MEETING + dt.timedelta(days=offset)), project=project)
        draws.append((await reveal(experts_client, minter, committed["id"]))["id"])
    # Revealed two, one and three hours ago, in the order of their commits: the latest is the middle one.
    now = utc_now()
    async with direct_database(experts_client) as database, database.transaction() as session:
        for draw_id, hours in zip(draws, (2, 1, 3), strict=True):
            await session.execute(update(Draw).where(Draw.id == draw_id)
                                  .values(revealed_at=now - dt.timedelta(hours=hours)))
    stats = (await experts_client.get("/api/v1/draw-statistics", headers=admin(minter))).json()
    latest = (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert per_expert(stats) == [(code, 3, 3, 0, 0, latest) for code in sorted(pool)]


async def test_the_seats_of_a_panel_cancelled_after_its_reveal_count_as_drawn_not_held(experts_client,
                                                                                      minter) -> None:
    first = await revealed_then_cancelled(experts_client, minter)
    view = (await experts_client.get(f"/api/v1/draws/{first['id']}", headers=admin(minter))).json()
    assert {m["state"] for m in view["panel"]["members"]} == {"released"}
    stats = (await experts_client.get("/api/v1/draw-statistics", headers=admin(minter))).json()
    drawn = sorted(code for lists in first["result"].values() for code in (*lists["primaries"], *lists["reserves"]))
    assert per_expert(stats) == [(code, 1, 0, 0, 0, first["revealed_at"]) for code in drawn]


@pytest.mark.parametrize(("submissions", "percent", "sampled"), [
    (1, 10, 1), (10, 10, 1), (11, 10, 2), (100, 10, 10), (101, 10, 11), (101, 1, 2), (200, 100, 200)])
def test_the_spot_check_samples_the_percentage_of_the_submissions_rounded_up(submissions, percent,
                                                                             sampled) -> None:
    assert spot_checks.sample_size(submissions, percent) == sampled


async def test_a_recorded_self_evaluation_is_audited_under_its_id_and_listed_with_its_projects_name(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    rows = []
    for project in ("P1", "PY-9"):  # PY-9 is no project of this service
        response = await experts_client.post("/api/v1/self-evaluations", json=self_evaluation(project),
                                             headers=organiser(minter))
        assert response.status_code == 201, response.text
        rows.append(response.json())
    row = rows[0]
    facts = {"year": LAST_YEAR, "project_code": "P1", "kind": "application", "unit_uscc": OWNER,
             "submitted_on": f"{LAST_YEAR}-06-30"}
    entries = [e for e in await audit_entries(experts_client, minter) if e["action"] == "self_evaluation.recorded"]
    assert [(e["object_type"], e["object_id"], e["details"]) for e in reversed(entries)] == [
        ("self_evaluation", str(row["id"]), facts),
        ("self_evaluation", str(rows[1]["id"]), {**facts, "project_code": "PY-9"})]
    register = (await experts_client.get("/api/v1/self-evaluations", params={"year": LAST_YEAR},
                                         headers=minter.headers("experts", "auditor"))).json()
    assert [(r["id"], r["project_code"], r["project_name"]) for r in register] == [
        (row["id"], "P1", "城市大脑"), (rows[1]["id"], "PY-9", None)]
