"""Offline verification of a sortes-draw/1 or sortes-draw/1-sm record against the service's key set.

The record's ``protocol`` names its profile, and the profile decides the hash (SHA-256 or SM3) and
the key the signatures must be made with (Ed25519 or SM2); a key of the other algorithm fails "key".

The checks run in the order docs/draw-protocol.md §8 lists them and the first failure is reported by a short,
stable name (``CHECKS``). A record whose members are missing or of the wrong JSON type cannot be
checked at all: that raises ``RecordFormatError`` instead, so callers can tell "this is not a
record" (exit 2) from "this record is false" (exit 1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared import sm_crypto
from shared.draw.keys import ED25519, SM2, KeySet, PublicKeyEntry, b64url_decode, key_id
from shared.draw.protocol import (
    PROFILES,
    STANDARD,
    DrawInputError,
    FieldSelection,
    Profile,
    candidates_digest,
    check_candidate_codes,
    check_candidates_sorted,
    check_code,
    check_draw_id,
    check_purpose,
    check_quotas,
    check_timestamp,
    check_witness,
    commit_body,
    commit_signature_message,
    commitment,
    compute_seed,
    result_signature_message,
    select,
)

CHECKS = ("protocol", "codes", "secret_format", "candidates_sorted", "result_fields", "key",
          "candidates_digest", "commitment", "commit_signature", "seed", "result", "signature",
          "drawn_at")
_LOWER_HEX_32_BYTES = re.compile(r"[0-9a-f]{64}")
_TEXT_MEMBERS = ("draw_id", "purpose", "project_code", "committed_at", "key_id", "candidates_digest",
                 "commitment", "commit_signature", "secret", "witness", "drawn_at", "seed", "signature")


class RecordFormatError(ValueError):
    """The document is not shaped like a draw record (missing member or wrong JSON type)."""


@dataclass(frozen=True)
class VerificationResult:
    """``ok``, or the name of the first failed check and what was wrong."""

    ok: bool
    check: str | None
    message: str
    profile: Profile | None = None  # the profile checked (None: the record names no known profile)

    def __bool__(self) -> bool:
        return self.ok


class _Failed(Exception):
    def __init__(self, check: str, message: str) -> None:
        # equivalent mutant: drop `super().__init__(message)` — caught in verify_record, read by .message
        super().__init__(message)
        self.check = check
        self.message = message


@dataclass
class _State:
    """The record's members with their JSON types checked, plus what the checks derive."""

    text: dict[str, str]
    quotas: list[tuple[str, int]]
    reserves_per_field: int
    candidates: dict[str, list[str]]
    raw_result: Mapping[str, Any]
    keyset: KeySet
    profile: Profile = STANDARD
    result: dict[str, FieldSelection] | None = None
    key: PublicKeyEntry | None = None
    body: bytes = b""
    seed: bytes = b""

    @property
    def quota_map(self) -> dict[str, int]:
        return dict(self.quotas)


def verify_record(record: Mapping[str, Any], keyset: KeySet) -> VerificationResult:
    """Run every check of the spec over ``record`` (a decoded JSON object); stop at the first failure.

    Members beyond those of the spec are ignored. Raises ``RecordFormatError`` when a member is
    missing or has the wrong JSON type.
    """
    if not isinstance(record, Mapping):
        raise RecordFormatError("a draw record is a JSON object")
    protocol = _member(record, "protocol", str)
    profile = PROFILES.get(protocol)
    if profile is None:  # before the shape: another protocol may have other members
        return VerificationResult(False, "protocol", f"protocol is {protocol!r}, expected one of "
                                                     f"{', '.join(repr(name) for name in PROFILES)}")
    state = _parse(record, keyset)
    state.profile = profile
    try:
        for check in _STEPS:
            check(state)
    except _Failed as failure:
        return VerificationResult(False, failure.check, failure.message, profile)
    return VerificationResult(True, None, f"the record verifies under {profile.name} ({profile.description})",
                              profile)


