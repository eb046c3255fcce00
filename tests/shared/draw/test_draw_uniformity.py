"""Uniformity of the selection: deterministic chi-square tests over many draws.

The secrets are derived from a counter, so the statistics are fixed numbers: the tests cannot flake.
Each asserts the upper tail probability of the statistic is above 0.001 (a strict level: a biased
ranking, e.g. one that favoured low ids or the list order, would push it far below).
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import Counter
from itertools import combinations

from shared.draw import commit_body, compute_seed, select

POOL = [f"E{n:05d}" for n in range(1, 11)]
SEATS = 3
DRAWS = 6000
SIGNIFICANCE = 0.001
BODY = commit_body(draw_id="00000000-0000-4000-8000-000000000000", purpose="research", project_code="P1",
                   committed_at="2026-03-02T01:30:00Z", key_id="22d309fa0cb2b51c", quotas={"APP": SEATS},
                   reserves_per_field=0, candidates_digest="0" * 64, commitment="1" * 64)


def chi2_upper_tail(statistic: float, degrees: int) -> float:
    """P(X ≥ statistic) for X ~ chi-square(degrees).

    That is 1 − P(k/2, x/2), with P the lower regularized gamma function summed as its power series.
    """
    a, x = degrees / 2, statistic / 2
    term = total = 1 / a
    n = 0
    while term > total * 1e-17:
        n += 1
        term *= x / (a + n)
        total += term
    return 1 - math.exp(a * math.log(x) - x - math.lgamma(a)) * total


def chi_square(observed: Counter[object], categories: list[object], expected: float) -> float:
    return sum((observed[category] - expected) ** 2 / expected for category in categories)


@functools.cache
def outcomes() -> list[tuple[str, ...]]:
    outcomes = []
    for counter in range(DRAWS):
        secret = hashlib.sha256(b"uniformity " + counter.to_bytes(4, "big")).digest()
        seed = compute_seed(secret, BODY, "witness 4071")
        outcomes.append(select(seed, {"APP": SEATS}, 0, {"APP": POOL})["APP"].primaries)
    return outcomes



def test_chi_square_helper_matches_tables() -> None:
    # Published critical values: chi-square(9) at p = 0.001 is 27.877, at p = 0.05 is 16.919.
    assert abs(chi2_upper_tail(27.877, 9) - 0.001) < 2e-6
    assert abs(chi2_upper_tail(16.919, 9) - 0.05) < 2e-5
    assert abs(chi2_upper_tail(0.5, 1) - math.erfc(0.5)) < 1e-12  # chi-square(1) tail is erfc(sqrt(x/2))


def test_every_candidate_is_chosen_equally_often() -> None:
    # Counts of three distinct picks per draw are less spread than a multinomial's (negative
    # covariance), so comparing against chi-square(9) is conservative.
    counts = Counter(candidate for outcome in outcomes() for candidate in outcome)
    statistic = chi_square(counts, list(POOL), DRAWS * SEATS / len(POOL))
    assert chi2_upper_tail(statistic, len(POOL) - 1) > SIGNIFICANCE, statistic


def test_first_place_is_uniform() -> None:
    counts = Counter(outcome[0] for outcome in outcomes())
    statistic = chi_square(counts, list(POOL), DRAWS / len(POOL))
    assert chi2_upper_tail(statistic, len(POOL) - 1) > SIGNIFICANCE, statistic


def test_every_panel_is_equally_likely() -> None:
    panels: list[object] = list(combinations(POOL, SEATS))  # 120 panels, 50 expected draws each
    counts = Counter(tuple(sorted(outcome)) for outcome in outcomes())
    assert sum(counts.values()) == DRAWS and set(counts) <= set(panels)
    statistic = chi_square(counts, panels, DRAWS / len(panels))
    assert chi2_upper_tail(statistic, len(panels) - 1) > SIGNIFICANCE, statistic
