"""Benchmark: GET /api/v1/experts/{code} through the gateway against the experts service called
directly, in the same run, at 1 and at 10 concurrent clients.

Prints throughput, p50 and p99 for both paths, the throughput ratio (target ≥ 0.5) and the
gateway's p50 overhead at 1 client (target under 2 ms): the median difference of back-to-back
pairs, one direct and one through the gateway, so that a busy machine's drift cancels out.
Starts the three services itself on free loopback ports with the demo pool (SQLite), and stops
them at the end.

    python -m bench.gateway_overhead [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from bench.serving import auditor_headers, demo_system, describe, run_clients


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with demo_system(extra_env={"SORTES_LOG_LEVEL": "WARNING"}) as system:
        # An auditor reads the pool with personal data masked: a pure read on both paths. (A bureau
        # admin's read unmasks and so writes an audit entry, which would time the disk, not the hop.)
        direct_headers, gateway_headers = auditor_headers(system)
        codes = [f"E{number:05d}" for number in range(1, 201)]

        def path(index: int) -> str:
            return f"/api/v1/experts/{codes[index % len(codes)]}"

        asyncio.run(run_clients(system.url(), gateway_headers, path, 200, 2))  # warm up both paths
        asyncio.run(run_clients(system.url("experts"), direct_headers, path, 200, 2))
        for clients in (1, 10):
            direct_rate, direct = asyncio.run(run_clients(system.url("experts"), direct_headers, path,
                                                          args.requests, clients))
            proxied_rate, proxied = asyncio.run(run_clients(system.url(), gateway_headers, path,
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


if __name__ == "__main__":
    main()