# --- shape ----------------------------------------------------------------------------------------


def _member(record: Mapping[str, Any], name: str, kind: type) -> Any:
    if name not in record:
        raise RecordFormatError(f"the record has no {name!r} member")
    value = record[name]
    if not _is_json_type(value, kind):
        raise RecordFormatError(f"{name!r} must be a JSON {_JSON_NAMES[kind]}")
    return value


_JSON_NAMES = {str: "string", int: "integer", list: "array", dict: "object"}


def _is_json_type(value: object, kind: type) -> bool:
    if kind is int:  # bool is an int in Python but not a JSON number; floats are not integers
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is dict:
        return isinstance(value, Mapping)
    return isinstance(value, kind)


def _parse(record: Mapping[str, Any], keyset: KeySet) -> _State:
    text = {name: _member(record, name, str) for name in _TEXT_MEMBERS}
    quotas = []
    for index, item in enumerate(_member(record, "quotas", list)):
        if not isinstance(item, Mapping):
            raise RecordFormatError(f"quotas[{index}] must be a JSON object")
        quotas.append((_member(item, "field", str), _member(item, "count", int)))
    candidates: dict[str, list[str]] = {}
    for field, ids in _member(record, "candidates", dict).items():
        if not isinstance(ids, list) or not all(isinstance(candidate, str) for candidate in ids):
            raise RecordFormatError(f"candidates[{field!r}] must be an array of strings")
        candidates[field] = ids
    return _State(text=text, quotas=quotas, reserves_per_field=_member(record, "reserves_per_field", int),
                  candidates=candidates, raw_result=_member(record, "result", dict), keyset=keyset)


# --- the checks, in the spec's order --------------------------------------------------------------


def _check_codes(state: _State) -> None:
    text = state.text
    try:
        check_draw_id(text["draw_id"])
        check_purpose(text["purpose"])
        check_code("project code", text["project_code"])
        check_timestamp("committed_at", text["committed_at"])
        check_timestamp("drawn_at", text["drawn_at"])
        check_quotas(state.quotas, state.reserves_per_field)
        check_candidate_codes(state.candidates)
        check_witness(text["witness"])  # Cn is not checked: it depends on the Unicode version
    except DrawInputError as error:
        raise _Failed("codes", str(error)) from None


def _check_secret_format(state: _State) -> None:
    if not _LOWER_HEX_32_BYTES.fullmatch(state.text["secret"]):
        raise _Failed("secret_format", "secret must be 64 lowercase hex characters")


def _check_candidates_sorted(state: _State) -> None:
    try:
        check_candidates_sorted(state.quota_map, state.candidates)
    except DrawInputError as error:
        raise _Failed("candidates_sorted", str(error)) from None


def _check_result_fields(state: _State) -> None:
    fields, present = set(state.quota_map), set(state.raw_result)
    if fields != present:
        raise _Failed("result_fields", f"result has fields {sorted(present)}, the quotas {sorted(fields)}")
    result: dict[str, FieldSelection] = {}
    for field in sorted(fields):
        entry = state.raw_result[field]
        lists = [entry.get(name) if isinstance(entry, Mapping) else None
                 for name in ("primaries", "reserves")]
        if not all(isinstance(ids, list) and all(isinstance(i, str) for i in ids) for ids in lists):
            raise _Failed("result_fields", f"result of {field} needs a primaries and a reserves array of ids")
        result[field] = FieldSelection(tuple(lists[0]), tuple(lists[1]))
    state.result = result


