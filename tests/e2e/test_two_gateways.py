"""Two gateway processes on one database, as behind a balancer: a key revoked or a session ended at one
is refused by the other at once, and a caller's quota is one quota, wherever its requests land."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sortes_cli.local_system import LocalSystem
from tests.support.databases import TestDatabases
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e

QUOTA = 20
EDUCATION = "113303268310770367"
PASSWORD = "Pingyang-2026!ok"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def gateways(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             test_databases: TestDatabases) -> Iterator[tuple[httpx.Client, httpx.Client, dict[str, str]]]:
    database_urls: dict[str, str] = {}
    if request.param == "postgresql":
        request.getfixturevalue("postgres_available")
        database_urls = {"gateway": test_databases.dedicated("gateway", "two_gateways")}
    data_dir = tmp_path_factory.mktemp(f"two-gateways-{request.param}")
    system = LocalSystem(data_dir=data_dir, database_urls=database_urls, log_dir=data_dir / "logs",
                         ports={name: free_port() for name in ("gateway", "experts", "vendors")},
                         replica_ports={"gateway": [free_port()]},
                         extra_env={"SORTES_GATEWAY_RATE_LIMIT_PER_MINUTE": str(QUOTA)})
    system.prepare()
    try:
        system.start(services=("gateway",))  # the gateway's own routes need no upstream
        admin = {"Authorization": f"Bearer {system.admin_api_key}"}
        with httpx.Client(base_url=system.instance_url("gateway"), timeout=10) as first, \
                httpx.Client(base_url=system.instance_url("gateway-2"), timeout=10) as second:
            yield first, second, admin
    finally:
        system.stop()


def new_key(client: httpx.Client, admin: dict[str, str], name: str) -> tuple[str, dict[str, str]]:
    created = client.post("/api/v1/api-keys", headers=admin, json={
        "name": name, "roles": ["auditor"], "unit_uscc": "11330326862981311N"})
    assert created.status_code == 201, created.text
    return created.json()["key"]["id"], {"Authorization": f"Bearer {created.json()['value']}"}


def test_a_key_revoked_at_one_gateway_is_refused_by_the_other_at_once(gateways) -> None:
    first, second, admin = gateways
    key_id, key = new_key(first, admin, "revoked-across")
    assert second.get("/api/v1/auth/me", headers=key).status_code == 200  # known (and once cached) there
    assert first.post(f"/api/v1/api-keys/{key_id}/revoke", headers=admin).status_code == 200
    refused = second.get("/api/v1/auth/me", headers=key)
    assert refused.status_code == 401 and refused.headers["content-type"].startswith("application/problem+json")
    assert first.get("/api/v1/auth/me", headers=key).status_code == 401


def test_a_session_ended_at_one_gateway_is_refused_by_the_other_at_once(gateways) -> None:
    first, second, admin = gateways
    units = [unit["uscc"] for unit in first.get("/api/v1/units", headers=admin).json()]
    if EDUCATION not in units:
        assert first.post("/api/v1/units", headers=admin, json={"uscc": EDUCATION, "name": "平阳县教育局"}
                          ).status_code == 201
    response = first.post("/api/v1/users", headers=admin, json={
        "username": "zhao.auditor", "display_name": "赵审计", "unit_uscc": EDUCATION, "roles": ["auditor"],
        "password": PASSWORD})
    assert response.status_code == 201, response.text
    token = second.post("/api/v1/auth/sign-in", json={"username": "zhao.auditor", "password": PASSWORD}).json()["token"]
    user = {"Authorization": f"Bearer {token}"}
    assert first.get("/api/v1/auth/me", headers=user).status_code == 200
    assert second.post("/api/v1/auth/sign-out", headers=user).status_code == 204
    assert first.get("/api/v1/auth/me", headers=user).status_code == 401


def test_a_callers_quota_is_one_across_the_gateways(gateways) -> None:
    first, second, admin = gateways
    _, key = new_key(first, admin, "quota-across")
    answers = [(first if number % 2 else second).get("/api/v1/auth/me", headers=key) for number in range(QUOTA)]
    assert [answer.status_code for answer in answers] == [200] * QUOTA
    # Each gateway saw half the requests, yet each counts them all.
    assert [int(answer.headers["ratelimit-remaining"]) for answer in answers] == list(range(QUOTA - 1, -1, -1))
    for gateway in (first, second):
        refused = gateway.get("/api/v1/auth/me", headers=key)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    _, other = new_key(second, admin, "quota-other")  # another caller keeps its own quota
    assert first.get("/api/v1/auth/me", headers=other).status_code == 200
