"""The access log and the metrics record the status the client received, also when a middleware refused
the request (no token, no session for a console page, no CSRF token, a reused Idempotency-Key, an empty
bearer): monitoring that counts 500s must not be woken by a caller's 401."""

from __future__ import annotations

import logging

from prometheus_client import REGISTRY

from tests.conftest import ADMIN_API_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_API_KEY}"}
UNIT = {"uscc": "113303268310770367", "name": "平阳县教育局"}


def _requests_counted(method: str, path: str, status: int) -> float:
    return REGISTRY.get_sample_value("sortes_gateway_requests_total", {
        "method": method, "path": path, "status_code": str(status), "app_name": "sortes_gateway"}) or 0.0


async def _session_cookie(client) -> str:
    created = await client.post("/api/v1/users", headers=ADMIN, json={
        "username": "status-admin", "display_name": "管理员", "unit_uscc": UNIT["uscc"],
        "roles": ["bureau_admin"], "password": "Status-Password-2026!"})
    assert created.status_code == 201, created.text
    signed_in = await client.post("/api/v1/auth/sign-in",
                                  json={"username": "status-admin", "password": "Status-Password-2026!"})
    return signed_in.json()["token"]


async def test_refusals_by_middleware_are_logged_and_counted_with_the_status_sent(gateway_client, caplog) -> None:
    assert (await gateway_client.post("/api/v1/units", json=UNIT, headers=ADMIN)).status_code == 201
    token = await _session_cookie(gateway_client)
    reused = {**ADMIN, "Idempotency-Key": "status-reused"}
    await gateway_client.post("/api/v1/units", json={**UNIT, "name": "甲"}, headers=reused)

    calls = [
        ("GET", "/api/docs", {}, None),
        ("GET", "/home/{role}", {}, None),  # a console page without a session: a redirect to sign-in
        ("POST", "/api/v1/units", {"Cookie": f"sortes_session={token}"}, {**UNIT, "name": "乙"}),
        ("POST", "/api/v1/units", reused, {**UNIT, "name": "丙"}),
        ("GET", "/api/v1/units", {"Authorization": "Bearer "}, None),
    ]
    for method, path, headers, body in calls:
        before = {status: _requests_counted(method, path, status) for status in (303, 401, 403, 422, 500)}
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="sortes.access"):
            response = await gateway_client.request(method, path.replace("{role}", "bureau_admin"), headers=headers,
                                                    json=body, follow_redirects=False)
        assert response.status_code in (303, 401, 403, 422), (path, response.status_code)
        logged = [record.fields for record in caplog.records if record.name == "sortes.access"]
        assert [entry["status"] for entry in logged] == [response.status_code], (path, logged)
        after = {status: _requests_counted(method, path, status) for status in before}
        assert {status: after[status] - before[status] for status in before} == {
            status: 1.0 if status == response.status_code else 0.0 for status in before}, path

