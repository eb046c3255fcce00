"""A reveal sent with ``Idempotency-Key`` through the gateway and the services, as real processes: the
answer (the sealed list's names and phones) is given again to its supervisor, but the gateway's database
holds none of it in plain text, and once an admin has taken the supervisor role away the same person
asking again is refused, not handed the list."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from shared.clock import beijing_today
from shared.demo import make_uscc
from shared.identifiers import id_number_check_character
from sortes_cli.local_system import LocalSystem

pytestmark = pytest.mark.e2e
PASSWORD = "Stored-Answers-2026!"
BUREAU = "11330326862981311N"
FIELD = "NET"


def call(system: LocalSystem, method: str, path: str, headers: dict[str, str], **options) -> httpx.Response:
    return httpx.request(method, system.url() + path, headers=headers, timeout=30, **options)


def sign_in(system: LocalSystem, username: str) -> dict[str, str]:
    signed_in = call(system, "POST", "/api/v1/auth/sign-in", {}, json={"username": username, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    return {"Authorization": f"Bearer {signed_in.json()['token']}"}


def person(system: LocalSystem, admin: dict[str, str], username: str, unit: str, role: str) -> dict[str, str]:
    call(system, "POST", "/api/v1/units", admin, json={"uscc": unit, "name": f"单位{unit[-4:]}"})
    created = call(system, "POST", "/api/v1/users", admin, json={
        "username": username, "display_name": f"{role}用户", "unit_uscc": unit, "roles": [role],
        "password": PASSWORD})
    assert created.status_code == 201, created.text
    return sign_in(system, username)


def expert(system: LocalSystem, admin: dict[str, str], rng: random.Random, serial: int) -> None:
    first17 = f"33032619800201{serial:03d}"
    response = call(system, "POST", "/api/v1/experts", admin, json={
        "name": f"网络专家{rng.randrange(10_000)}", "birth_date": "1980-02-01", "unit_uscc": make_uscc(rng, "91"),
        "unit_name": "某单位", "title": "高级工程师", "years_in_field": 12,
        "fields": [{"code": FIELD, "primary": True}],
        "id_number": first17 + id_number_check_character(first17), "phone": f"139{rng.randrange(10**8):08d}",
        "last_trained_on": (beijing_today() - dt.timedelta(days=20)).isoformat()})
    assert response.status_code == 201, response.text


def gateway_rows_as_bytes(system: LocalSystem) -> bytes:
    """Everything the gateway's database holds of stored answers: the raw SQLite files, or every
    column of every PostgreSQL row."""
    url = system.database_urls.get("gateway")
    if url is None:
        return b"".join(path.read_bytes() for path in Path(system.data_dir).glob("gateway.db*"))

    async def rows() -> bytes:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            found = await connection.fetch("SELECT * FROM idempotency_records")
        finally:
            await connection.close()
        assert found, "no stored answer to search"
        return b"".join(value if isinstance(value, bytes) else str(value).encode()
                        for row in found for value in row.values())

    return asyncio.run(rows())


def test_a_revealed_list_is_kept_sealed_and_not_given_to_a_former_supervisor(local_system: LocalSystem) -> None:
    admin = {"Authorization": f"Bearer {local_system.admin_api_key}"}
    tag = uuid.uuid4().hex[:6]
    rng = random.Random(tag)
    owner = make_uscc(rng, "12")
    code = f"PY-SEALED-{tag}"
    organiser = person(local_system, admin, f"stored-organiser-{tag}", owner, "organiser")
    supervisor_name = f"stored-supervisor-{tag}"
    supervisor = person(local_system, admin, supervisor_name, BUREAU, "supervisor")
    assert call(local_system, "PUT", f"/api/v1/projects/{code}", admin, json={
        "name": "平阳县网络改造", "kind": "construction", "owner_unit": owner, "investment_fen": 350_000_000,
        "planned_completion": "2027-12-31", "lots": []}).status_code == 201
    for serial in rng.sample(range(1000), 3):
        expert(local_system, admin, rng, serial)
    committed = call(local_system, "POST", f"/api/v1/projects/{code}/panels", organiser, json={
        "purpose": "technical_review", "meeting_on": (beijing_today() + dt.timedelta(days=14)).isoformat(),
        "halves": ["afternoon"], "seats": [{"field": FIELD, "count": 2}], "reserves": 1,
        "supervisor": supervisor_name})
    assert committed.status_code == 201, committed.text
    reveal = (f"/api/v1/draws/{committed.json()['id']}/reveal",
              {"witness": "现场监督 5521", "confirmed_avoidances": []})
    key = {"Idempotency-Key": f"reveal-{tag}"}

    revealed = call(local_system, "POST", reveal[0], {**supervisor, **key}, json=reveal[1])
    assert revealed.status_code == 200, revealed.text
    members = revealed.json()["panel"]["members"]
    names = {member["name"] for member in members if member.get("name")}
    phones = {member["phone"] for member in members if member.get("phone")}
    assert names and phones, members  # the sealed list, as its supervisor sees it
    again = call(local_system, "POST", reveal[0], {**supervisor, **key}, json=reveal[1])
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == revealed.json()

    stored = gateway_rows_as_bytes(local_system)
    for value in names | phones:
        for form in (value.encode(), json.dumps(value).strip('"').encode()):
            assert form not in stored, f"{value!r} stored in plain text"

    changed = call(local_system, "PATCH", f"/api/v1/users/{supervisor_name}", admin, json={"roles": ["auditor"]})
    assert changed.status_code == 200, changed.text
    former = sign_in(local_system, supervisor_name)  # the same person, with the role they hold now
    refused = call(local_system, "POST", reveal[0], {**former, **key}, json=reveal[1])
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"] == "/problems/idempotency-replay-refused"
    assert "idempotent-replayed" not in refused.headers
    assert not [value for value in names | phones if value in refused.text]
