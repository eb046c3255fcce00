"""sortes-draw/1: the computations of the verifiable draw protocol, as pure functions.

Normative text: docs/draw-protocol.md (docs/draw-vectors.json holds records every implementation must
reproduce byte for byte). Nothing here does I/O; the service stores receipts and records, and the
verifier (``shared.draw.verify``) re-runs these functions over a published record.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import re
import secrets
import unicodedata
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from shared.draw.keys import ED25519, SM2, DrawSigner, b64url_encode

PROTOCOL = "sortes-draw/1"
PROTOCOL_SM = "sortes-draw/1-sm"
SECRET_SIZE = 32
WITNESS_MAX_CODE_POINTS = 200

_DRAW_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PURPOSE = re.compile(r"[a-z][a-z_]{0,31}")
# Project codes, field codes and candidate ids. ASCII only, so sorting str equals sorting UTF-8 bytes,
# and none of ":", "=", "," or "\n" can occur, which keeps the signed texts unambiguous.
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TIMESTAMP = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
_WITNESS_FORBIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


class DrawInputError(ValueError):
    """An input breaks the rules of 'Codes and text' (or the reveal does not fit its commitment)."""


@dataclass(frozen=True)
class Profile:
    """One profile of the protocol: its name (every record carries it), its hash and its signatures.

    The profiles differ only in these; texts, selection and encodings are the same. Every labelled
    text the protocol hashes or signs begins with the profile's name, so no byte string of one
    profile is ever a valid input of the other.
    """

    name: str
    hash_name: str  # for hashlib: the protocol's hash, and the hash of its HMACs
    algorithm: str  # of the signing key
    description: str  # what a verifier says it checked

    def digest(self, data: bytes) -> bytes:
        return hashlib.new(self.hash_name, data).digest()

    def mac(self, key: bytes, message: bytes) -> bytes:
        return hmac.new(key, message, self.hash_name).digest()

    def label(self, what: str) -> bytes:
        """``"<profile name> <what>\n"``, the first line of each hashed or signed text."""
        return f"{self.name} {what}\n".encode()


STANDARD = Profile(PROTOCOL, "sha256", ED25519, "Ed25519, SHA-256")
SM = Profile(PROTOCOL_SM, "sm3", SM2, "SM2, SM3")
PROFILES = {profile.name: profile for profile in (STANDARD, SM)}


def profile_for_key(algorithm: str) -> Profile:
    """The profile a signing key belongs to: Ed25519 signs sortes-draw/1, SM2 sortes-draw/1-sm."""
    for profile in PROFILES.values():
        if profile.algorithm == algorithm:
            return profile
    raise DrawInputError(f"no profile of the draw protocol signs with {algorithm}")


# --- codes and text -------------------------------------------------------------------------------


def check_draw_id(draw_id: str) -> None:
    if not isinstance(draw_id, str) or not _DRAW_ID.fullmatch(draw_id):
        raise DrawInputError(f"draw_id {draw_id!r} is not a lowercase 8-4-4-4-12 hex UUID")


def check_purpose(purpose: str) -> None:
    if not isinstance(purpose, str) or not _PURPOSE.fullmatch(purpose):
        raise DrawInputError(f"purpose {purpose!r} does not match ^[a-z][a-z_]{{0,31}}$")


def check_code(kind: str, code: str) -> None:
    """A project code, field code or candidate id (``kind`` names which, for the message)."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise DrawInputError(f"{kind} {code!r} does not match ^[A-Za-z0-9][A-Za-z0-9._-]{{0,63}}$")


def check_timestamp(name: str, value: str) -> None:
    """``YYYY-MM-DDTHH:MM:SSZ`` naming a real UTC instant (no leap second 60, no year 0000)."""
    match = _TIMESTAMP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise DrawInputError(f"{name} {value!r} is not written YYYY-MM-DDTHH:MM:SSZ")
    try:
        datetime(*(int(part) for part in match.groups()))
    except ValueError as error:
        raise DrawInputError(f"{name} {value!r} is not a valid date-time: {error}") from None


