"""Two processes of the experts service writing at once on PostgreSQL never fork the audit chain."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from shared.identity import Identity, IdentityIssuer
from shared.signing_keys import load_private_key
from sortes_cli.local_system import LocalSystem
from tests.support.databases import TestDatabases
from tests.support.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
WRITES_PER_PROCESS = 30
CHECKPOINT_EVERY = 10


@pytest.fixture(scope="module")
def two_experts(postgres_available: bool, test_databases: TestDatabases,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    data_dir = tmp_path_factory.mktemp("audit-concurrency")
    system = LocalSystem(
        data_dir=data_dir, log_dir=data_dir / "logs",
        database_urls={service: test_databases.dedicated(service, "audit_concurrency")
                       for service in ("experts", "vendors", "gateway")},
        ports={"gateway": free_port(), "experts": free_port(), "vendors": free_port()},
        replica_ports={"experts": [free_port()]},
        extra_env={"SORTES_EXPERTS_AUDIT_CHECKPOINT_EVERY": str(CHECKPOINT_EVERY)})
    system.prepare()
    try:
        system.start(("experts",))
        yield system
    finally:
        system.stop()


async def _write(url: str, token_for: IdentityIssuer, numbers: range) -> list[int]:
    identity = Identity(subject="apikey:lifecycle", name="lifecycle", roles=("service",), unit="11330326862981311N")
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        async def one(number: int) -> int:
            response = await client.put(
                f"/api/v1/projects/PY-C{number:03d}",
                headers={"x-sortes-identity": token_for.issue(identity, "experts")},
                json={"name": f"并发项目{number}", "kind": "operations", "owner_unit": "11330326862981311N",
                      "investment_fen": number, "planned_completion": "2027-01-31", "lots": []})
            return response.status_code
        return list(await asyncio.gather(*(one(number) for number in numbers)))


def test_concurrent_writers_keep_one_gapless_chain(two_experts: LocalSystem) -> None:
    issuer = IdentityIssuer(load_private_key(two_experts.data_dir / "keys" / "identity.pem"))

    async def both() -> list[int]:
        first, second = await asyncio.gather(
            _write(two_experts.url("experts"), issuer, range(0, WRITES_PER_PROCESS)),
            _write(two_experts.instance_url("experts-2"), issuer, range(WRITES_PER_PROCESS, 2 * WRITES_PER_PROCESS)))
        return first + second

    statuses = asyncio.run(both())
    assert statuses == [201] * (2 * WRITES_PER_PROCESS)
    env = two_experts.environment()
    result = subprocess.run([sys.executable, "-m", "sortes_cli.main", "audit", "verify", "--service", "experts"],
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    total = 2 * WRITES_PER_PROCESS
    assert f"experts: OK — {total} entries, head {total}" in result.stdout
    assert f"{total // CHECKPOINT_EVERY} signed checkpoints matched" in result.stdout
