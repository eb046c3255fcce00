"""Every worked record of docs/draw-vectors.json is reproduced byte for byte from its inputs and the test key."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from shared.draw import (
    CommitReceipt,
    DrawInputError,
    DrawRecord,
    KeySet,
    KeySetError,
    Signer,
    b64url_decode,
    b64url_encode,
    check_witness,
    commit,
    key_id,
    rank_key,
    ranking,
    reveal,
)
from shared.draw.keys import ED25519, PublicKeyEntry
from shared.draw.protocol import _sort_keys

VECTORS_PATH = Path(__file__).resolve().parents[3] / "docs" / "draw-vectors.json"

RECEIPT_MEMBERS = ("protocol", "draw_id", "purpose", "project_code", "committed_at", "key_id", "quotas",
                   "reserves_per_field", "candidates", "candidates_digest", "commitment",
                   "commit_signature")


def redo_commit(vector: dict[str, Any], signer: Signer) -> CommitReceipt:
    return commit(vector["draw_id"], vector["purpose"], vector["project_code"], vector["committed_at"],
                  {quota["field"]: quota["count"] for quota in vector["quotas"]},
                  vector["reserves_per_field"], vector["candidates"], signer,
                  secret=bytes.fromhex(vector["secret"]))


def redo_draw(vector: dict[str, Any], signer: Signer) -> DrawRecord:
    receipt = redo_commit(vector, signer)
    return reveal(receipt, bytes.fromhex(vector["secret"]), vector["witness"], vector["drawn_at"], signer)


def as_json_text(document: Any) -> str:
    # The vectors file is written exactly like this (checked in test_vectors_file_is_rebuilt_exactly).
    return json.dumps(document, indent=1, ensure_ascii=False)


def test_commit_receipt_reproduced(vector: dict[str, Any], signer: Signer) -> None:
    receipt = redo_commit(vector, signer).to_json_dict()
    expected = {name: vector[name] for name in RECEIPT_MEMBERS}
    assert receipt == expected
    assert as_json_text(receipt) == as_json_text(expected)


def test_record_reproduced(vector: dict[str, Any], signer: Signer) -> None:
    record = redo_draw(vector, signer).to_json_dict()
    assert record == vector
    assert as_json_text(record) == as_json_text(vector)


def test_vectors_file_is_rebuilt_exactly(vectors: dict[str, Any], signer: Signer) -> None:
    records = [redo_draw(vector, signer).to_json_dict() for vector in vectors["records"]]
    rebuilt = {**vectors, "keys": KeySet.from_json(vectors["keys"]).to_json_dict(), "records": records}
    assert as_json_text(rebuilt) == VECTORS_PATH.read_text(encoding="utf-8")


def test_test_key_is_the_published_key(vectors: dict[str, Any], signer: Signer) -> None:
    assert signer.public_entry("2026-01-01T00:00:00Z").to_json_dict() == vectors["keys"]["keys"][0]


def test_shortfall_of_vectors(vectors: dict[str, Any], signer: Signer) -> None:
    shortfalls = [redo_draw(vector, signer).shortfall for vector in vectors["records"]]
    assert shortfalls[0] == {}
    assert shortfalls[1] == {"NET": (1, 1), "DC": (0, 1)}
    assert shortfalls[2] == {"BB": (0, 1)}
    assert shortfalls[3] == {"x_1": (1, 0)}


def test_fast_rank_keys_equal_the_spec_definition() -> None:
    for seed in (bytes(32), bytes(range(32)), b"k" * 64, b"long key " * 10):
        keys = _sort_keys(seed, "sec-crypto", ["E00001", "S9", "x"])
        assert [key[:32] for key in keys] == [rank_key(seed, "sec-crypto", i) for i in ("E00001", "S9", "x")]
        assert rank_key(seed, "F", "i") == hmac.new(seed, b"rank\nF\ni", hashlib.sha256).digest()


def test_ranking_orders_by_rank_key_then_id() -> None:
    seed, ids = bytes(range(32)), [f"E{n:03d}" for n in range(50)]
    assert ranking(seed, "APP", ids) == sorted(ids, key=lambda i: (rank_key(seed, "APP", i), i.encode()))


def test_commit_sorts_lists_and_refuses_duplicates(signer: Signer) -> None:
    receipt = commit("3f2a6c1e-8d4b-4b7a-9c2e-5a1f0e7d9b31", "research", "P1", "2026-03-02T01:30:00Z",
                     {"A": 1}, 0, {"A": ["b2", "a1"]}, signer)
    assert receipt.candidate_map == {"A": ("a1", "b2")}
    assert "secret" not in receipt.to_json_dict()
    with pytest.raises(DrawInputError, match="duplicate"):
        commit("3f2a6c1e-8d4b-4b7a-9c2e-5a1f0e7d9b31", "research", "P1", "2026-03-02T01:30:00Z",
               {"A": 1}, 0, {"A": ["a1", "a1"]}, signer)


@pytest.mark.parametrize(("change", "message"), [
    ({"draw_id": "3F2A6C1E-8D4B-4B7A-9C2E-5A1F0E7D9B31"}, "draw_id"),
    ({"purpose": "Review"}, "purpose"),
    ({"project_code": "-P1"}, "project code"),
    ({"committed_at": "2026-02-30T01:30:00Z"}, "committed_at"),
    ({"committed_at": "2026-03-02T01:30:00.5Z"}, "committed_at"),
    ({"quotas": {}}, "at least one quota"),
    ({"quotas": {"A": 0}}, "count"),
    ({"quotas": {"A": True}}, "count"),
    ({"reserves_per_field": -1}, "reserves_per_field"),
    ({"candidates": {"A": ["a1"], "B": []}}, "candidate lists"),
    ({"candidates": {"A": ["bad id"]}}, "candidate id"),
    # A field code is hashed as a line of its own: one holding a newline could forge another line.
    ({"quotas": {"A\nB": 1}, "candidates": {"A\nB": ["a1"]}}, "field code"),
    ({"quotas": {"A B": 1}, "candidates": {"A B": ["a1"]}}, "field code"),
    ({"secret": b"short"}, "secret"),
])
def test_commit_refuses_bad_input(signer: Signer, change: dict[str, Any], message: str) -> None:
    inputs: dict[str, Any] = {"draw_id": "3f2a6c1e-8d4b-4b7a-9c2e-5a1f0e7d9b31", "purpose": "research",
                              "project_code": "P1", "committed_at": "2026-03-02T01:30:00Z",
                              "quotas": {"A": 1}, "reserves_per_field": 0, "candidates": {"A": ["a1"]},
                              "signer": signer, "secret": None, **change}
    with pytest.raises(DrawInputError, match=message):
        commit(**inputs)


def test_reveal_refuses_wrong_secret_witness_time_or_key(vectors: dict[str, Any], signer: Signer) -> None:
    vector = vectors["records"][0]
    receipt, secret = redo_commit(vector, signer), bytes.fromhex(vector["secret"])
    with pytest.raises(DrawInputError, match="commitment"):
        reveal(receipt, bytes(32), "w", vector["drawn_at"], signer)
    with pytest.raises(DrawInputError, match="earlier"):
        reveal(receipt, secret, "w", "2026-03-02T01:29:59Z", signer)
    with pytest.raises(DrawInputError, match="Cn"):
        reveal(receipt, secret, "w\U000e0fff", vector["drawn_at"], signer)
    with pytest.raises(DrawInputError, match="key"):
        reveal(receipt, secret, "w", vector["drawn_at"], Signer.from_seed(bytes(32)))
    # A draw time not in the record's one form (second precision, UTC, Z) is refused, not signed.
    for malformed in ("2026-03-02T01:30:00.5Z", "2026-03-02 01:30:00Z", "2026-03-02T09:30:00+08:00"):
        with pytest.raises(DrawInputError, match="drawn_at"):
            reveal(receipt, secret, "w", malformed, signer)
    # The same second as the commitment is not earlier.
    assert reveal(receipt, secret, "w", receipt.committed_at, signer).drawn_at == receipt.committed_at


@pytest.mark.parametrize("witness", [
    "", "x" * 201, " lead", "trail\u3000", "line\nbreak", "zero\u200bwidth", "e\u0301",
    "private\ue000", "para\u2029", "surrogate\ud800"])
def test_witness_rules_refuse(witness: str) -> None:
    with pytest.raises(DrawInputError):
        check_witness(witness)


@pytest.mark.parametrize("witness", ["x", "x" * 200, "监督人 张三 输入 4071", "é", "a\u3000b"])
def test_witness_rules_accept(witness: str) -> None:
    check_witness(witness, refuse_unassigned=True)


def test_unassigned_code_points_only_refused_on_request() -> None:
    check_witness("new\U000e0fff")
    with pytest.raises(DrawInputError, match="Cn"):
        check_witness("new\U000e0fff", refuse_unassigned=True)


def test_base64url_round_trip_and_refusals() -> None:
    for data in (b"", b"\x00", b"\xff\xfe", bytes(range(64))):
        assert b64url_decode(b64url_encode(data)) == data
    for text in ("AA==", "A", "AB", "A+B/", "ab c"):  # padded, impossible length, non-canonical, alphabet
        with pytest.raises(ValueError):
            b64url_decode(text)
    for not_text in (12345, None, b"AAAA"):  # a JSON number or null where the text belongs: a format error
        with pytest.raises(ValueError, match="not unpadded base64url text"):
            b64url_decode(not_text)  # type: ignore[arg-type]


def test_a_key_of_an_algorithm_the_verifier_does_not_know_verifies_nothing(vectors: dict[str, Any]) -> None:
    entry = vectors["keys"]["keys"][0]
    known = PublicKeyEntry(entry["key_id"], ED25519, b64url_decode(entry["public_key"]))
    unknown = PublicKeyEntry(entry["key_id"], "RSA", known.public_key)
    signature = bytes(64)
    assert not known.verify(signature, b"message") and not unknown.verify(signature, b"message")


def test_keyset_refuses_duplicates_and_mismatched_ids(vectors: dict[str, Any]) -> None:
    entry = vectors["keys"]["keys"][0]
    assert key_id(b64url_decode(entry["public_key"])) == entry["key_id"]
    with pytest.raises(KeySetError, match="more than once"):
        KeySet.from_json({"keys": [entry, entry]})
    with pytest.raises(KeySetError, match="does not match"):
        KeySet.from_json({"keys": [{**entry, "key_id": "0000000000000000"}]})
    with pytest.raises(KeySetError):
        KeySet.from_json({"keys": [{**entry, "public_key": entry["public_key"] + "="}]})
    with pytest.raises(KeySetError):
        KeySet.from_json([entry])
