"""Benchmark: eligibility over a 100,000-expert pool on PostgreSQL (target: p50 under 300 ms).

Creates its own database on the server (default 127.0.0.1:5432, user postgres), fills a pool of N
experts with fields, former employers, bad-conduct records, unavailable periods and declared
conflicts, then times ``find_eligible`` (what ``POST /api/v1/eligibility`` runs) for a series of
meetings across fields, and drops the database.

    python -m bench.experts_eligibility [--experts 100000] [--queries 40] [--server postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import time

import asyncpg
from sqlalchemy import insert, select

from services.experts.domain.eligibility import EligibilityQuery, find_eligible
from services.experts.models import (
    BadConductRecord,
    DeclaredConflict,
    Expert,
    ExpertField,
    Field,
    FormerEmployer,
    Unavailability,
)
from services.experts.settings import PoolRules
from shared.db import Database
from shared.demo import demo_units, demo_vendors
from shared.migrations import upgrade

BATCH = 5_000
MEETING = dt.date(2026, 12, 10)


async def fill(database: Database, count: int) -> list[str]:
    rng = random.Random(100_000)
    units = [unit.uscc for unit in (*demo_units(), *demo_vendors())]
    now = dt.datetime.now(dt.UTC)
    async with database.transaction() as session:
        fields = list((await session.execute(select(Field.code))).scalars())
        for first in range(1, count + 1, BATCH):
            numbers = range(first, min(first + BATCH, count + 1))
            await session.execute(insert(Expert), [{
                "id": number, "code": f"E{number:06d}", "name": f"专家{number}",
                "birth_date": dt.date(1955, 1, 1) + dt.timedelta(days=rng.randint(0, 14_000)),
                "unit_uscc": rng.choice(units), "unit_name": "单位", "title": "高级工程师",
                "years_in_field": rng.randint(1, 30), "status": rng.choice(["active"] * 30 + ["suspended", "retired"]),
                "suspended_until": MEETING + dt.timedelta(days=30), "created_at": now, "updated_at": now,
                "last_trained_on": MEETING - dt.timedelta(days=rng.randint(10, 500)),
            } for number in numbers])
            await session.execute(insert(ExpertField), [
                {"expert_id": number, "field_code": code, "is_primary": index == 0}
                for number in numbers for index, code in enumerate(rng.sample(fields, rng.randint(1, 3)))])
            await session.execute(insert(FormerEmployer), [
                {"expert_id": number, "unit_uscc": rng.choice(units), "unit_name": "原单位",
                 "ended_on": MEETING - dt.timedelta(days=rng.randint(30, 3000))}
                for number in numbers if rng.random() < 0.5])
            await session.execute(insert(BadConductRecord), [
                {"expert_id": number, "occurred_on": MEETING - dt.timedelta(days=rng.randint(30, 2000)),
                 "description": "违规"} for number in numbers if rng.random() < 0.02])
            await session.execute(insert(Unavailability), [
                {"expert_id": number, "starts_on": day, "starts_half": "morning",
                 "ends_on": day + dt.timedelta(days=rng.randint(0, 5)), "ends_half": "afternoon", "created_at": now}
                for number in numbers if rng.random() < 0.1
                for day in [MEETING + dt.timedelta(days=rng.randint(-20, 20))]])
            await session.execute(insert(DeclaredConflict), [
                {"expert_id": number, "unit_uscc": rng.choice(units), "declared_at": now}
                for number in numbers if rng.random() < 0.03])
    return fields


async def measure(database: Database, fields: list[str], queries: int) -> list[float]:
    rng = random.Random(7)
    units = [unit.uscc for unit in demo_vendors()]
    timings, sizes = [], []
    for number in range(queries):
        query = EligibilityQuery(
            fields=rng.sample(fields, rng.randint(1, 3)), meeting_on=MEETING + dt.timedelta(days=number % 15),
            halves=("morning",) if number % 2 else ("morning", "afternoon"),
            avoid_units=frozenset(rng.sample(units, 5)),
            busy_experts=frozenset(f"E{rng.randint(1, 100_000):06d}" for _ in range(50)),
            panels_this_year={f"E{rng.randint(1, 100_000):06d}": 12 for _ in range(200)})
        began = time.perf_counter()
        async with database.reading() as session:
            result = await find_eligible(session, query, PoolRules())
        timings.append(time.perf_counter() - began)
        sizes.append((sum(map(len, result.eligible.values())), len(result.excluded)))
    print(f"typical answer: {statistics.median(s[0] for s in sizes):,.0f} eligible seats, "
          f"{statistics.median(s[1] for s in sizes):,.0f} excluded experts")
    return timings


async def admin_of(database: str, server: str, statement: str) -> None:
    connection = await asyncpg.connect(server.rsplit("/", 1)[0] + f"/{database}")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def run(server: str, experts: int, queries: int) -> None:
    name = f"sortes_bench_eligibility_{os.getpid()}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, "experts", url)
        database = Database.from_url(url)
        began = time.perf_counter()
        fields = await fill(database, experts)
        await admin_of(name, server, "VACUUM ANALYZE")  # as autovacuum does on a live pool
        print(f"pool of {experts:,} experts filled in {time.perf_counter() - began:.1f} s")
        async with database.reading() as session:
            await session.execute(select(1))
        await measure(database, fields, 3)  # warm the connection pool and the plan caches
        timings = sorted(await measure(database, fields, queries))
        print(f"find_eligible over {queries} meetings: p50 {statistics.median(timings) * 1000:.0f} ms, "
              f"p95 {timings[int(len(timings) * 0.95) - 1] * 1000:.0f} ms, max {timings[-1] * 1000:.0f} ms")
        await database.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/test")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.server, arguments.experts, arguments.queries))


if __name__ == "__main__":
    main()
