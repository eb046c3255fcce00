"""Security: the identity assertion (expired, foreign, misaddressed or absent: 401 on every operation),
calls that bypass the gateway, secrets and personal data kept out of the logs, the sealed list for
every role, security headers, the sign-in rate limit, and expired or revoked sign-in tokens at the gateway.

Proved elsewhere and not repeated here:
- personal data encrypted at rest, raw rows on both backends:
  tests/experts/test_personal_data.py::test_no_personal_value_is_stored_in_plaintext and
  tests/vendors/test_vendor_registry.py::test_the_id_number_is_not_stored_in_plaintext;
- the role × endpoint matrix through the gateway: tests/e2e/test_role_matrix.py;
- CSRF on the console: tests/gateway/test_console_sessions.py (changes with the session cookie need the
  token; sign-in forms posted from elsewhere are refused; signing out needs it).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from services.gateway.models import UserToken
from shared.clock import beijing_today
from shared.demo import make_uscc
from shared.identifiers import id_number_check_character
from shared.identity import Identity, IdentityIssuer
from shared.roles import Role
from sortes_cli.local_system import LocalSystem
from tests.conftest import ADMIN_API_KEY, build_service_app
from tests.support.databases import TestDatabases
from tests.support.identity import BUREAU_USCC, AssertionMinter

PROBLEM = "application/problem+json"
SAMPLE_BY_TYPE = {"integer": "1", "date": "2026-12-01"}


# --- identity assertions: every operation of each service ------------------------------------------


@pytest.fixture(params=["experts", "vendors"])
def service(request: pytest.FixtureRequest, test_databases: TestDatabases,
            minter: AssertionMinter) -> Iterator[tuple[str, TestClient]]:
    """The service in-process on SQLite: the assertion is checked before anything reaches a database."""
    app = build_service_app(request.param, test_databases.fresh(request.param, "sqlite"), minter.public_key)
    with TestClient(app) as client:
        yield request.param, client


def operations(client: TestClient, headers: dict[str, str]) -> list[tuple[str, str]]:
    """Every operation but health and readiness, with its path parameters filled with values of the
    right type; the document itself read with the assertion ``headers``."""
    document = client.get("/schema/openapi.json", headers=headers).json()
    found = [("GET", "/schema/openapi.json"), ("GET", "/schema"), ("GET", "/schema/swagger")]
    for path, item in document["paths"].items():
        if path in ("/healthz", "/readyz"):
            continue
        for method, operation in item.items():
            concrete = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    schema = parameter.get("schema", {})
                    sample = SAMPLE_BY_TYPE.get(schema.get("format") or schema.get("type"), "X1")
                    concrete = concrete.replace("{" + parameter["name"] + "}", sample)
            found.append((method.upper(), concrete))
    return found


def forged_assertions(audience: str, minter: AssertionMinter) -> dict[str, str]:
    identity = Identity(subject="user:admin", name="管理员", roles=("bureau_admin",), unit=BUREAU_USCC)
    other_service = "vendors" if audience == "experts" else "experts"
    valid = minter.issuer.issue(identity, audience)
    header, _, signature = valid.split(".")
    claims = jwt.decode(valid, options={"verify_signature": False})
    escalated = {**claims, "roles": ["bureau_admin", "auditor"], "sub": "user:someone-else"}
    payload = base64.urlsafe_b64encode(json.dumps(escalated).encode()).rstrip(b"=").decode()
    return {
        "expired": IdentityIssuer(minter.private_key, ttl_seconds=-60).issue(identity, audience),
        "signed by another key": IdentityIssuer(Ed25519PrivateKey.generate()).issue(identity, audience),
        "for the other service": minter.issuer.issue(identity, other_service),
        "unsigned (alg none)": jwt.encode(claims, key=None, algorithm="none",
                                          headers={"kid": jwt.get_unverified_header(valid)["kid"]}),
        "claims changed after signing": f"{header}.{payload}.{signature}",
        "garbage": "not-a-token",
    }


def test_every_operation_refuses_a_bad_or_missing_identity_assertion(service: tuple[str, TestClient],
                                                                    minter: AssertionMinter) -> None:
    name, client = service
    forged = forged_assertions(name, minter)
    wrong: list[str] = []
    for method, path in operations(client, minter.headers(name, "bureau_admin")):
        attempts = {"no assertion": {}, "a gateway API key instead": {"Authorization": f"Bearer {ADMIN_API_KEY}"},
                    **{case: {"x-sortes-identity": token} for case, token in forged.items()}}
        for case, headers in attempts.items():
            response = client.request(method, path, headers=headers, json={})
            if response.status_code != 401 or not response.headers["content-type"].startswith(PROBLEM):
                wrong.append(f"{case}: {method} {path} → {response.status_code}")
    assert wrong == []


# --- the real system: bypassing the gateway, logs, the sealed list, headers ------------------------


def admin(system: LocalSystem) -> dict[str, str]:
    return {"Authorization": f"Bearer {system.admin_api_key}"}


def call(system: LocalSystem, method: str, path: str, headers: dict[str, str] | None = None,
         **options: Any) -> httpx.Response:
    return httpx.request(method, system.url() + path, headers=admin(system) if headers is None else headers,
                         timeout=30, **options)


def test_the_services_refuse_calls_that_bypass_the_gateway(local_system: LocalSystem) -> None:
    bypasses = [(service, path) for service in ("experts", "vendors")
                for path in (f"/api/v1/{service}", "/schema/openapi.json", "/schema/swagger")]
    bypasses += [("experts", "/.well-known/sortes-keys"), ("vendors", "/api/v1/public-ratings")]
    for service, path in bypasses:
        for instance_url in local_system.instance_urls(service):
            for headers in ({}, admin(local_system), {"x-sortes-identity": "forged"}):
                response = httpx.get(instance_url + path, headers=headers, timeout=10)
                assert response.status_code == 401, (service, headers, response.text)
                assert response.headers["content-type"].startswith(PROBLEM)


PASSWORD = "Security-Test-Password-2026!"
OWNER = make_uscc(random.Random("security owner"), "12")


def person(system: LocalSystem, username: str, unit: str, role: str) -> tuple[dict[str, str], str]:
    call(system, "POST", "/api/v1/units", json={"uscc": unit, "name": f"单位{unit[-4:]}"})
    created = call(system, "POST", "/api/v1/users", json={
        "username": username, "display_name": username, "unit_uscc": unit, "roles": [role], "password": PASSWORD})
    assert created.status_code in (201, 409), created.text
    signed_in = call(system, "POST", "/api/v1/auth/sign-in", {}, json={"username": username, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["token"]
    return {"Authorization": f"Bearer {token}"}, token


def wait_until_served(system: LocalSystem, timeout: float = 30) -> None:
    """Until the gateway routes to both services: a process answers its health check a moment before
    the gateway's own health round takes it into rotation, and until then forwarded calls get 503."""
    deadline = time.monotonic() + timeout
    for path in ("/api/v1/fields", "/api/v1/exclusions"):
        while call(system, "GET", path).status_code != 200:
            assert time.monotonic() < deadline, f"the gateway did not serve {path}"
            time.sleep(0.3)


