"""Signing in and out of the console, its CSRF rule as a browser meets it, and the English switch."""

from __future__ import annotations

import random
from typing import Any

from shared.identifiers import uscc_check_character
from tests.browser.conftest import ON_SQLITE_SYSTEM, Console, sign_in

pytestmark = ON_SQLITE_SYSTEM

# fetch() from the page itself: the browser adds the session cookie; the header is the page's choice.
POST_UNIT = """async ([unit, withToken]) => {
  const headers = {"Content-Type": "application/json"};
  if (withToken) headers["X-CSRF-Token"] = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch("/api/v1/units", {method: "POST", headers, body: JSON.stringify(unit)});
  return [response.status, (await response.json()).type || null];
}"""


def new_uscc() -> str:
    first17 = "12330326" + "".join(random.choices("0123456789ABCDEFGHJKLMNPQRTUWXY", k=9))
    return first17 + uscc_check_character(first17)


async def session_cookie(page: Any) -> dict[str, Any] | None:
    return next((c for c in await page.context.cookies() if c["name"] == "sortes_session"), None)


async def test_a_wrong_password_shows_the_chinese_error(page: Any, console: Console, screenshot: Any) -> None:
    await sign_in(page, "console.admin", "not-the-password")
    assert await page.inner_text("#sign-in-error") == "用户名或密码错误。"
    assert page.url == console.url + "/sign-in"
    assert await session_cookie(page) is None
    await screenshot(page, "sign-in-wrong-password")


async def test_an_admin_lands_on_the_admin_home(page: Any, console: Console, screenshot: Any) -> None:
    await sign_in(page, "console.admin")
    assert page.url == console.url + "/home/bureau_admin"
    assert await page.inner_text("#home-title") == "大数据局管理员工作台"
    assert await page.inner_text("#signed-in-user") == "林管理员"
    assert await page.locator(".figures li").count() == 4
    session = await session_cookie(page)
    assert session is not None and session["httpOnly"] and session["sameSite"] == "Strict"
    assert "sortes_session" not in await page.evaluate("document.cookie")  # out of the page's reach
    await screenshot(page, "home-bureau-admin")


async def test_an_organiser_lands_on_the_organiser_home(page: Any, console: Console, screenshot: Any) -> None:
    await sign_in(page, "console.organiser")
    assert page.url == console.url + "/home/organiser"
    assert await page.locator(".topbar nav a").all_inner_texts() == [
        "首页", "申请抽取", "抽取档案", "推荐专家", "供应商库", "校验抽取记录", "接口文档"]
    await page.click(".topbar nav a:text('申请抽取')")
    assert page.url == console.url + "/panels/new"
    await page.goto("/home/organiser")
    await screenshot(page, "home-organiser")
    await page.goto("/home/bureau_admin")
    assert await page.inner_text("h1") == "无权访问"


async def test_a_change_with_the_cookie_needs_the_csrf_token_and_the_page_has_it(page: Any, console: Console,
                                                                                  screenshot: Any) -> None:
    await sign_in(page, "console.admin")
    stranger = {"uscc": new_uscc(), "name": "无令牌单位"}
    assert await page.evaluate(POST_UNIT, [stranger, False]) == [403, "/problems/csrf-token-missing"]
    assert (await page.context.request.post("/sign-out")).status == 403  # a form post without _csrf, too
    assert (await page.evaluate(POST_UNIT, [{"uscc": new_uscc(), "name": "带令牌单位"}, True]))[0] == 201
    # The page's own form (console.js) sends the token and shows the new unit after reloading.
    unit = {"uscc": new_uscc(), "name": "平阳县智慧城市运营中心"}
    await page.fill("#unit-uscc", unit["uscc"])
    await page.fill("#unit-name", unit["name"])
    async with page.expect_navigation():
        await page.click("#add-unit button[type=submit]")
    units = await page.inner_text("#units")
    assert unit["uscc"] in units and stranger["uscc"] not in units
    await screenshot(page, "home-bureau-admin-unit-added")


async def test_signing_out_revokes_the_session(page: Any, console: Console, screenshot: Any) -> None:
    await sign_in(page, "console.auditor")
    session = await session_cookie(page)
    assert session is not None
    async with page.expect_navigation(url="**/sign-in?signed_out=1"):
        await page.click("#sign-out")
    assert await page.inner_text(".notice") == "您已安全退出。"
    assert await session_cookie(page) is None
    revoked = await page.context.request.get("/api/v1/auth/me",
                                             headers={"Authorization": f"Bearer {session['value']}"})
    assert revoked.status == 401
    await screenshot(page, "signed-out")
    await page.goto("/home/auditor")
    assert page.url == console.url + "/sign-in?next=%2Fhome%2Fauditor"


async def test_the_english_switch_is_remembered(page: Any, console: Console, screenshot: Any) -> None:
    await page.goto("/sign-in")
    assert await page.inner_text("h1") == "登录"
    async with page.expect_navigation():
        await page.click("#language-switch")
    assert await page.inner_text("h1") == "Sign in"
    assert await page.evaluate("document.documentElement.lang") == "en"
    await screenshot(page, "sign-in-english")
    await page.goto("/verify")
    assert await page.inner_text("h1") == "Verify a draw record"
    async with page.expect_navigation():
        await page.click("#language-switch")
    assert await page.inner_text("h1") == "校验抽取记录"
