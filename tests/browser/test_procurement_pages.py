"""The vendor pages in the console, as their users try them: a procurement officer finds a vendor and
reads its detail, records an engagement, checks two bidders (one barred with its citation of Art. 29)
and prints the result and the barred list; a rater rates a vendor, the vendor comments and disputes,
a reviewer from another unit settles it, finding it in the queue of disputed ratings; a vendor sees
only its own ratings."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import httpx
import pytest

from services.gateway.identity.sessions import SESSION_COOKIE
from services.vendors.domain import rules as register
from shared.clock import beijing_today
from shared.demo import bureau_unit
from shared.identifiers import id_number_check_character, uscc_check_character
from tests.browser.conftest import ON_SQLITE_SYSTEM, PASSWORD, Console, sign_in

pytestmark = ON_SQLITE_SYSTEM

LOTS = [{"code": "L1", "name": "总体设计", "procurement_method": "competitive_consultation", "role": "overall_design"},
        {"code": "L2", "name": "平台建设", "procurement_method": "public_tender", "role": "construction"}]
ID_NUMBER = "33032619800101123" + id_number_check_character("33032619800101123")
LEVELS = {"quality": "excellent", "schedule": "good", "service_responsiveness": "good",
          "security_compliance": "qualified", "documentation": "basically_qualified"}


def make_uscc(prefix: str) -> str:
    first17 = prefix + "".join(random.choices("0123456789ABCDEFGHJKLMNPQRTUWXY", k=17 - len(prefix)))
    return first17 + uscc_check_character(first17)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture(scope="module")
def project(console: Console) -> dict[str, str]:
    """An owner unit with its procurement officer and rater, a bureau reviewer, a project of two lots;
    a design vendor (former name, legal representative, an expired qualification, a controlled
    affiliate, a lapsed debarment) engaged on the design lot; a builder with a vendor user; and a
    rating of the designer that the builder must never see."""
    admin = {"Authorization": f"Bearer {console.system.admin_api_key}"}

    def call(method: str, path: str, body: dict[str, Any], headers: dict[str, str] = admin) -> dict[str, Any]:
        return _ok(httpx.request(method, console.url + path, headers=headers, json=body, timeout=30))

    tag = uuid.uuid4().hex[:6]
    owner, code = make_uscc("12330326"), f"PY-CONSOLE-{tag.upper()}"
    call("POST", "/api/v1/units", {"uscc": owner, "name": "平阳县住房和城乡建设局"})
    users = {"officer": (f"procurement.{tag}", "郑采购", owner, "procurement_officer"),
             "rater": (f"rater.{tag}", "周评价", owner, "rater"),
             "reviewer": (f"reviewer.{tag}", "钱复核", bureau_unit().uscc, "rating_reviewer")}
    designer, builder, affiliate = make_uscc("91330326"), make_uscc("91330326"), make_uscc("91330326")
    call("PUT", f"/api/v1/projects/{code}", {
        "name": "平阳县城市大脑（二期）", "kind": "construction", "owner_unit": owner, "investment_fen": 250_000_000,
        "planned_completion": "2027-12-31", "lots": LOTS})
    call("POST", "/api/v1/vendors", {
        "uscc": designer, "name": f"浙江数智规划院{tag}有限公司",
        "legal_representative": {"name": "王建国", "id_number": ID_NUMBER},
        "qualifications": [
            {"name": "信息系统建设和服务能力等级", "certificate_number": f"CS2-{tag}", "valid_until": "2030-06-30"},
            {"name": "涉密信息系统集成资质", "certificate_number": f"SM-{tag}", "valid_until": "2021-01-31"}]})
    call("PATCH", f"/api/v1/vendors/{designer}", {"name": f"浙江数智设计院{tag}有限公司"})
    call("POST", "/api/v1/vendors", {"uscc": builder, "name": f"平阳县集成科技{tag}有限公司"})
    call("POST", "/api/v1/vendors", {"uscc": affiliate, "name": f"平阳县数智检测{tag}有限公司"})
    call("POST", f"/api/v1/vendors/{designer}/relations", {
        "related_uscc": affiliate, "kind": "controlling", "source": "国家企业信用信息公示系统",
        "valid_from": "2022-03-01"})
    call("POST", "/api/v1/exclusions", {
        "uscc": designer, "vendor_name": f"浙江数智规划院{tag}有限公司", "issuing_body": "温州市财政局",
        "decision_number": f"温财采〔2024〕{tag}号", "scope": "全市政府采购活动", "reason": "提供虚假材料",
        "starts_on": "2024-01-01", "ends_on": "2024-12-31"})
    designed = call("POST", f"/api/v1/projects/{code}/engagements", {
        "vendor_uscc": designer, "role": "overall_design", "lot_code": "L1", "started_on": "2026-01-05",
        "amount_fen": 48_000_000})
    # The builder's contract, which gives the owner unit's rater (and the bureau's) standing to rate it.
    built = call("POST", f"/api/v1/projects/{code}/engagements", {
        "vendor_uscc": builder, "role": "construction", "lot_code": "L2", "started_on": "2026-03-01",
        "amount_fen": 96_000_000})
    call("POST", "/api/v1/units", {"uscc": builder, "name": f"平阳县集成科技{tag}有限公司"})
    users["vendor"] = (f"vendor.{tag}", "集成科技联系人", builder, "vendor")
    for username, display_name, unit, role in users.values():
        call("POST", "/api/v1/users", {"username": username, "display_name": display_name, "unit_uscc": unit,
                                       "roles": [role], "password": PASSWORD})
    # One sign-in each (sign-ins are limited per address): the tests carry the token as the session cookie.
    tokens = {name: call("POST", "/api/v1/auth/sign-in", {"username": user[0], "password": PASSWORD}, {})["token"]
              for name, user in users.items()}
    call("POST", f"/api/v1/vendors/{designer}/ratings", {
        "stage": "总体设计方案评审", "factors": LEVELS, "overall": "good", "narrative": "方案按期交付。",
        "visibility": "public", "engagement_id": designed["id"]}, {"Authorization": f"Bearer {tokens['rater']}"})
    return {"code": code, "tag": tag, "designer": designer, "builder": builder, "affiliate": affiliate,
            "built": str(built["id"]),
            **{name: user[0] for name, user in users.items()}, **{f"{name}_token": t for name, t in tokens.items()}}


async def enter_as(page: Any, console: Console, project: dict[str, str], who: str) -> None:
    """The browser holds ``who``'s session, as after signing in, and opens the home page."""
    await page.context.clear_cookies()
    await page.context.add_cookies([{"name": SESSION_COOKIE, "value": project[f"{who}_token"], "url": console.url}])
    await page.goto("/")


