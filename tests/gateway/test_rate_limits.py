"""Quotas: per caller on the API, per address on sign-in; 429 with Retry-After beyond them."""

from __future__ import annotations

from tests.conftest import ADMIN_API_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_API_KEY}"}


async def test_a_caller_beyond_its_quota_gets_429_with_retry_after(gateway_client) -> None:
    statuses = [(await gateway_client.get("/api/v1/units", headers=ADMIN)).status_code for _ in range(40)]
    assert statuses == [200] * 40  # the fixture's quota is 40 a minute: the 41st is refused, not the 42nd
    refused = await gateway_client.get("/api/v1/units", headers=ADMIN)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_another_caller_keeps_its_own_quota(gateway_client) -> None:
    created = await gateway_client.post("/api/v1/api-keys", headers=ADMIN, json={
        "name": "other", "roles": ["auditor"], "unit_uscc": "11330326862981311N"})
    other = {"Authorization": f"Bearer {created.json()['value']}"}
    for _ in range(41):
        await gateway_client.get("/api/v1/units", headers=ADMIN)
    assert (await gateway_client.get("/api/v1/units", headers=other)).status_code == 200


async def test_sign_in_attempts_are_limited_per_address(gateway_client) -> None:
    statuses = [(await gateway_client.post("/api/v1/auth/sign-in", json={"username": f"u{n}", "password": "x"})
                 ).status_code for n in range(13)]
    assert statuses[:12] == [401] * 12 and statuses[12] == 429


async def test_answers_within_the_quota_carry_the_ratelimit_headers(gateway_client) -> None:
    first = await gateway_client.get("/api/v1/units", headers=ADMIN)
    second = await gateway_client.get("/api/v1/units", headers=ADMIN)
    assert first.headers["ratelimit-limit"] == "40" and first.headers["ratelimit-policy"] == "40; w=60"
    assert (first.headers["ratelimit-remaining"], second.headers["ratelimit-remaining"]) == ("39", "38")
    assert 0 < int(second.headers["ratelimit-reset"]) <= 60
