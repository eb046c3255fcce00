"""Units, users, sign-in with lockout, sign-in tokens and API keys at the gateway."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.gateway.identity.api_keys import ensure_admin_key
from shared.db import hold_lock
from shared.demo import bureau_unit
from tests.conftest import ADMIN_API_KEY
from tests.experts.helpers import direct_database
from tests.support.databases import url_of
from tests.support.held import holding, waited

ADMIN = {"Authorization": f"Bearer {ADMIN_API_KEY}"}
EDUCATION = "113303268310770367"  # 平阳县教育局 in the demo county
PASSWORD = "Pingyang-2026!ok"


async def add_user(client: AsyncTestClient[Litestar], username: str, *roles: str, unit: str = EDUCATION,
                   password: str = PASSWORD) -> None:
    if (await client.get("/api/v1/units", headers=ADMIN)).json() == [] or unit not in [
            u["uscc"] for u in (await client.get("/api/v1/units", headers=ADMIN)).json()]:
        response = await client.post("/api/v1/units", json={"uscc": unit, "name": "平阳县教育局"}, headers=ADMIN)
        assert response.status_code == 201, response.text
    response = await client.post("/api/v1/users", headers=ADMIN, json={
        "username": username, "display_name": "李老师", "unit_uscc": unit, "roles": list(roles), "password": password})
    assert response.status_code == 201, response.text


async def sign_in(client: AsyncTestClient[Litestar], username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return await client.post("/api/v1/auth/sign-in", json={"username": username, "password": password})


async def test_a_user_signs_in_and_acts_with_their_roles_and_unit(gateway_client) -> None:
    await add_user(gateway_client, "li.organiser", "organiser")
    signed_in = await sign_in(gateway_client, "li.organiser")
    assert signed_in.status_code == 200
    token = signed_in.json()["token"]
    me = (await gateway_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert me == {"subject": "user:li.organiser", "name": "李老师", "roles": ["organiser"], "unit": EDUCATION}


async def test_an_unknown_user_and_a_wrong_password_look_the_same(gateway_client) -> None:
    await add_user(gateway_client, "wang", "auditor")
    unknown = await sign_in(gateway_client, "nobody")
    wrong = await sign_in(gateway_client, "wang", "not-the-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]


async def test_repeated_failures_lock_the_account(gateway_client) -> None:
    await add_user(gateway_client, "zhao", "supervisor")
    for _ in range(3):  # the fixture allows 3 failures
        assert (await sign_in(gateway_client, "zhao", "guess-guess-guess")).status_code in (401, 423)
    locked = await sign_in(gateway_client, "zhao")
    assert locked.status_code == 423
    assert locked.json()["type"] == "/problems/account-locked"
    audit = (await gateway_client.get("/api/v1/audit", params={"service": "gateway", "object_id": "zhao"},
                                      headers=ADMIN)).json()
    assert [item["action"] for item in audit["items"]].count("user.sign_in_failed") == 3


async def test_an_admin_unlocks_by_setting_a_new_password(gateway_client) -> None:
    await add_user(gateway_client, "zhao", "supervisor")
    for _ in range(3):
        await sign_in(gateway_client, "zhao", "guess-guess-guess")
    assert (await sign_in(gateway_client, "zhao")).status_code == 423
    reset = await gateway_client.patch("/api/v1/users/zhao", json={"password": "Another-pass-2026"}, headers=ADMIN)
    assert reset.status_code == 200 and reset.json()["locked_until"] is None
    assert (await sign_in(gateway_client, "zhao", "Another-pass-2026")).status_code == 200


async def test_signing_out_ends_the_token(gateway_client) -> None:
    await add_user(gateway_client, "sun", "auditor")
    token = (await sign_in(gateway_client, "sun")).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await gateway_client.post("/api/v1/auth/sign-out", headers=headers)).status_code == 204
    assert (await gateway_client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_a_disabled_user_can_no_longer_sign_in_or_use_a_token(gateway_client) -> None:
    await add_user(gateway_client, "qian", "rater")
    token = (await sign_in(gateway_client, "qian")).json()["token"]
    await gateway_client.patch("/api/v1/users/qian", json={"disabled": True}, headers=ADMIN)
    me = await gateway_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    assert (await sign_in(gateway_client, "qian")).status_code == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"password": "short"}, "password"),
    ({"password": "li.teacher-long-pass"}, "password"),  # contains the user name
    ({"roles": ["emperor"]}, "roles[0]"),
    ({"roles": []}, "roles"),
    ({"username": "No Spaces"}, "username"),
    ({"unit_uscc": "91330326MA2CT8U6X1"}, "unit_uscc"),
])
async def test_bad_user_input_names_the_field_and_creates_nothing(gateway_client, body: dict, field: str) -> None:
    await add_user(gateway_client, "someone", "auditor")
    user = {"username": "li.teacher", "display_name": "李", "unit_uscc": EDUCATION, "roles": ["organiser"],
            "password": PASSWORD, **body}
    response = await gateway_client.post("/api/v1/users", json=user, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    names = [u["username"] for u in (await gateway_client.get("/api/v1/users", headers=ADMIN)).json()]
    assert names == ["someone"]


async def test_passwords_are_stored_as_scrypt_hashes(gateway_client) -> None:
    await add_user(gateway_client, "zhou", "auditor")
    # A connection of the test's own: the app's engine lives on the test client's event loop.
    engine = create_async_engine(gateway_client.app.state.database.engine.url)
    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT password_hash FROM users WHERE username = 'zhou'"))).scalar()
    await engine.dispose()
    assert stored.startswith("scrypt$") and PASSWORD not in stored


async def test_only_bureau_admins_manage_users(gateway_client) -> None:
    await add_user(gateway_client, "li.organiser", "organiser")
    token = (await sign_in(gateway_client, "li.organiser")).json()["token"]
    response = await gateway_client.post("/api/v1/users", headers={"Authorization": f"Bearer {token}"}, json={
        "username": "mallory", "display_name": "M", "unit_uscc": EDUCATION, "roles": ["bureau_admin"],
        "password": PASSWORD})
    assert response.status_code == 403


async def test_an_api_key_is_shown_once_works_and_can_be_revoked(gateway_client) -> None:
    await add_user(gateway_client, "placeholder", "auditor")  # creates the unit
    created = await gateway_client.post("/api/v1/api-keys", headers=ADMIN, json={
        "name": "项目全生命周期管理系统", "roles": ["service"], "unit_uscc": EDUCATION})
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    value, key_id = created.json()["value"], created.json()["key"]["id"]
    # 256 random bits after the prefix (43 base64url characters); the key's id is 16 hex digits.
    assert re.fullmatch(r"sortes_[A-Za-z0-9_-]{43}", value) and re.fullmatch(r"[0-9a-f]{16}", key_id)
    listed = await gateway_client.get("/api/v1/api-keys", headers=ADMIN)
    assert value not in listed.text
    system = {"Authorization": f"Bearer {value}"}
    assert (await gateway_client.get("/api/v1/auth/me", headers=system)).json()["roles"] == ["service"]
    revoked = await gateway_client.post(f"/api/v1/api-keys/{key_id}/revoke", headers=ADMIN)
    assert revoked.json()["revoked_at"] is not None
    assert (await gateway_client.get("/api/v1/auth/me", headers=system)).status_code == 401
    # Both on the record, the roles and unit with the creation.
    audit = (await gateway_client.get("/api/v1/audit", params={"service": "gateway", "object_id": key_id},
                                      headers=ADMIN)).json()["items"]
    assert sorted(item["action"] for item in audit) == ["api_key.created", "api_key.revoked"]
    assert next(item for item in audit if item["action"] == "api_key.created")["details"] == {
        "roles": "service", "unit": EDUCATION}


async def test_a_second_gateway_process_starting_keeps_the_one_admin_key(gateway_client) -> None:
    state = gateway_client.app.state
    bureau = bureau_unit()
    async with direct_database(gateway_client) as database:
        async with database.transaction() as session:  # as another process's start-up does
            await ensure_admin_key(session, state.api_key_digester, state.audit, ADMIN_API_KEY, bureau.uscc,
                                   bureau.name)
        async with database.reading() as session:
            admin_keys = (await session.execute(text(
                "SELECT count(*) FROM api_keys WHERE name = 'admin (SORTES_ADMIN_API_KEY)'"))).scalar_one()
    assert admin_keys == 1
    assert (await gateway_client.get("/api/v1/auth/me", headers=ADMIN)).status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_gateway_starting_while_another_sets_up_the_admin_key_waits_for_it(gateway_client) -> None:
    # PostgreSQL runs both start-ups side by side: without the lock the second would not find the first's
    # key (uncommitted) and fail on the bureau unit's primary key.
    state = gateway_client.app.state
    bureau = bureau_unit()
    holding(url_of(gateway_client), lambda session: hold_lock(session, "gateway:admin-key"))
    async with direct_database(gateway_client) as database:
        async def starting() -> None:
            async with database.transaction() as session:
                await ensure_admin_key(session, state.api_key_digester, state.audit, ADMIN_API_KEY, bureau.uscc,
                                       bureau.name)
        waits, _ = await waited(starting())
    assert waits, "the admin key was set up while another gateway process held its lock"


async def test_an_expired_api_key_is_refused(gateway_client) -> None:
    await add_user(gateway_client, "placeholder", "auditor")
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    value = (await gateway_client.post("/api/v1/api-keys", headers=ADMIN, json={
        "name": "old", "roles": ["service"], "unit_uscc": EDUCATION, "expires_at": past})).json()["value"]
    me = await gateway_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {value}"})
    assert me.status_code == 401


async def test_an_api_key_works_until_the_second_before_it_expires_and_not_at_that_instant(
        gateway_client, monkeypatch) -> None:
    from services.gateway.identity import callers

    await add_user(gateway_client, "placeholder", "auditor")  # the unit
    expires = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    value = (await gateway_client.post("/api/v1/api-keys", headers=ADMIN, json={
        "name": "dated", "roles": ["auditor"], "unit_uscc": EDUCATION, "expires_at": expires.isoformat()}
    )).json()["value"]
    key = {"Authorization": f"Bearer {value}"}
    monkeypatch.setattr(callers, "utc_now", lambda: expires - dt.timedelta(seconds=1))
    assert (await gateway_client.get("/api/v1/auth/me", headers=key)).status_code == 200
    monkeypatch.setattr(callers, "utc_now", lambda: expires)
    assert (await gateway_client.get("/api/v1/auth/me", headers=key)).status_code == 401


async def test_every_answer_carries_security_headers(gateway_client) -> None:
    for path in ("/healthz", "/api/v1/units", "/api/docs"):
        response = await gateway_client.get(path, headers=ADMIN)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "default-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("authorization", ["Basic YWRtaW46cGFzcw==", "Bearer ", "Bearer    "])
async def test_anything_but_a_bearer_token_is_asked_for_one(gateway_client, authorization: str) -> None:
    response = await gateway_client.get("/api/v1/units", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="sortes"'


async def test_the_audit_log_sorts_by_an_allowed_column_and_names_sort_for_any_other(gateway_client) -> None:
    await add_user(gateway_client, "zhao", "supervisor")
    await sign_in(gateway_client, "zhao", "guess-guess-guess")

    async def actions(**params: str) -> list[str]:
        answer = await gateway_client.get("/api/v1/audit", params={"service": "gateway", "object_id": "zhao",
                                                                   **params}, headers=ADMIN)
        assert answer.status_code == 200, answer.text
        return [item["action"] for item in answer.json()["items"]]

    newest_first = await actions()
    assert newest_first == ["user.sign_in_failed", "user.created"]
    assert await actions(sort="recorded_at") == newest_first[::-1]
    assert await actions(sort="-action") == sorted(newest_first, reverse=True)
    refused = await gateway_client.get("/api/v1/audit", params={"sort": "details"}, headers=ADMIN)
    assert refused.status_code == 422
    assert [(error["field"], error["code"]) for error in refused.json()["errors"]] == [("sort", "field.choice")]