async def test_an_officer_finds_a_vendor_and_reads_its_detail(page: Any, console: Console, project: dict[str, str],
                                                              screenshot: Any) -> None:
    await sign_in(page, project["officer"])
    assert {"供应商库", "项目与冲突检查"} <= set(await page.locator(".topbar nav a").all_inner_texts())
    async with page.expect_navigation():
        await page.click(".topbar nav >> text=供应商库")
    assert await page.inner_text("#vendors-title") == "供应商库"
    await page.fill("#q", f"数智规划院{project['tag']}")  # the former name finds it
    async with page.expect_navigation():
        await page.click("#search-vendors")
    rows = page.locator("#vendors tbody tr")
    assert await rows.count() == 1
    assert f"浙江数智规划院{project['tag']}有限公司" in await rows.first.inner_text()
    await screenshot(page, "vendors-search")
    # The column headers sort the whole registry by name, either way, the search kept.
    await page.goto("/vendors")
    async with page.expect_navigation():
        await page.click('#vendors th a.sort:text-is("名称")')
    assert "sort=name" in page.url
    names = await page.locator("#vendors tbody tr td:nth-child(2) > a").all_inner_texts()
    async with page.expect_navigation():
        await page.click('#vendors th a.sort:text-is("名称")')
    assert "sort=-name" in page.url and len(names) >= 2
    assert await page.locator("#vendors tbody tr td:nth-child(2) > a").all_inner_texts() != names
    assert await page.get_attribute('#vendors th a.sort:text-is("名称")', "aria-sort") == "descending"
    await page.goto(f"/vendors?q=数智规划院{project['tag']}")
    async with page.expect_navigation():
        await rows.first.locator("a").first.click()

    assert await page.inner_text("#vendor-name") == f"浙江数智设计院{project['tag']}有限公司"
    masked = await page.inner_text("#legal-representative-id")
    assert masked != ID_NUMBER and "*" in masked and masked[-1] == ID_NUMBER[-1]
    assert "王建国" in await page.inner_text("#legal-representative")
    assert f"浙江数智规划院{project['tag']}有限公司" in await page.inner_text("#aliases")
    expired = page.locator("#qualifications tr.expired")
    assert await expired.count() == 1 and "已过期" in await expired.inner_text()
    assert "涉密信息系统集成资质" in await expired.inner_text()
    relation = page.locator(f'#relations tr[data-uscc="{project["affiliate"]}"]')
    assert "直接控股（本单位控股或管理）" in await relation.inner_text()
    assert f"平阳县数智检测{project['tag']}有限公司" in await relation.inner_text()  # the related vendor by name
    engagement = page.locator(f'#engagements tr[data-project="{project["code"]}"]')
    assert "总体设计" in await engagement.inner_text() and "480,000.00" in await engagement.inner_text()
    assert await page.locator("#exclusions .exclusion-state").all_inner_texts() == ["已失效"]
    await screenshot(page, "vendor-detail")
    await page.goto(f"/vendors/{project['designer']}?lang=en")
    assert await page.inner_text("#identity h2") == "Identity"
    assert await page.locator("#exclusions .exclusion-state").all_inner_texts() == ["Lapsed"]
    await page.goto(f"/procurement/projects/{project['code']}")
    assert await page.inner_text('#lots tr[data-lot="L1"] td:nth-child(3)') == "Competitive consultation"


