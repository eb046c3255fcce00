"""Benchmark: verify a one-million-entry audit chain (target: under 20 s here).

Builds a valid chain of N entries straight into a fresh SQLite database (or the PostgreSQL URL
given), then times `verify_stored_chain`, the routine behind `sortes audit verify`.

    python -m bench.audit_verify [--entries 1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path

from sqlalchemy import MetaData, update

from shared.audit.chain import GENESIS_HASH, Actor, canonical_details, compute_hash
from shared.audit.store import verify_stored_chain
from shared.audit.tables import audit_tables
from shared.db import create_engine
from shared.migrations import upgrade

BATCH = 20_000
ACTOR = Actor(subject="apikey:lifecycle", roles=("service",), unit="11330326862981311N")


async def fill(url: str, count: int) -> None:
    tables = audit_tables(MetaData())
    engine = create_engine(url)
    start, prev = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), GENESIS_HASH
    async with engine.begin() as connection:
        for first in range(1, count + 1, BATCH):
            rows = []
            for seq in range(first, min(first + BATCH, count + 1)):
                fields = dict(seq=seq, recorded_at=start + dt.timedelta(seconds=seq), actor=ACTOR,
                              action="project.updated", object_type="project", object_id=f"PY-{seq % 5000}",
                              before_digest="ab" * 32, after_digest="cd" * 32,
                              details=canonical_details({"digest": "ef" * 32}),
                              prev_hash=prev)
                prev = compute_hash(**fields)
                rows.append({**{k: v for k, v in fields.items() if k != "actor"}, "actor_subject": ACTOR.subject,
                             "actor_roles": ",".join(ACTOR.roles), "actor_unit": ACTOR.unit, "entry_hash": prev})
            await connection.execute(tables.entries.insert(), rows)
        await connection.execute(update(tables.head).values(seq=count, entry_hash=prev))
    await engine.dispose()


async def verify(url: str, workers: int | None) -> tuple[float, str]:
    began = time.perf_counter()
    report = await verify_stored_chain(url, audit_tables(MetaData()), "experts", {}, workers=workers)
    elapsed = time.perf_counter() - began
    return elapsed, f"ok={report.ok} entries={report.entries} problem={report.problem}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="an empty, migrated experts database; default a temp SQLite file")
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'audit-bench.db'}"
        upgrade("experts", url)
    began = time.perf_counter()
    asyncio.run(fill(url, args.entries))
    print(f"built {args.entries:,} entries in {time.perf_counter() - began:.1f} s")
    for workers in (1, None):
        elapsed, summary = asyncio.run(verify(url, workers))
        label = "1 process" if workers == 1 else "default (one process per core)"
        print(f"verify {args.entries:,} entries, {label}: {elapsed:.2f} s ({args.entries / elapsed:,.0f} entries/s; "
              f"target under 20 s) — {summary}")


if __name__ == "__main__":
    main()