@pytest.fixture(scope="module")
def sealed_panel(local_system: LocalSystem) -> dict[str, Any]:
    """A revealed panel whose meeting is ahead (so its list is sealed), with the personal data and
    secrets it took to make: the values the log scan looks for."""
    wait_until_served(local_system)
    serial = random.Random(str(local_system.data_dir)).randrange(100, 900)
    code = f"SEC-{serial}"
    assert call(local_system, "PUT", f"/api/v1/projects/{code}", json={
        "name": "安全测试项目", "kind": "operations", "owner_unit": OWNER, "investment_fen": 1,
        "planned_completion": "2027-12-31", "lots": []}).status_code in (200, 201)
    personal: list[str] = []
    codes: list[str] = []
    for n in range(3):
        first17 = f"330326198203{n + 10:02d}{serial:03d}"
        id_number = first17 + id_number_check_character(first17)
        phone, account = f"1377{serial:03d}{n:04d}", f"62170000{serial:03d}{n:08d}"
        created = call(local_system, "POST", "/api/v1/experts", json={
            "name": f"安全专家{n}", "birth_date": f"1982-03-{n + 10:02d}",
            "unit_uscc": make_uscc(random.Random(n), "91"), "unit_name": "某公司", "title": "高级工程师",
            "years_in_field": 10, "fields": [{"code": "SEC", "primary": True}],
            "id_number": id_number, "phone": phone, "bank_account": account,
            "last_trained_on": (beijing_today() - dt.timedelta(days=30)).isoformat()})
        assert created.status_code == 201, created.text
        personal += [id_number, phone, account]
        codes.append(created.json()["code"])
        # The same person again and a malformed phone: refusals must not echo the values into the logs either.
        call(local_system, "POST", "/api/v1/experts", json={**created.json(), "id_number": id_number})
        call(local_system, "PATCH", f"/api/v1/experts/{created.json()['code']}", json={"phone": f"tel:{phone}x"})
    representative_first17 = f"33032619700101{serial:03d}"
    representative = representative_first17 + id_number_check_character(representative_first17)
    call(local_system, "POST", "/api/v1/vendors", json={
        "uscc": make_uscc(random.Random(code), "91"), "name": "安全测试供应商",
        "legal_representative": {"name": "法人", "id_number": representative}})
    personal.append(representative)

    organiser, organiser_token = person(local_system, f"sec-organiser-{serial}", OWNER, "organiser")
    supervisor, supervisor_token = person(local_system, f"sec-supervisor-{serial}", BUREAU_USCC, "supervisor")
    refused = call(local_system, "POST", "/api/v1/auth/sign-in", {},
                   json={"username": f"sec-organiser-{serial}", "password": "Wrong-" + PASSWORD})
    assert refused.status_code == 401
    meeting = beijing_today() + dt.timedelta(days=40 + serial % 30)
    committed = call(local_system, "POST", f"/api/v1/projects/{code}/panels", organiser, json={
        "purpose": "initial_acceptance", "meeting_on": meeting.isoformat(), "halves": ["morning"],
        "seats": [{"field": "SEC", "count": 2}], "reserves": 0, "supervisor": f"sec-supervisor-{serial}"})
    assert committed.status_code == 201, committed.text
    draw_id = committed.json()["id"]
    revealed = call(local_system, "POST", f"/api/v1/draws/{draw_id}/reveal", supervisor,
                    json={"witness": "安全见证 7788", "confirmed_avoidances": []})
    assert revealed.status_code == 200, revealed.text
    record = call(local_system, "GET", f"/api/v1/draws/{draw_id}/record", organiser).json()
    seated = [m["expert_code"] for m in revealed.json()["panel"]["members"] if m["state"] == "invited"]
    drawn = {code for lists in revealed.json()["result"].values() for code in lists["primaries"] + lists["reserves"]}
    return {"draw": draw_id, "seated": seated, "organiser": organiser, "supervisor": supervisor, "serial": serial,
            "project": code, "not_drawn": [code for code in codes if code not in drawn],
            "personal": personal, "secrets": [record["secret"], organiser_token, supervisor_token, PASSWORD]}