async def test_an_officer_records_an_engagement_with_errors_shown_at_the_fields(
        page: Any, console: Console, project: dict[str, str], screenshot: Any) -> None:
    await enter_as(page, console, project, "officer")
    await page.goto("/procurement/projects")
    # The list pages with its total and sorts by a column header, the second click reversing it.
    assert (await page.inner_text("#projects-pager .pager-total")).startswith("共 1 条")
    assert await page.get_attribute("#projects th:first-child a.sort", "aria-sort") == "ascending"
    async with page.expect_navigation():
        await page.click("#projects th:first-child a.sort")
    assert "sort=-code" in page.url
    assert await page.get_attribute("#projects th:first-child a.sort", "aria-sort") == "descending"
    assert "平阳县住房和城乡建设局" in await page.inner_text(f'#projects tr[data-code="{project["code"]}"]')
    async with page.expect_navigation():
        await page.click(f'#projects tr[data-code="{project["code"]}"] a')
    assert project["code"] in await page.inner_text("#project-title")
    assert await page.locator("#lots tbody tr").count() == 2
    await page.fill("#e-vendor", project["affiliate"][:17])
    await page.select_option("#e-role", "testing")
    await page.fill("#e-amount", "12万")
    await page.click("#record-engagement")
    vendor_error = page.locator('[data-error-for="vendor_uscc"]')
    await vendor_error.wait_for(state="visible")
    assert await vendor_error.inner_text() == "须为 18 位"
    assert await page.get_attribute("#e-vendor", "aria-invalid") == "true"
    assert await page.inner_text("#engagement-form .form-error") == "未完成：请按提示修改后重新提交。"
    await screenshot(page, "procurement-engagement-error")

    await page.fill("#e-vendor", project["affiliate"])
    await page.click("#record-engagement")
    amount_error = page.locator('[data-error-for="amount_fen"]')
    await amount_error.wait_for(state="visible")
    assert await amount_error.inner_text() == "须为数字，最多两位小数"
    assert not await vendor_error.is_visible()
    await page.fill("#e-amount", "120,000.50")
    await page.click("#record-engagement")
    await page.locator('[data-error-for="started_on"]:text("请填写日期")').wait_for()
    await page.fill("#e-start", "2026-03-01")
    async with page.expect_navigation():
        await page.click("#record-engagement")
    row = page.locator(f'#engagements tr[data-uscc="{project["affiliate"]}"]')
    assert "检测" in await row.inner_text() and "整个项目" in await row.inner_text()
    assert "120,000.50" in await row.inner_text()
    await screenshot(page, "procurement-project")