def check_witness(witness: str, *, refuse_unassigned: bool = False) -> None:
    """The witness text rules. ``refuse_unassigned`` adds the service-side refusal of Cn.

    Verifiers leave it off: which code points are assigned depends on their Unicode version.
    """
    if not isinstance(witness, str) or not 1 <= len(witness) <= WITNESS_MAX_CODE_POINTS:
        raise DrawInputError(f"witness must be 1 to {WITNESS_MAX_CODE_POINTS} code points")
    for position, char in enumerate(witness):
        category = unicodedata.category(char)
        if category in _WITNESS_FORBIDDEN or (refuse_unassigned and category == "Cn"):
            raise DrawInputError(
                f"witness code point {position} (U+{ord(char):04X}) is of forbidden category {category}")
    if unicodedata.category(witness[0]) == "Zs" or unicodedata.category(witness[-1]) == "Zs":
        raise DrawInputError("witness must not begin or end with a space character (Zs)")
    if not unicodedata.is_normalized("NFC", witness):
        raise DrawInputError("witness is not in Unicode normalization form NFC")


def check_quotas(quotas: Sequence[tuple[str, int]], reserves_per_field: int) -> None:
    """At least one quota, distinct valid field codes, counts ≥ 1, reserves ≥ 0 (ints, not bools)."""
    if not quotas:
        raise DrawInputError("a draw needs at least one quota")
    seen: set[str] = set()
    for field, count in quotas:
        check_code("field code", field)
        if field in seen:
            raise DrawInputError(f"field {field} has more than one quota")
        seen.add(field)
        if not _is_int(count) or count < 1:
            raise DrawInputError(f"quota count of {field} must be an integer ≥ 1, not {count!r}")
    if not _is_int(reserves_per_field) or reserves_per_field < 0:
        raise DrawInputError(f"reserves_per_field must be an integer ≥ 0, not {reserves_per_field!r}")


def check_candidate_codes(candidates: Mapping[str, Sequence[str]]) -> None:
    for field, ids in candidates.items():
        for candidate in ids:
            check_code(f"candidate id in {field}", candidate)


