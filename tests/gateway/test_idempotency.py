"""POSTs with an Idempotency-Key: a repeat gets the first answer; another body with the key gets 422."""

from __future__ import annotations

from tests.conftest import ADMIN_API_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_API_KEY}"}
UNIT = {"uscc": "113303268310770367", "name": "平阳县教育局"}


async def test_a_repeated_post_returns_the_first_answer_and_writes_once(gateway_client) -> None:
    headers = {**ADMIN, "Idempotency-Key": "unit-create-0001"}
    first = await gateway_client.post("/api/v1/units", json=UNIT, headers=headers)
    again = await gateway_client.post("/api/v1/units", json=UNIT, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    without_key = await gateway_client.post("/api/v1/units", json=UNIT, headers=ADMIN)
    assert without_key.status_code == 409  # the unit exists once
    audit = (await gateway_client.get("/api/v1/audit", params={"service": "gateway", "object_type": "unit"},
                                      headers=ADMIN)).json()
    assert audit["total"] == 1


async def test_the_same_key_with_another_body_is_refused(gateway_client) -> None:
    headers = {**ADMIN, "Idempotency-Key": "unit-create-0002"}
    await gateway_client.post("/api/v1/units", json=UNIT, headers=headers)
    other = await gateway_client.post("/api/v1/units", json={**UNIT, "name": "别的单位"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "/problems/idempotency-key-reused"


async def test_an_error_answer_is_replayed_too(gateway_client) -> None:
    headers = {**ADMIN, "Idempotency-Key": "bad-unit"}
    bad = {"uscc": "91330326MA2CT8U6X1", "name": "x"}
    first = await gateway_client.post("/api/v1/units", json=bad, headers=headers)
    again = await gateway_client.post("/api/v1/units", json=bad, headers=headers)
    assert first.status_code == again.status_code == 422
    assert again.json() == first.json()


async def test_an_oversized_key_is_a_field_error(gateway_client) -> None:
    response = await gateway_client.post("/api/v1/units", json=UNIT, headers={**ADMIN, "Idempotency-Key": "k" * 300})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_keys_belong_to_their_caller(gateway_client) -> None:
    await gateway_client.post("/api/v1/units", json=UNIT, headers={**ADMIN, "Idempotency-Key": "shared"})
    created = await gateway_client.post("/api/v1/api-keys", headers=ADMIN, json={
        "name": "lifecycle", "roles": ["bureau_admin"], "unit_uscc": UNIT["uscc"]})
    other = {"Authorization": f"Bearer {created.json()['value']}", "Idempotency-Key": "shared"}
    second_unit = {"uscc": "11330326420147886F", "name": "平阳县卫生健康局"}
    response = await gateway_client.post("/api/v1/units", json=second_unit, headers=other)
    assert response.status_code == 201 and "idempotent-replayed" not in response.headers
