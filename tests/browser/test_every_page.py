"""Every page every role reaches, walked from its home page through the links it sees, at a desk
(1366×768) and on a phone (390×844): no page scrolls sideways on the phone, none shows an English
word on a Chinese page (codes, addresses and proper names aside), and each is photographed at both
widths under test-output/screenshots/every-page/.

The walk follows the links a role is shown (navigation first, then links on the pages it reaches),
so a page added later is walked as soon as a link leads to it."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import uuid
from collections import deque
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.gateway.identity.sessions import SESSION_COOKIE
from shared.clock import beijing_today
from shared.demo import bureau_unit, make_uscc
from sortes_cli.local_system import LocalSystem
from tests.browser.conftest import PASSWORD, Console, console_on
from tests.support.system import running_system

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture(scope="module")
def own_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """A system of this module's own (SQLite): its pages show only what this module wrote, not the
    names other tests give their users and projects in Latin letters, which are data, not the console's
    words."""
    with running_system(tmp_path_factory.mktemp("system-every-page"), {}) as system:
        yield system


@pytest.fixture(scope="module")
def console(own_system: LocalSystem) -> Console:
    return console_on(own_system)

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 768}
MAX_PAGES_PER_ROLE = 40
# Where the walk does not go: the API and its documentation (English by design, for integrators), a
# download, signing out, the language switch.
NOT_WALKED = re.compile(r"^/(api|static|sign-out|verify/offline)|[?&]lang=|\.(csv|xlsx|json)$")
# Latin-script words a Chinese page may show: names of things that have no Chinese name.
# ("admin" is the name the system gives the bootstrap API key.)
ALLOWED_WORDS = {"admin", "English", "sortes", "OpenAPI", "xlsx", "WebCrypto", "Chrome", "Edge", "Firefox", "NFC",
                 "JSON", "SM2", "SM3", "SHA", "HTTPS", "URL", "CSV",
                 "Excel", "PDF", "API", "Ed25519", "USCC"}
# Codes, addresses and identifiers: a token with a digit, a dot, an underscore, a hyphen, a slash or an
# @ or a colon is one (PY-CON-1A2B, GPL-IR-18-1, console.admin, https://…); a bare word of letters is not.
CODE_LIKE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+=-]*[0-9._:/@=-][A-Za-z0-9._:/@+=-]*|[0-9][A-Za-z0-9]*")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# A person shown by their account subject where their name belongs.
SUBJECT = re.compile(r"\b(?:user|apikey|system):[a-z0-9._-]+")


# A code shown beside a name: 巡查测试领域（APP）.
CODE_BESIDE = re.compile(r"[（(][A-Z0-9][A-Z0-9._-]*[）)]")


def english_words(text: str) -> list[str]:
    """The Latin-script words of ``text`` that are neither codes nor on the allow-list."""
    stripped = CODE_LIKE.sub(" ", CODE_BESIDE.sub(" ", text))
    return sorted({word for word in LATIN_WORD.findall(stripped) if word not in ALLOWED_WORDS})


def test_the_scan_finds_english_words_and_lets_codes_through(console: Console) -> None:
    assert english_words("抽取结果 user:procurement 已提交") == []  # a code, caught below by the name check
    assert english_words("Draw committed 已提交") == ["Draw", "committed"]
    assert english_words("项目 PY-CON-1A2B · GPL-IR-18-1 · 91330326MA2L3F4X5K · console.admin") == []
    assert english_words("https://example.org/verify 校验") == []
    assert english_words("切换到 English") == []
    assert english_words("应用系统（APP） · 云计算（CLOUD）") == []


SCAN_NAMES = {"bureau_admin": "林巡查", "organiser": "陈巡查", "supervisor": "赵巡查",
              "procurement_officer": "郑巡查", "rater": "周巡查", "rating_reviewer": "钱巡查",
              "vendor": "孙巡查", "expert": "李巡查", "auditor": "吴巡查"}
ROLES = ("bureau_admin", "organiser", "supervisor", "procurement_officer", "rater", "rating_reviewer", "vendor",
         "expert", "auditor")


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture(scope="module")
def people(console: Console) -> dict[str, str]:
    """One user per role with a console home, and enough for their pages to show something: a field
    with experts, a project, a panel awaiting its witness and a revealed one, a vendor engaged on the
    project. Returns each role's session token."""
    admin = {"Authorization": f"Bearer {console.system.admin_api_key}"}

    def call(method: str, path: str, body: dict[str, Any], headers: dict[str, str] = admin) -> dict[str, Any]:
        return _ok(httpx.request(method, console.url + path, headers=headers, json=body, timeout=30))

    tag = uuid.uuid4().hex[:6]
    rng = random.Random(tag)
    owner, other, vendor = make_uscc(rng, "12"), make_uscc(rng, "11"), make_uscc(rng, "91")
    call("POST", "/api/v1/units", {"uscc": owner, "name": f"平阳县水利局{tag}"})
    call("POST", "/api/v1/units", {"uscc": other, "name": f"平阳县审计局{tag}"})
    call("POST", "/api/v1/vendors", {"uscc": vendor, "name": f"平阳县巡查科技{tag}有限公司"})
    call("POST", "/api/v1/units", {"uscc": vendor, "name": f"平阳县巡查科技{tag}有限公司"})
    units = {"bureau_admin": bureau_unit().uscc, "organiser": owner, "supervisor": other,
             "procurement_officer": owner, "rater": owner, "rating_reviewer": bureau_unit().uscc,
             "vendor": vendor, "expert": make_uscc(rng, "12"), "auditor": other}
    call("POST", "/api/v1/units", {"uscc": units["expert"], "name": f"温州大学{tag}"})
    usernames = {role: f"scan.{role}.{tag}" for role in ROLES}
    for role in ROLES:
        call("POST", "/api/v1/users", {"username": usernames[role], "display_name": SCAN_NAMES[role],
                                       "unit_uscc": units[role], "roles": [role], "password": PASSWORD})
    tokens = {role: call("POST", "/api/v1/auth/sign-in", {"username": usernames[role], "password": PASSWORD},
                         {})["token"] for role in ROLES}
    field = f"S{tag.upper()}"
    call("POST", "/api/v1/fields", {"code": field, "name_zh": f"巡查测试领域{tag}", "name_en": f"Scan {tag}"})
    experts = []
    for index in range(6):
        experts.append(call("POST", "/api/v1/experts", {
            "name": f"巡查专家{index}", "birth_date": "1975-03-01", "unit_uscc": make_uscc(rng, "91"),
            "unit_name": "某设计院", "title": "高级工程师", "years_in_field": 12,
            "fields": [{"code": field, "primary": True}], "phone": "13957712345",
            "last_trained_on": (beijing_today() - dt.timedelta(days=20)).isoformat()})["code"])
    call("PATCH", f"/api/v1/experts/{experts[0]}", {"account_subject": f"user:{usernames['expert']}"})
    project = f"PY-SCAN-{tag.upper()}"
    call("PUT", f"/api/v1/projects/{project}", {
        "name": f"平阳县智慧水利平台{tag}", "kind": "construction", "owner_unit": owner, "investment_fen": 180_000_000,
        "planned_completion": "2027-12-31", "lots": [
            {"code": "L1", "name": "平台建设", "procurement_method": "public_tender", "role": "construction"}]})
    call("POST", f"/api/v1/projects/{project}/engagements", {
        "vendor_uscc": vendor, "role": "construction", "lot_code": "L1", "started_on": "2026-03-01",
        "amount_fen": 50_000_000})
    organiser = {"Authorization": f"Bearer {tokens['organiser']}"}
    supervisor = {"Authorization": f"Bearer {tokens['supervisor']}"}
    for days, reveal in ((40, True), (41, False)):
        draw = call("POST", f"/api/v1/projects/{project}/panels", {
            "purpose": "technical_review", "meeting_on": (beijing_today() + dt.timedelta(days=days)).isoformat(),
            "halves": ["morning"], "seats": [{"field": field, "count": 2}], "reserves": 1,
            "supervisor": usernames["supervisor"]}, organiser)
        if reveal:
            call("POST", f"/api/v1/draws/{draw['id']}/reveal", {"witness": "2468", "confirmed_avoidances": []},
                 supervisor)
            papers = [f"/draws/{draw['id']}/{paper}" for paper in ("printable", "sign-in-sheet", "fee-sheet")]
    # Pages a role may not reach by a link from its home in this scene: walked from as well.
    ALSO_WALKED.update({
        "bureau_admin": ["/admin/applications", "/admin/experts/new", "/admin/outbox", "/archive", "/spot-checks",
                         "/bulletin", *papers],
        "organiser": ["/recommend", "/archive", "/spot-checks", "/bulletin", *papers],
        "supervisor": [*papers[:1], "/bulletin"], "auditor": ["/archive", *papers[:1]],
        "expert": ["/my/changes", "/bulletin"]})
    return tokens