async def test_an_officer_checks_two_bidders_and_prints_the_result(page: Any, console: Console,
                                                                     project: dict[str, str], screenshot: Any) -> None:
    await enter_as(page, console, project, "officer")
    await page.goto(f"/procurement/projects/{project['code']}")
    assert await page.inner_text("#owner-unit-name") == "平阳县住房和城乡建设局"  # the owner unit by name
    async with page.expect_navigation():
        await page.click('#lots tr[data-lot="L2"] .check-link')
    assert await page.inner_text("#check-title") == "投标人冲突检查"
    await page.fill("#bidders", f"{project['designer']}\n{project['builder'].lower()}\n")
    await screenshot(page, "procurement-conflict-check-form")
    async with page.expect_navigation(url="**/procurement/conflict-checks/**"):
        await page.click("#run-check")
    assert await page.inner_text("#result-title") == "冲突检查结果"
    assert await page.inner_text("#checked-by") == "郑采购"  # who checked, by name
    barred = page.locator(f'#verdicts tr[data-uscc="{project["designer"]}"]')
    allowed = page.locator(f'#verdicts tr[data-uscc="{project["builder"]}"]')
    assert await barred.get_attribute("data-verdict") == "barred"
    assert await barred.locator(".verdict").inner_text() == "禁止"
    assert await allowed.locator(".verdict").inner_text() == "允许"
    assert await barred.locator(".reason-text").all_inner_texts() == [
        "已在本项目标段 L1 承担总体设计服务，不得再参加本项目其他采购活动"]
    # The rules in the law's own words, exactly as the register holds them.
    assert await barred.locator("[data-rule]").all_inner_texts() == [
        f"{rule.code} {rule.citation}：“{rule.text}”" for rule in register.ART_29]
    assert "财办库〔2015〕295号" in await page.inner_text("#policy")
    assert await page.locator("#policy-rules [data-rule]").all_inner_texts() == [
        f"MOF-2015-295 {register.MOF_2015_295.citation}"]  # no text entered: the citation alone
    await screenshot(page, "procurement-conflict-check-result")
    await page.emulate_media(media="print")
    assert not await page.locator("#print-result").is_visible()
    assert not await page.locator(".topbar nav").is_visible()
    assert await page.locator("#verdicts").is_visible()
    await screenshot(page, "procurement-conflict-check-print")
    await page.emulate_media(media="screen")

    # The print button prints (window.print is called by the page's own script).
    await page.evaluate("window.print = () => { window.printed = true; }")
    await page.click("#print-result")
    assert await page.evaluate("window.printed === true")

    async with page.expect_navigation():
        await page.click("text=禁止参与名单（打印）")
    assert await page.inner_text("#barred-title") == "不得参与本项目其他采购的供应商"
    designer_row = page.locator(f'#barred tr[data-uscc="{project["designer"]}"][data-lot="L2"]')
    assert "PY-2021-29" in await designer_row.inner_text()
    assert await designer_row.locator(".verdict").inner_text() == "禁止"
    assert await designer_row.locator(".reason-text").inner_text() == (
        "已在本项目承担总体设计服务，不得再参加本项目其他采购活动")
    # Each entry cites its rules by title and article, the register's code only beside.
    cited = await designer_row.locator(".entry-rules").inner_text()
    assert all(rule.citation in cited for rule in register.ART_29 if rule.code in cited), cited
    assert cited.startswith("《")
    assert await page.locator("#barred-rules [data-rule]").all_inner_texts() == [
        f"{rule.code} {rule.citation}：“{rule.text}”" for rule in register.ART_29]
    csv = await page.request.get(await page.get_attribute("#barred-csv", "href"))
    assert csv.status == 200 and "text/csv" in csv.headers["content-type"]
    assert project["designer"] in (await csv.body()).decode("utf-8-sig")
    await screenshot(page, "procurement-barred-list")


async def test_a_malformed_uscc_is_reported_next_to_the_field(page: Any, console: Console,
                                                              project: dict[str, str], screenshot: Any) -> None:
    await enter_as(page, console, project, "officer")
    await page.goto(f"/procurement/projects/{project['code']}/lots/L2/conflict-check")
    await page.fill("#bidders", f"{project['builder']}\nNOT-A-USCC")
    await page.click("#run-check")
    error = page.locator('[data-error-for="bidders"]')
    await error.wait_for(state="visible")
    assert await error.inner_text() == "第 2 行（NOT-A-USCC）：须为 18 位"
    assert await page.inner_text("#check-status") == "未完成：请按提示修改后重新提交。"
    assert await page.is_enabled("#run-check")
    await screenshot(page, "procurement-conflict-check-error")


async def test_refusals_are_shown_from_their_codes_in_the_readers_language(page: Any, console: Console,
                                                                           project: dict[str, str]) -> None:
    """The services' refusals reach a Chinese page in Chinese, values filled in, and no English
    sentence of the API leaks through; an English page says the same in English."""
    await enter_as(page, console, project, "officer")
    # A lot the project does not have: the console's own 404 page.
    await page.goto(f"/procurement/projects/{project['code']}/lots/L9/conflict-check")
    text = await page.inner_text("main")
    assert f"项目 {project['code']} 没有标段 L9。" in text and "has no lot" not in text
    await page.goto(f"/procurement/projects/{project['code']}/lots/L9/conflict-check?lang=en")
    assert f"Project {project['code']} has no lot L9." in await page.inner_text("main")
    await page.goto(f"/procurement/projects/{project['code']}?lang=zh")
    # The builder's engagement once more, exactly as recorded: a conflict with the state, said in Chinese.
    await page.fill("#e-vendor", project["builder"])
    await page.select_option("#e-role", "construction")
    await page.select_option("#e-lot", "L2")
    await page.fill("#e-amount", "960000")
    await page.fill("#e-start", "2026-03-01")
    await page.click("#record-engagement")
    general = page.locator("#engagement-form .form-error")
    await general.wait_for(state="visible")
    assert await general.inner_text() == f"未完成：已登记过完全相同的参与记录（第 {project['built']} 条），不重复登记。"
    assert "already" not in await page.inner_text("main")


