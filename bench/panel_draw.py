"""Benchmark: a full panel draw (commit, then reveal) through the gateway with a 10,000-expert pool on
PostgreSQL (target: p50 under 250 ms for the two calls together).

Creates one database per service on the server (default 127.0.0.1:5432, user postgres), migrates
them, fills the experts pool directly, starts the three services as real processes on loopback
ports, then asks for panels as an organiser (two fields, three seats and two, two reserves each: a
technical review seats an odd number; the gateway asks vendors for the project's vendors) and reveals
each as the supervisor. Prints p50 and p95 of commit, reveal and both, and drops the databases. It does
so under each crypto profile: the standard one (sortes-draw/1: Ed25519, SHA-256) and the
commercial-cryptography one (sortes-draw/1-sm: SM2, SM3; the audit chain in SM3 with SM2
checkpoints), and verifies the last draw's record offline.

    python -m bench.panel_draw [--experts 10000] [--panels 40] [--profile standard|sm|both]
                               [--server postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import insert

from bench.serving import SERVICES, databases, free_port, percentile, postgres_urls
from services.experts.models import Expert, ExpertField
from shared.clock import beijing_today
from shared.db import Database
from shared.demo import demo_units, demo_vendors, make_uscc
from shared.draw import KeySet, verify_record
from sortes_cli.local_system import LocalSystem

FIELDS = ["APP", "SEC", "DATA", "CLOUD", "NET", "DC"]
PASSWORD = "bench-Password-2026!"


async def fill(url: str, count: int) -> None:
    rng = random.Random(10_000)
    units = [unit.uscc for unit in (*demo_units(), *demo_vendors())]
    now = dt.datetime.now(dt.UTC)
    database = Database.from_url(url)
    async with database.transaction() as session:
        for first in range(1, count + 1, 5_000):
            numbers = range(first, min(first + 5_000, count + 1))
            await session.execute(insert(Expert), [{
                "id": number, "code": f"E{number:05d}", "name": f"专家{number}",
                "birth_date": dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 10_000)),
                "unit_uscc": rng.choice(units), "unit_name": "单位", "title": "高级工程师", "years_in_field": 10,
                "status": "active", "created_at": now, "updated_at": now,
                "last_trained_on": beijing_today() - dt.timedelta(days=rng.randint(5, 300))} for number in numbers])
            await session.execute(insert(ExpertField), [
                {"expert_id": number, "field_code": code, "is_primary": index == 0}
                for number in numbers for index, code in enumerate(rng.sample(FIELDS, rng.randint(1, 3)))])
    await database.dispose()


def sign_in(system: LocalSystem, admin: dict[str, str], username: str, unit: str, role: str) -> dict[str, str]:
    url = system.url()
    httpx.post(f"{url}/api/v1/units", headers=admin, json={"uscc": unit, "name": f"单位{unit[-4:]}"}, timeout=30)
    httpx.post(f"{url}/api/v1/users", headers=admin, timeout=30, json={
        "username": username, "display_name": username, "unit_uscc": unit, "roles": [role], "password": PASSWORD})
    token = httpx.post(f"{url}/api/v1/auth/sign-in", json={"username": username, "password": PASSWORD},
                       timeout=30).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def run_panels(system: LocalSystem, panels: int) -> tuple[list[float], list[float], list[float], dict[str, object]]:
    url = system.url()
    admin = {"Authorization": f"Bearer {system.admin_api_key}"}
    owner = make_uscc(random.Random("bench owner"), "12")
    organiser = sign_in(system, admin, "bench-organiser", owner, "organiser")
    supervisor = sign_in(system, admin, "bench-supervisor", demo_units()[0].uscc, "supervisor")
    commits, reveals, totals = [], [], []
    record: dict[str, object] = {}
    with httpx.Client(timeout=60) as client:
        for number in range(panels):
            code = f"BENCH-{number:03d}"
            client.put(f"{url}/api/v1/projects/{code}", headers=admin, json={
                "name": code, "kind": "construction", "owner_unit": owner, "investment_fen": 500_000_000,
                "planned_completion": "2027-12-31", "lots": []}).raise_for_status()
            body = {"purpose": "technical_review", "meeting_on": (beijing_today() + dt.timedelta(
                days=7 + number % 20)).isoformat(), "halves": ["morning"], "reserves": 2, "supervisor":
                "bench-supervisor", "seats": [{"field": FIELDS[number % 6], "count": 3},
                                              {"field": FIELDS[(number + 1) % 6], "count": 2}]}
            began = time.perf_counter()
            committed = client.post(f"{url}/api/v1/projects/{code}/panels", headers=organiser, json=body)
            middle = time.perf_counter()
            if committed.status_code != 201:
                raise RuntimeError(f"commit: {committed.status_code} {committed.text[:400]}")
            revealed = client.post(f"{url}/api/v1/draws/{committed.json()['id']}/reveal", headers=supervisor,
                                   json={"witness": f"bench {number}", "confirmed_avoidances": []})
            ended = time.perf_counter()
            revealed.raise_for_status()
            commits.append(middle - began)
            reveals.append(ended - middle)
            totals.append(ended - began)
        record = client.get(f"{url}/api/v1/draws/{committed.json()['id']}/record", headers=organiser).json()
    return commits, reveals, totals, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=10_000)
    parser.add_argument("--panels", type=int, default=40)
    parser.add_argument("--profile", choices=["standard", "sm", "both"], default="both")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    for profile in ("standard", "sm") if args.profile == "both" else (args.profile,):
        bench_profile(args, profile)


def bench_profile(args: argparse.Namespace, profile: str) -> None:
    names, urls = postgres_urls(args.server, f"sortes_bench_panel_{profile}")
    asyncio.run(databases(args.server, names, create=True))
    data_dir = Path(tempfile.mkdtemp(prefix="sortes-bench-panel-"))
    system = LocalSystem(data_dir=data_dir, database_urls=urls, log_dir=data_dir / "logs",
                         ports={service: free_port() for service in SERVICES},
                         extra_env={"SORTES_GATEWAY_RATE_LIMIT_PER_MINUTE": "1000000", "SORTES_LOG_LEVEL": "WARNING",
                                    "SORTES_CRYPTO_PROFILE": profile})
    try:
        system.prepare()
        began = time.perf_counter()
        asyncio.run(fill(urls["experts"], args.experts))
        print(f"pool of {args.experts:,} experts filled in {time.perf_counter() - began:.1f} s")
        system.start(ready_timeout=120)
        run_panels(system, 3)  # warm up connections and caches
        commits, reveals, totals, record = run_panels(system, args.panels)
        keys = KeySet.from_json(httpx.get(f"{system.url()}/.well-known/sortes-keys", timeout=30).json())
        began = time.perf_counter()
        outcome = verify_record(record, keys)
        checked = time.perf_counter() - began
        assert outcome.ok and outcome.profile is not None, outcome.message
        print(f"profile {profile}: records {outcome.profile.name} ({outcome.profile.description})")
        for label, values in (("commit", commits), ("reveal", reveals), ("commit + reveal", totals)):
            print(f"{label:16s} p50 {statistics.median(values) * 1000:7.1f} ms"
                  f"   p95 {percentile(values, 0.95) * 1000:7.1f} ms")
        print(f"verify record    {checked * 1000:7.1f} ms (offline, every check)")
        verdict = "meets" if statistics.median(totals) < 0.25 else "misses"
        tag = "" if profile == "standard" else f" [{outcome.profile.name}]"
        print(f"full panel draw through the gateway{tag}: p50 {statistics.median(totals) * 1000:.1f} ms "
              f"({verdict} the 250 ms target) over {args.panels} panels, {args.experts:,} experts, PostgreSQL")
    finally:
        system.stop()
        asyncio.run(databases(args.server, names, create=False))


if __name__ == "__main__":
    main()
