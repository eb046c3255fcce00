"""The papers printed on A4 as Chromium prints them (page.pdf, the print path of the browser): the
抽取记录表 runs over several pages, each with the record number and 第 x 页 共 y 页, its table headers
repeated and no section heading left at a page foot; the 专家签到表 and the 评审劳务费发放表 print the
same way, the units named by the console."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import unicodedata
import uuid
from typing import Any

import httpx
import pytest

from shared.clock import beijing_today
from shared.demo import bureau_unit, make_uscc
from tests.browser.conftest import ON_SQLITE_SYSTEM, PASSWORD, Console, sign_in

pytestmark = ON_SQLITE_SYSTEM
pypdf = pytest.importorskip("pypdf")

SUPERVISOR_UNIT = make_uscc(random.Random("papers supervisor unit"), "11")
HEADINGS = ("一、项目与会议", "二、抽取条件", "三、回避情况", "四、承诺与揭示", "五、抽取结果", "六、替补与变动")


def call(console: Console, method: str, path: str, headers: dict[str, str] | None = None,
         **options: Any) -> httpx.Response:
    headers = headers or {"Authorization": f"Bearer {console.system.admin_api_key}"}
    return httpx.request(method, console.url + path, headers=headers, timeout=30, **options)


def bearer(console: Console, username: str) -> dict[str, str]:
    answer = call(console, "POST", "/api/v1/auth/sign-in", {}, json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def new_expert(console: Console, name: str, field: str, unit: str) -> str:
    answer = call(console, "POST", "/api/v1/experts", json={
        "name": name, "birth_date": "1976-05-01", "unit_uscc": unit, "unit_name": "平阳县某某信息技术有限公司",
        "title": "高级工程师", "years_in_field": 10, "fields": [{"code": field, "primary": True}],
        "phone": "13957712345", "bank_account": "6222021234567890123",
        "last_trained_on": (beijing_today() - dt.timedelta(days=30)).isoformat()})
    assert answer.status_code == 201, answer.text
    return answer.json()["code"]


@pytest.fixture(scope="module")
def drawn(console: Console) -> dict[str, Any]:
    """A revealed panel whose record runs over pages: forty of the owner's staff avoided one by one."""
    suffix = uuid.uuid4().hex[:6].upper()
    field = f"P{suffix}"
    assert call(console, "POST", "/api/v1/fields", json={"code": field, "name_zh": f"打印测试领域{suffix}",
                                                         "name_en": f"Print test {suffix}"}).status_code == 201
    call(console, "POST", "/api/v1/units", json={"uscc": SUPERVISOR_UNIT, "name": "平阳县纪委监委派驻纪检组"})
    answer = call(console, "POST", "/api/v1/users", json={
        "username": "papers.supervisor", "display_name": "钱监督", "unit_uscc": SUPERVISOR_UNIT,
        "roles": ["supervisor"], "password": PASSWORD})
    assert answer.status_code in (201, 409), answer.text
    rng = random.Random(suffix)
    for index in range(7):
        new_expert(console, f"打印专家{index}", field, make_uscc(rng, "91"))
    for index in range(40):
        new_expert(console, f"业主员工{index}", field, bureau_unit().uscc)
    project = f"PY-PRINT-{suffix}"
    assert call(console, "PUT", f"/api/v1/projects/{project}", json={
        "name": "平阳县智慧政务打印测试项目", "kind": "construction", "owner_unit": bureau_unit().uscc,
        "investment_fen": 120_000_000, "planned_completion": "2027-12-31", "lots": []}).status_code == 201
    organiser = bearer(console, "console.organiser")
    committed = call(console, "POST", f"/api/v1/projects/{project}/panels", organiser, json={
        "purpose": "technical_review", "meeting_on": (beijing_today() + dt.timedelta(days=12)).isoformat(),
        "halves": ["morning"], "seats": [{"field": field, "count": 3}], "reserves": 2,
        "supervisor": "papers.supervisor", "venue": "平阳县行政中心 5 楼 502 会议室",
        "starts_at": {"morning": "09:00"}, "contact_name": "陈联系", "contact_phone": "13800138000"})
    assert committed.status_code == 201, committed.text
    draw_id = committed.json()["id"]
    revealed = call(console, "POST", f"/api/v1/draws/{draw_id}/reveal", bearer(console, "papers.supervisor"),
                    json={"witness": "2026年12月4日 上证指数收盘 3401.25", "confirmed_avoidances": []})
    assert revealed.status_code == 200, revealed.text
    return {"id": draw_id, "project": project, "field": field}


async def printed(page: Any, path: str) -> list[str]:
    """The page at ``path`` printed to A4 as the browser prints it; the text of each PDF page."""
    response = await page.goto(path)
    assert response.status == 200, await response.text()
    pdf = await page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    return [readable(each.extract_text()) for each in pypdf.PdfReader(io.BytesIO(pdf)).pages]


# The CJK fonts map some characters to radicals' code points, which the text extraction then gives:
# Kangxi radicals fold back under NFKC; these simplified-form radicals do not.
_RADICALS = str.maketrans({"\u2eda": "页", "\u2ed3": "长", "\u2ed4": "门", "\u2ee2": "马", "\u2ec5": "见",
                           "\u2ec8": "讠", "\u2ecb": "车", "\u2ed6": "阝", "\u2ee3": "骨", "\u2ea0": "民"})


def readable(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_RADICALS)


def squeezed(text: str) -> str:
    """Without white space, in the extraction's normal form (NFKC: full-width colons and brackets fold)."""
    return re.sub(r"\s+", "", readable(text))