def key_material(system: LocalSystem) -> list[str]:
    """Every secret key in the data folder, as stored and, for private keys, as raw hex and base64."""
    values = [system.admin_api_key or ""]
    for path in sorted((system.data_dir / "keys").rglob("*")):
        if not path.is_file() or path.suffix == ".pub" or path.name.endswith("key-set.json"):
            continue
        content = path.read_text(errors="replace")
        values += re.findall(r"[A-Za-z0-9+/_=-]{16,}", content.replace("PRIVATE KEY", ""))
        if "PRIVATE KEY" in content:
            raw = serialization.load_pem_private_key(content.encode(), password=None).private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
            values += [raw.hex(), base64.urlsafe_b64encode(raw).decode().rstrip("="), base64.b64encode(raw).decode()]
    return [value for value in values if value]


def test_logs_hold_no_personal_data_secret_or_key_material(local_system: LocalSystem,
                                                           sealed_panel: dict[str, Any]) -> None:
    assert local_system.log_dir is not None
    time.sleep(0.5)  # the last access lines are written as the answers go out
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace")
            for path in local_system.log_dir.glob("*.log")}
    assert {"gateway.log", "experts.log", "vendors.log"} <= set(logs)
    # The scan reads what was written: the panel request of the fixture is in both logs it went through.
    for name in ("gateway.log", "experts.log"):
        assert f'"/api/v1/projects/{sealed_panel["project"]}/panels"' in logs[name]
    leaks = [(name, kind, value[:6] + "…") for name, text in logs.items()
             for kind, values in (("personal data", sealed_panel["personal"]), ("secret", sealed_panel["secrets"]),
                                  ("key material", key_material(local_system)))
             for value in values if value in text]
    assert leaks == []


