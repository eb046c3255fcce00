"""What the benchmarks that time HTTP calls share: free ports, PostgreSQL databases of their own, the
demo system started as real processes, an auditor's credentials on both paths, and clients that
time their requests.

Imported by the scripts in bench/, run from the repository root as ``python -m bench.<script>``
(``make bench`` runs them all).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import httpx

from shared.identity import Identity, IdentityIssuer
from shared.signing_keys import load_private_key
from sortes_cli.local_system import LocalSystem, free_port

SERVICES = ("experts", "vendors", "gateway")
BUREAU = "11330326862981311N"  # the demo bureau



def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def describe(latencies: list[float]) -> str:
    return (f"p50 {statistics.median(latencies) * 1000:6.2f} ms  "
            f"p99 {percentile(latencies, 0.99) * 1000:6.2f} ms")


async def databases(server: str, names: dict[str, str], create: bool) -> None:
    """Drop (and with ``create`` create again) the named databases on the PostgreSQL ``server``."""
    admin = await asyncpg.connect(server)
    try:
        for name in names.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if create:
                await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def postgres_urls(server: str, prefix: str) -> tuple[dict[str, str], dict[str, str]]:
    """A database name per service, ``<prefix>_<service>_<pid>``, and its SQLAlchemy URL on ``server``."""
    names = {service: f"{prefix}_{service}_{os.getpid()}" for service in SERVICES}
    base = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return names, {service: f"{base}/{name}" for service, name in names.items()}


@contextlib.contextmanager
def demo_system(server: str | None = None, *, prefix: str = "sortes_bench",
                extra_env: dict[str, str] | None = None) -> Iterator[LocalSystem]:
    """The three services with the demo data, on SQLite files or (``server``) on PostgreSQL databases of
    their own, dropped at the end; quotas raised so that a benchmark is never throttled."""
    names, urls = postgres_urls(server, prefix) if server else ({}, {})
    if server:
        asyncio.run(databases(server, names, create=True))
    data_dir = Path(tempfile.mkdtemp(prefix="sortes-bench-"))
    system = LocalSystem(data_dir=data_dir, demo_data=True, database_urls=urls, log_dir=data_dir / "logs",
                         ports={name: free_port() for name in SERVICES},
                         extra_env={"SORTES_GATEWAY_RATE_LIMIT_PER_MINUTE": "10000000", **(extra_env or {})})
    try:
        system.prepare()
        system.start(ready_timeout=120)
        yield system
    finally:
        system.stop()
        if server:
            asyncio.run(databases(server, names, create=False))


def auditor_headers(system: LocalSystem) -> tuple[dict[str, str], dict[str, str]]:
    """An auditor of the bureau, who reads the pool with personal data masked (a pure read): headers for
    the experts service called directly (an identity assertion) and for the gateway (an API key)."""
    created = httpx.post(system.url() + "/api/v1/api-keys", json={"name": "bench", "roles": ["auditor"],
                                                                 "unit_uscc": BUREAU},
                         headers={"Authorization": f"Bearer {system.admin_api_key}"}, timeout=30)
    created.raise_for_status()
    issuer = IdentityIssuer(load_private_key(system.data_dir / "keys" / "identity.pem"), ttl_seconds=24 * 3600)
    identity = Identity(subject="bench", name="bench", roles=("auditor",), unit=BUREAU)
    return ({"x-sortes-identity": issuer.issue(identity, "experts")},
            {"Authorization": f"Bearer {created.json()['value']}"})


async def run_clients(url: str, headers: dict[str, str], paths: Callable[[int], str], total: int,
                      clients: int) -> tuple[float, list[float]]:
    """``clients`` concurrent clients asking for ``paths(n)`` until ``total`` requests are answered, each
    on its own kept-alive connection; the throughput and every request's latency. Anything but 200 stops
    the run."""
    latencies: list[float] = []
    per_client = total // clients

    async def client_loop(offset: int) -> None:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
            for index in range(per_client):
                started = time.perf_counter()
                response = await client.get(paths(offset + index))
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")

    began = time.perf_counter()
    await asyncio.gather(*(client_loop(n * 17) for n in range(clients)))
    return per_client * clients / (time.perf_counter() - began), latencies
