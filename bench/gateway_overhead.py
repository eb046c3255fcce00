"""Benchmark: GET /api/v1/experts/{code} through the gateway against the experts service called
directly, in the same run, at 1 and at 10 concurrent clients.

Prints throughput, p50 and p99 for both paths, the throughput ratio (target ≥ 0.5) and the
gateway's p50 overhead at 1 client (target under 2 ms): the median difference of back-to-back
pairs, one direct and one through the gateway, so that a busy machine's drift cancels out.
Starts the three services itself on free loopback ports with the demo pool (SQLite), and stops
them at the end.

    python bench/gateway_overhead.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from shared.identity import Identity, IdentityIssuer
from shared.signing_keys import load_private_key
from sortes_cli.local_system import LocalSystem


async def run_clients(url: str, headers_for: Callable[[], dict[str, str]], codes: list[str], total: int,
                      clients: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    per_client = total // clients

    async def client_loop(offset: int) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            for index in range(per_client):
                code = codes[(offset + index) % len(codes)]
                started = time.perf_counter()
                response = await client.get(f"{url}/api/v1/experts/{code}", headers=headers_for())
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")

    began = time.perf_counter()
    await asyncio.gather(*(client_loop(n * 17) for n in range(clients)))
    return per_client * clients / (time.perf_counter() - began), latencies


async def paired_overheads(direct_url: str, direct_headers: dict[str, str], gateway_url: str,
                           gateway_headers: dict[str, str], codes: list[str], pairs: int) -> list[float]:
    """One client asking for the same expert directly and through the gateway, back to back, the
    order alternating: each pair's difference is the gateway's cost, free of the drift between two
    separate runs on a busy machine."""
    differences: list[float] = []
    async with httpx.AsyncClient(timeout=30) as client:
        for index in range(pairs):
            code = codes[index % len(codes)]
            timings = {}
            order = ((direct_url, direct_headers), (gateway_url, gateway_headers))
            for url, headers in order if index % 2 else reversed(order):
                started = time.perf_counter()
                response = await client.get(f"{url}/api/v1/experts/{code}", headers=headers)
                timings[url] = time.perf_counter() - started
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
            differences.append(timings[gateway_url] - timings[direct_url])
    return differences


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def describe(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms  p99 {ordered[int(len(ordered) * 0.99)] * 1000:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="sortes-bench-"))
    system = LocalSystem(data_dir=data_dir, demo_data=True, log_dir=data_dir / "logs",
                         ports={name: free_port() for name in ("gateway", "experts", "vendors")},
                         extra_env={"SORTES_GATEWAY_RATE_LIMIT_PER_MINUTE": "10000000", "SORTES_LOG_LEVEL": "WARNING"})
    system.prepare()
    system.start(ready_timeout=120)
    try:
        # An auditor reads the pool with personal data masked: a pure read on both paths. (A bureau
        # admin's read unmasks and so writes an audit entry, which would time the disk, not the hop.)
        unit = "11330326862981311N"
        created = httpx.post(system.url() + "/api/v1/api-keys", json={"name": "bench", "roles": ["auditor"],
                                                                     "unit_uscc": unit},
                             headers={"Authorization": f"Bearer {system.admin_api_key}"}, timeout=30)
        created.raise_for_status()
        issuer = IdentityIssuer(load_private_key(data_dir / "keys" / "identity.pem"), ttl_seconds=3600)
        identity = Identity(subject="bench", name="bench", roles=("auditor",), unit=unit)
        direct_headers = {"x-sortes-identity": issuer.issue(identity, "experts")}
        gateway_headers = {"Authorization": f"Bearer {created.json()['value']}"}
        codes = [f"E{number:05d}" for number in range(1, 201)]
        asyncio.run(run_clients(system.url(), lambda: gateway_headers, codes, 200, 2))  # warm up both paths
        asyncio.run(run_clients(system.url("experts"), lambda: direct_headers, codes, 200, 2))
        for clients in (1, 10):
            direct_rate, direct = asyncio.run(run_clients(system.url("experts"), lambda: direct_headers, codes,
                                                          args.requests, clients))
            proxied_rate, proxied = asyncio.run(run_clients(system.url(), lambda: gateway_headers, codes,
                                                            args.requests, clients))
            print(f"{clients:2d} client(s): direct  {direct_rate:7.1f} req/s  {describe(direct)}")
            print(f"{clients:2d} client(s): gateway {proxied_rate:7.1f} req/s  {describe(proxied)}")
            overhead = (statistics.median(proxied) - statistics.median(direct)) * 1000
            if clients == 1:  # the target's figure: the median of back-to-back pairs
                overhead = statistics.median(asyncio.run(paired_overheads(
                    system.url("experts"), direct_headers, system.url(), gateway_headers, codes, args.requests))) * 1000
            print(f"{clients:2d} client(s): throughput ratio gateway/direct {proxied_rate / direct_rate:.2f} "
                  f"(target ≥ 0.5); p50 overhead {overhead:.2f} ms"
                  + (" (median of paired requests; target < 2 ms)" if clients == 1 else ""))
    finally:
        system.stop()


if __name__ == "__main__":
    main()