def _check_key(state: _State) -> None:
    wanted = state.text["key_id"]
    entry = state.keyset.get(wanted)
    if entry is None:
        raise _Failed("key", f"key {wanted!r} is not in the key set")
    profile = state.profile
    if entry.algorithm != profile.algorithm:
        raise _Failed("key", f"key {wanted} is an {entry.algorithm} key; {profile.name} records are signed "
                             f"with {profile.algorithm}")
    if entry.algorithm == ED25519 and len(entry.public_key) != 32:
        raise _Failed("key", f"key {wanted} is not an Ed25519 public key")
    if entry.algorithm == SM2:
        try:
            sm_crypto.check_public_key(entry.public_key)
        except sm_crypto.SM2KeyError as error:
            raise _Failed("key", f"key {wanted} is malformed: {error}") from None
    if key_id(entry.public_key, entry.algorithm) != wanted:  # KeySet refuses this already; checked anyway
        raise _Failed("key", f"key_id {wanted} does not match its public key")
    state.key = entry


def _check_candidates_digest(state: _State) -> None:
    if candidates_digest(state.candidates, state.profile) != state.text["candidates_digest"]:
        raise _Failed("candidates_digest", "candidates_digest does not match the candidate lists")


def _check_commitment(state: _State) -> None:
    if commitment(bytes.fromhex(state.text["secret"]), state.profile) != state.text["commitment"]:
        raise _Failed("commitment", "commitment is not the hash of the revealed secret")


def _check_commit_signature(state: _State) -> None:
    text = state.text
    state.body = commit_body(draw_id=text["draw_id"], purpose=text["purpose"],
                             project_code=text["project_code"], committed_at=text["committed_at"],
                             key_id=text["key_id"], quotas=state.quota_map,
                             reserves_per_field=state.reserves_per_field,
                             candidates_digest=text["candidates_digest"], commitment=text["commitment"])
    _verify_signature(state, "commit_signature", commit_signature_message(state.body, state.profile))


def _check_seed(state: _State) -> None:
    state.seed = compute_seed(bytes.fromhex(state.text["secret"]), state.body, state.text["witness"],
                              state.profile)
    if state.seed.hex() != state.text["seed"]:
        raise _Failed("seed", "seed is not HMAC(secret, commit body and witness)")


def _check_result(state: _State) -> None:
    expected = select(state.seed, state.quota_map, state.reserves_per_field, state.candidates, state.profile)
    assert state.result is not None  # set by _check_result_fields
    for field, outcome in expected.items():
        if state.result[field] != outcome:
            raise _Failed("result", f"result of {field} differs from the recomputed selection (primaries "
                                    f"{list(outcome.primaries)}, reserves {list(outcome.reserves)})")


def _check_signature(state: _State) -> None:
    assert state.result is not None
    message = result_signature_message(state.body, state.text["witness"], state.text["drawn_at"],
                                       state.seed, state.result, state.profile)
    _verify_signature(state, "signature", message)


def _check_drawn_at(state: _State) -> None:
    # Both are fixed-width UTC timestamps (checked under "codes"), so text order is time order.
    if state.text["drawn_at"] < state.text["committed_at"]:
        raise _Failed("drawn_at", "drawn_at is earlier than committed_at")


def _verify_signature(state: _State, name: str, message: bytes) -> None:
    assert state.key is not None  # set by _check_key
    try:
        signature = b64url_decode(state.text[name])
    except ValueError as error:
        raise _Failed(name, f"{name} is not base64url: {error}") from None
    if state.key.algorithm == SM2 and len(signature) != sm_crypto.SIGNATURE_SIZE:
        raise _Failed(name, f"{name} is malformed: an SM2 signature is r ‖ s, {sm_crypto.SIGNATURE_SIZE} bytes")
    if not state.key.verify(signature, message):
        raise _Failed(name, f"{name} is not a valid {state.key.algorithm} signature by key {state.key.key_id}")


_STEPS: tuple[Callable[[_State], None], ...] = (
    _check_codes, _check_secret_format, _check_candidates_sorted, _check_result_fields, _check_key,
    _check_candidates_digest, _check_commitment, _check_commit_signature, _check_seed, _check_result,
    _check_signature, _check_drawn_at)