def check_candidates_sorted(fields: Iterable[str], candidates: Mapping[str, Sequence[str]]) -> None:
    """Exactly the quota fields, each list strictly ascending (so sorted and duplicate-free).

    Python orders str by code point, which is the order of their UTF-8 bytes.
    """
    wanted, present = set(fields), set(candidates)
    if wanted != present:
        raise DrawInputError(
            f"candidate lists are for {sorted(present)}, the quotas are for {sorted(wanted)}")
    for field, ids in candidates.items():
        for before, after in itertools.pairwise(ids):
            if not before < after:
                problem = "duplicate" if before == after else "out of order"
                raise DrawInputError(f"candidates of {field}: {after} is {problem} after {before}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- hashes, texts and signatures -----------------------------------------------------------------


def commitment(secret: bytes, profile: Profile = STANDARD) -> str:
    """hex H("<profile> secret\\n" ‖ secret), H the profile's hash (SHA-256 or SM3)."""
    return profile.digest(profile.label("secret") + secret).hex()


def candidates_digest(candidates: Mapping[str, Iterable[str]], profile: Profile = STANDARD) -> str:
    """hex H over "<field>:<id>\\n" for each field in sorted order, each id in sorted order."""
    digest = hashlib.new(profile.hash_name, profile.label("candidates"))
    for field in sorted(candidates):
        prefix = field + ":"
        digest.update("".join(prefix + candidate + "\n" for candidate in sorted(candidates[field]))
                      .encode("utf-8"))
    return digest.hexdigest()


def commit_body(*, draw_id: str, purpose: str, project_code: str, committed_at: str, key_id: str,
                quotas: Mapping[str, int], reserves_per_field: int, candidates_digest: str,
                commitment: str) -> bytes:
    """COMMIT_BODY: the committed values, one line each, quota lines in sorted field order."""
    lines = [f"draw:{draw_id}", f"purpose:{purpose}", f"project:{project_code}",
             f"committed_at:{committed_at}", f"key:{key_id}",
             *(f"quota:{field}={quotas[field]:d}" for field in sorted(quotas)),
             f"reserves_per_field:{reserves_per_field:d}", f"candidates:{candidates_digest}",
             f"commitment:{commitment}"]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def commit_signature_message(body: bytes, profile: Profile = STANDARD) -> bytes:
    return profile.label("commit") + body


def _witness_line(witness: str) -> bytes:
    return f"witness:{witness}\n".encode()


def compute_seed(secret: bytes, body: bytes, witness: str, profile: Profile = STANDARD) -> bytes:
    """HMAC-H(secret, "<profile> seed\\n" ‖ COMMIT_BODY ‖ "witness:<witness>\\n")."""
    return profile.mac(secret, profile.label("seed") + body + _witness_line(witness))


def rank_key(seed: bytes, field: str, candidate: str, profile: Profile = STANDARD) -> bytes:
    """HMAC-H(seed, "rank\\n<field>\\n<id>"), the spec's definition for one candidate."""
    message = b"rank\n" + field.encode("utf-8") + b"\n" + candidate.encode("utf-8")
    return profile.mac(seed, message)


def result_signature_message(body: bytes, witness: str, drawn_at: str, seed: bytes,
                             result: Mapping[str, FieldSelection], profile: Profile = STANDARD) -> bytes:
    lines = [f"drawn_at:{drawn_at}", f"seed:{seed.hex()}"]
    for field in sorted(result):
        lines.append(f"primaries:{field}={','.join(result[field].primaries)}")
        lines.append(f"reserves:{field}={','.join(result[field].reserves)}")
    tail = "".join(line + "\n" for line in lines).encode("utf-8")
    return profile.label("result") + body + _witness_line(witness) + tail


# --- ranking --------------------------------------------------------------------------------------

_BLOCK = 64  # SHA-256 and SM3 alike
_DIGEST_SIZE = 32  # SHA-256 and SM3 alike
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


def _sort_keys(seed: bytes, field: str, ids: Iterable[str], profile: Profile = STANDARD) -> list[bytes]:
    """For each id: rank_key ‖ id bytes. Comparing these bytes compares (rank_key, id bytes).

    HMAC is computed by hand from hash states that have already absorbed the padded key (and,
    on the inner side, the "rank\\n<field>\\n" prefix); each id then costs two state copies, two
    updates and two digests, all in C. That is cheaper than copying an ``hmac.HMAC`` object.
    """
    key = seed if len(seed) <= _BLOCK else profile.digest(seed)
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.new(profile.hash_name, key.translate(_INNER_PAD))
    inner.update(b"rank\n" + field.encode("utf-8") + b"\n")
    outer = hashlib.new(profile.hash_name, key.translate(_OUTER_PAD))
    keys: list[bytes] = []
    append = keys.append
    for candidate in ids:
        raw = candidate.encode("utf-8")
        inner_hash = inner.copy()
        inner_hash.update(raw)
        outer_hash = outer.copy()
        outer_hash.update(inner_hash.digest())
        append(outer_hash.digest() + raw)
    return keys


class _Ranking:
    """One field's candidates in ranking order, sorted only as far as the walks read it.

    A walk usually reads a few places from the head, so the keys are heapified (linear) and popped
    one by one (log n each) instead of sorted. The popped head is kept, since both passes walk the
    ranking from its head.
    """

    def __init__(self, seed: bytes, field: str, ids: Iterable[str], profile: Profile = STANDARD) -> None:
        self._heap = _sort_keys(seed, field, ids, profile)
        heapq.heapify(self._heap)
        self._head: list[str] = []

    def walk(self) -> Iterator[str]:
        position = 0
        while True:
            if position == len(self._head):
                if not self._heap:
                    return
                self._head.append(heapq.heappop(self._heap)[_DIGEST_SIZE:].decode("utf-8"))
            yield self._head[position]
            position += 1


def ranking(seed: bytes, field: str, ids: Iterable[str], profile: Profile = STANDARD) -> list[str]:
    """The whole ranking of a field (for display and tests; selection reads it lazily)."""
    return list(_Ranking(seed, field, ids, profile).walk())


# --- capacity: maximum matching of open places to candidates ---------------------------------------


class _Pool:
    """Which quota fields each candidate is in, as a bit mask over the fields in sorted order.

    Candidates with the same mask ("membership pattern") are interchangeable for capacity, so the
    matching is computed over pattern counts, not over people.
    """

    def __init__(self, fields: Sequence[str], candidates: Mapping[str, Iterable[str]]) -> None:
        self._single = len(fields) == 1
        self._members = candidates.get(fields[0], ()) if self._single else ()
        self._masks: dict[str, int] = {}
        if not self._single:  # one field: every candidate has mask 1, no per-id map needed
            masks = self._masks
            for bit, field in enumerate(fields):
                flag = 1 << bit
                for candidate in candidates.get(field, ()):
                    masks[candidate] = masks.get(candidate, 0) | flag

    def pattern(self, candidate: str) -> int:
        return 1 if self._single else self._masks[candidate]

    def available(self, chosen: Set[str]) -> dict[int, int]:
        """Number of candidates not in ``chosen`` per membership pattern."""
        if self._single:
            return {1: sum(1 for candidate in self._members if candidate not in chosen)}
        counts = Counter(self._masks.values())
        for candidate in chosen:
            mask = self._masks.get(candidate)
            if mask is not None:
                counts[mask] -= 1
        return dict(counts)


class _SeatFlow:
    """A maximum flow source → field f (want[f]) → pattern p (f in p) → sink (avail[p]).

    Its value is the spec's capacity. The network has F field nodes and P ≤ min(2**F − 1,
    candidates) pattern nodes, whatever the number of candidates. Building the maximum flow takes
    a greedy fill plus at most W augmenting paths (W = places wanted; each path adds ≥ 1), each a
    breadth-first search over O(F·P) edges. ``try_place`` then answers the spec's placement test
    with at most one augmenting path, because it only has to repair the flow it already holds.
    """

    def __init__(self, want: Sequence[int], avail: Mapping[int, int]) -> None:
        field_count = len(want)
        self.want = list(want)
        # equivalent mutant: > → >= — a pattern with no candidate left carries no flow either way
        self.avail = {pattern: count for pattern, count in avail.items() if count > 0}
        self.patterns_of = [[p for p in sorted(self.avail) if p >> f & 1] for f in range(field_count)]
        self.fields_in = {p: [f for f in range(field_count) if p >> f & 1] for p in self.avail}
        self.flow: list[dict[int, int]] = [dict.fromkeys(patterns, 0) for patterns in self.patterns_of]
        self.filled = [0] * field_count
        self.used = dict.fromkeys(self.avail, 0)
        self._fill()

    @property
    def value(self) -> int:
        return sum(self.filled)

    def _move(self, field: int, pattern: int, units: int) -> None:
        self.flow[field][pattern] += units
        self.filled[field] += units
        self.used[pattern] += units

    def _fill(self) -> None:
        for field, patterns in enumerate(self.patterns_of):
            for pattern in patterns:
                units = min(self.want[field] - self.filled[field], self.avail[pattern] - self.used[pattern])
                # equivalent mutant: > → >= — moving 0 units moves nothing
                # equivalent mutant: 0 → 1 — a head start: the augmenting loop reaches the same maximum
                if units > 0:
                    # equivalent mutant: drop `self._move(field, pattern, units)` — a head start, as above
                    self._move(field, pattern, units)
        while self._augment():
            pass

    def _augment(self, limit: int | None = None) -> int:
        """Push flow along one shortest augmenting path; return the units pushed (0: none left)."""
        reached_by: dict[int, int | None] = {}  # field -> pattern it was reached through (None: source)
        came_from: dict[int, int] = {}  # pattern -> field it was reached from
        queue = deque(f for f in range(len(self.want)) if self.filled[f] < self.want[f])
        reached_by.update(dict.fromkeys(queue))
        while queue:
            field = queue.popleft()
            for pattern in self.patterns_of[field]:
                if pattern in came_from:
                    continue
                came_from[pattern] = field
                if self.used[pattern] < self.avail[pattern]:
                    return self._push(pattern, reached_by, came_from, limit)
                for other in self.fields_in[pattern]:  # residual edge: take over another field's unit
                    if other not in reached_by and self.flow[other][pattern] > 0:
                        reached_by[other] = pattern
                        queue.append(other)
        return 0

    def _push(self, last: int, reached_by: Mapping[int, int | None], came_from: Mapping[int, int],
              limit: int | None) -> int:
        forward: list[tuple[int, int]] = []
        backward: list[tuple[int, int]] = []
        pattern: int | None = last
        while pattern is not None:
            field = came_from[pattern]
            forward.append((field, pattern))
            pattern = reached_by[field]
            if pattern is not None:
                backward.append((field, pattern))
        first = forward[-1][0]
        units = min(self.want[first] - self.filled[first], self.avail[last] - self.used[last],
                    *(self.flow[f][p] for f, p in backward))
        if limit is not None:
            units = min(units, limit)
        for field, pattern in forward:
            self.flow[field][pattern] += units
        for field, pattern in backward:
            self.flow[field][pattern] -= units
        self.filled[first] += units
        self.used[last] += units
        return units

    def try_place(self, field: int, pattern: int) -> bool:
        """Place one candidate of ``pattern`` on a place of ``field`` iff capacity drops by exactly one.

        The current flow is maximum (value cap). Placing lowers want[field] and avail[pattern] by
        one, so the new maximum is at most cap − 1. If the flow already sends a unit field→pattern,
        removing it gives cap − 1 at once. Otherwise make the flow fit the smaller network by
        cancelling a unit on each saturated side (at least one side is saturated, or the flow
        would not be maximum): losing one unit reaches cap − 1; losing two needs one augmenting path.
        """
        # equivalent mutant: 0 → 1 — never read (a field's own pattern); the shortcut answers as the long path
        if self.flow[field].get(pattern, 0) > 0:
            self._move(field, pattern, -1)
            self.want[field] -= 1
            self.avail[pattern] -= 1
            return True
        saved = (list(self.want), dict(self.avail), [dict(d) for d in self.flow], list(self.filled),
                 dict(self.used))
        self.want[field] -= 1
        self.avail[pattern] -= 1
        lost = 0
        if self.filled[field] > self.want[field]:
            self._move(field, next(p for p, units in self.flow[field].items() if units > 0), -1)
            lost += 1
        if self.used[pattern] > self.avail[pattern]:
            self._move(next(f for f in self.fields_in[pattern] if self.flow[f][pattern] > 0), pattern, -1)
            lost += 1
        if lost <= 1 or self._augment(limit=1):
            return True
        self.want, self.avail, self.flow, self.filled, self.used = saved
        return False


def capacity(want: Mapping[str, int], candidates: Mapping[str, Iterable[str]],
             chosen: Set[str] = frozenset()) -> int:
    """Size of a maximum matching of open places (want[g] of each field g) to distinct candidates
    not in ``chosen``, a candidate fitting a place of g iff listed under g."""
    fields = sorted(want)
    if not fields:
        return 0
    pool = _Pool(fields, candidates)
    return _SeatFlow([want[field] for field in fields], pool.available(chosen)).value


def max_primary_seats(quotas: Mapping[str, int], candidates: Mapping[str, Iterable[str]]) -> int:
    """How many primary seats the pool can fill; below sum(quotas) the draw has a shortfall.

    The service checks this before committing, since a committed draw cannot be re-rolled.
    """
    return capacity(quotas, candidates)


# --- selection ------------------------------------------------------------------------------------


class FieldSelection(NamedTuple):
    """One field's outcome, ids in placing order."""

    primaries: tuple[str, ...]
    reserves: tuple[str, ...]


class Shortfall(NamedTuple):
    """Places of one field that the pool could not fill."""

    primaries: int
    reserves: int


def select(seed: bytes, quotas: Mapping[str, int], reserves_per_field: int,
           candidates: Mapping[str, Sequence[str]], profile: Profile = STANDARD) -> dict[str, FieldSelection]:
    """The spec's selection: primaries pass, then reserves pass; result keyed by sorted field.

    Candidate lists must be duplicate-free (their order does not matter: the ranking decides).
    """
    fields = sorted(quotas)
    pool = _Pool(fields, candidates)
    rankings = [_Ranking(seed, field, candidates.get(field, ()), profile) for field in fields]
    chosen: set[str] = set()
    primaries = _run_pass([quotas[field] for field in fields], pool, rankings, chosen)
    reserves = _run_pass([reserves_per_field] * len(fields), pool, rankings, chosen)
    return {field: FieldSelection(tuple(primaries[index]), tuple(reserves[index]))
            for index, field in enumerate(fields)}


def _run_pass(want: list[int], pool: _Pool, rankings: Sequence[_Ranking],
              chosen: set[str]) -> list[list[str]]:
    placed: list[list[str]] = [[] for _ in rankings]
    if not any(want):
        return placed
    flow = _SeatFlow(want, pool.available(chosen))
    for index, field_ranking in enumerate(rankings):
        _walk_field(index, field_ranking, flow, pool, chosen, placed[index])
    return placed


def _walk_field(index: int, field_ranking: _Ranking, flow: _SeatFlow, pool: _Pool, chosen: set[str],
                placed: list[str]) -> None:
    """Walk the field's ranking from its head, placing each id that some maximum matching seats here.

    The test depends only on the pattern counts, which do not change when an id is skipped, so a
    pattern that failed fails again until the next placement: such ids are skipped without a test.
    """
    if flow.want[index] == 0:
        return
    failed: set[int] = set()
    for candidate in field_ranking.walk():
        if candidate in chosen:
            continue
        pattern = pool.pattern(candidate)
        if pattern in failed:
            continue
        if not flow.try_place(index, pattern):
            # equivalent mutant: drop `failed.add(pattern)` — a memo: it fails again till the next placement
            failed.add(pattern)
            continue
        chosen.add(candidate)
        placed.append(candidate)
        failed.clear()
        if flow.want[index] == 0:
            return


def shortfall(quotas: Mapping[str, int], reserves_per_field: int,
              result: Mapping[str, FieldSelection]) -> dict[str, Shortfall]:
    """Fields whose lists came out shorter than asked, with the number of open places."""
    report: dict[str, Shortfall] = {}
    for field in sorted(quotas):
        outcome = result.get(field, FieldSelection((), ()))
        missing = Shortfall(quotas[field] - len(outcome.primaries),
                            reserves_per_field - len(outcome.reserves))
        if missing.primaries > 0 or missing.reserves > 0:
            report[field] = missing
    return report


# --- commit and reveal ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitReceipt:
    """Everything committed except the secret; published before the witness is chosen.

    ``quotas`` and ``candidates`` keep the caller's field order (the record shows it; every
    computation sorts the fields itself).
    """

    draw_id: str
    purpose: str
    project_code: str
    committed_at: str
    key_id: str
    quotas: tuple[tuple[str, int], ...]
    reserves_per_field: int
    candidates: tuple[tuple[str, tuple[str, ...]], ...]
    candidates_digest: str
    commitment: str
    commit_signature: str
    protocol: str = PROTOCOL  # the profile's name

    @property
    def profile(self) -> Profile:
        return PROFILES[self.protocol]

    @property
    def quota_map(self) -> dict[str, int]:
        return dict(self.quotas)

    @property
    def candidate_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.candidates)

    def body(self) -> bytes:
        return commit_body(draw_id=self.draw_id, purpose=self.purpose, project_code=self.project_code,
                           committed_at=self.committed_at, key_id=self.key_id, quotas=self.quota_map,
                           reserves_per_field=self.reserves_per_field,
                           candidates_digest=self.candidates_digest, commitment=self.commitment)

    @classmethod
    def from_json_dict(cls, document: Mapping[str, Any]) -> CommitReceipt:
        """The receipt back from what :meth:`to_json_dict` gave (the service's own stored copy)."""
        return cls(draw_id=document["draw_id"], purpose=document["purpose"], project_code=document["project_code"],
                   committed_at=document["committed_at"], key_id=document["key_id"],
                   quotas=tuple((quota["field"], quota["count"]) for quota in document["quotas"]),
                   reserves_per_field=document["reserves_per_field"],
                   candidates=tuple((field, tuple(ids)) for field, ids in document["candidates"].items()),
                   candidates_digest=document["candidates_digest"], commitment=document["commitment"],
                   commit_signature=document["commit_signature"], protocol=document.get("protocol", PROTOCOL))

    def to_json_dict(self) -> dict[str, Any]:
        """The receipt as the record URL shows it before the reveal."""
        return {"protocol": self.protocol, "draw_id": self.draw_id, "purpose": self.purpose,
                "project_code": self.project_code, "committed_at": self.committed_at,
                "key_id": self.key_id,
                "quotas": [{"field": field, "count": count} for field, count in self.quotas],
                "reserves_per_field": self.reserves_per_field,
                "candidates": {field: list(ids) for field, ids in self.candidates},
                "candidates_digest": self.candidates_digest, "commitment": self.commitment,
                "commit_signature": self.commit_signature}


