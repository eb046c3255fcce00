"""Joining the pool in Chromium against the real system: a person applies on the public page (no
sign-in) and sees the outcome with the receipt code; a bureau admin rejects without a reason (refused,
in Chinese), then approves from the review queue; a bureau admin adds one expert with the form; an
expert proposes a change of employer and the admin approves it, the old employer kept."""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from shared.demo import bureau_unit, make_uscc
from shared.identifiers import id_number_check_character
from shared.roles import Role
from tests.browser.conftest import ON_SQLITE_SYSTEM, PASSWORD, Console, sign_in

pytestmark = ON_SQLITE_SYSTEM


def call(console: Console, method: str, path: str, **options: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {console.system.admin_api_key}"}
    return httpx.request(method, console.url + path, headers=headers, timeout=30, **options)


def id_number(rng: random.Random, born: str) -> str:
    first17 = f"330326{born}{rng.randrange(1000):03d}"
    return first17 + id_number_check_character(first17)


@pytest.fixture(scope="module")
def field(console: Console) -> str:
    code = "J" + uuid.uuid4().hex[:6].upper()
    answer = call(console, "POST", "/api/v1/fields", json={"code": code, "name_zh": f"入库测试{code}",
                                                            "name_en": f"Joining {code}"})
    assert answer.status_code == 201, answer.text
    return code


async def test_a_person_applies_an_admin_reviews_and_the_applicant_sees_the_outcome(
        page: Any, console: Console, field: str, screenshot: Any) -> None:
    rng = random.Random(field)
    name = f"申请人{field}"
    await page.goto("/sign-in")
    await page.click("#apply-link")
    await page.wait_for_url("**/apply")
    assert await page.inner_text("h1") == "专家入库申请"
    await page.fill("#ap-name", name)
    await page.fill("#ap-birth", "1981-03-02")
    await page.fill("#ap-id", id_number(rng, "19810302"))
    await page.fill("#ap-phone", "abc")
    await page.fill("#ap-unit-name", "平阳县申请测试单位")
    await page.fill("#ap-unit-uscc", make_uscc(rng, "91"))
    await page.fill("#ap-title", "高级工程师")
    await page.fill("#ap-years", "11")
    await page.select_option("#fc-primary", field)
    await page.fill("#ap-cert", "信息系统项目管理师")
    await page.click("#application-form button[type=submit]")
    # A bad phone is named beside its field, in Chinese; nothing is submitted.
    await expect(page.locator('[data-error-for="phone"]')).to_have_text("须为电话号码：数字，可含 +、空格或连字符")
    await page.fill("#ap-phone", "13966660000")
    await page.click("#application-form button[type=submit]")
    receipt = page.locator("#receipt-text")
    await expect(receipt).to_contain_text("申请编号：SQ")
    await screenshot(page, "apply-submitted")
    found = re.search(r"申请编号：(SQ\d+)，查询码：(\S+)。", await receipt.inner_text())
    assert found is not None
    number, code = found.group(1), found.group(2)
    await page.fill("#st-code", code)
    await page.click("#status-form button[type=submit]")
    await expect(page.locator("#sr-status")).to_have_text("待审核")

    # The admin's review queue: a rejection without a reason is refused beside the reason.
    await sign_in(page, "console.admin")
    await page.click('nav a[href="/admin/applications"]')
    await page.wait_for_url("**/admin/applications")
    row = page.locator(f'#application-table tr[data-number="{number}"]')
    await expect(row).to_contain_text(name)
    await expect(row).to_contain_text("个人申请")
    # The queue pages like every list: the total and the page numbers under it.
    await expect(page.locator("#application-total")).to_have_text(re.compile(r"^共 \d+ 份，第 1/\d+ 页$"))
    await expect(page.locator('#application-pages button[aria-current="page"]')).to_have_text("1")
    assert await page.is_disabled("#application-previous")
    await screenshot(page, "admin-applications")
    await row.locator("button", has_text="不通过").click()
    await expect(row.locator('[data-error-for="reason"]')).to_have_text("必填")
    await row.locator("button", has_text="通过").first.click()
    await expect(row).to_have_count(0)  # decided: gone from the pending queue
    await page.select_option("#af-status", "approved")
    decided = page.locator(f'#application-table tr[data-number="{number}"]')
    await expect(decided).to_contain_text("已通过，专家编号 E")
    expert = re.search(r"E\d{5}", await decided.inner_text())
    assert expert is not None
    detail = call(console, "GET", f"/api/v1/experts/{expert.group(0)}?masked=true").json()
    assert (detail["name"], detail["status"], detail["last_trained_on"]) == (name, "active", None)

    await page.goto("/apply")
    await page.fill("#st-number", number)
    await page.fill("#st-code", code)
    await page.click("#status-form button[type=submit]")
    await expect(page.locator("#sr-status")).to_have_text("已通过")
    await expect(page.locator("#sr-expert")).to_have_text(expert.group(0))


async def test_an_admin_adds_one_expert_with_the_form(page: Any, console: Console, field: str,
                                                      screenshot: Any) -> None:
    rng = random.Random(field + "form")
    name = f"表单专家{field}"
    await sign_in(page, "console.admin")
    await page.goto("/admin/experts")
    await page.click("#add-expert")
    await page.wait_for_url("**/admin/experts/new")
    await page.fill("#ne-name", name)
    await page.fill("#ne-birth", "1979-08-08")
    await page.fill("#ne-unit-name", "平阳县表单测试单位")
    await page.fill("#ne-unit-uscc", make_uscc(rng, "91"))
    await page.fill("#ne-title", "工程师")
    await page.fill("#ne-years", "9")
    await expect(page.locator(f'#fc-primary option[value="{field}"]')).to_have_count(1)
    await page.select_option("#fc-primary", field)
    await page.fill("#ne-id", "330326197908080000")
    await page.click("#expert-form button[type=submit]")
    id_error = page.locator('[data-error-for="id_number"]')
    await expect(id_error).not_to_be_empty()
    assert re.search(r"[A-Za-z]{3,}", await id_error.inner_text()) is None  # Chinese, not the API's English
    await screenshot(page, "admin-expert-new-refused")
    await page.fill("#ne-id", id_number(rng, "19790808"))
    await page.click("#expert-form button[type=submit]")
    await page.wait_for_url(re.compile(r".*/admin/experts/E\d{5}$"))
    await expect(page.locator("#expert-heading")).to_contain_text(name)


async def test_an_expert_proposes_a_new_employer_and_the_approval_keeps_the_old_one(
        page: Any, console: Console, field: str, screenshot: Any) -> None:
    rng = random.Random(field + "change")
    username = f"expert.{field.lower()}"
    created = call(console, "POST", "/api/v1/users", json={
        "username": username, "display_name": "变更专家", "unit_uscc": bureau_unit().uscc,
        "roles": [Role.EXPERT.value], "password": PASSWORD})
    assert created.status_code == 201, created.text
    old_unit = make_uscc(rng, "91")
    expert = call(console, "POST", "/api/v1/experts", json={
        "name": f"变更专家{field}", "birth_date": "1975-01-01", "unit_uscc": old_unit, "unit_name": "原单位",
        "title": "工程师", "years_in_field": 20, "fields": [{"code": field, "primary": True}],
        "account_subject": f"user:{username}"})
    assert expert.status_code == 201, expert.text
    code = expert.json()["code"]
    await sign_in(page, username)
    await page.click('nav a[href="/my/changes"]')
    await page.wait_for_url("**/my/changes")
    await expect(page.locator("#now-unit")).to_have_text("原单位")
    await page.fill("#mc-unit-name", "新单位")
    await page.click("#change-form button[type=submit]")
    await expect(page.locator('[data-error-for="unit_uscc"]')).not_to_be_empty()
    new_unit = make_uscc(rng, "91")
    await page.fill("#mc-unit-uscc", new_unit)
    await page.click("#change-form button[type=submit]")
    await expect(page.locator("#change-status")).to_contain_text("等待审核")
    await expect(page.locator("#my-requests tbody tr")).to_have_count(1)
    await expect(page.locator("#my-requests tbody tr")).to_contain_text("待审核")
    await screenshot(page, "my-changes")

    await page.context.clear_cookies()
    await sign_in(page, "console.admin")
    await page.goto("/admin/applications")
    row = page.locator("#change-table tbody tr", has_text=code)
    await expect(row).to_contain_text("新单位")
    await row.locator('input[name="reason"]').fill("已核实劳动合同")
    await row.locator("button", has_text="通过").first.click()
    await expect(row).to_have_count(0)
    detail = call(console, "GET", f"/api/v1/experts/{code}?masked=true").json()
    assert detail["unit_uscc"] == new_unit
    assert [former["unit_uscc"] for former in detail["former_employers"]] == [old_unit]


async def test_an_organiser_recommends_a_person_and_follows_the_outcome(
        page: Any, console: Console, field: str, screenshot: Any) -> None:
    rng = random.Random(field + "recommend")
    name = f"推荐人{field}"
    await sign_in(page, "console.organiser")
    await page.click('nav a[href="/recommend"]')
    await page.wait_for_url("**/recommend")
    await page.fill("#ap-name", name)
    await page.fill("#ap-birth", "1984-06-06")
    await page.fill("#ap-id", id_number(rng, "19840606"))
    await page.fill("#ap-phone", "13955556666")
    await page.fill("#ap-unit-name", "平阳县推荐测试单位")
    await page.fill("#ap-unit-uscc", make_uscc(rng, "91"))
    await page.fill("#ap-title", "工程师")
    await page.fill("#ap-years", "8")
    await page.select_option("#fc-primary", field)
    await page.click("#application-form button[type=submit]")
    await expect(page.locator("#recommend-status")).to_contain_text("等待审核")
    row = page.locator("#recommendation-table tbody tr", has_text=name)
    await expect(row).to_contain_text("待审核")
    await screenshot(page, "recommend")
    number = (await row.get_attribute("data-number")) or ""
    rejected = call(console, "POST", f"/api/v1/expert-applications/{number}/reject", json={"reason": "材料不全"})
    assert rejected.status_code == 200, rejected.text
    await page.reload()
    await expect(page.locator(f'#recommendation-table tr[data-number="{number}"]')).to_contain_text("材料不全")
