"""Benchmark: what a read costs on its way through sortes, against the framework's floor.

The floor is a minimal Litestar app in a uvicorn process of its own, reading the same rows from the same
database through SQLAlchemy async (a session per request, the ORM, nothing else): no middleware, no
authentication, no audit, no logging. Beside it, in the same run and interleaved, the experts service
called directly (with a valid identity assertion) and through the gateway (an auditor's API key, checked
in the database on every request), for two reads:

- ``GET /api/v1/experts/{code}?masked=true``: one expert with its fields, former employers, certificates
  and bad conduct (the floor loads the same collections);
- ``GET /api/v1/fields``: the field taxonomy (15 rows in the demo data).

At 1 client the three are asked in turn, the order rotating, so that a busy machine's drift falls on all
alike; the figure is each path's p50 ÷ the floor's p50 (targets: service ≤ 1.5 ×, gateway ≤ 2 ×). At 50
clients each path runs in short bursts, in turn, a few rounds; the figure is each path's throughput ÷
the floor's (target for the gateway ≥ 0.7 ×). On SQLite (the demo data in files) and, with ``--server``,
on PostgreSQL databases created and dropped here. The services run at their default log level.

    python -m bench.request_path [--requests 1000] [--server postgresql://postgres@127.0.0.1:5432/test]
                                 [--sqlite-only]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar, get
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload

from bench.serving import auditor_headers, demo_system, free_port, run_clients
from services.experts.models import Expert, Field

ROOT = Path(__file__).resolve().parent.parent
FLOOR_DATABASE = "SORTES_BENCH_FLOOR_DATABASE_URL"
SERVER = "postgresql://postgres@127.0.0.1:5432/test"
ROUNDS = 3  # bursts of each path at 50 clients, in turn
READS: dict[str, Callable[[int], str]] = {
    "expert": lambda n: f"/api/v1/experts/E{n % 200 + 1:05d}?masked=true",
    "fields": lambda n: "/api/v1/fields",
}


def floor_app() -> Litestar:
    """The floor: the reads alone, as a bare Litestar + SQLAlchemy app would serve them."""
    engine = create_async_engine(os.environ[FLOOR_DATABASE])
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @get("/api/v1/experts/{code:str}")
    async def expert(code: str) -> dict[str, Any]:
        async with sessions() as session:
            found = (await session.execute(select(Expert).where(Expert.code == code).options(
                selectinload(Expert.fields), selectinload(Expert.former_employers),
                selectinload(Expert.certificates), selectinload(Expert.bad_conduct_records)))).scalar_one()
            return {**_columns(found), "fields": [_columns(f) for f in found.fields],
                    "former_employers": [_columns(f) for f in found.former_employers],
                    "certificates": [_columns(c) for c in found.certificates],
                    "bad_conduct_records": [_columns(b) for b in found.bad_conduct_records]}

    @get("/api/v1/fields")
    async def fields() -> list[dict[str, Any]]:
        async with sessions() as session:
            return [_columns(field) for field in (await session.execute(select(Field).order_by(Field.code))).scalars()]

    @asynccontextmanager
    async def lifespan(_: Litestar) -> Any:
        yield
        await engine.dispose()

    return Litestar([healthz, expert, fields], lifespan=[lifespan])


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


@contextmanager
def floor_process(database_url: str) -> Iterator[str]:
    """The floor in a uvicorn process started as the services' are (uvloop and httptools when installed)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.request_path:floor_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), FLOOR_DATABASE: database_url})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the floor app did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


async def one_client(targets: dict[str, tuple[str, dict[str, str]]], paths: Callable[[int], str],
                     requests: int) -> dict[str, list[float]]:
    """One client per path, asked in turn with the order rotating: each path's latencies."""
    latencies: dict[str, list[float]] = {name: [] for name in targets}
    clients = {name: httpx.AsyncClient(base_url=url, headers=headers, timeout=60)
               for name, (url, headers) in targets.items()}
    names = list(targets)
    try:
        for index in range(requests):
            for name in names[index % len(names):] + names[:index % len(names)]:
                started = time.perf_counter()
                response = await clients[name].get(paths(index))
                latencies[name].append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: {response.status_code} {response.text[:200]}")
    finally:
        for client in clients.values():
            await client.aclose()
    return latencies


def many_clients(targets: dict[str, tuple[str, dict[str, str]]], paths: Callable[[int], str], requests: int,
                 clients: int) -> dict[str, tuple[float, list[float]]]:
    """Each path in bursts of ``requests`` from ``clients`` clients, in turn, ``ROUNDS`` times."""
    answered = {name: 0 for name in targets}
    spent = {name: 0.0 for name in targets}
    latencies: dict[str, list[float]] = {name: [] for name in targets}
    names = list(targets)
    for round_number in range(ROUNDS):
        for name in names[round_number:] + names[:round_number]:
            url, headers = targets[name]
            began = time.perf_counter()
            _, measured = asyncio.run(run_clients(url, headers, paths, requests, clients))
            spent[name] += time.perf_counter() - began
            answered[name] += len(measured)
            latencies[name] += measured
    return {name: (answered[name] / spent[name], latencies[name]) for name in names}


def measure(backend: str, server: str | None, requests: int) -> None:
    with demo_system(server, prefix="sortes_bench_path", extra_env={"SORTES_LOG_LEVEL": "INFO"}) as system, \
            floor_process(system.database_url("experts")) as floor_url:
        direct, through = auditor_headers(system)
        targets = {"floor": (floor_url, {}), "service": (system.url("experts"), direct),
                   "gateway": (system.url(), through)}
        for read, paths in READS.items():
            asyncio.run(one_client(targets, paths, 100))  # warm up connections and caches
            single = asyncio.run(one_client(targets, paths, requests))
            floor = statistics.median(single["floor"])
            for name in ("service", "gateway"):
                p50 = statistics.median(single[name])
                print(f"{backend} {read} 1 client: {name} p50 {p50 * 1000:.2f} ms, floor {floor * 1000:.2f} ms, "
                      f"ratio {p50 / floor:.2f}x", flush=True)
            burst = many_clients(targets, paths, requests, 50)
            floor_rate = burst["floor"][0]
            for name in ("service", "gateway"):
                rate, latencies = burst[name]
                print(f"{backend} {read} 50 clients: {name} {rate:.0f} req/s "
                      f"(p50 {statistics.median(latencies) * 1000:.1f} ms), floor {floor_rate:.0f} req/s "
                      f"(p50 {statistics.median(burst['floor'][1]) * 1000:.1f} ms), ratio {rate / floor_rate:.2f}x",
                      flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="per path and client count")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server (its databases are created here)")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    measure("sqlite", None, args.requests)
    if not args.sqlite_only:
        measure("postgresql", args.server, args.requests)


if __name__ == "__main__":
    main()
