"""The one-time answer link in the browser: the bureau admin's 消息发件箱 shows the invitation sent by the
local outbox (the number masked); the expert opens its link without signing in, accepts, and the link
no longer answers; the organiser's call sheet shows the message delivered and the answer."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from tests.browser.conftest import ON_SQLITE_SYSTEM, VIEWPORT, Console, sign_in
from tests.browser.test_panel_pages import Scene, meeting, panel_by_api, scene  # noqa: F401 - the fixture

pytestmark = ON_SQLITE_SYSTEM


async def _outbox_row(page: Any, attempts: int = 40) -> tuple[str, str]:
    """The newest message's status and text, once the background sender has delivered it."""
    for _ in range(attempts):
        await page.goto("/admin/outbox")
        status = await page.get_attribute("#outbox tbody tr:first-child", "data-status")
        if status == "delivered":
            return status, await page.inner_text("#outbox tbody tr:first-child td.text")
        await asyncio.sleep(0.5)
    raise AssertionError("the sender did not deliver the invitation")


async def test_an_expert_accepts_through_the_sms_link_once(page: Any, browser: Any, console: Console,
                                                             scene: Scene) -> None:  # noqa: F811
    project = scene.project(console, "LINK")
    draw_id = panel_by_api(console, scene, project, scene.draw_field, meeting(45), reserves=1)

    await sign_in(page, "console.admin")
    status, text = await _outbox_row(page)
    assert status == "delivered" and "控制台测试项目LINK" in text
    assert await page.inner_text("#outbox tbody tr:first-child td.recipient") == "139****2345"
    assert "13957712345" not in await page.content()
    link = re.search(r"https?://\S+/answer\?t=[A-Za-z0-9_-]+", text).group(0)

    expert = await browser.new_context(base_url=console.url, viewport=VIEWPORT, locale="zh-CN")
    try:
        tab = await expert.new_page()
        await tab.goto(link)
        assert await tab.inner_text("#answer-project") == "控制台测试项目LINK"
        assert "上午" in await tab.inner_text("#answer-time")
        async with tab.expect_navigation():
            await tab.click("#accept")
        assert "您已确认参加" in await tab.inner_text("#answer-state")

        await tab.goto(link)  # the link no longer offers an answer …
        assert await tab.locator("#accept").count() == 0 and await tab.locator("#decline").count() == 0
        token = link.split("t=", 1)[1]
        again = httpx.post(console.url + "/answer", data={"t": token, "decision": "decline", "reason": "改变主意"},
                           timeout=30)
        assert again.status_code == 409 and "该链接已使用过" in again.text  # … and refuses a second one
        assert again.headers["referrer-policy"] == "no-referrer" and "no-store" in again.headers["cache-control"]
        unknown = await tab.goto("/answer?t=" + "A" * 32)
        assert unknown.status == 404 and "链接无效" in await tab.inner_text("#answer-problem")
    finally:
        await expert.close()

    organiser = await browser.new_context(base_url=console.url, viewport=VIEWPORT, locale="zh-CN")
    try:
        sheet = await organiser.new_page()
        await sign_in(sheet, "console.organiser")
        await sheet.goto(f"/draws/{draw_id}/calls")
        accepted = sheet.locator('#members tr[data-state="accepted"]')
        assert await accepted.count() == 1
        assert "短信：已送达" in await accepted.locator("td.notice").inner_text()
        assert "本人通过短信链接答复" in await accepted.locator("td.note").inner_text()
    finally:
        await organiser.close()
