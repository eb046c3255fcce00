"""Property tests of the selection against a spec-literal reference and a brute-force matcher."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.draw import capacity, commit_body, compute_seed, max_primary_seats, rank_key, select, shortfall

FIELD_CODES = ["AA", "APP", "DC", "NET", "SEC", "net.lan", "x_1"]
POOL = [f"E{n:02d}" for n in range(14)]
PROPERTY_SETTINGS = settings(deadline=None, max_examples=100, database=None)  # no files left behind


@dataclass(frozen=True)
class Draw:
    seed: bytes
    quotas: dict[str, int]
    reserves_per_field: int
    candidates: dict[str, list[str]]


@st.composite
def draws(draw: st.DrawFn, max_fields: int = 4, pool_size: int = 12, max_count: int = 4) -> Draw:
    fields = draw(st.lists(st.sampled_from(FIELD_CODES), min_size=1, max_size=max_fields, unique=True))
    pool = POOL[:pool_size]
    candidates = {f: sorted(draw(st.lists(st.sampled_from(pool), unique=True, max_size=pool_size)))
                  for f in fields}
    return Draw(seed=draw(st.binary(min_size=32, max_size=32)),
                quotas={f: draw(st.integers(1, max_count)) for f in fields},
                reserves_per_field=draw(st.integers(0, 3)), candidates=candidates)


def max_matching(want: Mapping[str, int], candidates: Mapping[str, Sequence[str]], chosen: set[str]) -> int:
    """Independent check: Kuhn's augmenting paths with one node per open place."""
    seats = [field for field in sorted(want) for _ in range(want[field])]
    holder: dict[str, int] = {}

    def seat_someone(seat: int, visited: set[str]) -> bool:
        for person in candidates.get(seats[seat], ()):
            if person in chosen or person in visited:
                continue
            visited.add(person)
            if person not in holder or seat_someone(holder[person], visited):
                holder[person] = seat
                return True
        return False

    return sum(seat_someone(seat, set()) for seat in range(len(seats)))


def reference_select(d: Draw) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """The selection exactly as the spec words it, with full sorts and a matching per test."""
    fields = sorted(d.quotas)
    order = {f: sorted(d.candidates[f], key=lambda i, f=f: (rank_key(d.seed, f, i), i.encode()))
             for f in fields}
    chosen: set[str] = set()
    placed: dict[str, list[list[str]]] = {f: [[], []] for f in fields}
    for pass_index, initial in enumerate(({f: d.quotas[f] for f in fields},
                                          dict.fromkeys(fields, d.reserves_per_field))):
        want = dict(initial)
        cap = max_matching(want, d.candidates, chosen)
        for f in fields:
            for candidate in order[f]:
                if want[f] == 0:
                    break
                if candidate in chosen:
                    continue
                lowered = {**want, f: want[f] - 1}
                if max_matching(lowered, d.candidates, chosen | {candidate}) == cap - 1:
                    placed[f][pass_index].append(candidate)
                    chosen.add(candidate)
                    want, cap = lowered, cap - 1
    return {f: (tuple(lists[0]), tuple(lists[1])) for f, lists in placed.items()}


def run(d: Draw) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    result = select(d.seed, d.quotas, d.reserves_per_field, d.candidates)
    return {f: tuple(outcome) for f, outcome in result.items()}


@PROPERTY_SETTINGS
@given(draws())
def test_same_inputs_same_result_whatever_the_list_order(d: Draw) -> None:
    shuffled = {f: random.Random(7).sample(ids, len(ids)) for f, ids in reversed(d.candidates.items())}
    reordered = Draw(d.seed, dict(reversed(d.quotas.items())), d.reserves_per_field, shuffled)
    assert run(d) == run(d) == run(reordered)


# Draws on which a small slip in the seat flow's repair once went unseen by 100 random examples (found by
# mutation testing; each is checked every run): an augmenting path's bottleneck taken too wide, a field's
# unit cancelled when the field was not full, a placement losing two units accepted without repair.
SEAT_FLOW_EDGES = [
    Draw(b"\xe2b(\xd8\xcc\x84\xed\x13D\x18Ed5\x97\x8b\x05\x02\x03\x82\xf4\xc3\xb4\x88M{_\x95[9\xb4L\xd6",
         {"NET": 2, "SEC": 1, "AA": 2}, 2,
         {"NET": ["E00", "E01", "E05"], "SEC": ["E02", "E03", "E06", "E07"],
          "AA": ["E00", "E01", "E02", "E03", "E06"]}),
    Draw(b"\xd5\t\xd4\x95t\x80QI/\xd8\xccp\x19\x96@\x91QM\xa5[\x1dN7]\xc2\x11\xe8B\xbf\xc0H\xc8",
         {"AA": 1, "APP": 1, "x_1": 2}, 0,
         {"AA": ["E00", "E01", "E02"], "APP": ["E00", "E02"], "x_1": ["E00", "E01", "E02"]}),
    Draw(bytes(32), {"APP": 1, "AA": 1, "DC": 1}, 0, {"APP": [], "AA": ["E00", "E01"], "DC": ["E00"]}),
    # The bottleneck's field side added instead of subtracted (found by a search of 600,000 random pools).
    Draw(bytes.fromhex("917f3866b7195119e35246d2d8f2a070aaeacbb5411fb8a1675b3eccf0e081ee"),
         {"A": 1, "B": 3, "C": 4, "D": 1}, 1,
         {"A": ["E004", "E005", "E006"], "B": ["E000", "E001", "E002", "E003", "E004", "E005", "E006", "E007", "E008"],
          "C": ["E001", "E002", "E005", "E008"], "D": ["E000", "E001", "E004", "E005", "E006", "E007"]}),
]


