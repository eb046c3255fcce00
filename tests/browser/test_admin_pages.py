"""The bureau admin's console pages in Chromium against the real system: the expert pool list, one
expert's profile, personal data and status, importing a sheet with a preview, the field taxonomy,
training, and units, users and API keys; and that nobody else gets these pages.

Each module run brings its own names (a random suffix), so what a test looks for is its own."""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from shared.clock import beijing_today
from shared.demo import make_uscc
from shared.identifiers import id_number_check_character
from tests.browser.conftest import ON_SQLITE_SYSTEM, Console, sign_in

pytestmark = ON_SQLITE_SYSTEM

ADMIN_PAGES = ["/admin/experts", "/admin/experts/E00001", "/admin/import", "/admin/fields", "/admin/trainings",
               "/admin/assessments", "/admin/accounts"]


@dataclass(frozen=True)
class Scene:
    suffix: str
    field: str  # a field of this module's own
    expert: str  # pool number of 林测试<suffix>
    expert_name: str


def call(console: Console, method: str, path: str, headers: dict[str, str] | None = None,
         **options: Any) -> httpx.Response:
    headers = headers or {"Authorization": f"Bearer {console.system.admin_api_key}"}
    return httpx.request(method, console.url + path, headers=headers, timeout=30, **options)


def id_number(rng: random.Random, born: str = "19800101") -> str:
    first17 = f"330326{born}{rng.randrange(1000):03d}"
    return first17 + id_number_check_character(first17)


@pytest.fixture(scope="module")
def scene(console: Console) -> Scene:
    suffix = uuid.uuid4().hex[:6].upper()
    field = f"A{suffix}"
    answer = call(console, "POST", "/api/v1/fields", json={"code": field, "name_zh": f"管理测试{suffix}",
                                                            "name_en": f"Admin test {suffix}"})
    assert answer.status_code == 201, answer.text
    name = f"林测试{suffix}"
    answer = call(console, "POST", "/api/v1/experts", json={
        "name": name, "birth_date": "1976-05-01", "unit_uscc": make_uscc(random.Random(suffix), "91"),
        "unit_name": "平阳县测试单位", "title": "高级工程师", "years_in_field": 12,
        "fields": [{"code": field, "primary": True}], "phone": "13957712345",
        "last_trained_on": (beijing_today() - dt.timedelta(days=400)).isoformat()})
    assert answer.status_code == 201, answer.text
    return Scene(suffix=suffix, field=field, expert=answer.json()["code"], expert_name=name)


@pytest.fixture(scope="module")
def admin_cookies() -> list[Any]:
    """The admin's session cookie from the module's first sign-in: one scrypt check, not one a test."""
    return []


async def as_admin(page: Any, cookies: list[Any]) -> None:
    if cookies:
        await page.context.add_cookies(cookies)
        await page.goto("/home/bureau_admin")
        return
    await sign_in(page, "console.admin")
    cookies.extend(await page.context.cookies())


def accept_dialogs(page: Any) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


async def test_an_admin_filters_the_expert_list(page: Any, console: Console, scene: Scene,
                                admin_cookies: list[Any], screenshot: Any) -> None:
    await as_admin(page, admin_cookies)
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
    await page.fill("#f-q", scene.expert_name)
    await page.fill("#f-field", scene.field)
    await page.click("#expert-filters button[type=submit]")
    await expect(page.locator("#expert-table tbody tr")).to_have_count(1)
    await expect(page.locator("#expert-table tbody tr td").nth(1)).to_have_text(scene.expert_name)
    await screenshot(page, "admin-experts-filtered")


