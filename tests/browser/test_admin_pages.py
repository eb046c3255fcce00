"""The bureau admin's console pages in Chromium against the real system: the expert pool list."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.browser.conftest import ON_SQLITE_SYSTEM, Console, sign_in

pytestmark = ON_SQLITE_SYSTEM


async def test_an_admin_filters_the_expert_list(page: Any, console: Console, screenshot: Any) -> None:
    await sign_in(page, "console.admin")
    await page.click('nav a[href="/admin/experts"]')
    await page.wait_for_url("**/admin/experts")
    assert await page.inner_text("h1") == "专家库"
    status = page.locator("#expert-status")
    await expect(status).to_contain_text("共")
    await screenshot(page, "admin-experts")
    await page.fill("#f-q", "不存在的专家名字")
    await page.select_option("#f-status", "active")
    await page.click("#expert-filters button[type=submit]")
    await expect(status).to_have_text("没有符合条件的专家。")
    assert await page.locator("#expert-table tbody tr").count() == 0
    await screenshot(page, "admin-experts-filtered")


async def test_only_admins_see_the_expert_pool_page(page: Any, console: Console) -> None:
    await sign_in(page, "console.organiser")
    assert await page.locator('nav a[href="/admin/experts"]').count() == 0
    response = await page.goto("/admin/experts")
    assert response is not None and response.status == 403
