"""Sessions that end: the console cookie lives no longer than its token, and a new password, a change of
roles or unit, disabling or a lockout ends the user's tokens at once, in every gateway process; an API
key's new roles hold from its next request. Two gateways share one database here, as two processes
behind a balancer would: the change is made at one, the old token tried at the other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from shared.demo import bureau_unit
from tests.conftest import ADMIN_API_KEY
from tests.gateway.test_accounts import ADMIN, PASSWORD, add_user, sign_in
from tests.gateway.test_console_sessions import sign_in as sign_in_on_the_form
from tests.support.databases import TestDatabases

Client = AsyncTestClient[Litestar]
OTHER_UNIT = bureau_unit().uscc  # made with the admin key; the users are in EDUCATION


@pytest.fixture
async def gateways(test_databases: TestDatabases, backend: str,
                   tmp_path: Path) -> AsyncIterator[tuple[Client, Client]]:
    from services.gateway.app import create_app
    from services.gateway.settings import GatewaySettings
    from tests.support.ports import free_port

    url = await asyncio.to_thread(test_databases.fresh, "gateway", backend)

    def settings() -> GatewaySettings:
        return GatewaySettings(
            database_url=url, experts_urls=[f"http://127.0.0.1:{free_port()}"],
            vendors_urls=[f"http://127.0.0.1:{free_port()}"], identity_key_file=tmp_path / "identity.pem",
            api_key_secret_file=tmp_path / "api-key-secret", admin_api_key=ADMIN_API_KEY, sign_in_max_failures=3,
            rate_limit_per_minute=200, sign_in_rate_limit_per_minute=50)

    async with AsyncTestClient(create_app(settings())) as first, AsyncTestClient(create_app(settings())) as second:
        yield first, second


async def signed_in_user(first: Client, second: Client, username: str) -> dict[str, str]:
    """A user whose token the second gateway has just accepted (and would have remembered)."""
    await add_user(first, username, "auditor")
    headers = {"Authorization": f"Bearer {(await sign_in(first, username)).json()['token']}"}
    assert (await second.get("/api/v1/auth/me", headers=headers)).status_code == 200
    return headers


@pytest.mark.parametrize("change", [{"password": "A-new-password-2026"}, {"roles": ["organiser"]},
                                    {"unit_uscc": OTHER_UNIT}, {"disabled": True}])
async def test_a_change_to_the_user_ends_their_tokens_at_once(gateways: tuple[Client, Client],
                                                              change: dict[str, object]) -> None:
    first, second = gateways
    headers = await signed_in_user(first, second, "wang")
    changed = await first.patch("/api/v1/users/wang", headers=ADMIN, json=change)
    assert changed.status_code == 200, changed.text
    assert (await second.get("/api/v1/auth/me", headers=headers)).status_code == 401
    assert (await first.get("/api/v1/auth/me", headers=headers)).status_code == 401
    audit = (await first.get("/api/v1/audit", headers=ADMIN, params={"service": "gateway", "object_id": "wang",
                                                                      "action": "user.updated"})).json()["items"]
    assert audit[0]["details"]["tokens_revoked"] == 1


async def test_a_new_display_name_leaves_the_token_working(gateways: tuple[Client, Client]) -> None:
    first, second = gateways
    headers = await signed_in_user(first, second, "wang")
    assert (await first.patch("/api/v1/users/wang", headers=ADMIN, json={"display_name": "王老师"})).status_code == 200
    me = await second.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["name"] == "王老师"


async def test_a_lockout_ends_the_tokens_at_once(gateways: tuple[Client, Client]) -> None:
    first, second = gateways
    headers = await signed_in_user(first, second, "wang")
    for _ in range(3):  # the fixture locks after 3 failures
        assert (await sign_in(first, "wang", "guess-guess-guess")).status_code == 401
    assert (await second.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_the_console_session_ends_with_the_password_change(gateways: tuple[Client, Client]) -> None:
    first, second = gateways
    await add_user(first, "lin", "auditor")
    signed_in = await sign_in_on_the_form(second, "lin", PASSWORD)
    assert signed_in.status_code == 303
    assert (await second.get("/home/auditor", follow_redirects=False)).status_code == 200
    assert (await first.patch("/api/v1/users/lin", headers=ADMIN, json={"password": "A-new-password-2026"})
            ).status_code == 200
    after = await second.get("/home/auditor", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"].startswith("/sign-in")


async def test_the_session_cookie_lives_no_longer_than_its_token(gateways: tuple[Client, Client]) -> None:
    first, _ = gateways
    await add_user(first, "lin", "auditor")
    signed_in = await sign_in_on_the_form(first, "lin", PASSWORD)
    cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("sortes_session="))
    attributes = dict((part.strip().lower().partition("=")[::2]) for part in cookie.split(";")[1:])
    assert "expires" not in attributes
    assert 8 * 3600 - 60 <= int(attributes["max-age"]) <= 8 * 3600  # the token's 8 hours, no more


async def test_an_api_keys_new_roles_hold_from_its_next_request(gateways: tuple[Client, Client]) -> None:
    first, second = gateways
    created = await first.post("/api/v1/api-keys", headers=ADMIN, json={
        "name": "审计系统", "roles": ["auditor"], "unit_uscc": OTHER_UNIT})
    assert created.status_code == 201, created.text
    key = {"Authorization": f"Bearer {created.json()['value']}"}
    assert (await second.get("/api/v1/users", headers=key)).status_code == 200
    changed = await first.patch(f"/api/v1/api-keys/{created.json()['key']['id']}", headers=ADMIN,
                                json={"roles": ["organiser"]})
    assert changed.status_code == 200 and changed.json()["roles"] == ["organiser"]
    assert (await second.get("/api/v1/users", headers=key)).status_code == 403
    assert (await second.get("/api/v1/auth/me", headers=key)).json()["roles"] == ["organiser"]


async def test_an_api_keys_roles_change_is_checked_and_audited(gateways: tuple[Client, Client]) -> None:
    first, _ = gateways
    unknown = await first.patch("/api/v1/api-keys/0000000000000000", headers=ADMIN, json={"roles": ["auditor"]})
    assert unknown.status_code == 404
    created = (await first.post("/api/v1/api-keys", headers=ADMIN, json={
        "name": "审计系统", "roles": ["auditor"], "unit_uscc": OTHER_UNIT})).json()
    bad = await first.patch(f"/api/v1/api-keys/{created['key']['id']}", headers=ADMIN, json={"roles": ["king"]})
    assert bad.status_code == 422 and "roles" in bad.text
    assert (await first.patch(f"/api/v1/api-keys/{created['key']['id']}", headers=ADMIN,
                              json={"roles": ["organiser"]})).status_code == 200
    audit = (await first.get("/api/v1/audit", headers=ADMIN, params={
        "service": "gateway", "object_id": created["key"]["id"]})).json()["items"]
    assert "api_key.updated" in [item["action"] for item in audit]