async def test_an_admin_edits_an_expert_and_changes_the_status(page: Any, console: Console, scene: Scene,
                                admin_cookies: list[Any], screenshot: Any) -> None:
    accept_dialogs(page)
    await as_admin(page, admin_cookies)
    await page.goto("/admin/experts")
    await page.fill("#f-q", scene.expert_name)
    await page.click("#expert-filters button[type=submit]")
    await page.click(f'#expert-table a[href="/admin/experts/{scene.expert}"]')
    await page.wait_for_url(f"**/admin/experts/{scene.expert}")
    await expect(page.locator("#expert-heading")).to_have_text(f"专家 {scene.expert} {scene.expert_name}")
    assert await page.input_value("#p-title") == "高级工程师"
    # Personal data is masked until shown: opening the page reads nothing whole and logs no showing;
    # the first "show" reads it whole, once, and that is logged.
    async def showings() -> int:
        answer = await page.request.get("/api/v1/audit", params={
            "service": "experts", "object_type": "expert", "object_id": scene.expert, "page_size": "500"})
        assert answer.status == 200
        return sum(entry["action"] == "personal_data.unmasked" for entry in (await answer.json())["items"])

    before = await showings()
    phone = page.locator("#pd-phone")
    await expect(phone).to_have_text("139****2345")
    assert await showings() == before
    await page.click("#personal-toggle")
    await expect(phone).to_have_text("13957712345")
    await page.click("#personal-toggle")
    await expect(phone).to_have_text("139****2345")
    await page.click("#personal-toggle")
    await expect(phone).to_have_text("13957712345")
    assert await showings() == before + 1

    # A refused field is named in Chinese beside it; a good change is saved and read back.
    await page.fill("#p-unit-uscc", "12345")
    await page.fill("#p-title", "正高级工程师")
    await page.click("#profile-form button[type=submit]")
    await expect(page.locator('#profile-form [data-error-for="unit_uscc"]')).to_have_text("至少 18 个字符")
    await expect(page.locator("#p-unit-uscc")).to_have_attribute("aria-invalid", "true")
    await screenshot(page, "admin-expert-field-error")
    await page.reload()
    await expect(page.locator("#expert-page")).to_be_visible()
    await page.fill("#p-title", "正高级工程师")
    await page.click("#profile-form button[type=submit]")
    await expect(page.locator("#profile-status")).to_have_text("已保存。")
    await page.reload()
    await expect(page.locator("#p-title")).to_have_value("正高级工程师")

    # A suspension needs an end date; with one and a reason, the status changes; then reactivated.
    await page.select_option("#s-status", "suspended")
    await page.fill("#s-reason", "连续两次无故缺席评审")
    await page.click("#status-form button[type=submit]")
    await expect(page.locator('#status-form [data-error-for="suspended_until"]')).to_have_text(
        "暂停须填写今天以后的截止日期")
    until = (beijing_today() + dt.timedelta(days=90)).isoformat()
    await page.fill("#s-until", until)
    await page.fill("#s-reason", "连续两次无故缺席评审")
    await page.click("#status-form button[type=submit]")
    await expect(page.locator("#status-now")).to_have_text("暂停")
    await expect(page.locator("#status-reason")).to_have_text("连续两次无故缺席评审")
    await expect(page.locator("#status-until")).to_have_text(until)
    await screenshot(page, "admin-expert")
    await page.select_option("#s-status", "active")
    await expect(page.locator("#s-until")).to_be_hidden()
    await page.fill("#s-reason", "经复核恢复")
    await page.click("#status-form button[type=submit]")
    await expect(page.locator("#status-now")).to_have_text("在库")
    assert call(console, "GET", f"/api/v1/experts/{scene.expert}").json()["status_reason"] == "经复核恢复"

    await page.fill("#c-what", "评审中泄露项目资料")
    await page.click("#conduct-form button[type=submit]")
    await expect(page.locator('#conduct-form [data-error-for="occurred_on"]')).to_have_text("请填写日期")
    await page.fill("#c-on", "2026-03-02")
    await page.click("#conduct-form button[type=submit]")
    await expect(page.locator("#conduct-table tbody tr td")).to_have_text(["2026-03-02", "评审中泄露项目资料"])