async def test_a_rater_rates_the_vendor_comments_and_a_reviewer_settles_the_dispute(
        page: Any, console: Console, project: dict[str, str], screenshot: Any) -> None:
    builder = project["builder"]
    await enter_as(page, console, project, "rater")
    await page.goto(f"/vendors/{builder}")
    async with page.expect_navigation():
        await page.click("#ratings-link")
    async with page.expect_navigation():
        await page.click("#new-rating")
    assert await page.inner_text("#rating-title") == "评价供应商服务（第二十八条）"
    definitions = await page.locator("#definitions dd").all_inner_texts()
    assert len(definitions) == 5 and definitions[0].startswith("全面履行合同并有超出约定的成效")
    await page.check('input[name="quality"][value="good"]')
    # No stage, no engagement, four factors and the overall level unchosen, no narrative.
    await page.click("#submit-rating")
    errors = page.locator("#rating-form .field-error:not(:empty)")
    await errors.first.wait_for()
    assert await errors.count() == 8
    assert set(await errors.all_inner_texts()) == {"必填", "请选择所评价的合同"}
    assert await page.inner_text('[data-error-for="engagement_id"]') == "请选择所评价的合同"
    # Only the builder's own contract on a project of the rater's unit is offered (Art. 28).
    offered = await page.locator("#r-engagement option").all_inner_texts()
    assert len(offered) == 2 and project["code"] in offered[1] and "建设/集成" in offered[1]
    assert await page.inner_text('[data-error-for="factors.quality"]') == ""
    assert await page.inner_text('[data-error-for="factors.documentation"]') == "必填"
    assert await page.inner_text('[data-error-for="narrative"]') == "必填"
    await screenshot(page, "rating-form-errors")

    await page.fill("#r-stage", "初步验收")
    for factor, level in LEVELS.items():
        await page.check(f'input[name="{factor}"][value="{level}"]')
    await page.check('input[name="overall"][value="qualified"]')
    await page.fill("#r-narrative", "系统按期上线，但文档不全，安全测评整改拖延两周。")
    await page.check('input[name="visibility"][value="bureau"]')
    await page.select_option("#r-engagement", project["built"])
    await page.check('input[name="overall"][value="unqualified"]')  # worse than the worst factor (基本合格)
    await page.click("#submit-rating")
    await page.locator('[data-error-for="overall"]:not(:empty)').wait_for()
    assert await page.inner_text('[data-error-for="overall"]') == "总体评价须介于五项因素中的最高等级与最低等级之间"
    await page.check('input[name="overall"][value="qualified"]')
    async with page.expect_navigation(url=f"**/vendors/{builder}/ratings"):
        await page.click("#submit-rating")
    rating = page.locator("section.rating").first
    assert await rating.get_attribute("data-status") == "open_for_comment"
    assert "意见期内" in await rating.locator("h2").inner_text()
    assert await rating.locator(".overall").inner_text() == "合格"
    assert await rating.locator(".visibility").inner_text() == "仅大数据局"
    assert await rating.locator('tr[data-factor="documentation"]').inner_text() == "文档\t基本合格"
    await screenshot(page, "rating-created")

    await enter_as(page, console, project, "vendor")
    async with page.expect_navigation():
        await page.click(".topbar nav >> text=本单位评价")
    assert await page.inner_text("#ratings-title") == "本单位收到的评价"
    rating = page.locator("section.rating").first
    await rating.locator('input[name="disputes"]').check()
    await rating.locator("button[type=submit]").click()
    await rating.locator('[data-error-for="text"]:text("必填")').wait_for()
    await rating.locator("textarea").fill("安全测评整改延期系因建设单位未及时提供测试环境，申请复核。")
    async with page.expect_navigation():
        await rating.locator("button[type=submit]").click()
    rating = page.locator("section.rating").first
    assert await rating.get_attribute("data-status") == "disputed"
    assert "有异议" in await rating.locator(".comment").inner_text()
    assert await rating.locator("form").count() == 0  # one comment only
    await screenshot(page, "rating-vendor-commented")

    await enter_as(page, console, project, "reviewer")
    await page.goto(f"/vendors/{builder}/ratings")
    rating = page.locator("section.rating").first
    await rating.locator('input[name="outcome"][value="revised"]').check()
    await rating.locator("textarea").fill("经核实，延期部分原因在建设单位，改评为良好。")
    await rating.locator("button[type=submit]").click()
    await rating.locator('[data-error-for="revised_level"]').wait_for(state="visible")
    assert "须选择改评等级" in await rating.locator('[data-error-for="revised_level"]').inner_text()
    await rating.locator("select").select_option("good")
    async with page.expect_navigation():
        await rating.locator("button[type=submit]").click()
    rating = page.locator("section.rating").first
    assert await rating.get_attribute("data-status") == "final"
    assert await rating.locator(".rater-unit-name").inner_text() == "平阳县住房和城乡建设局"
    assert await rating.locator(".review-outcome").inner_text() == "改评：良好"
    assert await rating.locator(".final-level").inner_text() == "良好"
    await screenshot(page, "rating-reviewed")