def test_the_sealed_list_is_refused_to_every_role_that_may_not_see_it(local_system: LocalSystem,
                                                                      sealed_panel: dict[str, Any]) -> None:
    serial, seated = sealed_panel["serial"], sealed_panel["seated"][0]
    allowed = {"the panel's organiser": sealed_panel["organiser"], "the panel's supervisor": sealed_panel["supervisor"],
               "a bureau admin": admin(local_system)}
    refused = {"another organiser of the owner unit": person(local_system, f"sec-organiser2-{serial}", OWNER,
                                                             "organiser")[0],
               "another supervisor": person(local_system, f"sec-supervisor2-{serial}", BUREAU_USCC, "supervisor")[0]}
    for role in Role:
        if role is Role.BUREAU_ADMIN:
            continue
        key = call(local_system, "POST", "/api/v1/api-keys", json={
            "name": f"sealed {role} {serial}", "roles": [role.value], "unit_uscc": BUREAU_USCC})
        assert key.status_code == 201, key.text
        refused[f"role {role}"] = {"Authorization": f"Bearer {key.json()['value']}"}
    draw_url = f"/api/v1/draws/{sealed_panel['draw']}"
    for who, headers in allowed.items():
        members = call(local_system, "GET", draw_url, headers).json()["panel"]["members"]
        assert seated in {m["expert_code"] for m in members}, who
    for who, headers in refused.items():
        # The pool answers alike for a seated and an undrawn expert: a refusal would itself say who sits.
        seated_answer, other_answer = (call(local_system, "GET", f"/api/v1/experts/{code}", headers)
                                       for code in (seated, sealed_panel["not_drawn"][0]))
        assert seated_answer.status_code == other_answer.status_code in (200, 403), (who, seated_answer.status_code)
        assert sorted(seated_answer.json()) == sorted(other_answer.json()), who
        draw = call(local_system, "GET", draw_url, headers)
        if draw.status_code == 200:  # those who may read the draw see counts and the commitment, never who
            body = draw.json()
            assert body["result"] is None and body["panel"]["members"] == [], who
            assert seated not in json.dumps({k: v for k, v in body.items() if k != "receipt"}), who
            record = call(local_system, "GET", f"{draw_url}/record", headers).json()
            assert "result" not in record and "secret" not in record, who
        else:
            assert draw.status_code == 403, (who, draw.status_code)
            assert draw.headers["content-type"].startswith(PROBLEM)


SECURITY_HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer"}


