"""POSTs with an Idempotency-Key: a repeat gets the first answer; another body with the key gets 422.
The stored answer is sealed, expires, and is given again only to a caller who still holds the roles
and unit it was given to."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import types

import pytest
from sqlalchemy import select, update

from services.gateway.edge import idempotency
from services.gateway.identity import users
from services.gateway.models import IdempotencyRecord
from shared.clock import utc_now
from shared.errors import ServiceUnavailable
from tests.conftest import ADMIN_API_KEY
from tests.experts.helpers import direct_database

ADMIN = {"Authorization": f"Bearer {ADMIN_API_KEY}"}
UNIT = {"uscc": "113303268310770367", "name": "平阳县教育局"}


async def test_a_repeated_post_returns_the_first_answer_and_writes_once(gateway_client) -> None:
    headers = {**ADMIN, "Idempotency-Key": "unit-create-0001"}
    first = await gateway_client.post("/api/v1/units", json=UNIT, headers=headers)
    again = await gateway_client.post("/api/v1/units", json=UNIT, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["content-type"] == first.headers["content-type"]
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
    assert again.headers["content-type"] == first.headers["content-type"] == "application/problem+json"
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers


async def test_an_oversized_key_is_a_field_error(gateway_client) -> None:
    response = await gateway_client.post("/api/v1/units", json=UNIT, headers={**ADMIN, "Idempotency-Key": "k" * 256})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    longest = await gateway_client.post("/api/v1/units", json=UNIT, headers={**ADMIN, "Idempotency-Key": "k" * 255})
    assert longest.status_code == 201  # 255 characters, the longest key kept
    other = {"uscc": "11330326420147886F", "name": "平阳县卫生健康局"}
    shortest = await gateway_client.post("/api/v1/units", json=other, headers={**ADMIN, "Idempotency-Key": "k"})
    assert shortest.status_code == 201  # one character, the shortest
    assert sorted(len(record.key) for record in await _records(gateway_client)) == [1, 255]


async def test_a_key_on_a_get_is_not_looked_at(gateway_client) -> None:
    headers = {**ADMIN, "Idempotency-Key": "a-read"}
    answers = [await gateway_client.get("/api/v1/units", headers=headers) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert "idempotent-replayed" not in answers[1].headers
    assert await _records(gateway_client) == []


async def test_keys_belong_to_their_caller(gateway_client) -> None:
    await gateway_client.post("/api/v1/units", json=UNIT, headers={**ADMIN, "Idempotency-Key": "shared"})
    created = await gateway_client.post("/api/v1/api-keys", headers=ADMIN, json={
        "name": "lifecycle", "roles": ["bureau_admin"], "unit_uscc": UNIT["uscc"]})
    other = {"Authorization": f"Bearer {created.json()['value']}", "Idempotency-Key": "shared"}
    second_unit = {"uscc": "11330326420147886F", "name": "平阳县卫生健康局"}
    response = await gateway_client.post("/api/v1/units", json=second_unit, headers=other)
    assert response.status_code == 201 and "idempotent-replayed" not in response.headers


async def _records(gateway_client) -> list[IdempotencyRecord]:
    async with direct_database(gateway_client) as database, database.reading() as session:
        return list((await session.execute(select(IdempotencyRecord))).scalars())


async def test_the_stored_answer_is_sealed(gateway_client) -> None:
    headers = {**ADMIN, "Idempotency-Key": "sealed-unit", "Content-Type": "application/json"}
    body = json.dumps(UNIT, ensure_ascii=False).encode()
    first = await gateway_client.post("/api/v1/units", content=body, headers=headers)
    assert first.status_code == 201
    [record] = await _records(gateway_client)
    assert record.request_digest != hashlib.sha256(b"/api/v1/units\n" + body).hexdigest()  # keyed: not guessable
    assert record.body is not None and record.body.startswith(b"v1.")
    for value in (UNIT["name"], UNIT["uscc"]):
        assert value.encode() not in record.body and value.encode("unicode_escape") not in record.body
    again = await gateway_client.post("/api/v1/units", content=body, headers=headers)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"


async def _age(gateway_client, key: str, hours: float) -> None:
    async with direct_database(gateway_client) as database, database.transaction() as session:
        await session.execute(update(IdempotencyRecord).where(IdempotencyRecord.key == key).values(
            created_at=utc_now() - dt.timedelta(hours=hours)))


async def test_an_expired_answer_is_not_given_again_and_is_purged(gateway_client) -> None:
    headers = {**ADMIN, "Idempotency-Key": "expiring"}
    assert (await gateway_client.post("/api/v1/units", json=UNIT, headers=headers)).status_code == 201
    other = {"uscc": "11330326420147886F", "name": "平阳县卫生健康局"}
    assert (await gateway_client.post("/api/v1/units", json=other,
                                      headers={**ADMIN, "Idempotency-Key": "expired-other"})).status_code == 201
    await _age(gateway_client, "expiring", 23.5)
    kept = await gateway_client.post("/api/v1/units", json=UNIT, headers=headers)
    assert kept.status_code == 201 and kept.headers["idempotent-replayed"] == "true"  # within 24 h

    await _age(gateway_client, "expiring", 24.5)
    await _age(gateway_client, "expired-other", 24.5)
    again = await gateway_client.post("/api/v1/units", json=UNIT, headers=headers)
    assert again.status_code == 409, again.text  # run again: the unit exists, the old answer is not replayed
    assert "idempotent-replayed" not in again.headers
    async with direct_database(gateway_client) as database:
        await gateway_client.app.state.stored_answers.purge(database)
    assert [record.key for record in await _records(gateway_client)] == ["expiring"]  # the new one


async def _signed_in_admin(gateway_client, username: str) -> dict[str, str]:
    signed_in = await gateway_client.post("/api/v1/auth/sign-in",
                                          json={"username": username, "password": "Replay-Password-2026!"})
    assert signed_in.status_code == 200, signed_in.text
    return {"Authorization": f"Bearer {signed_in.json()['token']}"}


async def test_a_caller_who_lost_the_role_or_unit_does_not_get_the_stored_answer(gateway_client) -> None:
    assert (await gateway_client.post("/api/v1/units", json=UNIT, headers=ADMIN)).status_code == 201
    other_unit = {"uscc": "11330326420147886F", "name": "平阳县卫生健康局"}
    assert (await gateway_client.post("/api/v1/units", json=other_unit, headers=ADMIN)).status_code == 201
    for username, change in (("replay-roles", {"roles": ["auditor"]}),
                             ("replay-unit", {"unit_uscc": other_unit["uscc"]})):
        created = await gateway_client.post("/api/v1/users", headers=ADMIN, json={
            "username": username, "display_name": "管理员", "unit_uscc": UNIT["uscc"],
            "roles": ["bureau_admin", "auditor"], "password": "Replay-Password-2026!"})
        assert created.status_code == 201, created.text
        key = {"Idempotency-Key": f"{username}-key"}
        ask = {"name": f"{username}-key", "roles": ["auditor"], "unit_uscc": UNIT["uscc"]}
        caller = await _signed_in_admin(gateway_client, username)
        first = await gateway_client.post("/api/v1/api-keys", json=ask, headers={**caller, **key})
        assert first.status_code == 201, first.text
        secret = first.json()["value"]

        changed = await gateway_client.patch(f"/api/v1/users/{username}", json=change, headers=ADMIN)
        assert changed.status_code == 200, changed.text
        caller = await _signed_in_admin(gateway_client, username)  # the same person, as they are now
        again = await gateway_client.post("/api/v1/api-keys", json=ask, headers={**caller, **key})
        assert again.status_code == 403, again.text
        assert again.json()["type"] == "/problems/idempotency-replay-refused"
        assert "idempotent-replayed" not in again.headers and secret not in again.text


async def test_the_gateway_purges_expired_answers_by_itself(gateway_client, monkeypatch) -> None:
    """Without anyone calling purge: a POST with a key, once the last purge is a minute old, clears them."""
    await gateway_client.post("/api/v1/units", json=UNIT, headers={**ADMIN, "Idempotency-Key": "old"})
    await _age(gateway_client, "old", 24.5)
    later = time.monotonic() + 61
    monkeypatch.setattr(idempotency, "time", types.SimpleNamespace(monotonic=lambda: later))
    other = {"uscc": "11330326420147886F", "name": "平阳县卫生健康局"}
    await gateway_client.post("/api/v1/units", json=other, headers={**ADMIN, "Idempotency-Key": "new"})
    assert [record.key for record in await _records(gateway_client)] == ["new"]


@pytest.mark.parametrize("status", [500, 503])
async def test_a_server_error_is_not_kept_so_a_retry_runs_again(gateway_client, monkeypatch, status: int) -> None:
    """A 5xx — 500 included — leaves the key free: the retry runs (no replay, no "still processing")."""
    real = users.create_unit

    async def failing(*_: object, **__: object) -> None:
        raise RuntimeError("database went away") if status == 500 else ServiceUnavailable("down for a moment")

    monkeypatch.setattr(users, "create_unit", failing)
    headers = {**ADMIN, "Idempotency-Key": f"retry-after-{status}"}
    assert (await gateway_client.post("/api/v1/units", json=UNIT, headers=headers)).status_code == status
    assert await _records(gateway_client) == []
    monkeypatch.setattr(users, "create_unit", real)
    retried = await gateway_client.post("/api/v1/units", json=UNIT, headers=headers)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers


async def test_the_gateway_purges_at_most_once_a_minute(gateway_client, monkeypatch) -> None:
    clock = {"now": time.monotonic() + 61}
    monkeypatch.setattr(idempotency, "time", types.SimpleNamespace(monotonic=lambda: clock["now"]))
    kept = []
    for key, unit in (("first", UNIT), ("second", {"uscc": "11330326420147886F", "name": "平阳县卫生健康局"}),
                      ("third", {"uscc": "11330326002576002G", "name": "平阳县教育局"})):
        await gateway_client.post("/api/v1/units", json=unit, headers={**ADMIN, "Idempotency-Key": key})
        kept.append(sorted(record.key for record in await _records(gateway_client)))
        await _age(gateway_client, key, 24.5)
        clock["now"] += 30  # each request half a minute after the one before
    # Purged at the first request and again a minute later, not in between: expired answers wait for it.
    assert kept == [["first"], ["first", "second"], ["third"]]


async def test_an_answer_is_kept_until_its_lifetime_has_passed_to_the_microsecond(gateway_client,
                                                                                  monkeypatch) -> None:
    headers = {**ADMIN, "Idempotency-Key": "at-the-edge"}
    first = await gateway_client.post("/api/v1/units", json=UNIT, headers=headers)
    lifetime = gateway_client.app.state.stored_answers.lifetime
    now = utc_now()
    monkeypatch.setattr(idempotency, "utc_now", lambda: now)
    async with direct_database(gateway_client) as database:
        async with database.transaction() as session:
            await session.execute(update(IdempotencyRecord).where(IdempotencyRecord.key == "at-the-edge").values(
                created_at=now - lifetime))
        await gateway_client.app.state.stored_answers.purge(database)
    again = await gateway_client.post("/api/v1/units", json=UNIT, headers=headers)
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()
