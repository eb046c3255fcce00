"""The procurement officer's conflict check in the console: two bidders, one barred with its
citation of Art. 29, and the printable result."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx
import pytest

from shared.identifiers import uscc_check_character
from tests.browser.conftest import ON_SQLITE_SYSTEM, PASSWORD, Console, sign_in

pytestmark = ON_SQLITE_SYSTEM

LOTS = [{"code": "L1", "name": "总体设计", "procurement_method": "competitive_consultation", "role": "overall_design"},
        {"code": "L2", "name": "平台建设", "procurement_method": "public_tender", "role": "construction"}]


def make_uscc(prefix: str) -> str:
    first17 = prefix + "".join(random.choices("0123456789ABCDEFGHJKLMNPQRTUWXY", k=17 - len(prefix)))
    return first17 + uscc_check_character(first17)


@pytest.fixture(scope="module")
def project(console: Console) -> dict[str, str]:
    """An owner unit with its procurement officer, a project of two lots, and the design lot's vendor engaged."""
    admin = {"Authorization": f"Bearer {console.system.admin_api_key}"}

    def call(method: str, path: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.request(method, console.url + path, headers=admin, json=body, timeout=30)

    owner, code = make_uscc("12330326"), f"PY-CONSOLE-{uuid.uuid4().hex[:6].upper()}"
    assert call("POST", "/api/v1/units", {"uscc": owner, "name": "平阳县住房和城乡建设局"}).status_code == 201
    username = f"procurement.{uuid.uuid4().hex[:6]}"
    assert call("POST", "/api/v1/users", {"username": username, "display_name": "郑采购", "unit_uscc": owner,
                                          "roles": ["procurement_officer"], "password": PASSWORD}).status_code == 201
    response = call("PUT", f"/api/v1/projects/{code}", {
        "name": "平阳县城市大脑（二期）", "kind": "construction", "owner_unit": owner, "investment_fen": 250_000_000,
        "planned_completion": "2027-12-31", "lots": LOTS})
    assert response.status_code == 201, response.text
    designer, builder = make_uscc("91330326"), make_uscc("91330326")
    for uscc, name in ((designer, "浙江数智设计院有限公司"), (builder, "平阳县集成科技有限公司")):
        assert call("POST", "/api/v1/vendors", {"uscc": uscc, "name": name}).status_code == 201
    response = call("POST", f"/api/v1/projects/{code}/engagements", {
        "vendor_uscc": designer, "role": "overall_design", "lot_code": "L1", "started_on": "2026-01-05",
        "amount_fen": 48_000_000})
    assert response.status_code == 201, response.text
    return {"code": code, "username": username, "designer": designer, "builder": builder}


async def test_an_officer_checks_two_bidders_and_prints_the_result(page: Any, console: Console,
                                                                     project: dict[str, str], screenshot: Any) -> None:
    await sign_in(page, project["username"])
    await page.goto(f"/procurement/projects/{project['code']}/lots/L2/conflict-check")
    assert await page.inner_text("#check-title") == "投标人冲突检查"
    await page.fill("#bidders", f"{project['designer']}\n{project['builder']}\n")
    await screenshot(page, "procurement-conflict-check-form")
    async with page.expect_navigation(url="**/procurement/conflict-checks/**"):
        await page.click("#run-check")
    assert await page.inner_text("#result-title") == "冲突检查结果"
    barred = page.locator(f'#verdicts tr[data-uscc="{project["designer"]}"]')
    allowed = page.locator(f'#verdicts tr[data-uscc="{project["builder"]}"]')
    assert await barred.get_attribute("data-verdict") == "barred"
    assert await barred.locator(".verdict").inner_text() == "禁止"
    assert await allowed.locator(".verdict").inner_text() == "允许"
    rules = await barred.locator("[data-rule]").all_inner_texts()
    assert any(text.startswith("PY-2021-29") and "第二十九条" in text for text in rules), rules
    await screenshot(page, "procurement-conflict-check-result")
    await page.emulate_media(media="print")
    assert not await page.locator("#print-result").is_visible()
    assert not await page.locator(".topbar nav").is_visible()
    pdf = await page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    await screenshot(page, "procurement-conflict-check-print")


async def test_a_malformed_uscc_is_reported_next_to_the_field(page: Any, console: Console,
                                                              project: dict[str, str], screenshot: Any) -> None:
    await sign_in(page, project["username"])
    await page.goto(f"/procurement/projects/{project['code']}/lots/L2/conflict-check")
    await page.fill("#bidders", "NOT-A-USCC")
    await page.click("#run-check")
    error = page.locator('[data-error-for="bidders"]')
    await error.wait_for(state="visible")
    assert "bidders" in await error.inner_text()
    assert (await page.inner_text("#check-status")).startswith("检查失败：")
    await screenshot(page, "procurement-conflict-check-error")
