"""The chain on its own: every kind of tampering is named at the first entry it touches."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.audit.chain import (
    GENESIS_HASH,
    Actor,
    AuditEntry,
    Checkpoint,
    canonical_details,
    compute_hash,
    recompute,
    verify_chain,
)

ADMIN = Actor(subject="apikey:1", roles=("bureau_admin",), unit="11330326862981311N")


def build_chain(length: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = GENESIS_HASH
    for seq in range(1, length + 1):
        fields = dict(seq=seq, recorded_at=dt.datetime(2026, 3, 1, 8, 0, seq, tzinfo=dt.UTC), actor=ADMIN,
                      action="project.created", object_type="project", object_id=f"PY-{seq}",
                      before_digest=None, after_digest="ab" * 32, details=canonical_details({"n": seq}), prev_hash=prev)
        entry = AuditEntry(**fields, entry_hash=compute_hash(**fields))
        entries.append(entry)
        prev = entry.entry_hash
    return entries


def rehash_from(entries: list[AuditEntry], start: int) -> list[AuditEntry]:
    """What someone without the signing key can still do: recompute every hash after a change."""
    fixed = entries[:start]
    prev = fixed[-1].entry_hash if fixed else GENESIS_HASH
    for entry in entries[start:]:
        entry = entry._replace(prev_hash=prev)
        entry = entry._replace(entry_hash=recompute(entry))
        fixed.append(entry)
        prev = entry.entry_hash
    return fixed


def test_an_untouched_chain_verifies() -> None:
    report = verify_chain(build_chain(10))
    assert report.ok and report.entries == 10 and report.head_seq == 10


def test_an_empty_chain_verifies() -> None:
    assert verify_chain([]).ok


@pytest.mark.parametrize("field", ["action", "object_id", "actor", "after_digest", "details", "recorded_at"])
def test_editing_any_field_is_caught_at_that_entry(field: str) -> None:
    entries = build_chain(10)
    changes = {"action": "project.deleted", "object_id": "PY-X", "actor": Actor("apikey:2", (), ""),
               "after_digest": "cd" * 32, "details": canonical_details({"n": 99}),
               "recorded_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}
    entries[4] = entries[4]._replace(**{field: changes[field]})
    report = verify_chain(entries)
    assert not report.ok and report.first_bad_seq == 5 and "edited" in (report.problem or "")


def test_a_removed_entry_is_named() -> None:
    entries = build_chain(10)
    del entries[3]
    report = verify_chain(entries)
    assert report.first_bad_seq == 4 and "removed" in (report.problem or "")


def test_an_inserted_entry_with_a_valid_hash_is_caught_where_it_breaks_the_links() -> None:
    entries = build_chain(10)
    forged_fields = dict(seq=5, recorded_at=entries[4].recorded_at, actor=ADMIN, action="project.created",
                         object_type="project", object_id="PY-FORGED", before_digest=None, after_digest=None,
                         details="{}", prev_hash="f" * 64)
    entries[4] = AuditEntry(**forged_fields, entry_hash=compute_hash(**forged_fields))
    report = verify_chain(entries)
    assert report.first_bad_seq == 5 and "inserted or reordered" in (report.problem or "")


def test_reordered_entries_are_caught() -> None:
    entries = build_chain(10)
    entries[2], entries[3] = entries[3], entries[2]
    report = verify_chain(entries)
    assert not report.ok and report.first_bad_seq == 3


def test_a_consistent_rewrite_is_caught_by_a_signed_checkpoint() -> None:
    original = build_chain(10)
    checkpoint = Checkpoint(8, original[7].entry_hash)
    rewritten = list(original)
    rewritten[2] = rewritten[2]._replace(object_id="PY-REWRITTEN")
    rewritten = rehash_from(rewritten, 2)
    assert verify_chain(rewritten).ok  # without a checkpoint the rewrite looks whole
    report = verify_chain(rewritten, [checkpoint])
    assert not report.ok and report.first_bad_seq == 8 and "rewritten" in (report.problem or "")


def test_a_truncated_tail_is_caught_by_a_checkpoint() -> None:
    entries = build_chain(10)
    report = verify_chain(entries[:6], [Checkpoint(10, entries[9].entry_hash)])
    assert not report.ok and "removed" in (report.problem or "")
