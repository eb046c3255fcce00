"""Benchmark: what a draw's signatures and its verification cost under each profile (a script that prints
figures, not a test): sortes-draw/1 (Ed25519, SHA-256) beside sortes-draw/1-sm (SM2, SM3).

For each profile: one signature and one signature check of a commit text; a whole commit and reveal
(two signatures, the hashes and the selection) of a draw over a 10,000-candidate pool in two fields; and
``verify_record`` of that draw's record (every check, both signatures). The panel draw's own target
(p50 < 250 ms for commit and reveal through the gateway) is measured by bench/panel_draw.py.

    python -m bench.draw_signatures [--pool 10000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable

from shared.draw import Signer, SM2Signer, commit, reveal, verify_record
from shared.draw.keys import DrawSigner, KeySet
from shared.draw.protocol import profile_for_key


def timed(action: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


SECRET = bytes(range(32))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    message = b"sortes-draw/1 commit\n" + b"x" * 400
    for signer in (Signer.generate(), SM2Signer.generate()):
        profile = profile_for_key(signer.algorithm)
        entry = signer.public_entry()
        keys = KeySet(keys=(entry,))
        signature = signer.sign(message)
        sign = timed(lambda signer=signer: signer.sign(message), args.repeat)
        check = timed(lambda entry=entry, signature=signature: entry.verify(signature, message), args.repeat)
        candidates = {"APP": [f"E{n:05d}" for n in range(args.pool) if n % 3],
                      "SEC": [f"E{n:05d}" for n in range(args.pool) if n % 2]}

        def whole(signer: DrawSigner = signer, candidates: dict[str, list[str]] = candidates) -> dict[str, object]:
            receipt = commit(str(uuid.uuid4()), "technical_review", "BENCH-1", "2026-12-01T01:00:00Z",
                             {"APP": 3, "SEC": 3}, 2, candidates, signer, secret=SECRET)
            return reveal(receipt, SECRET, "bench witness", "2026-12-01T02:00:00Z", signer).to_json_dict()

        record = whole()
        assert verify_record(record, keys).ok
        drawn = timed(whole, args.repeat)
        verified = timed(lambda record=record, keys=keys: verify_record(record, keys), args.repeat)
        name = f"{profile.name} ({profile.description})"
        print(f"{name:34s} sign {sign * 1000:7.2f} ms   verify signature {check * 1000:7.2f} ms   "
              f"commit + reveal ({args.pool:,} pool) {drawn * 1000:7.1f} ms   "
              f"verify record {verified * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