@dataclass(frozen=True)
class DrawRecord:
    """A revealed draw: the receipt, the secret, the witness and the signed result."""

    receipt: CommitReceipt
    secret: bytes
    witness: str
    drawn_at: str
    seed: bytes
    result: tuple[tuple[str, FieldSelection], ...]  # sorted by field
    signature: str

    @property
    def result_map(self) -> dict[str, FieldSelection]:
        return dict(self.result)

    @property
    def shortfall(self) -> dict[str, Shortfall]:
        return shortfall(self.receipt.quota_map, self.receipt.reserves_per_field, self.result_map)

    def to_json_dict(self) -> dict[str, Any]:
        return {**self.receipt.to_json_dict(), "secret": self.secret.hex(), "witness": self.witness,
                "drawn_at": self.drawn_at, "seed": self.seed.hex(),
                "result": {field: {"primaries": list(outcome.primaries), "reserves": list(outcome.reserves)}
                           for field, outcome in self.result},
                "signature": self.signature}


def commit(draw_id: str, purpose: str, project_code: str, committed_at: str, quotas: Mapping[str, int],
           reserves_per_field: int, candidates: Mapping[str, Iterable[str]], signer: DrawSigner,
           secret: bytes | None = None) -> CommitReceipt:
    """Validate the inputs, commit to a fresh secret and the frozen candidate lists, sign.

    Candidate lists are sorted here; a duplicate id is refused (it is a bug upstream). The secret is
    drawn from the OS CSPRNG unless given (tests give it) and is NOT in the receipt: the caller
    keeps it server-side until the reveal. The signer's key decides the profile (Ed25519:
    sortes-draw/1, SM2: sortes-draw/1-sm), so a record can never name one profile and be signed
    under the other.
    """
    profile = profile_for_key(signer.algorithm)
    check_draw_id(draw_id)
    check_purpose(purpose)
    check_code("project code", project_code)
    check_timestamp("committed_at", committed_at)
    quota_items = tuple(quotas.items())
    check_quotas(quota_items, reserves_per_field)
    as_given = {field: list(ids) for field, ids in candidates.items()}
    check_candidate_codes(as_given)  # before sorting, which needs strings
    frozen = tuple((field, tuple(sorted(ids))) for field, ids in as_given.items())
    frozen_map = dict(frozen)
    check_candidates_sorted(quotas, frozen_map)
    if secret is None:
        secret = secrets.token_bytes(SECRET_SIZE)
    if len(secret) != SECRET_SIZE:
        raise DrawInputError(f"the secret has {SECRET_SIZE} bytes")
    digest, committed = candidates_digest(frozen_map, profile), commitment(secret, profile)
    body = commit_body(draw_id=draw_id, purpose=purpose, project_code=project_code,
                       committed_at=committed_at, key_id=signer.key_id, quotas=quotas,
                       reserves_per_field=reserves_per_field, candidates_digest=digest,
                       commitment=committed)
    return CommitReceipt(draw_id=draw_id, purpose=purpose, project_code=project_code,
                         committed_at=committed_at, key_id=signer.key_id, quotas=quota_items,
                         reserves_per_field=reserves_per_field, candidates=frozen,
                         candidates_digest=digest, commitment=committed,
                         commit_signature=b64url_encode(signer.sign(commit_signature_message(body, profile))),
                         protocol=profile.name)


