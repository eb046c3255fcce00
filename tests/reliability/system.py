"""Systems of their own for the reliability tests, and the calls that fill them through the gateway.

Fault and load tests kill processes, cut database connections and fill the pool; they get their own
PostgreSQL databases (``<run prefix>_<name>_<service>``, dropped afterwards and by the next run if
this one dies) rather than the shared ``local_system``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from shared.clock import beijing_today
from shared.demo import make_uscc
from shared.identifiers import id_number_check_character
from sortes_cli.local_system import LocalSystem
from tests.support.databases import POSTGRES_DSN, RUN_PREFIX, postgres_admin, postgres_url
from tests.support.ports import free_port

SERVICES = ("experts", "vendors", "gateway")
BUREAU = "11330326862981311N"  # the demo bureau: supervisors come from here
OWNER = make_uscc(random.Random("reliability owner"), "12")  # the projects' owner, a government unit
PASSWORD = "Reliability-Password-2026!"


def database_name(name: str, service: str) -> str:
    return f"{RUN_PREFIX}_{name}_{service}"


async def connect(database: str) -> asyncpg.Connection:
    return await asyncpg.connect(POSTGRES_DSN.rsplit("/", 1)[0] + f"/{database}", timeout=5)


@contextlib.contextmanager
def postgres_system(name: str, data_dir: Path, *, replicas: int = 0,
                    extra_env: dict[str, str] | None = None) -> Iterator[LocalSystem]:
    """The three services on fresh PostgreSQL databases, with ``replicas`` more instances of experts and
    vendors; stopped and its databases dropped on the way out."""
    names = {service: database_name(name, service) for service in SERVICES}

    async def create() -> None:
        for database in names.values():
            await postgres_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await postgres_admin(f'CREATE DATABASE "{database}"')

    async def drop() -> None:
        for database in names.values():
            await postgres_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    asyncio.run(create())
    system = LocalSystem(
        data_dir=data_dir, log_dir=data_dir / "logs",
        database_urls={service: postgres_url(database) for service, database in names.items()},
        ports={service: free_port() for service in SERVICES},
        replica_ports={service: [free_port() for _ in range(replicas)] for service in ("experts", "vendors")},
        extra_env=extra_env or {})
    try:
        system.prepare()
        system.start()
        yield system
    finally:
        system.stop()
        asyncio.run(drop())


class Gateway:
    """Calls through the gateway as the admin key, and the people and records a draw needs."""

    def __init__(self, system: LocalSystem) -> None:
        self.system = system
        self.url = system.url()
        self.admin = {"Authorization": f"Bearer {system.admin_api_key}"}

    def call(self, method: str, path: str, headers: dict[str, str] | None = None, **options: Any) -> httpx.Response:
        return httpx.request(method, self.url + path, headers=headers or self.admin, timeout=60, **options)

    def person(self, username: str, unit: str, role: str) -> dict[str, str]:
        """A signed-in user of ``unit`` with ``role``: their bearer token as headers."""
        self.call("POST", "/api/v1/units", json={"uscc": unit, "name": f"单位{unit[-4:]}"})
        created = self.call("POST", "/api/v1/users", json={
            "username": username, "display_name": f"{role}用户", "unit_uscc": unit, "roles": [role],
            "password": PASSWORD})
        assert created.status_code in (201, 409), created.text
        signed_in = self.call("POST", "/api/v1/auth/sign-in", {}, json={"username": username, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        return {"Authorization": f"Bearer {signed_in.json()['token']}"}

    def project(self, code: str) -> None:
        response = self.call("PUT", f"/api/v1/projects/{code}", json={
            "name": f"可靠性项目{code}", "kind": "operations", "owner_unit": OWNER, "investment_fen": 100_000,
            "planned_completion": "2027-12-31", "lots": []})
        assert response.status_code in (200, 201), response.text

    def experts(self, count: int, field: str = "DATA", *, first_serial: int = 0) -> list[str]:
        """``count`` trained experts of ``field``, created a few at a time; their pool numbers in order."""
        def create(serial: int) -> str:
            born = dt.date(1975, 1, 1) + dt.timedelta(days=serial // 1000)
            first17 = f"330326{born:%Y%m%d}{serial % 1000:03d}"
            unit = make_uscc(random.Random(serial), "91")
            response = self.call("POST", "/api/v1/experts", json={
                "name": f"可靠性专家{serial}", "birth_date": born.isoformat(), "unit_uscc": unit, "unit_name": "某公司",
                "title": "高级工程师", "years_in_field": 12, "fields": [{"code": field, "primary": True}],
                "id_number": first17 + id_number_check_character(first17), "phone": f"139{serial:08d}",
                "bank_account": f"62220200{serial:011d}",
                "last_trained_on": (beijing_today() - dt.timedelta(days=20)).isoformat()})
            assert response.status_code == 201, response.text
            return response.json()["code"]

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(create, range(first_serial, first_serial + count)))

    def wait_until_served(self, path: str = "/api/v1/fields", timeout: float = 30) -> None:
        """Until the gateway routes to the service again: after a restart it rests a failing one a while."""
        deadline = time.monotonic() + timeout
        while self.call("GET", path).status_code != 200:
            assert time.monotonic() < deadline, f"the gateway did not serve {path} again"
            time.sleep(0.3)


def panel_ask(meeting_on: dt.date, supervisor: str, *, seats: int = 2, reserves: int = 1,
              field: str = "DATA", halves: tuple[str, ...] = ("morning",)) -> dict[str, Any]:
    return {"purpose": "technical_review", "meeting_on": meeting_on.isoformat(), "halves": list(halves),
            "seats": [{"field": field, "count": seats}], "reserves": reserves, "supervisor": supervisor}


async def table_counts(database: str) -> dict[str, int]:
    connection = await connect(database)
    try:
        tables = [row[0] for row in await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
        return {table: await connection.fetchval(f'SELECT count(*) FROM "{table}"') for table in tables}
    finally:
        await connection.close()
