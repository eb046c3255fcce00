"""The organiser's desk on the home page, the draw archive's search page, the spot check of
self-evaluations and the public bulletin, in Chromium against the real services.

Each module run brings its own field and projects, so the lists it reads hold its own draws beside
whatever the other modules drew on the shared system."""

from __future__ import annotations

import datetime as dt
import io
import random
import sqlite3
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.clock import beijing_today
from shared.demo import bureau_unit, make_uscc
from sortes_cli.main import main as sortes
from tests.browser.conftest import ON_SQLITE_SYSTEM, PASSWORD, VIEWPORT, Console, sign_in

pytestmark = ON_SQLITE_SYSTEM

SUPERVISOR_UNIT = make_uscc(random.Random("archive supervisor unit"), "11")
SUPERVISOR = "archive.supervisor"


def call(console: Console, method: str, path: str, headers: dict[str, str] | None = None,
         **options: Any) -> httpx.Response:
    headers = headers or {"Authorization": f"Bearer {console.system.admin_api_key}"}
    return httpx.request(method, console.url + path, headers=headers, timeout=30, **options)


def bearer(console: Console, username: str) -> dict[str, str]:
    answer = call(console, "POST", "/api/v1/auth/sign-in", {}, json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@dataclass(frozen=True)
class Scene:
    suffix: str
    field: str
    organiser: dict[str, str]
    supervisor: dict[str, str]

    def project(self, console: Console, name: str) -> str:
        code = f"PY-ARC-{self.suffix}-{name}"
        answer = call(console, "PUT", f"/api/v1/projects/{code}", json={
            "name": f"档案测试项目{name}", "kind": "construction", "owner_unit": bureau_unit().uscc,
            "investment_fen": 80_000_000, "planned_completion": "2027-12-31", "lots": []})
        assert answer.status_code == 201, answer.text
        return code

    def commit(self, console: Console, project: str, purpose: str = "technical_review",
               days: int = 20) -> dict[str, Any]:
        answer = call(console, "POST", f"/api/v1/projects/{project}/panels", self.organiser, json={
            "purpose": purpose, "meeting_on": (beijing_today() + dt.timedelta(days=days)).isoformat(),
            "halves": ["morning"], "seats": [{"field": self.field, "count": 1}], "reserves": 1,
            "supervisor": SUPERVISOR})
        assert answer.status_code == 201, answer.text
        return answer.json()

    def reveal(self, console: Console, draw_id: str) -> dict[str, Any]:
        answer = call(console, "POST", f"/api/v1/draws/{draw_id}/reveal", self.supervisor,
                      json={"witness": "4421", "confirmed_avoidances": []})
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture(scope="module")
def scene(console: Console) -> Scene:
    suffix = uuid.uuid4().hex[:6].upper()
    field = f"A{suffix}"
    answer = call(console, "POST", "/api/v1/fields", json={"code": field, "name_zh": f"档案测试{field}",
                                                            "name_en": f"Archive test {field}"})
    assert answer.status_code == 201, answer.text
    call(console, "POST", "/api/v1/units", json={"uscc": SUPERVISOR_UNIT, "name": "档案测试监督单位"})
    answer = call(console, "POST", "/api/v1/users", json={
        "username": SUPERVISOR, "display_name": "冯监督", "unit_uscc": SUPERVISOR_UNIT, "roles": ["supervisor"],
        "password": PASSWORD})
    assert answer.status_code in (201, 409), answer.text
    rng = random.Random(suffix)
    for name in ("甲一", "乙二", "丙三", "丁四", "戊五", "己六"):
        answer = call(console, "POST", "/api/v1/experts", json={
            "name": f"档案{name}", "birth_date": "1978-03-01", "unit_uscc": make_uscc(rng, "91"),
            "unit_name": "某单位", "title": "高级工程师", "years_in_field": 10,
            "fields": [{"code": field, "primary": True}],
            "last_trained_on": (beijing_today() - dt.timedelta(days=30)).isoformat()})
        assert answer.status_code == 201, answer.text
    return Scene(suffix=suffix, field=field, organiser=bearer(console, "console.organiser"),
                 supervisor=bearer(console, SUPERVISOR))


@contextmanager
def meeting_yesterday(console: Console, draw_id: str) -> Iterator[None]:
    """The panel's meeting moved to yesterday in the experts service's own database, as the calendar
    would have turned (no API moves a meeting into the past), and put back afterwards: the edit is
    behind the audit log, which later tests of this shared system verify."""
    panel = "(SELECT panel_id FROM draws WHERE id = ?)"
    path = console.system.data_dir / "experts.db"
    with closing(sqlite3.connect(path, timeout=30)) as database:
        [(planned,)] = database.execute(f"SELECT meeting_on FROM panels WHERE id = {panel}", (draw_id,)).fetchall()

    def set_day(day: str) -> None:
        with closing(sqlite3.connect(path, timeout=30)) as database, database:
            changed = database.execute(f"UPDATE panels SET meeting_on = ? WHERE id = {panel}", (day, draw_id))
            assert changed.rowcount == 1

    set_day((beijing_today() - dt.timedelta(days=1)).isoformat())
    try:
        yield
    finally:
        set_day(planned)


async def test_the_organisers_home_lists_what_waits_for_the_witness_answers_and_evaluation(
        page: Any, console: Console, scene: Scene, screenshot: Any) -> None:
    waiting = scene.commit(console, scene.project(console, "W"))
    answering = scene.commit(console, scene.project(console, "A"))
    scene.reveal(console, answering["id"])
    await sign_in(page, "console.organiser")
    await page.goto("/home/organiser")
    witness_row = page.locator(f'#desk-awaiting-witness-list tr[data-draw="{waiting["id"]}"]')
    assert await witness_row.count() == 1
    assert "档案测试项目W" in await witness_row.inner_text()
    assert f"档案测试{scene.field}（{scene.field}） 1" in await witness_row.inner_text()  # the field by its name
    assert await page.locator(f'#desk-awaiting-answers-list tr[data-draw="{answering["id"]}"]').count() == 1
    assert await page.locator(f'#desk-recent-list tr[data-draw="{answering["id"]}"]').count() == 1
    assert await page.locator(f'#desk-awaiting-witness-list tr[data-draw="{answering["id"]}"]').count() == 0
    text = await page.inner_text("#desk")
    assert "待监督人见证的抽取" in text and "待专家答复的评审组" in text and "待评价的评审组" in text
    await screenshot(page, "organiser-desk")

    with meeting_yesterday(console, answering["id"]):
        await page.goto("/home/organiser")
        assert await page.locator(f'#desk-awaiting-evaluation-list tr[data-draw="{answering["id"]}"]').count() == 1
        assert await page.locator(f'#desk-awaiting-answers-list tr[data-draw="{answering["id"]}"]').count() == 0
    await page.goto("/home/organiser")
    await page.click(f'#desk-awaiting-answers-list tr[data-draw="{answering["id"]}"] a[href$="/calls"]')
    await page.wait_for_url(f"**/draws/{answering['id']}/calls")


async def test_the_archive_finds_draws_by_its_filters_and_opens_one_by_a_prefix(
        page: Any, console: Console, scene: Scene, screenshot: Any) -> None:
    project = scene.project(console, "S")
    review = scene.commit(console, project)
    research = scene.commit(console, project, purpose="research", days=25)
    await sign_in(page, "console.auditor")
    await page.goto("/archive")
    assert "抽取档案" in await page.inner_text("h1")
    await page.fill("#f-project", project)
    async with page.expect_navigation():
        await page.click("#archive-search-button")
    rows = page.locator("#archive-list tbody tr")
    assert sorted(await rows.evaluate_all("rows => rows.map(r => r.dataset.draw)")) == sorted(
        [review["id"], research["id"]])
    assert await page.inner_text("#archive-pager .pager-total") == "共 2 条，第 1/1 页"
    await page.select_option("#f-purpose", "research")
    async with page.expect_navigation():
        await page.click("#archive-search-button")
    assert await rows.evaluate_all("rows => rows.map(r => r.dataset.draw)") == [research["id"]]
    assert "调研" in await rows.first.inner_text() and "已承诺" in await rows.first.inner_text()
    await screenshot(page, "archive-search")

    # A reversed period is named beside its field, in Chinese.
    await page.goto(f"/archive?project={project}&from=2026-05-02&to=2026-05-01")
    assert "结束日期早于开始日期" in await page.inner_text('[data-error-for="to"]')

    await page.fill("#open-draw-id", review["id"][:8])
    async with page.expect_navigation():
        await page.click("#open-draw button[type=submit]")
    assert page.url.endswith(f"/draws/{review['id']}")
    assert review["commitment"] in await page.content()


async def test_the_bulletin_shows_a_panel_only_once_its_meeting_has_ended_and_verifies_it_in_one_click(
        browser: Any, console: Console, scene: Scene, screenshot: Any) -> None:
    project = scene.project(console, "B")
    draw = scene.commit(console, project)
    revealed = scene.reveal(console, draw["id"])
    context = await browser.new_context(base_url=console.url, viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(30_000)
    page = await context.new_page()
    try:
        # Anonymous, before the meeting: not the project, not the draw, not one pool number.
        response = await page.goto("/bulletin")
        assert response.status == 200 and "专家抽取公示" in await page.inner_text("h1")
        content = await page.content()
        drawn = revealed["result"][scene.field]["primaries"] + revealed["result"][scene.field]["reserves"]
        assert project not in content and draw["id"] not in content and draw["commitment"][:16] not in content
        assert not any(code in content for code in drawn)
        record = await page.request.get(f"/api/v1/bulletin/{draw['id']}/record")
        assert record.status == 404

        with meeting_yesterday(console, draw["id"]):
            await page.goto("/bulletin")
            row = page.locator(f'#bulletin-list tr[data-draw="{draw["id"]}"]')
            assert await row.count() == 1
            text = await row.inner_text()
            assert "档案测试项目B" in text and "技术审查" in text
            assert all(code in text for code in revealed["result"][scene.field]["primaries"])
            assert "档案" not in text.replace("档案测试项目B", "")  # pool numbers, no names by default
            assert "只列专家库编号" in await page.inner_text("#bulletin-names-setting")
            await screenshot(page, "bulletin")
            async with page.expect_navigation():
                await row.locator("a.verify-record").click()
            await page.wait_for_selector("#results[data-outcome=ok], #results[data-outcome=failed], "
                                         "#results[data-outcome=unusable]")
            assert await page.get_attribute("#results", "data-outcome") == "ok", await page.inner_text("#outcome")
            assert draw["id"] in await page.inner_text("#summary")
    finally:
        await context.close()


async def test_the_spot_check_page_speaks_of_self_evaluations(page: Any, console: Console, scene: Scene) -> None:
    await sign_in(page, "console.organiser")
    last_year = beijing_today().year - 1
    await page.goto(f"/spot-checks?year={last_year}")
    assert "自评报告抽查" in await page.inner_text("h1")
    code = f"PY-SE-{scene.suffix}"
    await page.fill("#se-project", code)
    await page.select_option("#se-kind", "performance")
    await page.fill("#se-submitted", f"{last_year}-03-15")
    async with page.expect_navigation():
        await page.click("#self-evaluation-form button[type=submit]")
    row = page.locator(f'#register-list tr[data-project="{code}"]')
    assert await row.count() == 1 and "绩效自评报告" in await row.inner_text()
    # The same one again is refused in Chinese, beside the form.
    await page.fill("#se-project", code)
    await page.select_option("#se-kind", "performance")
    await page.fill("#se-submitted", f"{last_year}-03-15")
    await page.click("#self-evaluation-form button[type=submit]")
    await page.wait_for_selector("#self-evaluation-form .form-error:not(.hidden)")
    assert "已登记" in await page.inner_text("#self-evaluation-form .form-error")
    assert "专家" not in await page.inner_text("main")


async def test_a_bureau_admin_draws_last_years_spot_check_of_self_evaluations(page: Any, console: Console,
                                                                            scene: Scene) -> None:
    last_year = beijing_today().year - 1
    for n in range(3):
        answer = call(console, "POST", "/api/v1/self-evaluations", json={
            "year": last_year, "project_code": f"PY-SA-{scene.suffix}-{n}", "kind": "application",
            "submitted_on": f"{last_year}-04-0{n + 1}", "unit_uscc": bureau_unit().uscc})
        assert answer.status_code == 201, answer.text
    await sign_in(page, "console.admin")
    await page.goto(f"/spot-checks?year={beijing_today().year}")
    assert "尚未结束" in await page.inner_text("#spot-not-yet")
    await page.goto(f"/spot-checks?year={last_year}")
    # The supervisor is picked from the active supervisors of other units, by name and unit.
    offered = await page.locator("#spot-supervisor option").evaluate_all("options => options.map(o => o.value)")
    assert SUPERVISOR in offered and "console.admin" not in offered
    await page.select_option("#spot-supervisor", SUPERVISOR)
    async with page.expect_navigation():
        await page.click("#spot-check-form button[type=submit]")
    assert "/draws/" in page.url
    assert "申报自评报告" in await page.inner_text("#spot-sample-size")
    await page.goto(f"/spot-checks?year={last_year}")
    assert await page.locator("#spot-draw-list tbody tr").count() == 1
    assert "自评报告抽查" in await page.inner_text("#spot-draw-list")
    # Once a year: a second draw is refused in Chinese until the first is cancelled with a reason.
    await page.select_option("#spot-supervisor", SUPERVISOR)
    await page.click("#spot-check-form button[type=submit]")
    await page.wait_for_selector("#spot-check-form .form-error:not(.hidden)")
    assert "已抽取" in await page.inner_text("#spot-check-form .form-error")


async def test_the_archive_and_a_years_records_through_the_gateway_verify_with_sortes_verify(
        console: Console, scene: Scene, tmp_path: Path, capsys: Any) -> None:
    project = scene.project(console, "Z")
    draw = scene.commit(console, project)
    scene.reveal(console, draw["id"])
    listed = call(console, "GET", "/api/v1/draws", scene.organiser, params={"project": project})
    assert listed.status_code == 200, listed.text
    assert [item["draw_id"] for item in listed.json()["items"]] == [draw["id"]]
    refused = call(console, "GET", "/api/v1/draws", scene.organiser, params={"purpose": "banquet"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "purpose"
    short = call(console, "GET", f"/api/v1/draws/{draw['id'][:6]}", scene.organiser)
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "draw_id"
    assert call(console, "GET", f"/api/v1/draws/{draw['id'][:9]}", scene.organiser).json()["id"] == draw["id"]

    # The organiser asked for it: the sealed list is theirs to read, so its record is in the zip.
    exported = call(console, "GET", "/api/v1/draws/export", scene.organiser,
                    params={"year": beijing_today().year, "format": "zip"})
    assert exported.status_code == 200, exported.text
    with zipfile.ZipFile(io.BytesIO(exported.content)) as bundle:
        bundle.extractall(tmp_path)
    capsys.readouterr()
    code = sortes(["verify", str(tmp_path / "records" / f"{draw['id']}.json"), "--keys",
                   str(tmp_path / "sortes-keys.json")])
    assert code == 0, capsys.readouterr().out
    sheet = call(console, "GET", "/api/v1/draws/export", scene.organiser,
                 params={"year": beijing_today().year, "format": "csv"})
    assert sheet.status_code == 200 and project in sheet.content.decode("utf-8-sig")