def reveal(receipt: CommitReceipt, secret: bytes, witness: str, drawn_at: str, signer: DrawSigner, *,
           refuse_unassigned: bool = True) -> DrawRecord:
    """Run the draw with the witness, sign the result and return the full record.

    Unassigned code points (Cn) in the witness are refused by default, as the service must do.
    """
    if signer.key_id != receipt.key_id:
        raise DrawInputError(f"the draw was committed under key {receipt.key_id}, not {signer.key_id}")
    profile = receipt.profile
    if commitment(secret, profile) != receipt.commitment:
        raise DrawInputError("the secret does not match the commitment")
    check_witness(witness, refuse_unassigned=refuse_unassigned)
    check_timestamp("drawn_at", drawn_at)
    if drawn_at < receipt.committed_at:  # fixed-width UTC text: text order is time order
        raise DrawInputError("drawn_at is earlier than committed_at")
    body = receipt.body()
    seed = compute_seed(secret, body, witness, profile)
    result = select(seed, receipt.quota_map, receipt.reserves_per_field, receipt.candidate_map, profile)
    message = result_signature_message(body, witness, drawn_at, seed, result, profile)
    return DrawRecord(receipt=receipt, secret=secret, witness=witness, drawn_at=drawn_at, seed=seed,
                      result=tuple(result.items()), signature=b64url_encode(signer.sign(message)))
