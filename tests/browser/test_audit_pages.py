"""The auditor's console page: the audit log filtered, the chains verified, the draw statistics."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import ON_SQLITE_SYSTEM, Console, sign_in

pytestmark = ON_SQLITE_SYSTEM


async def test_an_auditor_filters_the_log_and_verifies_the_chains(page: Any, console: Console,
                                                                  screenshot: Any) -> None:
    await sign_in(page, "console.auditor")
    assert "审计日志" in await page.locator(".topbar nav a").all_inner_texts()
    await page.goto("/audit")
    assert await page.inner_text("#audit-title") == "审计日志"
    await page.select_option("#f-service", "gateway")
    # The object types are offered by their Chinese names.
    assert "用户" in await page.locator("#f-object-type option").all_inner_texts()
    await page.select_option("#f-object-type", label="用户")
    await page.fill("#f-object-id", "console.auditor")
    async with page.expect_navigation():
        await page.click("#apply-filters")
    assert await page.inner_text("#clear-filters") == "清除"
    assert "service=gateway" in page.url and "object_type=user" in page.url and "object_id=console.auditor" in page.url
    rows = page.locator("#audit-entries tbody tr")
    assert await rows.count() >= 2  # created, signed in
    for text in await rows.all_inner_texts():
        assert "网关" in text and "console.auditor" in text and "用户" in text
    # Actions in words, people by name, details as labelled fields rather than JSON.
    actions = await page.locator("#audit-entries td.action").all_inner_texts()
    assert "新建用户" in actions and "用户登录" in actions
    assert "user.signed_in" not in " ".join(actions)
    signed_in = page.locator('#audit-entries tr[data-action="user.signed_in"]').first
    assert await signed_in.locator(".actor-name").inner_text() == "吴审计"
    created = page.locator('#audit-entries tr[data-action="user.created"]').first
    assert "{" not in await created.locator("td.audit-details").inner_text()
    assert await page.locator("#audit-pager .pager-total").inner_text() == await page.inner_text("#audit-total")

    # The column headers sort the filtered log: by action, then the other way, the filters kept.
    async with page.expect_navigation():
        await page.click('#audit-entries th a.sort:text-is("操作")')
    assert "sort=action" in page.url and "object_id=console.auditor" in page.url
    codes = await page.locator("#audit-entries tbody tr").evaluate_all("rows => rows.map(r => r.dataset.action)")
    assert codes == sorted(codes) and len(set(codes)) >= 2
    assert await page.get_attribute('#audit-entries th a.sort:text-is("操作")', "aria-sort") == "ascending"
    async with page.expect_navigation():
        await page.click('#audit-entries th a.sort:text-is("操作")')
    assert "sort=-action" in page.url
    assert await page.locator("#audit-entries tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.action)") == sorted(codes, reverse=True)
    await page.goto("/audit?sort=details")  # not a column that sorts: newest first, as without
    assert await page.get_attribute('#audit-entries th a.sort:text-is("时间（北京）")', "aria-sort") == "descending"

    # A draw number that is no draw number is said so; a real one finds that draw's entries.
    await page.goto("/audit?draw=12345")
    assert "抽取编号应为" in await page.inner_text("#audit-error")
    # Who acted, found by their name as the log shows it.
    await page.goto("/audit?service=gateway&actor=吴审计")
    names = await page.locator("#audit-entries .actor-name").all_inner_texts()
    assert names and set(names) == {"吴审计"}

    await page.click("#verify-chains")
    await page.wait_for_selector("#verify-results tbody tr[data-service]")
    results = page.locator("#verify-results tbody tr")
    assert await results.count() == 3
    assert sorted(await results.evaluate_all("rows => rows.map(r => r.dataset.service)")) == [
        "experts", "gateway", "vendors"]
    assert await page.locator("#verify-results .chain-ok").all_inner_texts() == ["完好"] * 3
    assert await page.inner_text("#verify-status") == ""
    await screenshot(page, "audit-log-verified")


async def test_an_auditor_sees_the_draw_statistics(page: Any, console: Console, screenshot: Any) -> None:
    await sign_in(page, "console.auditor")
    await page.goto("/audit?stats_since=2026-01-01&stats_until=2026-12-31")
    assert await page.inner_text("#stats-period") == "统计区间：2026-01-01 至 2026-12-31"
    headers = await page.locator("#stats-totals th").all_inner_texts()
    assert headers == ["已提交抽取", "已揭示", "已取消", "补抽", "抽查"]
    totals = await page.locator("#stats-totals tbody td").all_inner_texts()
    assert len(totals) == 5 and all(text.isdigit() for text in totals), totals
    assert await page.locator("#stats-experts, #stats-no-experts").count() == 1
    await screenshot(page, "audit-draw-statistics")


async def test_the_audit_page_in_english_and_refused_to_an_organiser(page: Any, console: Console) -> None:
    await sign_in(page, "console.auditor")
    await page.goto("/audit?lang=en")
    assert await page.inner_text("#audit-title") == "Audit log"
    await page.click("#sign-out")
    await sign_in(page, "console.organiser")
    await page.goto("/audit")
    assert await page.inner_text("h1") == "Not permitted"  # the language chosen stays with the browser
