"""verify_record: every worked record verifies; every single change to one is caught."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shared.draw import CHECKS, KeySet, RecordFormatError, Signer, b64url_decode, b64url_encode, verify_record
from shared.draw.protocol import (
    FieldSelection,
    commit_body,
    commit_signature_message,
    result_signature_message,
)

Record = dict[str, Any]
Mutation = tuple[str, Record]
SPEC_MEMBERS = ("protocol", "draw_id", "purpose", "project_code", "committed_at", "key_id", "quotas",
                "reserves_per_field", "candidates", "candidates_digest", "commitment", "commit_signature",
                "secret", "witness", "drawn_at", "seed", "result", "signature")
_HEX = "0123456789abcdef"


def test_every_vector_verifies(vector: Record, keyset: KeySet) -> None:
    outcome = verify_record(vector, keyset)
    assert outcome.ok, outcome
    assert outcome.check is None


# --- programmatic single changes ------------------------------------------------------------------


def changed_texts(text: str) -> Iterator[str]:
    """Other texts one edit away: last character replaced within its class, one appended, emptied."""
    last = text[-1] if text else "a"
    if last in _HEX:
        replacement = _HEX[(_HEX.index(last) + 1) % 16]
    elif last.isascii() and last.isalpha():
        replacement = last.swapcase()
    else:
        replacement = "0"
    yield text[:-1] + replacement
    yield text + "A"
    yield ""


def with_change(record: Record, edit: Callable[[Record], None]) -> Record:
    changed = copy.deepcopy(record)
    edit(changed)
    return changed


def set_member(name: str, value: Any) -> Callable[[Record], None]:
    def edit(record: Record) -> None:
        record[name] = value
    return edit


def single_changes(record: Record) -> Iterator[Mutation]:
    """One change at a time, to every member and every list entry of the record."""
    for name in SPEC_MEMBERS:
        value = record[name]
        if isinstance(value, str):
            for text in changed_texts(value):
                yield f"{name}={text!r}", with_change(record, set_member(name, text))
    for delta in (1, -1):
        yield f"reserves{delta:+d}", with_change(record, set_member("reserves_per_field",
                                                                    record["reserves_per_field"] + delta))
    yield from quota_changes(record)
    yield from candidate_changes(record)
    yield from result_changes(record)


def quota_changes(record: Record) -> Iterator[Mutation]:
    for index, quota in enumerate(record["quotas"]):
        for delta in (1, -1):
            yield f"quota {quota['field']}{delta:+d}", with_change(
                record, lambda r, i=index, d=delta: r["quotas"][i].update(count=r["quotas"][i]["count"] + d))
        yield f"quota {quota['field']} renamed", with_change(
            record, lambda r, i=index: r["quotas"][i].update(field=r["quotas"][i]["field"] + "X"))
        yield f"quota {quota['field']} dropped", with_change(record, lambda r, i=index: r["quotas"].pop(i))
    yield "quota added", with_change(record, lambda r: r["quotas"].append({"field": "ZZ", "count": 1}))


def candidate_changes(record: Record) -> Iterator[Mutation]:
    for field, ids in record["candidates"].items():
        for index in range(len(ids)):
            yield f"{field} without {ids[index]}", with_change(
                record, lambda r, f=field, i=index: r["candidates"][f].pop(i))
            yield f"{field} duplicates {ids[index]}", with_change(
                record, lambda r, f=field, i=index: r["candidates"][f].insert(i, r["candidates"][f][i]))
        for index in range(len(ids) - 1):
            yield f"{field} swaps {index}", with_change(
                record, lambda r, f=field, i=index: swap(r["candidates"][f], i))
        yield f"{field} gains Z99", with_change(record, lambda r, f=field: r["candidates"][f].append("Z99"))
        yield f"{field} dropped", with_change(record, lambda r, f=field: r["candidates"].pop(f))
    yield "field added", with_change(record, lambda r: r["candidates"].update(ZZ=[]))


def result_changes(record: Record) -> Iterator[Mutation]:
    for field, outcome in record["result"].items():
        placed = outcome["primaries"] + outcome["reserves"]
        others = [i for i in record["candidates"][field] if i not in placed]
        for kind, ids in outcome.items():
            where = f"result {field} {kind}"
            for index in range(len(ids)):
                yield f"{where} without {index}", with_change(
                    record, lambda r, f=field, k=kind, i=index: r["result"][f][k].pop(i))
                for replacement in [*others[:3], "Z99"]:
                    yield f"{where} {index}->{replacement}", with_change(
                        record, lambda r, f=field, k=kind, i=index, x=replacement: r["result"][f][k]
                        .__setitem__(i, x))
            for index in range(len(ids) - 1):
                yield f"{where} swaps {index}", with_change(
                    record, lambda r, f=field, k=kind, i=index: swap(r["result"][f][k], i))
            for extra in [*others[:2], "Z99"]:
                yield f"{where} gains {extra}", with_change(
                    record, lambda r, f=field, k=kind, x=extra: r["result"][f][k].append(x))
            yield f"{where} missing", with_change(record, lambda r, f=field, k=kind: r["result"][f].pop(k))
        if outcome["primaries"] != outcome["reserves"]:
            yield f"result {field} lists exchanged", with_change(
                record, lambda r, f=field: r["result"].update(
                    {f: {"primaries": r["result"][f]["reserves"], "reserves": r["result"][f]["primaries"]}}))
        yield f"result {field} dropped", with_change(record, lambda r, f=field: r["result"].pop(f))
    yield "result field added", with_change(
        record, lambda r: r["result"].update(ZZ={"primaries": [], "reserves": []}))


def swap(items: list[Any], index: int) -> None:
    items[index], items[index + 1] = items[index + 1], items[index]


def test_every_single_change_fails(vector: Record, keyset: KeySet) -> None:
    mutations = [(label, changed) for label, changed in single_changes(vector) if changed != vector]
    assert len(mutations) > 60
    for label, changed in mutations:  # all keep the JSON types, so each must fail a named check
        outcome = verify_record(changed, keyset)
        assert not outcome.ok, f"change {label!r} still verifies"
        assert outcome.check in CHECKS


@pytest.mark.parametrize("name", SPEC_MEMBERS)
def test_missing_member_is_a_format_error(vectors: dict[str, Any], keyset: KeySet, name: str) -> None:
    record = copy.deepcopy(vectors["records"][0])
    del record[name]
    with pytest.raises(RecordFormatError, match=name if name != "protocol" else "protocol"):
        verify_record(record, keyset)


@pytest.mark.parametrize(("name", "value"), [
    ("draw_id", 7), ("witness", None), ("quotas", {}), ("quotas", [["APP", 3]]),
    ("quotas", [{"field": "APP"}]),
    ("quotas", [{"field": "APP", "count": 3.0}]), ("quotas", [{"field": "APP", "count": True}]),
    ("reserves_per_field", "2"), ("reserves_per_field", False), ("candidates", []),
    ("candidates", {"APP": "E00001"}), ("candidates", {"APP": [1]}), ("result", []), ("signature", b"x")])
def test_wrong_json_type_is_a_format_error(vectors: dict[str, Any], keyset: KeySet, name: str,
                                           value: Any) -> None:
    record = {**copy.deepcopy(vectors["records"][0]), name: value}
    with pytest.raises(RecordFormatError):
        verify_record(record, keyset)


def test_format_error_is_a_value_error() -> None:
    assert issubclass(RecordFormatError, ValueError)
    with pytest.raises(RecordFormatError):
        verify_record([], KeySet(()))  # type: ignore[arg-type]


def test_order_of_quotas_and_fields_and_extra_members_do_not_matter(vectors: dict[str, Any],
                                                                    keyset: KeySet) -> None:
    for vector in vectors["records"]:
        record = copy.deepcopy(vector)
        record["quotas"].reverse()
        record["candidates"] = dict(reversed(record["candidates"].items()))
        record["result"] = dict(reversed(record["result"].items()))
        record["note"] = "members beyond the spec's are ignored"
        assert verify_record(record, keyset).ok


# --- each check is named when it is the first to fail ----------------------------------------------


def resign(record: Record, signer: Signer) -> Record:
    """Sign both messages again over the record as it stands, as a dishonest key holder could."""
    quotas = {quota["field"]: quota["count"] for quota in record["quotas"]}
    body = commit_body(draw_id=record["draw_id"], purpose=record["purpose"],
                       project_code=record["project_code"], committed_at=record["committed_at"],
                       key_id=record["key_id"], quotas=quotas,
                       reserves_per_field=record["reserves_per_field"],
                       candidates_digest=record["candidates_digest"], commitment=record["commitment"])
    result = {f: FieldSelection(tuple(o["primaries"]), tuple(o["reserves"]))
              for f, o in record["result"].items()}
    message = result_signature_message(body, record["witness"], record["drawn_at"],
                                       bytes.fromhex(record["seed"]), result)
    return {**record, "commit_signature": b64url_encode(signer.sign(commit_signature_message(body))),
            "signature": b64url_encode(signer.sign(message))}


def first_record(vectors: dict[str, Any]) -> Record:
    return copy.deepcopy(vectors["records"][0])


CASES: list[tuple[str, Callable[[Record], None], bool]] = [
    ("protocol", set_member("protocol", "sortes-draw/2"), False),
    ("codes", set_member("draw_id", "3F2A6C1E-8D4B-4B7A-9C2E-5A1F0E7D9B31"), False),
    ("codes", set_member("witness", "trailing space "), False),
    ("codes", set_member("purpose", "Technical_review"), False),
    ("codes", set_member("project_code", "-P1"), False),
    ("codes", set_member("committed_at", "2026-02-30T01:00:00Z"), False),
    ("codes", set_member("drawn_at", "2026-03-02T02:00:60Z"), False),
    ("codes", set_member("reserves_per_field", -1), False),
    ("codes", lambda r: r["quotas"].append(dict(r["quotas"][0])), False),
    ("codes", lambda r: r["candidates"]["APP"].append("not a code"), False),
    ("secret_format", lambda r: r.update(secret=r["secret"].upper()), False),
    ("candidates_sorted", lambda r: swap(r["candidates"]["APP"], 0), False),
    ("candidates_sorted", lambda r: r["candidates"].pop("SEC"), False),
    ("result_fields", lambda r: r["result"].pop("SEC"), False),
    ("result_fields", lambda r: r["result"]["SEC"].pop("reserves"), False),
    ("result_fields", lambda r: r["result"]["SEC"].update(reserves=[1]), False),
    ("key", set_member("key_id", "0123456789abcdef"), False),
    ("candidates_digest", lambda r: r["candidates"]["APP"].pop(), True),
    ("commitment", set_member("secret", "00" * 32), True),
    ("commit_signature", set_member("committed_at", "2026-03-02T01:00:00Z"), False),
    ("commit_signature", lambda r: r.update(commit_signature=r["commit_signature"][:-1] + "x"), False),
    ("seed", set_member("witness", "another witness"), True),
    ("result", lambda r: swap(r["result"]["APP"]["primaries"], 0), True),
    ("result", lambda r: r["result"]["SEC"]["reserves"].pop(), True),
    ("signature", set_member("drawn_at", "2026-03-02T02:00:01Z"), False),
    ("signature", lambda r: r.update(signature=r["signature"][:-2] + "AA"), False),
    ("drawn_at", set_member("drawn_at", "2026-03-02T01:29:59Z"), True),
]


@pytest.mark.parametrize(("check", "edit", "sign_again"), CASES,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(CASES)])
def test_first_failed_check_is_named(vectors: dict[str, Any], keyset: KeySet, signer: Signer, check: str,
                                     edit: Callable[[Record], None], sign_again: bool) -> None:
    record = first_record(vectors)
    edit(record)
    if sign_again:  # the key holder cannot forge these checks by signing again
        record = resign(record, signer)
    outcome = verify_record(record, keyset)
    assert (outcome.ok, outcome.check) == (False, check), outcome
    assert outcome.message


def test_a_draw_in_the_same_second_as_its_commitment_verifies(vectors: dict[str, Any], keyset: KeySet,
                                                               signer: Signer) -> None:
    # The spec refuses a draw earlier than its commitment; the same second is not earlier.
    record = first_record(vectors)
    record = resign({**record, "drawn_at": record["committed_at"]}, signer)
    assert verify_record(record, keyset).ok


def test_unknown_key_set_entry_algorithm_fails_key(vectors: dict[str, Any]) -> None:
    entry = vectors["keys"]["keys"][0]
    keyset = KeySet.from_json({"keys": [{**entry, "algorithm": "Ed448"}]})
    outcome = verify_record(first_record(vectors), keyset)
    assert outcome.check == "key"


def test_every_check_name_is_reachable() -> None:
    assert {case[0] for case in CASES} == set(CHECKS)


def test_base64url_text_of_every_length_decodes_to_its_bytes() -> None:
    # Unpadded text of each length a value can have: the padding put back is right for every one.
    for size in range(70):
        data = bytes(range(size))
        assert b64url_decode(b64url_encode(data)) == data, size