def test_console_pages_api_answers_and_refusals_carry_the_security_headers(local_system: LocalSystem) -> None:
    wait_until_served(local_system)
    answers = {
        "console sign-in page": call(local_system, "GET", "/sign-in", {}),
        "console verification page": call(local_system, "GET", "/verify", {}),
        "console redirect": call(local_system, "GET", "/", {}, follow_redirects=False),
        "static asset": call(local_system, "GET", "/static/verify.js", {}),
        "API answer": call(local_system, "GET", "/api/v1/fields"),
        "forwarded API answer": call(local_system, "GET", "/api/v1/experts"),
        "401 problem": call(local_system, "GET", "/api/v1/experts", {}),
        "404 problem": call(local_system, "GET", "/api/v1/nothing-here"),
        "422 problem": call(local_system, "GET", "/api/v1/experts", params={"page": "x"}),
        "open key set": call(local_system, "GET", "/.well-known/sortes-keys", {}),
    }
    for what, response in answers.items():
        for header, value in SECURITY_HEADERS.items():
            assert response.headers.get(header) == value, (what, header)
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, what


async def test_sign_in_beyond_the_limit_is_429_with_retry_after_even_with_the_right_password(gateway_client) -> None:
    admin_key = {"Authorization": f"Bearer {ADMIN_API_KEY}"}
    created = await gateway_client.post("/api/v1/users", headers=admin_key, json={
        "username": "limited", "display_name": "限流", "unit_uscc": BUREAU_USCC, "roles": ["auditor"],
        "password": PASSWORD})
    assert created.status_code == 201, created.text
    statuses = [(await gateway_client.post("/api/v1/auth/sign-in", json={"username": f"nobody{n}",
                                                                         "password": "guess"})).status_code
                for n in range(11)]  # the fixture allows 12 attempts a minute, the user's creation aside
    assert set(statuses) == {401}
    last_allowed = await gateway_client.post("/api/v1/auth/sign-in", json={"username": "limited", "password": PASSWORD})
    assert last_allowed.status_code == 200
    limited = await gateway_client.post("/api/v1/auth/sign-in", json={"username": "limited", "password": PASSWORD})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert limited.headers["content-type"].startswith(PROBLEM)
    assert limited.json()["status"] == 429 and "token" not in limited.json()
    for header, value in SECURITY_HEADERS.items():
        assert limited.headers[header] == value
    # The API's quota is the caller's own: the admin key is not held back by the address's sign-in limit.
    assert (await gateway_client.get("/api/v1/auth/me", headers=admin_key)).status_code == 200


async def test_an_expired_or_revoked_sign_in_token_is_refused(gateway_client) -> None:
    """The gateway's side of expiry (an expired API key: tests/gateway/test_accounts.py)."""
    admin_key = {"Authorization": f"Bearer {ADMIN_API_KEY}"}
    for username in ("expiring", "signing-out"):
        created = await gateway_client.post("/api/v1/users", headers=admin_key, json={
            "username": username, "display_name": username, "unit_uscc": BUREAU_USCC, "roles": ["auditor"],
            "password": PASSWORD})
        assert created.status_code == 201, created.text
    tokens = {}
    for username in ("expiring", "signing-out"):
        signed_in = await gateway_client.post("/api/v1/auth/sign-in", json={"username": username, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        tokens[username] = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        assert (await gateway_client.get("/api/v1/auth/me", headers=tokens[username])).status_code == 200
    # Eight hours pass for one token (its row says so); the other is signed out.
    engine = create_async_engine(gateway_client.app.state.database.engine.url)
    async with engine.begin() as connection:
        await connection.execute(update(UserToken).where(UserToken.username == "expiring").values(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    await engine.dispose()
    assert (await gateway_client.post("/api/v1/auth/sign-out", headers=tokens["signing-out"])).status_code in (200, 204)
    for username, headers in tokens.items():
        response = await gateway_client.get("/api/v1/auth/me", headers=headers)
        assert response.status_code == 401, (username, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.headers["www-authenticate"].startswith("Bearer")