# role → paths walked from besides its home page (filled in by the ``people`` fixture).
ALSO_WALKED: dict[str, list[str]] = {}
# The pages of a visitor who has not signed in: each walked from, as a role's home is.
PUBLIC_STARTS = ("/sign-in", "/apply", "/bulletin", "/verify", "/answer?t=" + "A" * 43)


WALK_LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .map(a => a.getAttribute('href'))
  .filter(h => h.startsWith('/') && !h.startsWith('//'))"""
# What the page says, codes (set in <code> or .mono) and text marked as English (a field's English
# name, the language switch) left out.
VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('code, .mono, script, style, template, [lang^="en"]').forEach(e => e.remove());
  const parts = [document.title, body.textContent];
  document.querySelectorAll('[placeholder],[title],[aria-label],input[type=submit],option')
    .forEach(e => parts.push(e.getAttribute('placeholder') || '', e.getAttribute('title') || '',
                             e.getAttribute('aria-label') || '', e.textContent || ''));
  return parts.join('\\n');
}"""
OVERFLOW = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def shape(path: str) -> str:
    """Pages of the same kind once each: numbers, ids and codes in the path stand for any."""
    path = path.split("#")[0]
    base, _, query = path.partition("?")
    base = re.sub(r"/[^/]*[0-9][^/]*", "/*", base)
    keys = sorted(part.split("=")[0] for part in query.split("&") if part) if query else []
    return base + ("?" + "&".join(keys) if keys else "")