async def test_an_admin_imports_a_sheet_after_a_preview(page: Any, console: Console, scene: Scene,
                                admin_cookies: list[Any], screenshot: Any, tmp_path: Any) -> None:
    rng = random.Random(scene.suffix)
    unit = make_uscc(rng, "91")
    header = ("姓名,身份证号,出生日期,工作单位,统一社会信用代码,职称,从业年限,主专业领域,其他专业领域,手机号码,"
              "银行账号,最近培训日期")
    good = [f"导入甲{scene.suffix},{id_number(rng)},,导入单位,{unit},工程师,8,{scene.field},,13800000001,,",
            f"导入乙{scene.suffix},{id_number(rng, '19790505')},,导入单位,{unit},高级工程师,15,"
            f"管理测试{scene.suffix},,,,"]  # the field by its Chinese name
    valid = id_number(rng, "19850303")
    wrong_check = valid[:17] + ("1" if valid[17] != "1" else "2")
    bad = f"导入丙{scene.suffix},{wrong_check},,导入单位,{unit},工程师,5,{scene.field},,,,"
    sheet = tmp_path / "experts.csv"
    sheet.write_text("\n".join([header, good[0], bad, good[1]]) + "\n", encoding="utf-8")

    await as_admin(page, admin_cookies)
    await page.click('nav a[href="/admin/import"]')
    await page.wait_for_url("**/admin/import")
    template = await page.request.get(await page.get_attribute("#template-link", "href"))
    assert template.status == 200 and template.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    template_csv = await page.request.get(await page.get_attribute("#template-csv-link", "href"))
    assert template_csv.status == 200 and (await template_csv.body()).decode("utf-8-sig").startswith(header)
    await page.set_input_files("#import-file", str(sheet))
    await page.click("#import-check")
    await expect(page.locator("#import-summary")).to_have_text(
        "共 3 行：可导入 2 行（新增 2，更新 0），无变化 0 行，有问题 1 行。")
    rows = page.locator("#import-error-table tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.nth(0).locator("td")).to_have_text(["3", "身份证号", "校验码不正确（GB 11643）"])
    await expect(page.locator("#import-confirm")).to_have_text("确认导入 2 行")
    await screenshot(page, "admin-import-preview")
    # The preview imported nothing.
    listed = call(console, "GET", "/api/v1/experts", params={"q": f"导入甲{scene.suffix}"}).json()
    assert listed["total"] == 0

    # The busy state shows while the import runs: hold the answer back until it has been seen.
    async def slow(route: Any) -> None:
        await expect(page.locator("#import-busy")).to_be_visible()
        await expect(page.locator("#import-busy-text")).to_have_text("正在导入……")
        await route.continue_()

    await page.route("**/api/v1/experts/import", slow)
    await page.click("#import-confirm")
    await expect(page.locator("#import-done")).to_have_text("导入完成：新增 2 名，更新 0 名，未导入 1 行。")
    await expect(page.locator("#import-busy")).to_be_hidden()
    await screenshot(page, "admin-import-done")
    await page.click("#import-to-list")
    await page.wait_for_url("**/admin/experts")
    await page.fill("#f-q", "导入")
    await page.fill("#f-unit", unit)
    await page.click("#expert-filters button[type=submit]")
    names = page.locator("#expert-table tbody tr td:nth-child(2)")
    await expect(names).to_have_text([f"导入甲{scene.suffix}", f"导入乙{scene.suffix}"])  # by pool number
    export = await page.request.get("/api/v1/experts/export?format=csv")
    assert export.status == 200 and f"导入乙{scene.suffix}" in (await export.body()).decode("utf-8-sig")
    # The export for re-import, from the import page's link, imports back with no change.
    await page.goto("/admin/import")
    again = await page.request.get(await page.get_attribute("#reimport-link", "href"))
    assert again.status == 200
    reimport = tmp_path / "experts-reimport.xlsx"
    reimport.write_bytes(await again.body())
    await page.set_input_files("#import-file", str(reimport))
    await page.click("#import-check")
    await expect(page.locator("#import-summary")).to_have_text(
        re.compile(r"可导入 0 行（新增 0，更新 0），无变化 \d+ 行，有问题 0 行"))


async def test_an_admin_keeps_the_fields(page: Any, console: Console, scene: Scene,
                                admin_cookies: list[Any], screenshot: Any) -> None:
    accept_dialogs(page)
    await as_admin(page, admin_cookies)
    await page.click('nav a[href="/admin/fields"]')
    await page.wait_for_url("**/admin/fields")
    code = f"F{scene.suffix}"
    await page.select_option("#fd-parent", scene.field)
    await page.fill("#fd-code", "bad code")
    await page.fill("#fd-zh", "密码测评")
    await page.fill("#fd-en", "Crypto assessment")
    await page.click("#field-form button[type=submit]")
    await expect(page.locator('#field-form [data-error-for="code"]')).to_have_text(
        "须为大写字母、数字或下划线；下级领域写作 上级代码.代码")
    await page.fill("#fd-code", f"{scene.field}.{code}")
    await page.click("#field-form button[type=submit]")
    row = page.locator(f'#field-table tr[data-code="{scene.field}.{code}"]')
    await expect(row.locator("td")).to_have_text(
        [f"{scene.field}.{code}", "密码测评", "Crypto assessment", "使用中", "重命名停用"])
    # The same code again is refused beside the code.
    await page.select_option("#fd-parent", scene.field)
    await page.fill("#fd-code", f"{scene.field}.{code}")
    await page.fill("#fd-zh", "重复")
    await page.fill("#fd-en", "Again")
    await page.click("#field-form button[type=submit]")
    await expect(page.locator('#field-form [data-error-for="code"]')).to_have_text(
        f"专业领域 {scene.field}.{code} 已存在。")
    # Rename, then retire.
    await row.get_by_role("button", name="重命名").click()
    await row.locator('input[name="name_zh"]').fill("商用密码应用安全性评估")
    await row.get_by_role("button", name="保存").click()
    await expect(row.locator("td").nth(1)).to_have_text("商用密码应用安全性评估")
    await row.get_by_role("button", name="停用").click()
    await expect(row.locator("td").nth(3)).to_have_text("已停用")
    await screenshot(page, "admin-fields")
    retired = [f for f in call(console, "GET", "/api/v1/fields").json() if f["code"] == f"{scene.field}.{code}"]
    assert retired[0]["retired"] and retired[0]["name_zh"] == "商用密码应用安全性评估"


async def test_an_admin_records_a_training_pass(page: Any, console: Console, scene: Scene,
                                admin_cookies: list[Any], screenshot: Any) -> None:
    await as_admin(page, admin_cookies)
    await page.click('nav a[href="/admin/trainings"]')
    await page.wait_for_url("**/admin/trainings")
    title = f"专家库年度培训{scene.suffix}"
    await page.fill("#tr-title", title)
    await page.click("#training-form button[type=submit]")
    await expect(page.locator('#training-form [data-error-for="held_on"]')).to_have_text("请填写日期")
    today = beijing_today().isoformat()
    await page.fill("#tr-held", today)
    await page.click("#training-form button[type=submit]")
    row = page.locator("#training-table tbody tr", has_text=title)
    await expect(row.locator("td").nth(3)).to_have_text("0")
    await expect(row.locator("td").nth(0)).to_have_text(re.compile(rf"^T{beijing_today().year}-\d{{3}}$"))
    number = await row.locator("td").nth(0).text_content()
    await expect(page.locator("#at-session option:checked")).to_have_text(f"{number} {today} {title}")
    await page.fill("#at-codes", f"{scene.expert}\nE99999")
    await page.click("#attendance-form button[type=submit]")
    await expect(page.locator('#attendance-form [data-error-for="records"]')).to_have_text("E99999：没有这个编号的专家")
    # A name the pool does not know is refused beside the field, and nothing is added.
    await page.fill("#at-codes", "")
    await page.fill("#at-pick", "查无此人")
    await page.click("#at-pick-add")
    await expect(page.locator("#at-pick-error")).to_have_text("专家库中没有“查无此人”：请输入姓名并从列表中选择。")
    assert await page.get_attribute("#at-pick", "aria-invalid") == "true"
    assert await page.input_value("#at-codes") == "" and await page.locator("#at-picked li").count() == 0
    # The expert picked by name: the pool is searched as the name is typed, the pool number goes in the list.
    await page.fill("#at-pick", scene.expert_name)
    option = page.locator("#at-pick-choices option", has_text=scene.expert)
    await expect(option).to_have_count(1)
    await page.fill("#at-pick", await option.get_attribute("value") or "")
    await page.click("#at-pick-add")
    await expect(page.locator(f'#at-picked li[data-code="{scene.expert}"]')).to_have_text(
        f"{scene.expert_name}（{scene.expert}）")
    await expect(page.locator("#at-pick-error")).to_have_text("")
    assert await page.input_value("#at-codes") == scene.expert
    await page.click("#attendance-form button[type=submit]")
    until = call(console, "GET", f"/api/v1/experts/{scene.expert}").json()["trained_until"]
    assert until is not None and until > today
    await expect(page.locator("#attendance-result")).to_have_text(f"已登记：{scene.expert} 合格，培训有效至 {until}")
    await expect(row.locator("td").nth(4)).to_have_text("1")
    await row.locator("button", has_text="查看参加人员").click()
    await expect(page.locator("#attendees-title")).to_have_text(f"{number} {title}（{today}）参加人员")
    attendee = page.locator("#attendees-table tbody tr", has_text=scene.expert)
    await expect(attendee.locator("td").nth(3)).to_have_text("合格")
    await expect(attendee.locator("td").nth(4)).to_have_text(until)
    await screenshot(page, "admin-trainings")


async def test_an_admin_confirms_an_annual_assessment_and_prints_it(page: Any, console: Console, scene: Scene,
                                                                   admin_cookies: list[Any], screenshot: Any) -> None:
    answer = call(console, "POST", "/api/v1/experts", json={
        "name": f"考核测试{scene.suffix}", "birth_date": "1976-05-01", "unit_uscc": make_uscc(random.Random(), "91"),
        "unit_name": "平阳县考核单位", "title": "工程师", "years_in_field": 10,
        "fields": [{"code": scene.field, "primary": True}],
        "last_trained_on": (beijing_today() - dt.timedelta(days=400)).isoformat()})
    assert answer.status_code == 201, answer.text
    code = answer.json()["code"]
    await as_admin(page, admin_cookies)
    await page.click('nav a[href="/admin/assessments"]')
    await page.wait_for_url("**/admin/assessments")
    year = beijing_today().year
    await expect(page.locator("h1")).to_have_text(f"{year}年度专家考核")
    row = page.locator("#assessment-table tbody tr", has_text=code)
    # Trained 400 days ago: no valid training at the year's end, so 基本合格 is proposed.
    await expect(row.locator("td").nth(9)).to_have_text(re.compile(r"^已过期（有效期至 \d{4}-\d{2}-\d{2}）$"))
    await expect(row.locator("td").nth(10)).to_have_text("基本合格：年末培训已过期")
    await expect(row.locator("td").nth(11)).to_have_text("待确认")
    form = row.locator("form")
    await form.locator('select[name="grade"]').select_option("fail")
    await form.locator('select[name="outcome"]').select_option("none")
    await form.locator("button[type=submit]").click()
    await expect(form.locator('[data-error-for="outcome"]')).to_have_text("考核不合格须选择暂停或清退")
    await expect(form.locator('[data-error-for="reason"]')).to_have_text("确认等次与建议等次不同，须填写说明")
    until = (beijing_today() + dt.timedelta(days=90)).isoformat()
    await form.locator('select[name="outcome"]').select_option("suspended")
    await form.locator('input[name="suspended_until"]').fill(until)
    await form.locator('input[name="reason"]').fill("全年无故不参加培训")
    await form.locator("button[type=submit]").click()
    await expect(row.locator("td").nth(11)).to_have_text("不合格（暂停）：全年无故不参加培训")
    await expect(row.locator("form")).to_have_count(0)
    expert = call(console, "GET", f"/api/v1/experts/{code}").json()
    assert (expert["status"], expert["suspended_until"]) == ("suspended", until)
    assert expert["status_reason"] == f"{year}年度考核不合格，暂停：全年无故不参加培训"
    # Printed, the sheet keeps its figures and drops the forms and buttons.
    await page.emulate_media(media="print")
    await expect(page.locator("#print-button")).to_be_hidden()
    await expect(row.locator("td").nth(11)).to_be_visible()
    await page.emulate_media(media="screen")
    exported = call(console, "GET", f"/api/v1/assessments/{year}/export")
    assert exported.status_code == 200 and exported.content[:2] == b"PK"
    await screenshot(page, "admin-assessments")


async def test_an_admin_manages_units_users_and_api_keys(page: Any, console: Console, scene: Scene,
                                admin_cookies: list[Any], screenshot: Any) -> None:
    accept_dialogs(page)
    await as_admin(page, admin_cookies)
    await page.click('nav a[href="/admin/accounts"]')
    await page.wait_for_url("**/admin/accounts")
    uscc = make_uscc(random.Random(f"unit {scene.suffix}"), "11")
    unit_name = f"平阳县测试局{scene.suffix}"
    await page.fill("#un-uscc", uscc[:17] + ("0" if uscc[17] != "0" else "1"))
    await page.fill("#un-name", unit_name)
    await page.click("#unit-form button[type=submit]")
    await expect(page.locator('#unit-form [data-error-for="uscc"]')).to_have_text("校验码不正确（GB 32100-2015）")
    await page.fill("#un-uscc", uscc)
    await page.click("#unit-form button[type=submit]")
    await expect(page.locator("#unit-table tbody tr", has_text=uscc)).to_contain_text(unit_name)

    username = f"clerk.{scene.suffix.lower()}"
    await page.fill("#us-username", username)
    await page.fill("#us-name", "测试经办人")
    await page.select_option("#us-unit", uscc)
    await page.fill("#us-password", "short")
    await page.click("#user-form button[type=submit]")
    await expect(page.locator('#user-form [data-error-for="roles"]')).to_have_text("请至少选择一项")
    await page.check("#us-role-procurement_officer")
    await page.click("#user-form button[type=submit]")
    await expect(page.locator('#user-form [data-error-for="password"]')).to_have_text("至少 10 个字符")
    await page.fill("#us-password", "Pingyang-Clerk-2026")
    await page.click("#user-form button[type=submit]")
    user_row = page.locator(f'#user-table tr[data-username="{username}"]')
    await expect(user_row.locator("td")).to_have_text(
        [username, "测试经办人", unit_name, "采购经办人", "正常", "停用重置密码"])
    await user_row.get_by_role("button", name="停用").click()
    await expect(user_row.locator("td").nth(4)).to_have_text("已停用")
    await user_row.get_by_role("button", name="启用").click()
    await expect(user_row.locator("td").nth(4)).to_have_text("正常")

    key_name = f"项目全生命周期系统{scene.suffix}"
    await page.fill("#ky-name", key_name)
    await page.select_option("#ky-unit", uscc)
    await page.check("#ky-role-service")
    await page.click("#key-form button[type=submit]")
    once = page.locator("#key-once")
    await expect(once).to_be_visible()
    await expect(once).to_contain_text("只显示这一次")
    await expect(page.locator("#key-copy")).to_have_text("复制")
    value = await page.inner_text("#key-value")
    assert value.startswith("sortes_")
    key_row = page.locator("#key-table tbody tr", has_text=key_name)
    await expect(key_row.locator("td").nth(5)).to_have_text("有效")
    await screenshot(page, "admin-accounts")
    assert call(console, "GET", "/api/v1/fields", {"Authorization": f"Bearer {value}"}).status_code == 200
    # Shown once: a reload does not show it again.
    await page.reload()
    await expect(key_row.locator("td").nth(5)).to_have_text("有效")
    await expect(page.locator("#key-once")).to_be_hidden()
    assert value not in await page.content()
    await key_row.get_by_role("button", name="吊销").click()
    await expect(key_row.locator("td").nth(5)).to_contain_text("已吊销")
    assert call(console, "GET", "/api/v1/fields", {"Authorization": f"Bearer {value}"}).status_code == 401


async def test_the_admin_pages_are_in_english_too(page: Any, console: Console, scene: Scene,
                                admin_cookies: list[Any]) -> None:
    await as_admin(page, admin_cookies)
    await page.goto(f"/admin/experts/{scene.expert}?lang=en")
    await expect(page.locator("#expert-heading")).to_have_text(f"Expert {scene.expert} {scene.expert_name}")
    assert await page.inner_text('label[for="s-reason"]') == "Reason"
    await page.goto("/admin/accounts")  # the language stays chosen
    assert await page.inner_text("h1") == "Units, users and API keys"


async def test_only_admins_see_the_admin_pages(page: Any, console: Console) -> None:
    await sign_in(page, "console.organiser")
    assert await page.locator('nav a[href^="/admin/"]').count() == 0
    for path in ADMIN_PAGES:
        response = await page.goto(path)
        assert response is not None and response.status == 403, path
