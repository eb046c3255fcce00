"""Benchmark of the sortes-draw/1 selection (a script that prints figures, not a test).

Each selection is compared with its floor, measured in the same run: one HMAC-SHA256 per (field,
candidate) pair with the key pads precomputed (``hmac.new(seed, digestmod=sha256)`` once, then
``copy()`` + ``update()`` + ``digest()`` per pair). No correct implementation can do less, since
every rank key has to be computed. Target: selection ≤ 1.5 × floor.

    .venv/bin/python -m bench.draw_selection    (the repo's package ``shared`` must be importable)
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence

from shared.draw import max_primary_seats, select

SEED = hashlib.sha256(b"benchmark seed").digest()
FIELDS = ["APP", "DC", "NET", "SEC", "SW"]


def best_time(action: Callable[[], object], repeats: int) -> float:
    """Best wall time of ``repeats`` runs (the least disturbed by other processes)."""
    timings = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def hmac_floor(candidates: Mapping[str, Sequence[str]]) -> None:
    base = hmac.new(SEED, digestmod=hashlib.sha256)
    for field, ids in candidates.items():
        prefix = b"rank\n" + field.encode() + b"\n"
        for candidate in ids:
            pair = base.copy()
            pair.update(prefix + candidate.encode())
            pair.digest()


def peak_bytes(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def ids(count: int, start: int = 0) -> list[str]:
    return [f"E{n:07d}" for n in range(start, start + count)]


def one_field(count: int) -> dict[str, list[str]]:
    return {"APP": ids(count)}


def overlapping_fields(total: int, rng: random.Random) -> dict[str, list[str]]:
    """``total`` candidates, each in 1 to 3 of the five fields (so ~2 pairs per candidate)."""
    lists: dict[str, list[str]] = {field: [] for field in FIELDS}
    for candidate in ids(total):
        for field in rng.sample(FIELDS, rng.choice((1, 2, 3))):
            lists[field].append(candidate)
    return lists


def half_in_two_fields(total: int, rng: random.Random) -> dict[str, list[str]]:
    """Half the candidates in one field, the other half in two fields."""
    lists: dict[str, list[str]] = {field: [] for field in FIELDS}
    for index, candidate in enumerate(ids(total)):
        for field in rng.sample(FIELDS, 1 if index % 2 else 2):
            lists[field].append(candidate)
    return lists


def compare(label: str, quotas: Mapping[str, int], reserves: int, candidates: Mapping[str, Sequence[str]],
            repeats: int) -> None:
    pairs = sum(len(members) for members in candidates.values())
    floor = best_time(lambda: hmac_floor(candidates), repeats)
    spent = best_time(lambda: select(SEED, quotas, reserves, candidates), repeats)
    print(f"{label:<44} pairs {pairs:>9,}  selection {spent:8.3f} s  floor {floor:8.3f} s  "
          f"ratio {spent / floor:5.2f}x")


def main() -> None:
    rng = random.Random(20260302)
    print(f"Python {sys.version.split()[0]}; best of several runs; floor = one HMAC-SHA256 per pair\n")

    small = one_field(10_000)
    spent = best_time(lambda: select(SEED, {"APP": 5}, 2, small), 5)
    print(f"{'one field, 10k candidates (5 + 2 reserves)':<44} pairs {10_000:>9,}  selection {spent:8.3f} s")
    compare("one field, 100k candidates (5 + 2 reserves)", {"APP": 5}, 2, one_field(100_000), 5)
    compare("one field, 1M candidates (5 + 2 reserves)", {"APP": 5}, 2, one_field(1_000_000), 2)
    overlapping = overlapping_fields(100_000, rng)
    compare("5 overlapping fields, 100k candidates", dict.fromkeys(FIELDS, 3), 2, overlapping, 3)

    half = half_in_two_fields(100_000, rng)
    seats = dict.fromkeys(FIELDS, 4)  # 20 seats
    spent = best_time(lambda: max_primary_seats(seats, half), 5)
    print(f"\ncapacity: 20 seats, 5 fields, 100k candidates, 50% in two fields: "
          f"{spent:.3f} s (value {max_primary_seats(seats, half)})")
    compare("select on the same pool (20 seats + 2 reserves)", seats, 2, half, 3)

    print("\npeak memory of the selection (tracemalloc):")
    for count in (100_000, 1_000_000):
        pool = one_field(count)
        peak = peak_bytes(lambda pool=pool: select(SEED, {"APP": 5}, 2, pool))
        print(f"  one field, {count:>9,} candidates: {peak / 2**20:7.1f} MiB  "
              f"({peak / count:5.0f} B/candidate)")


if __name__ == "__main__":
    main()