async def walk(page: Any, console: Console, token: str | None, also: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The paths a role reaches from its home page (and from ``also``), one of each shape, navigation
    links first; without a token, those a visitor reaches from ``also``."""
    await page.context.clear_cookies()
    starts = list(also)
    if token is not None:
        await page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": console.url}])
        await page.goto("/")
        starts.insert(0, page.url.removeprefix(console.url))
    queue, seen, paths = deque(starts), {shape(start) for start in starts} | {"/"}, []
    while queue and len(paths) < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        answer = await page.goto(path)
        assert answer is not None and answer.status < 500, (path, answer and answer.status)
        paths.append(path)
        for link in await page.evaluate(WALK_LINKS):
            if NOT_WALKED.search(link) or shape(link) in seen:
                continue
            seen.add(shape(link))
            queue.append(link)
    return paths


@pytest.mark.parametrize("role", ROLES)
async def test_every_page_of_a_role_fits_a_phone_and_speaks_chinese(page: Any, console: Console,
                                                                    people: dict[str, str], role: str,
                                                                    output_dir: Any) -> None:
    folder = output_dir / "screenshots" / "every-page"
    folder.mkdir(parents=True, exist_ok=True)
    paths = await walk(page, console, people[role], ALSO_WALKED.get(role, ()))
    assert len(paths) >= 2, paths
    await scan(page, paths, folder, role)


async def test_every_public_page_fits_a_phone_and_speaks_chinese(page: Any, console: Console,
                                                                 people: dict[str, str], output_dir: Any) -> None:
    folder = output_dir / "screenshots" / "every-page"
    folder.mkdir(parents=True, exist_ok=True)
    paths = await walk(page, console, None, PUBLIC_STARTS)
    assert set(PUBLIC_STARTS) <= set(paths), paths
    await scan(page, paths, folder, "visitor")


async def scan(page: Any, paths: list[str], folder: Any, role: str) -> None:
    """Each page at a desk and on a phone: English words, sideways scrolling, subjects for names and
    script errors, written to ``<role>-findings.json``, with a screenshot at each width."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    english: dict[str, list[str]] = {}
    too_wide: dict[str, int] = {}
    codes_for_names: dict[str, list[str]] = {}
    for number, path in enumerate(paths):
        name = f"{role}-{number:02d}-" + re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:60]
        await page.set_viewport_size(DESK)
        await page.goto(path)
        await page.wait_for_load_state("networkidle")
        text = await page.evaluate(VISIBLE_TEXT)
        if words := english_words(text):
            english[path] = words
        if subjects := SUBJECT.findall(text):
            codes_for_names[path] = subjects
        await page.screenshot(path=str(folder / f"{name}-1366.png"), full_page=True)
        await page.set_viewport_size(PHONE)
        await page.goto(path)
        await page.wait_for_load_state("networkidle")
        scroll_width, inner_width = await page.evaluate(OVERFLOW)
        if scroll_width > inner_width:
            too_wide[path] = scroll_width
        await page.screenshot(path=str(folder / f"{name}-390.png"), full_page=True)
    found = {"english": english, "too_wide": too_wide, "codes_for_names": codes_for_names, "errors": errors}
    (folder / f"{role}-findings.json").write_text(json.dumps({"paths": paths, **found}, ensure_ascii=False, indent=1))
    assert not any(found.values()), found


async def test_the_expert_home_puts_the_invitations_first_on_a_phone(page: Any, console: Console,
                                                                    people: dict[str, str]) -> None:
    await page.set_viewport_size(PHONE)
    await page.context.add_cookies([{"name": SESSION_COOKIE, "value": people["expert"], "url": console.url}])
    await page.goto("/")
    sections = await page.locator("main section.panel").evaluate_all("sections => sections.map(s => s.id)")
    assert sections.index("invitations") == 0 and "my-entry" in sections, sections
    # The navigation folds into the menu, which opens without a script.
    assert not await page.is_visible(".topbar nav")
    await page.click(".menu-button")
    assert await page.is_visible(".topbar nav a[href='/verify']")
    # The fields the expert holds by name, the code beside.
    assert "巡查测试领域" in await page.inner_text("#my-entry")


async def test_an_unknown_address_is_a_chinese_page_in_the_browser(page: Any, console: Console) -> None:
    answer = await page.goto("/no-such-page")
    assert answer is not None and answer.status == 404
    assert await page.inner_text("h1") == "页面不存在"
    assert english_words(await page.evaluate(VISIBLE_TEXT)) == []
    # The skip link is the first thing a keyboard reaches, and takes it to the page's content.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.className") == "skip-link"
