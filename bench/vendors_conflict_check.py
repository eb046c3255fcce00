"""Benchmark: one conflict check of 50 bidders on a project with 200 engagements, among 10,000
vendors with related-party links (same legal representative and controlling relationships).

Measures the same check three ways, on one database (SQLite by default):

1. the vendors service in-process through Litestar's AsyncTestClient (routing, identity assertion,
   validation, the check, storing it with its audit entry and outbox event);
2. the vendors service as a real uvicorn process, called over HTTP with a signed identity assertion
   (target p50 under 30 ms);
3. the same check through the gateway, also a uvicorn process, with an API key (target p50 under
   50 ms): the caller's authentication, the assertion and the forwarding on top of 2.

Prints p50, p90 and p99 of the request time of each.

    python -m bench.vendors_conflict_check [--checks 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import AsyncTestClient
from sqlalchemy import insert, text

from bench.serving import free_port
from shared.contracts.projects import EngagementRole
from shared.demo import make_uscc
from shared.identity import Identity, IdentityIssuer
from shared.migrations import upgrade
from shared.settings import normalise_database_url
from shared.signing_keys import load_private_key, public_key_text
from sortes_cli.local_system import LocalSystem

VENDORS, ENGAGEMENTS, BIDDERS = 10_000, 200, 50
OWNER = "11330326862981311N"
LOTS = [("L1", "总体设计", "competitive_consultation", "overall_design"),
        ("L2", "平台建设", "public_tender", "construction"),
        ("L3", "工程监理", "competitive_consultation", "supervision"),
        ("L4", "应用软件", "public_tender", "software")]
PROJECT = {"name": "基准项目", "kind": "construction", "owner_unit": OWNER, "investment_fen": 500_000_000,
           "planned_completion": "2027-12-31", "lots": [
               {"code": c, "name": n, "procurement_method": m, "role": r} for c, n, m, r in LOTS]}
WARM_UP = 10  # the first checks warm caches and connection pools and are not counted
Post = Callable[[str, list[str]], httpx.Response]


async def fill(database_url: str, rng: random.Random) -> list[str]:
    from services.vendors.models import Engagement, Vendor, VendorRelation
    from shared.db import Database

    database = Database.from_url(database_url)
    now = dt.datetime.now(dt.UTC)
    usccs = sorted({make_uscc(rng, "91") for _ in range(VENDORS * 2)})[:VENDORS]
    async with database.transaction() as session:
        await session.execute(insert(Vendor), [
            # Every 50th pair shares a legal representative (the same blind index value).
            {"id": n + 1, "uscc": uscc, "name": f"供应商{n}", "status": "active", "created_at": now, "updated_at": now,
             "legal_representative_id_index": f"{n // 2:064x}" if n % 100 < 2 else None}
            for n, uscc in enumerate(usccs)])
        await session.execute(insert(VendorRelation), [
            {"vendor_id": n, "related_vendor_id": n + 1, "kind": "controlling", "source": "bench",
             "valid_from": dt.date(2020, 1, 1), "valid_until": None, "recorded_at": now, "recorded_by": "bench"}
            for n in range(1, VENDORS, 20)])
        roles = [role.value for role in EngagementRole]
        await session.execute(insert(Engagement), [
            {"vendor_id": rng.randint(1, VENDORS), "project_code": "PY-BENCH", "lot_code": rng.choice(
                [None, "L1", "L2", "L3", "L4"]), "role": rng.choice(roles), "started_on": dt.date(2026, 1, 1),
             "ended_on": None, "amount_fen": 1_000_000, "created_at": now} for _ in range(ENGAGEMENTS)])
    if database.engine.dialect.name == "postgresql":
        async with database.transaction() as session:  # the statistics autovacuum would gather, now
            await session.execute(text("ANALYZE"))
    await database.dispose()
    return usccs


def lot_path(index: int) -> str:
    return f"/api/v1/projects/PY-BENCH/lots/{LOTS[index % len(LOTS)][0]}/conflict-checks"


def describe(label: str, samples: list[float], target: float | None = None) -> str:
    quantiles = statistics.quantiles(samples, n=100)
    line = (f"  {label:<30} p50 {statistics.median(samples):6.1f} ms   p90 {quantiles[89]:6.1f} ms   "
            f"p99 {quantiles[98]:6.1f} ms")
    return line + (f"   (target p50 < {target:.0f} ms)" if target else "")


async def in_process(url: str, checks: int, rng: random.Random) -> tuple[list[str], list[float], dict[str, int]]:
    """Fill the database through a service app in this process, then time checks against that app."""
    from services.vendors.app import create_app
    from services.vendors.settings import VendorsSettings

    key = Ed25519PrivateKey.generate()
    issuer = IdentityIssuer(key)
    app = create_app(VendorsSettings(database_url=url, identity_public_keys=[public_key_text(key.public_key())],
                                     rating_finaliser_interval_seconds=0, log_level="WARNING"))

    def headers(role: str) -> dict[str, str]:
        identity = Identity(subject="apikey:bench", name="bench", roles=(role,), unit=OWNER)
        return {"x-sortes-identity": issuer.issue(identity, "vendors")}

    async with AsyncTestClient(app) as client:
        assert (await client.put("/api/v1/projects/PY-BENCH", json=PROJECT, headers=headers("service"))).is_success
        usccs = await fill(url, rng)
        samples: list[float] = []
        outcomes: dict[str, int] = {}
        for index in range(checks + WARM_UP):
            bidders = rng.sample(usccs, BIDDERS)
            started = time.perf_counter()
            response = await client.post(lot_path(index), json={"bidders": bidders},
                                         headers=headers("procurement_officer"))
            elapsed = time.perf_counter() - started
            if response.status_code != 201:
                raise RuntimeError(f"{response.status_code} {response.text[:300]}")
            if index >= WARM_UP:
                samples.append(elapsed * 1000)
                for verdict in response.json()["verdicts"]:
                    outcomes[verdict["verdict"]] = outcomes.get(verdict["verdict"], 0) + 1
    return usccs, samples, outcomes


def time_checks(posts: list[Post], usccs: list[str], checks: int, rng: random.Random) -> list[list[float]]:
    """Time each way of posting a check, taking turns, so that both see the same database and load."""
    samples: list[list[float]] = [[] for _ in posts]
    for index in range(checks + WARM_UP):
        for post, timings in zip(posts, samples, strict=True):
            bidders = rng.sample(usccs, BIDDERS)
            started = time.perf_counter()
            response = post(lot_path(index), bidders)
            elapsed = time.perf_counter() - started
            if response.status_code != 201:
                raise RuntimeError(f"{response.status_code} {response.text[:300]}")
            if index >= WARM_UP:
                timings.append(elapsed * 1000)
    return samples


def through_processes(data_dir: Path, url: str, usccs: list[str], checks: int,
                      rng: random.Random) -> tuple[list[float], list[float]]:
    """The three services as uvicorn processes on the filled database: the check at the vendors
    service directly, then through the gateway, as the same procurement officer."""
    system = LocalSystem(data_dir=data_dir, database_urls={"vendors": url}, log_dir=data_dir / "logs",
                         ports={name: free_port() for name in ("gateway", "experts", "vendors")},
                         extra_env={"SORTES_GATEWAY_RATE_LIMIT_PER_MINUTE": "10000000", "SORTES_LOG_LEVEL": "WARNING"})
    system.prepare()
    system.start(ready_timeout=120)
    try:
        admin = {"Authorization": f"Bearer {system.admin_api_key}"}
        with httpx.Client(base_url=system.url(), timeout=30) as gateway:
            # The gateway fans the project out to experts too; the vendors service already has it.
            assert gateway.put("/api/v1/projects/PY-BENCH", json=PROJECT, headers=admin).is_success
            created = gateway.post("/api/v1/api-keys", headers=admin, json={
                "name": "bench", "roles": ["procurement_officer"], "unit_uscc": OWNER})
            assert created.status_code == 201, created.text
            officer = {"Authorization": f"Bearer {created.json()['value']}"}
            issuer = IdentityIssuer(load_private_key(data_dir / "keys" / "identity.pem"), ttl_seconds=3600)
            identity = Identity(subject="apikey:bench", name="bench", roles=("procurement_officer",), unit=OWNER)
            asserted = {"x-sortes-identity": issuer.issue(identity, "vendors")}
            with httpx.Client(base_url=system.url("vendors"), timeout=30) as vendors:
                direct, proxied = time_checks([
                    lambda path, bidders: vendors.post(path, json={"bidders": bidders}, headers=asserted),
                    lambda path, bidders: gateway.post(path, json={"bidders": bidders}, headers=officer),
                ], usccs, checks, rng)
    finally:
        system.stop()
    return direct, proxied


def run(checks: int, database_url: str | None) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="sortes-bench-"))
    os.environ.setdefault("SORTES_DATA_DIR", str(data_dir))
    url = normalise_database_url(database_url or f"sqlite:///{data_dir}/vendors.db")
    upgrade("vendors", url)
    rng = random.Random(29)
    usccs, samples, outcomes = asyncio.run(in_process(url, checks, rng))
    direct, proxied = through_processes(data_dir, url, usccs, checks, rng)
    backend = url.split(":", 1)[0]
    print(f"conflict check: {BIDDERS} bidders, {ENGAGEMENTS} engagements, {VENDORS} vendors ({backend}), "
          f"{checks} checks each")
    print(describe("in-process (AsyncTestClient)", samples))
    print(describe("at the service (uvicorn)", direct, 30))
    print(describe("through the gateway (uvicorn)", proxied, 50))
    print(f"  gateway p50 overhead {statistics.median(proxied) - statistics.median(direct):.1f} ms")
    print(f"  verdicts (in-process run): {outcomes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--database-url", help="the vendors service's database, empty or new (migrated here); "
                                               "SQLite in a temp folder by default")
    arguments = parser.parse_args()
    run(arguments.checks, arguments.database_url)


if __name__ == "__main__":
    main()
