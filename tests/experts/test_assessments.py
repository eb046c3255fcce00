"""The annual assessment (年度考核): the year's figures per expert, the grade the thresholds propose,
an admin's confirmation, and a confirmed 不合格 suspending or removing the expert in Chinese."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from sqlalchemy import update

from services.experts.models import PanelMember
from shared.clock import beijing_today
from tests.experts.helpers import admin, audit_entries, create_expert, direct_database
from tests.experts.test_panels import MEETING, ask_panel, organiser, panel_body, register_project, reveal

YEAR = MEETING.year


async def _seat(client, minter, expert: str, day: int) -> str:
    """``expert`` (the only one of its field) drawn onto a panel; the draw's id."""
    committed = await ask_panel(client, minter, panel_body(count=1, reserves=0, field="SEC",
                                                           meeting=MEETING + dt.timedelta(days=day)))
    await reveal(client, minter, committed["id"])
    return committed["id"]


async def _decline(client, minter, draw: str, expert: str, category: str) -> None:
    response = await client.post(f"/api/v1/draws/{draw}/members/{expert}/decline", headers=organiser(minter),
                                 json={"channel": "phone", "reason": "说明", "reason_category": category})
    assert response.status_code == 200, response.text


async def _evaluated(client, draw: str, expert: str, attended: bool, score: int | None) -> None:
    """As the organiser records it after the meeting (the meeting here is still ahead)."""
    async with direct_database(client) as database, database.transaction() as session:
        await session.execute(update(PanelMember).where(PanelMember.draw_id == draw, PanelMember.expert_code == expert)
                              .values(state="accepted", attended=attended, score=score))


async def _scene(client, minter) -> dict[str, str]:
    await register_project(client, minter)
    fields = [{"code": "SEC", "primary": True}]
    excused = (await create_expert(client, minter, name="有因谢绝", fields=fields))["code"]
    for day, category in enumerate(("illness", "meeting_clash", "unavailable")):
        await _decline(client, minter, await _seat(client, minter, excused, day), excused, category)
    await _evaluated(client, await _seat(client, minter, excused, 5), excused, True, 92)
    await client.put(f"/api/v1/experts/{excused}/status", headers=admin(minter),
                     json={"status": "suspended", "reason": "测试：让出席位", "suspended_until":
                           (MEETING + dt.timedelta(days=40)).isoformat()})
    absent = (await create_expert(client, minter, name="=缺席一次", fields=fields))["code"]
    await _evaluated(client, await _seat(client, minter, absent, 6), absent, False, None)
    await client.put(f"/api/v1/experts/{absent}/status", headers=admin(minter),
                     json={"status": "suspended", "reason": "测试：让出席位", "suspended_until":
                           (MEETING + dt.timedelta(days=40)).isoformat()})
    unexcused = (await create_expert(client, minter, name="无故谢绝", fields=fields))["code"]
    for day in (10, 11, 12):
        await _decline(client, minter, await _seat(client, minter, unexcused, day), unexcused, "other")
    return {"excused": excused, "absent": absent, "unexcused": unexcused}


async def test_the_year_sheet_counts_and_proposes_a_grade_per_expert(experts_client, minter) -> None:
    codes = await _scene(experts_client, minter)
    response = await experts_client.get(f"/api/v1/assessments/{YEAR}", headers=minter.headers("experts", "auditor"))
    assert response.status_code == 200, response.text
    sheet = response.json()
    rows = {item["code"]: item for item in sheet["items"]}
    excused, absent, unexcused = rows[codes["excused"]], rows[codes["absent"]], rows[codes["unexcused"]]
    assert {name: excused["figures"][name] for name in ("invitations", "accepted", "declined_valid",
                                                         "declined_unexcused", "no_shows", "scores")} == {
        "invitations": 4, "accepted": 1, "declined_valid": 3, "declined_unexcused": 0, "no_shows": 0, "scores": [92]}
    assert (excused["proposed_grade"], excused["proposal_reasons"]) == ("pass", [])
    assert (absent["figures"]["no_shows"], absent["proposed_grade"], absent["proposal_reasons"]) == (
        1, "basic", ["接受邀请后缺席1次"])
    assert (unexcused["figures"]["declined_unexcused"], unexcused["proposed_grade"]) == (3, "fail")
    assert unexcused["proposal_reasons"] == ["无正当理由谢绝3次（达到3次为不合格）"]
    assert sheet["grade_counts"] == {"pass": 1, "basic": 1, "fail": 1} and sheet["confirmed"] == 0

    future = await experts_client.get(f"/api/v1/assessments/{beijing_today().year + 1}", headers=admin(minter))
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "year"
    refused = await experts_client.get(f"/api/v1/assessments/{YEAR}", headers=organiser(minter))
    assert refused.status_code == 403


