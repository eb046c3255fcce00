"""The console's session: the sign-in form, the session cookie, CSRF on changes made with it, sign-out,
and the content policy of the console's pages (the browser tests drive the same through Chromium)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from services.gateway.identity.sessions import SIGN_IN_COOKIE, session_cookie
from shared.clock import utc_now
from shared.demo import bureau_unit
from tests.conftest import ADMIN_API_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_API_KEY}"}
PASSWORD = "Pingyang-2026!ok"
Client = AsyncTestClient[Litestar]


async def add_user(client: Client, username: str, *roles: str) -> None:
    response = await client.post("/api/v1/users", headers=ADMIN, json={
        "username": username, "display_name": "林主任", "unit_uscc": bureau_unit().uscc, "roles": list(roles),
        "password": PASSWORD})
    assert response.status_code == 201, response.text


def form_token(page: str) -> str:
    match = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


async def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    page = await client.get("/sign-in")
    return await client.post("/sign-in", follow_redirects=False, data={
        "_csrf": form_token(page.text), "username": username, "password": password, **extra})


async def csrf_of(client: Client, path: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', (await client.get(path)).text)
    assert match
    return match.group(1)


async def test_the_sign_in_forms_double_submit_cookie_is_strict_http_only_and_kept_to_the_sign_in_page(
        gateway_client) -> None:
    form = await gateway_client.get("/sign-in")
    cookie = next(c for c in form.headers.get_list("set-cookie") if c.startswith(f"{SIGN_IN_COOKIE}="))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/sign-in"} <= attributes


async def test_signing_in_sets_a_strict_http_only_cookie_and_lands_on_the_role_home(gateway_client) -> None:
    await add_user(gateway_client, "lin", "bureau_admin")
    signed_in = await sign_in(gateway_client, "lin")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/home/bureau_admin"
    cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("sortes_session="))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert "secure" not in attributes  # plain http here; https adds it
    home = await gateway_client.get("/home/bureau_admin")
    assert home.status_code == 200 and "大数据局管理员工作台" in home.text
    assert home.headers["cache-control"] == "no-store"
    assert (await gateway_client.get("/", follow_redirects=False)).headers["location"] == "/home/bureau_admin"


def test_the_session_cookie_lives_no_longer_than_its_token() -> None:
    now = utc_now()
    assert session_cookie("t", now + dt.timedelta(hours=2, seconds=30), secure=True).max_age in (7229, 7230)
    assert session_cookie("t", now - dt.timedelta(minutes=5), secure=True).max_age == 0  # lapsed: gone at once


async def test_a_wrong_password_is_answered_on_the_form_in_chinese(gateway_client) -> None:
    await add_user(gateway_client, "lin", "auditor")
    refused = await sign_in(gateway_client, "lin", "not-the-password")
    assert refused.status_code == 401
    assert "用户名或密码错误。" in refused.text
    assert "sortes_session=" not in refused.headers.get("set-cookie", "")


async def test_lockout_applies_to_the_form(gateway_client) -> None:
    await add_user(gateway_client, "lin", "auditor")
    for _ in range(3):  # the fixture locks after 3 failures
        await sign_in(gateway_client, "lin", "guess-guess-guess")
    locked = await sign_in(gateway_client, "lin")
    assert locked.status_code == 423
    assert "账户已锁定" in locked.text and "北京时间" in locked.text


async def test_the_form_and_the_api_share_the_per_address_sign_in_limit(gateway_client) -> None:
    for n in range(6):
        await gateway_client.post("/api/v1/auth/sign-in", json={"username": f"u{n}", "password": "x"})
    statuses = [(await sign_in(gateway_client, f"v{n}", "x")).status_code for n in range(7)]
    assert statuses[:6] == [401] * 6 and statuses[6] == 429  # 12 a minute in the fixture
    limited = await sign_in(gateway_client, "w", "x")
    assert "登录尝试过于频繁" in limited.text and int(limited.headers["retry-after"]) > 0
    assert limited.headers["x-frame-options"] == "DENY"  # made from the middleware's refusal, still guarded


async def test_a_sign_in_form_posted_from_elsewhere_is_refused(gateway_client) -> None:
    await add_user(gateway_client, "lin", "auditor")
    forged = await gateway_client.post("/sign-in", follow_redirects=False,
                                       data={"_csrf": "guessed", "username": "lin", "password": PASSWORD})
    assert forged.status_code == 400 and "登录页面已过期" in forged.text


async def test_the_cookie_reads_the_api_but_changes_need_the_csrf_token(gateway_client) -> None:
    await add_user(gateway_client, "lin", "bureau_admin")
    await sign_in(gateway_client, "lin")
    me = await gateway_client.get("/api/v1/auth/me")
    assert me.json()["subject"] == "user:lin"
    unit = {"uscc": "12330326MB01332869", "name": "平阳县数据中心"}
    refused = await gateway_client.post("/api/v1/units", json=unit)
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/csrf-token-missing"
    wrong = await gateway_client.post("/api/v1/units", json=unit, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    token = await csrf_of(gateway_client, "/home/bureau_admin")
    created = await gateway_client.post("/api/v1/units", json=unit, headers={"X-CSRF-Token": token})
    assert created.status_code == 201, created.text


async def test_bearer_callers_need_no_csrf_token_and_an_api_key_is_no_session(gateway_client) -> None:
    created = await gateway_client.post("/api/v1/units", headers=ADMIN,
                                        json={"uscc": "12330326MB01332869", "name": "平阳县数据中心"})
    assert created.status_code == 201
    gateway_client.cookies.set("sortes_session", ADMIN_API_KEY)
    assert (await gateway_client.get("/api/v1/auth/me")).status_code == 401
    assert (await gateway_client.get("/home/bureau_admin", follow_redirects=False)).status_code == 303


async def test_signing_out_needs_the_csrf_token_revokes_the_token_and_clears_the_cookie(gateway_client) -> None:
    await add_user(gateway_client, "lin", "organiser")
    await sign_in(gateway_client, "lin")
    token = await csrf_of(gateway_client, "/home/organiser")
    assert (await gateway_client.post("/sign-out", follow_redirects=False)).status_code == 403
    session = gateway_client.cookies["sortes_session"]
    signed_out = await gateway_client.post("/sign-out", data={"_csrf": token}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/sign-in?signed_out=1"
    assert "sortes_session" not in gateway_client.cookies
    # Cleared for every browser, not only this client: empty, expired now, and as guarded as it was set.
    cleared = next(c for c in signed_out.headers.get_list("set-cookie") if c.startswith("sortes_session="))
    attributes = {part.strip().lower() for part in cleared.split(";")}
    assert {'sortes_session=""', "max-age=0", "httponly", "samesite=strict", "path=/"} <= attributes, cleared
    after = await gateway_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {session}"})
    assert after.status_code == 401
    assert "您已安全退出" in (await gateway_client.get("/sign-in?signed_out=1")).text


async def test_a_page_behind_the_session_sends_the_browser_to_sign_in_and_back(gateway_client) -> None:
    await add_user(gateway_client, "lin", "bureau_admin", "auditor")
    away = await gateway_client.get("/home/auditor", follow_redirects=False)
    assert away.headers["location"] == "/sign-in?next=%2Fhome%2Fauditor"
    back = await sign_in(gateway_client, "lin", next="/home/auditor")
    assert back.headers["location"] == "/home/auditor"
    gateway_client.cookies.clear()
    elsewhere = await sign_in(gateway_client, "lin", next="//evil.example/")
    assert elsewhere.headers["location"] == "/home/bureau_admin"


async def test_a_home_is_for_its_role_only(gateway_client) -> None:
    await add_user(gateway_client, "lin", "rater")
    await sign_in(gateway_client, "lin")
    assert (await gateway_client.get("/home/rater")).status_code == 200
    forbidden = await gateway_client.get("/home/bureau_admin")
    assert forbidden.status_code == 403 and "无权访问" in forbidden.text
    assert (await gateway_client.get("/home/emperor")).status_code == 404


async def test_english_is_one_switch_away_and_remembered(gateway_client) -> None:
    english = await gateway_client.get("/sign-in?lang=en")
    assert "Sign in" in english.text and 'lang="en"' in english.text
    assert "Verify a draw record" in (await gateway_client.get("/verify")).text
    assert "校验抽取记录" in (await gateway_client.get("/verify?lang=zh")).text


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE)


async def test_console_pages_carry_no_inline_script_or_style_and_a_strict_policy(gateway_client) -> None:
    await add_user(gateway_client, "lin", "bureau_admin")
    await sign_in(gateway_client, "lin")
    for path in ("/sign-in?lang=zh", "/verify", "/home/bureau_admin", "/api/docs"):
        response = await gateway_client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "style-src 'self';" in policy, path
        assert not INLINE_SCRIPT.search(response.text), path
        assert "<style" not in response.text and " style=" not in response.text, path


async def test_the_offline_verifier_is_one_file_whose_inline_code_its_policy_pins(gateway_client) -> None:
    offline = await gateway_client.get("/verify/offline")
    assert offline.headers["content-disposition"] == 'attachment; filename="sortes-verify.html"'
    page = offline.text
    assert 'src="' not in page and 'href="/static' not in page
    script = re.search(r"<script>(.*?)</script>", page, re.DOTALL).group(1)  # type: ignore[union-attr]
    style = re.search(r"<style>(.*?)</style>", page, re.DOTALL).group(1)  # type: ignore[union-attr]
    for text, directive in ((script, "script-src"), (style, "style-src")):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in offline.headers["content-security-policy"]
        assert f"{directive} 'sha256-{digest}'" in html.unescape(page)  # its own meta policy, as a file
    assert "http://testserver.local/.well-known/sortes-keys" in page


async def test_only_a_live_users_session_counts_as_signed_in_on_the_open_pages(gateway_client) -> None:
    """An API key or a made-up value in the session cookie is no session: the sign-in form, never a 500."""
    for value in (ADMIN_API_KEY, "made-up"):
        gateway_client.cookies.set("sortes_session", value)
        page = await gateway_client.get("/sign-in", follow_redirects=False)
        assert page.status_code == 200 and 'name="username"' in page.text, value
        gateway_client.cookies.clear()
    await add_user(gateway_client, "wu.auditor", "auditor")
    await sign_in(gateway_client, "wu.auditor")
    again = await gateway_client.get("/sign-in", follow_redirects=False)
    assert again.status_code in (302, 303) and again.headers["location"] == "/home/auditor"


async def test_an_unknown_address_answers_a_browser_with_a_chinese_page_and_a_program_with_a_problem(
        gateway_client) -> None:
    browser = await gateway_client.get("/no/such/page", headers={"Accept": "text/html,application/xhtml+xml"})
    assert browser.status_code == 404 and browser.headers["content-type"].startswith("text/html")
    assert "页面不存在" in browser.text and 'href="/"' in browser.text and "Not found" not in browser.text
    program = await gateway_client.get("/no/such/page", headers={"Accept": "application/json"})
    assert program.status_code == 404 and program.json()["code"] == "http.not_found"
    api = await gateway_client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code in (401, 404) and api.headers["content-type"].startswith("application/problem+json")


async def test_every_page_has_a_skip_link_a_menu_for_phones_and_a_favicon(gateway_client) -> None:
    html = (await gateway_client.get("/sign-in")).text
    assert '<a class="skip-link" href="#main">跳到正文</a>' in html and '<main id="main"' in html
    assert 'id="menu-toggle"' in html and 'rel="icon" href="/static/favicon.svg"' in html
    icon = await gateway_client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.text.startswith("<svg")
