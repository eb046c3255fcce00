"""The console in Chromium, driven by Playwright, against the real system of the end-to-end tests
(tests/support/system.py, on SQLite here).

No browser is ever downloaded: the tests drive the machine's Debian chromium (``.ci/run`` installs
it) and are skipped with the reason where it is missing — except under CI=true, where that fails
the run. One browser serves the whole session; each test gets a fresh context (cookies and all)
at 1366×768, and leaves screenshots under test-output/screenshots/.

Playwright's async API on one session-long event loop: its sync API would leave an event loop
marked running in the main thread between tests, and every later ``asyncio.run`` (the end-to-end
tests use it) would refuse to start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from shared.demo import bureau_unit
from shared.roles import Role
from sortes_cli.local_system import LocalSystem
from tests.conftest import IN_CI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--lang=zh-CN"]  # native controls (file, date) in Chinese
VIEWPORT = {"width": 1366, "height": 768}
PASSWORD = "Console-Browser-2026!"
# One user per role the tests sign in as, in the bureau's unit.
USERS = {"console.admin": ("林管理员", Role.BUREAU_ADMIN), "console.organiser": ("陈组织人", Role.ORGANISER),
         "console.auditor": ("吴审计", Role.AUDITOR)}


# Every browser test module is marked with this: the session's event loop, and SQLite, which is
# enough for the browser and the same system (one per run) as the SQLite end-to-end tests'.
ON_SQLITE_SYSTEM = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session"),
                    pytest.mark.parametrize("local_system", ["sqlite"], indirect=True, scope="session")]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI=true requires the browser tests to run", pytrace=False)
    pytest.skip(reason)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@dataclass(frozen=True)
class Console:
    system: LocalSystem
    url: str
    password: str = PASSWORD


@pytest.fixture(scope="session")
def console(local_system: LocalSystem) -> Console:
    """The running system with one console user per role the tests need."""
    return console_on(local_system)


def console_on(local_system: LocalSystem) -> Console:
    """``local_system`` with one console user per role the tests need."""
    admin = {"Authorization": f"Bearer {local_system.admin_api_key}"}
    for username, (display_name, role) in USERS.items():
        response = httpx.post(local_system.url() + "/api/v1/users", headers=admin, timeout=10, json={
            "username": username, "display_name": display_name, "unit_uscc": bureau_unit().uscc,
            "roles": [role.value], "password": PASSWORD})
        assert response.status_code in (201, 409), response.text
    return Console(system=local_system, url=local_system.url())


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Any, console: Console) -> AsyncIterator[Any]:
    context = await browser.new_context(base_url=console.url, viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(30_000)
    tab = await context.new_page()
    yield tab
    await context.close()


@pytest.fixture
def screenshot(output_dir: Path) -> Callable[[Any, str], Awaitable[Any]]:
    folder = output_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Awaitable[Any]:
        return page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return take


async def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    await page.goto("/sign-in")
    await page.fill("#username", username)
    await page.fill("#password", password)
    async with page.expect_navigation():
        await page.click("#sign-in-form button[type=submit]")