async def test_an_admin_confirms_and_a_fail_suspends_or_removes_with_a_chinese_reason(experts_client, minter) -> None:
    codes = await _scene(experts_client, minter)
    url = f"/api/v1/assessments/{YEAR}/experts"
    until = (beijing_today() + dt.timedelta(days=180)).isoformat()
    for body, field, code in (
            ({"grade": "fail"}, "outcome", "assessment.fail_needs_outcome"),
            ({"grade": "fail", "outcome": "suspended"}, "suspended_until", "expert.suspension_end_needed"),
            ({"grade": "basic", "outcome": "suspended", "suspended_until": until}, "outcome",
             "assessment.outcome_unwanted"),
            ({"grade": "basic"}, "reason", "assessment.reason_needed"),
            ({"grade": "good"}, "grade", None)):
        response = await experts_client.post(f"{url}/{codes['unexcused']}", json=body, headers=admin(minter))
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field
        if code:
            assert response.json()["errors"][0]["code"] == code
    assert (await experts_client.get(f"/api/v1/assessments/{YEAR}", headers=admin(minter))).json()["confirmed"] == 0

    response = await experts_client.post(f"{url}/{codes['unexcused']}", headers=admin(minter), json={
        "grade": "fail", "outcome": "suspended", "suspended_until": until})
    assert response.status_code == 200, response.text
    assert response.json()["confirmation"]["grade"] == "fail" and response.json()["status"] == "suspended"
    expert = (await experts_client.get(f"/api/v1/experts/{codes['unexcused']}", headers=admin(minter))).json()
    assert (expert["status"], expert["suspended_until"]) == ("suspended", until)
    assert expert["status_reason"] == f"{YEAR}年度考核不合格，暂停：无正当理由谢绝3次（达到3次为不合格）"
    again = await experts_client.post(f"{url}/{codes['unexcused']}", headers=admin(minter), json={"grade": "pass",
                                                                                                  "reason": "复核"})
    assert again.status_code == 409 and again.json()["code"] == "assessment.confirmed"

    response = await experts_client.post(f"{url}/{codes['absent']}", headers=admin(minter), json={
        "grade": "fail", "outcome": "retired", "reason": "缺席且未说明情况"})
    assert response.status_code == 200, response.text
    expert = (await experts_client.get(f"/api/v1/experts/{codes['absent']}", headers=admin(minter))).json()
    assert (expert["status"], expert["status_reason"]) == (
        "retired", f"{YEAR}年度考核不合格，清退出专家库：缺席且未说明情况")
    response = await experts_client.post(f"{url}/{codes['excused']}", headers=admin(minter), json={"grade": "pass"})
    assert response.status_code == 200 and response.json()["status"] == "suspended"  # untouched by a pass

    sheet = (await experts_client.get(f"/api/v1/assessments/{YEAR}", headers=admin(minter))).json()
    assert sheet["confirmed"] == 3 and sheet["grade_counts"] == {"pass": 1, "basic": 0, "fail": 2}
    entries = [e for e in await audit_entries(experts_client, minter)
               if e["object_id"] == codes["unexcused"] and e["action"] != "personal_data.unmasked"]
    assert [e["action"] for e in entries[:2]] == ["expert.status_changed", "expert.assessed"]
    assert entries[1]["details"] == {"year": YEAR, "grade": "fail", "proposed_grade": "fail", "outcome": "suspended"}
    refused = await experts_client.post(f"{url}/{codes['excused']}", headers=minter.headers("experts", "auditor"),
                                        json={"grade": "pass"})
    assert refused.status_code == 403


async def test_the_sheet_exports_as_xlsx_formula_safe(experts_client, minter) -> None:
    codes = await _scene(experts_client, minter)
    response = await experts_client.get(f"/api/v1/assessments/{YEAR}/export", headers=admin(minter))
    assert response.status_code == 200, response.text
    assert f"assessment-{YEAR}.xlsx" in response.headers["content-disposition"]
    rows = [[cell.value for cell in row] for row in openpyxl.load_workbook(io.BytesIO(response.content)).active]
    assert rows[0][0] == f"{YEAR}年度专家考核" and rows[1][:3] == ["专家编号", "姓名", "工作单位"]
    by_code = {row[0]: row for row in rows[2:]}
    assert by_code[codes["absent"]][1] == "'=缺席一次"  # never a formula
    assert by_code[codes["unexcused"]][13] == "不合格" and by_code[codes["excused"]][13] == "合格"
    assert by_code[codes["unexcused"]][15] == "待确认"