@PROPERTY_SETTINGS
@given(draws())
@example(SEAT_FLOW_EDGES[0])
@example(SEAT_FLOW_EDGES[1])
@example(SEAT_FLOW_EDGES[2])
@example(SEAT_FLOW_EDGES[3])
def test_agrees_with_the_spec_literal_reference(d: Draw) -> None:
    assert run(d) == reference_select(d)


@PROPERTY_SETTINGS
@given(draws(max_fields=6, pool_size=14, max_count=5))
def test_agrees_with_the_reference_on_more_fields(d: Draw) -> None:
    assert run(d) == reference_select(d)


@PROPERTY_SETTINGS
@given(draws())
def test_nobody_placed_twice_and_only_in_own_fields(d: Draw) -> None:
    result = run(d)
    placed = [(f, i) for f, (primaries, reserves) in result.items() for i in primaries + reserves]
    assert len({i for _, i in placed}) == len(placed)
    assert all(i in d.candidates[f] for f, i in placed)


@PROPERTY_SETTINGS
@given(draws())
def test_no_field_gets_more_than_asked(d: Draw) -> None:
    for f, (primaries, reserves) in run(d).items():
        assert len(primaries) <= d.quotas[f]
        assert len(reserves) <= d.reserves_per_field


@PROPERTY_SETTINGS
@given(draws())
def test_every_seat_the_pool_allows_is_filled(d: Draw) -> None:
    result = run(d)
    primaries = {i for ids, _ in result.values() for i in ids}
    assert len(primaries) == max_matching(d.quotas, d.candidates, set())
    assert len(primaries) == max_primary_seats(d.quotas, d.candidates)
    reserves = sum(len(ids) for _, ids in result.values())
    assert reserves == max_matching(dict.fromkeys(d.quotas, d.reserves_per_field), d.candidates, primaries)


@PROPERTY_SETTINGS
@given(draws(max_fields=5), st.sets(st.sampled_from(POOL[:12])))
def test_capacity_is_a_maximum_matching(d: Draw, chosen: set[str]) -> None:
    assert capacity(d.quotas, d.candidates, chosen) == max_matching(d.quotas, d.candidates, chosen)


@PROPERTY_SETTINGS
@given(draws())
def test_shortfall_counts_the_open_places(d: Draw) -> None:
    result = select(d.seed, d.quotas, d.reserves_per_field, d.candidates)
    report = shortfall(d.quotas, d.reserves_per_field, result)
    missing = sum(gap.primaries for gap in report.values())
    assert missing == sum(d.quotas.values()) - max_matching(d.quotas, d.candidates, set())
    assert all(gap.primaries >= 0 and gap.reserves >= 0 and any(gap) for gap in report.values())


BODY = commit_body(draw_id="3f2a6c1e-8d4b-4b7a-9c2e-5a1f0e7d9b31", purpose="research", project_code="P1",
                   committed_at="2026-03-02T01:30:00Z", key_id="22d309fa0cb2b51c", quotas={"A": 1},
                   reserves_per_field=0, candidates_digest="0" * 64, commitment="1" * 64)
two_secrets = st.lists(st.binary(min_size=32, max_size=32), min_size=2, max_size=2, unique=True)
two_witnesses = st.lists(st.text(min_size=1, max_size=40), min_size=2, max_size=2, unique=True)


@PROPERTY_SETTINGS
@given(two_secrets, two_witnesses)
def test_different_secret_or_witness_gives_different_seed(secrets: list[bytes], witnesses: list[str]) -> None:
    seed = compute_seed(secrets[0], BODY, witnesses[0])
    assert seed == compute_seed(secrets[0], BODY, witnesses[0])
    assert seed != compute_seed(secrets[1], BODY, witnesses[0])
    assert seed != compute_seed(secrets[0], BODY, witnesses[1])


def test_no_place_asked_has_a_capacity_of_none() -> None:
    assert capacity({}, {"APP": ["E00"]}) == 0
    assert max_primary_seats({}, {"APP": ["E00"]}) == 0