async def test_a_reviewer_works_through_the_queue_of_disputed_ratings(page: Any, console: Console,
                                                                      project: dict[str, str], screenshot: Any) -> None:
    builder, bureau = project["builder"], bureau_unit().uscc
    admin = {"Authorization": f"Bearer {console.system.admin_api_key}"}

    def call(path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        return _ok(httpx.post(console.url + path, headers=headers, json=body, timeout=30))

    def key(role: str, unit: str) -> dict[str, str]:
        created = call("/api/v1/api-keys", {"name": f"queue {role} {project['tag']}", "roles": [role],
                                            "unit_uscc": unit}, admin)
        return {"Authorization": f"Bearer {created['value']}"}

    # The owner unit's rater rates the builder, and so does a rater of the reviewer's own unit (the bureau);
    # the builder disputes both, the owner unit's rating first.
    other_unit = make_uscc("11330326")
    call("/api/v1/units", {"uscc": other_unit, "name": f"平阳县财政局{project['tag']}"}, admin)
    raters = [({"Authorization": f"Bearer {project['rater_token']}"}, "government"), (key("rater", bureau), "bureau")]
    # Each on the builder's contract, at a stage of its own (one rating per engagement and stage).
    disputed = [call(f"/api/v1/vendors/{builder}/ratings", {
        "stage": stage, "factors": LEVELS, "overall": "basically_qualified", "narrative": "响应超时三次。",
        "visibility": visibility, "engagement_id": int(project["built"])}, headers)
        for (headers, visibility), stage in zip(raters, ("年度运维", "运维专项检查"), strict=True)]
    for rating in disputed:
        call(f"/api/v1/ratings/{rating['id']}/comment", {"text": "超时系停电所致，申请复核。", "disputes": True},
             {"Authorization": f"Bearer {project['vendor_token']}"})
    owner_rating, own_unit_rating = disputed

    await enter_as(page, console, project, "reviewer")
    async with page.expect_navigation():
        await page.click(".topbar nav >> text=待复核评价")
    assert await page.inner_text("#disputed-title") == "待复核的争议评价"
    rows = page.locator("#disputed-ratings tbody tr")
    assert [await row.get_attribute("data-rating") for row in await rows.all()] == [
        str(owner_rating["id"]), str(own_unit_rating["id"])]  # oldest dispute first
    first, second = rows.nth(0), rows.nth(1)
    assert f"平阳县集成科技{project['tag']}有限公司" in await first.locator(".vendor-ratings").inner_text()
    # The rater's unit by its name, with its code beside it.
    assert await first.locator(".rater-unit .rater-unit-name").inner_text() == "平阳县住房和城乡建设局"
    assert await first.locator(".rater-unit .mono").inner_text() == owner_rating["rater_unit"]
    assert await first.locator(".level").inner_text() == "基本合格"
    assert await first.locator(".rated-on").inner_text() == beijing_today().isoformat()
    assert (await first.locator(".disputed-at").inner_text()).startswith(beijing_today().isoformat())
    assert await first.locator(".review-link").inner_text() == "去复核"
    assert await second.locator(".rater-unit .rater-unit-name").inner_text() == bureau_unit().name
    assert await second.locator(".rater-unit .mono").inner_text() == bureau
    assert await second.locator(".review-action").inner_text() == "本单位作出的评价，不得复核"
    assert await second.locator(".review-link").count() == 0
    await screenshot(page, "ratings-disputed-queue")

    async with page.expect_navigation(url=f"**/vendors/{builder}/ratings#rating-{owner_rating['id']}"):
        await first.locator(".review-link").click()
    section = page.locator(f"#rating-{owner_rating['id']}")
    assert await section.get_attribute("data-status") == "disputed"
    assert await page.locator(f"#rating-{own_unit_rating['id']} .own-unit").inner_text() == \
        "本单位作出的评价须由其他单位复核。"
    await section.locator("textarea").fill("停电记录属实，但未启用备用方案，维持原评价。")
    async with page.expect_navigation():
        await section.locator("button[type=submit]").click()
    assert await page.locator(f"#rating-{owner_rating['id']}").get_attribute("data-status") == "final"

    async with page.expect_navigation():
        await page.click(".topbar nav >> text=待复核评价")
    assert [await row.get_attribute("data-rating") for row in await rows.all()] == [str(own_unit_rating["id"])]
    # A reviewer of another unit than the bureau settles the bureau's own rating; then the queue is empty.
    call(f"/api/v1/ratings/{own_unit_rating['id']}/review", {"outcome": "upheld", "narrative": "维持原评价。"},
         key("rating_reviewer", other_unit))
    await page.reload()
    assert await page.locator("#disputed-ratings").count() == 0
    assert await page.inner_text("#no-disputed") == "目前没有待复核的争议评价。"
    await screenshot(page, "ratings-disputed-empty")
    await page.goto("/ratings/disputed?lang=en")
    assert await page.inner_text("#disputed-title") == "Disputed ratings awaiting review"
    assert await page.inner_text("#no-disputed") == "No disputed rating awaits review."
    assert "Disputed ratings" in await page.locator(".topbar nav a").all_inner_texts()
    await page.goto("/ratings/disputed?lang=zh")


async def test_an_admin_sees_a_vendors_id_number_whole_only_on_request_and_that_is_logged(
        page: Any, console: Console, project: dict[str, str], screenshot: Any) -> None:
    designer = project["designer"]

    async def showings() -> int:
        answer = await page.request.get("/api/v1/audit", params={
            "service": "vendors", "object_id": designer, "page_size": "500"})
        assert answer.status == 200
        return sum(entry["action"] == "personal_data.unmasked" for entry in (await answer.json())["items"])

    await page.context.clear_cookies()
    await sign_in(page, "console.admin")
    before = await showings()
    await page.goto(f"/vendors/{designer}")
    masked = await page.inner_text("#legal-representative-id")
    assert masked != ID_NUMBER and "*" in masked
    assert await showings() == before  # opening the page shows nothing whole
    await page.click("#legal-representative-show")
    await page.locator("#legal-representative-show").wait_for(state="detached")
    assert await page.inner_text("#legal-representative-id") == ID_NUMBER
    assert await page.locator("#legal-representative-masked").count() == 0
    assert await showings() == before + 1
    await screenshot(page, "vendor-detail-id-shown")
    # Nobody else is offered the button.
    await enter_as(page, console, project, "officer")
    await page.goto(f"/vendors/{designer}")
    assert await page.locator("#legal-representative-show").count() == 0


async def test_auditors_and_admins_read_the_queue_and_others_do_not_reach_it(
        page: Any, console: Console, project: dict[str, str]) -> None:
    for username in ("console.auditor", "console.admin"):
        await page.context.clear_cookies()
        await sign_in(page, username)
        assert "待复核评价" in await page.locator(".topbar nav a").all_inner_texts()
        response = await page.goto("/ratings/disputed")
        assert response.status == 200 and await page.inner_text("#disputed-title") == "待复核的争议评价"
    for who in ("rater", "vendor", "officer"):
        await enter_as(page, console, project, who)
        assert "待复核评价" not in await page.locator(".topbar nav a").all_inner_texts()
        response = await page.goto("/ratings/disputed")
        assert response.status == 403 and await page.inner_text("h1") == "无权访问"


async def test_a_vendor_sees_only_its_own_ratings(page: Any, console: Console, project: dict[str, str],
                                                   screenshot: Any) -> None:
    await enter_as(page, console, project, "vendor")
    nav = await page.locator(".topbar nav a").all_inner_texts()
    assert "本单位评价" in nav and "供应商库" not in nav
    await page.goto("/ratings/mine")
    assert await page.inner_text("#ratings-uscc") == project["builder"]
    assert "总体设计方案评审" not in await page.inner_text("main")  # the designer's public rating
    await screenshot(page, "ratings-vendor-own")
    await page.goto(f"/vendors/{project['designer']}/ratings")
    assert await page.inner_text("h1") == "无权访问"
    assert "总体设计方案评审" not in await page.inner_text("main")
    await page.goto(f"/vendors/{project['designer']}")
    assert await page.inner_text("h1") == "无权访问"
    await page.goto("/ratings/mine?lang=en")
    assert await page.inner_text("#ratings-title") == "Our ratings"
    assert "Our ratings" in await page.locator(".topbar nav a").all_inner_texts()


async def test_a_bidder_for_construction_who_bids_for_design_is_flagged_in_the_readers_language(
        page: Any, console: Console, project: dict[str, str], screenshot: Any) -> None:
    """Art. 29 read the other way: a vendor bid for the construction lot, now it bids for the design
    lot. The verdict says why in Chinese, or in English on an English page; never both."""
    officer = {"Authorization": f"Bearer {project['officer_token']}"}
    # Not the project's builder: it also holds the construction contract, which the verdict would name instead.
    bidder = make_uscc("91330326")
    admin = {"Authorization": f"Bearer {console.system.admin_api_key}"}
    _ok(httpx.post(console.url + "/api/v1/vendors", headers=admin, timeout=30,
                   json={"uscc": bidder, "name": f"平阳县投标科技{project['tag']}有限公司"}))
    _ok(httpx.post(f"{console.url}/api/v1/projects/{project['code']}/lots/L2/conflict-checks", headers=officer,
                   json={"bidders": [bidder]}, timeout=30))
    await enter_as(page, console, project, "officer")
    await page.goto(f"/procurement/projects/{project['code']}/lots/L1/conflict-check")
    await page.fill("#bidders", bidder)
    async with page.expect_navigation(url="**/procurement/conflict-checks/**"):
        await page.click("#run-check")
    row = page.locator(f'#verdicts tr[data-uscc="{bidder}"]')
    assert await row.get_attribute("data-verdict") == "flagged"
    assert await row.locator(".verdict").inner_text() == "关注"
    assert await row.locator(".reason-text").all_inner_texts() == [
        "已参加本项目其他采购活动（为标段 L2 的投标人），再提供总体设计服务将监督自己的工作"]
    await screenshot(page, "procurement-conflict-check-reverse")
    await page.goto(page.url + "?lang=en")
    assert await row.locator(".verdict").inner_text() == "Flagged"
    assert await row.locator(".reason-text").all_inner_texts() == [
        "Took part in the project's other procurement (bidder for lot L2): providing overall design services "
        "would oversee its own work"]
    await page.goto(f"/procurement/projects/{project['code']}/barred-list?lang=zh")
    entry = page.locator(f'#barred tr[data-uscc="{bidder}"][data-lot="L1"]')
    assert await entry.get_attribute("data-reason") == "other_procurement"
    assert await entry.locator(".verdict").inner_text() == "关注"


async def test_a_vendor_under_an_active_exclusion_shows_as_debarred_and_a_void_engagement_as_void(
        page: Any, console: Console, project: dict[str, str], screenshot: Any) -> None:
    admin = {"Authorization": f"Bearer {console.system.admin_api_key}"}
    debarred, tag, today = make_uscc("91330326"), project["tag"], beijing_today()
    _ok(httpx.post(console.url + "/api/v1/vendors", headers=admin, timeout=30,
                   json={"uscc": debarred, "name": f"平阳县失信科技{tag}有限公司"}))
    until = today + dt.timedelta(days=365)
    _ok(httpx.post(console.url + "/api/v1/exclusions", headers=admin, timeout=30, json={
        "uscc": debarred, "vendor_name": f"平阳县失信科技{tag}有限公司", "issuing_body": "平阳县财政局",
        "decision_number": f"平财采〔2026〕{tag}号", "scope": "全国范围内政府采购活动",
        "reason": "提供虚假材料谋取中标", "starts_on": today.isoformat(), "ends_on": until.isoformat()}))
    wrong = _ok(httpx.post(f"{console.url}/api/v1/projects/{project['code']}/engagements", headers=admin, timeout=30,
                           json={"vendor_uscc": debarred, "role": "testing", "started_on": "2026-02-01",
                                 "amount_fen": 1_000_000}))
    _ok(httpx.post(f"{console.url}/api/v1/projects/{project['code']}/engagements/{wrong['id']}/void", headers=admin,
                   timeout=30, json={"reason": "供应商录入错误"}))

    await enter_as(page, console, project, "officer")
    await page.goto(f"/vendors?q=失信科技{tag}")
    row = page.locator(f'#vendors tr[data-uscc="{debarred}"]')
    assert f"禁止参加政府采购（至 {until.isoformat()}）" in await row.inner_text()
    assert "正常" not in await row.inner_text()
    await page.goto(f"/vendors/{debarred}")
    assert await page.inner_text("#vendor-status") == f"禁止参加政府采购（至 {until.isoformat()}）"
    void = page.locator(f'#engagements tr[data-project="{project["code"]}"]')
    assert await void.get_attribute("class") == "void" and "已作废：供应商录入错误" in await void.inner_text()
    await screenshot(page, "vendor-debarred")
    await page.goto(f"/procurement/projects/{project['code']}")
    assert "已作废：供应商录入错误" in await page.locator(f'#engagements tr[data-uscc="{debarred}"]').inner_text()