async def test_the_draw_record_prints_on_a4_with_numbered_pages_and_headings_kept_with_their_tables(
        page: Any, console: Console, drawn: dict[str, Any]) -> None:
    await sign_in(page, "console.organiser")
    pages = await printed(page, f"/draws/{drawn['id']}/printable")
    total = len(pages)
    assert total >= 2, "forty avoidances run over a page"
    for number, text in enumerate(pages, start=1):
        flat = squeezed(text)
        assert f"第{number}页共{total}页" in flat, (number, text[-300:])
        assert squeezed(f"记录编号：{drawn['id']}") in flat, number
        assert "专家抽取记录表" in flat, number
        # No section heading is the last thing on a page: its table follows it there.
        last_line = [line for line in text.splitlines() if line.strip() and "页" not in line][-1]
        assert not any(heading in squeezed(last_line) for heading in HEADINGS), (number, last_line)
    whole = squeezed("".join(pages))
    for expected in ("平阳县智慧政务打印测试项目", "技术审查", "平阳县行政中心5楼502会议室", "上午09:00",
                     "钱监督（平阳县纪委监委派驻纪检组）", bureau_unit().name, "打印测试领域",
                     "回避：现工作单位为回避单位", "打印专家", "组织人签字", "监督人签字"):
        assert squeezed(expected) in whole, expected
    # The avoidance table runs over the page break with its header repeated on the next page.
    carried_on = [text for text in pages[1:] if squeezed("回避：现工作单位为回避单位") in squeezed(text)]
    assert carried_on and all("回避对象" in squeezed(text) for text in carried_on)


@pytest.mark.parametrize("reader", ["console.organiser", "papers.supervisor", "console.auditor", "console.admin"])
async def test_every_reader_of_the_printed_record_reads_the_units_by_name(page: Any, console: Console,
                                                                         drawn: dict[str, Any], reader: str) -> None:
    await sign_in(page, reader)
    answer = await page.goto(f"/draws/{drawn['id']}/printable")
    assert answer is not None and answer.status == 200
    # Every unit the experts service printed by its code is named by the console, whoever reads:
    # no code is left marked for naming.
    assert await page.locator("[data-uscc]").count() == 0
    text = await page.inner_text("body")
    assert f"项目建设单位{bureau_unit().name}" in re.sub(r"\s+", "", text)
    assert "钱监督（平阳县纪委监委派驻纪检组）" in text
    assert SUPERVISOR_UNIT not in text and bureau_unit().uscc not in text


async def test_the_sign_in_and_fee_sheets_print_with_numbered_pages(page: Any, console: Console,
                                                                    drawn: dict[str, Any]) -> None:
    await sign_in(page, "console.organiser")
    sheet = await printed(page, f"/draws/{drawn['id']}/sign-in-sheet")
    flat = squeezed("".join(sheet))
    for expected in ("专家签到表", "签到时间", "签名", "打印专家", "平阳县智慧政务打印测试项目",
                     f"第1页共{len(sheet)}页"):
        assert squeezed(expected) in flat, expected
    fees = await printed(page, f"/draws/{drawn['id']}/fee-sheet")
    flat = squeezed("".join(fees))
    assert "评审劳务费发放表" in flat and f"第1页共{len(fees)}页" in flat
    assert squeezed(f"记录编号：{drawn['id']}") in flat


async def test_the_organiser_changes_venue_and_start_on_the_call_sheet_and_the_expert_reads_them(
        page: Any, console: Console, drawn: dict[str, Any], browser: Any) -> None:
    await sign_in(page, "console.organiser")
    await page.goto(f"/draws/{drawn['id']}/calls")
    assert await page.inner_text("#project-name") == "平阳县智慧政务打印测试项目"
    assert await page.inner_text("#venue") == "平阳县行政中心 5 楼 502 会议室"
    await page.fill("#notice-venue", "平阳县大数据局 2 楼会议室")
    await page.fill("#notice-starts-at", "09:30")
    async with page.expect_navigation():
        await page.click("#save-notice")
    assert await page.inner_text("#venue") == "平阳县大数据局 2 楼会议室"
    assert "上午 09:30" in await page.inner_text("#meeting")
    assert "陈联系" in await page.inner_text("#contact")  # left as it was

    # A seated member, signed in as the expert of that pool entry, reads where, when and whom to call.
    organiser = bearer(console, "console.organiser")
    members = call(console, "GET", f"/api/v1/draws/{drawn['id']}", organiser).json()["panel"]["members"]
    seated = next(m["expert_code"] for m in members if m["state"] == "invited")
    answer = call(console, "POST", "/api/v1/users", json={
        "username": "papers.expert", "display_name": "打印专家", "unit_uscc": SUPERVISOR_UNIT, "roles": ["expert"],
        "password": PASSWORD})
    assert answer.status_code in (201, 409), answer.text
    assert call(console, "PATCH", f"/api/v1/experts/{seated}",
                json={"account_subject": "user:papers.expert"}).status_code == 200
    context = await browser.new_context(base_url=console.url, locale="zh-CN")
    try:
        expert = await context.new_page()
        await sign_in(expert, "papers.expert")
        row = expert.locator(f'#invitation-list tr[data-draw="{drawn["id"]}"]')
        text = await row.inner_text()
        for expected in ("平阳县智慧政务打印测试项目", "平阳县大数据局 2 楼会议室", "09:30", "陈联系", "13800138000"):
            assert expected in text, expected
    finally:
        await context.close()
