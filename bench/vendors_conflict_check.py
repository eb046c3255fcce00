"""Benchmark: one conflict check of 50 bidders on a project with 200 engagements, among 10,000
vendors with related-party links (same legal representative and controlling relationships).

Measures the vendors service in-process through Litestar's AsyncTestClient (routing, identity
assertion, validation, the check, storing it with its audit entry and outbox event), on SQLite by
default. Prints p50, p90 and p99 of the request time; the target is a p50 under 30 ms.

    python bench/vendors_conflict_check.py [--checks 200] [--database-url URL]
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

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import AsyncTestClient
from sqlalchemy import insert

from shared.demo import make_uscc
from shared.identity import Identity, IdentityIssuer
from shared.migrations import upgrade
from shared.projects import EngagementRole
from shared.signing_keys import public_key_text

VENDORS, ENGAGEMENTS, BIDDERS = 10_000, 200, 50
OWNER = "11330326862981311N"
LOTS = [("L1", "总体设计", "competitive_consultation", "overall_design"),
        ("L2", "平台建设", "public_tender", "construction"),
        ("L3", "工程监理", "competitive_consultation", "supervision"),
        ("L4", "应用软件", "public_tender", "software")]


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
    await database.dispose()
    return usccs


async def run(checks: int, database_url: str | None) -> None:
    os.environ.setdefault("SORTES_DATA_DIR", tempfile.mkdtemp(prefix="sortes-bench-"))
    from services.vendors.app import create_app
    from services.vendors.settings import VendorsSettings

    url = database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='sortes-bench-')}/vendors.db"
    upgrade("vendors", url)
    key = Ed25519PrivateKey.generate()
    issuer = IdentityIssuer(key)
    app = create_app(VendorsSettings(database_url=url, identity_public_keys=[public_key_text(key.public_key())]))

    def headers(role: str) -> dict[str, str]:
        identity = Identity(subject="apikey:bench", name="bench", roles=(role,), unit=OWNER)
        return {"x-sortes-identity": issuer.issue(identity, "vendors")}

    rng = random.Random(29)
    async with AsyncTestClient(app) as client:
        project = {"name": "基准项目", "kind": "construction", "owner_unit": OWNER, "investment_fen": 500_000_000,
                   "planned_completion": "2027-12-31", "lots": [
                       {"code": c, "name": n, "procurement_method": m, "role": r} for c, n, m, r in LOTS]}
        assert (await client.put("/api/v1/projects/PY-BENCH", json=project, headers=headers("service"))).is_success
        usccs = await fill(url, rng)
        samples: list[float] = []
        outcomes: dict[str, int] = {}
        for index in range(checks + 10):
            bidders = rng.sample(usccs, BIDDERS)
            lot = LOTS[index % len(LOTS)][0]
            started = time.perf_counter()
            response = await client.post(f"/api/v1/projects/PY-BENCH/lots/{lot}/conflict-checks",
                                         json={"bidders": bidders}, headers=headers("procurement_officer"))
            elapsed = time.perf_counter() - started
            if response.status_code != 201:
                raise RuntimeError(f"{response.status_code} {response.text[:300]}")
            if index >= 10:  # the first few warm caches and the connection pool
                samples.append(elapsed * 1000)
                for verdict in response.json()["verdicts"]:
                    outcomes[verdict["verdict"]] = outcomes.get(verdict["verdict"], 0) + 1
    quantiles = statistics.quantiles(samples, n=100)
    backend = url.split(":", 1)[0]
    print(f"conflict check: {BIDDERS} bidders, {ENGAGEMENTS} engagements, {VENDORS} vendors ({backend}), "
          f"{checks} checks")
    print(f"  p50 {statistics.median(samples):.1f} ms   p90 {quantiles[89]:.1f} ms   p99 {quantiles[98]:.1f} ms   "
          f"(target p50 < 30 ms)")
    print(f"  verdicts: {outcomes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--database-url", help="a migrated-on-the-fly database; SQLite in a temp folder by default")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.checks, arguments.database_url))


if __name__ == "__main__":
    main()
