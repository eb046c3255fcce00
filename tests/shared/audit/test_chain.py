"""The chain on its own: every kind of tampering is named at the first entry it touches."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest

from shared.audit.chain import (
    GENESIS_HASH,
    PROFILE_CHANGED,
    Actor,
    AuditEntry,
    ChainReport,
    ChainWalker,
    Checkpoint,
    canonical_details,
    change_digest,
    compute_hash,
    format_instant,
    recompute,
    row_hash,
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


DOC = Path(__file__).resolve().parents[3] / "docs" / "audit-log.md"


def documented_entry_example() -> tuple[dict, str]:
    """The fixed example of docs/audit-log.md: the entry's fields (JSON) and the message shown hashed."""
    section = DOC.read_text(encoding="utf-8").split("## Canonical encoding", 1)[1].split("## Writing", 1)[0]
    blocks = re.findall(r"^```(\w*)\n(.*?)^```$", section, re.S | re.M)
    fields = json.loads(next(text for kind, text in blocks if kind == "json"))
    message = next(text for kind, text in blocks if text.startswith("sortes-audit/1\n"))
    return fields, message


def test_the_documented_entry_hash_example() -> None:
    """A verifier written from the document agrees with the code on the documented entry, both ways."""
    fields, message = documented_entry_example()
    roles = tuple(fields["actor_roles"].split(","))
    entry = dict(seq=fields["seq"], recorded_at=dt.datetime.fromisoformat(fields["recorded_at"]),
                 actor=Actor(fields["actor_subject"], roles, fields["actor_unit"]), action=fields["action"],
                 object_type=fields["object_type"], object_id=fields["object_id"],
                 before_digest=fields["before_digest"], after_digest=fields["after_digest"],
                 details=fields["details"], prev_hash=fields["prev_hash"])
    assert format_instant(entry["recorded_at"]) == fields["recorded_at"]
    assert compute_hash(**entry) == fields["entry_hash"]
    assert compute_hash(**entry, rows_digest=fields["with_rows_digest"]) == fields["entry_hash_with_rows_digest"]
    # The message as the document writes it out hashes to the same value, line for line.
    assert hashlib.sha256(message.encode("utf-8")).hexdigest() == fields["entry_hash"]
    with_rows = message + f"{len(fields['with_rows_digest'])}:{fields['with_rows_digest']}\n"
    assert hashlib.sha256(with_rows.encode("utf-8")).hexdigest() == fields["entry_hash_with_rows_digest"]
    # The stored row's path (audit verify reads rows, not entries) hashes alike.
    stored = (fields["seq"], fields["recorded_at"], fields["actor_subject"], fields["actor_roles"],
              fields["actor_unit"], fields["action"], fields["object_type"], fields["object_id"],
              fields["before_digest"], fields["after_digest"], fields["details"], fields["prev_hash"], None)
    assert row_hash((*stored, None)) == fields["entry_hash"]
    assert row_hash((*stored, fields["with_rows_digest"])) == fields["entry_hash_with_rows_digest"]


def test_each_field_is_length_prefixed_so_no_field_can_swallow_the_next() -> None:
    """Moving text across a field boundary changes the hash (an unprefixed join would not)."""
    base = dict(seq=1, recorded_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), actor=ADMIN, action="a.b",
                object_type="project", object_id="P1", before_digest=None, after_digest=None,
                details="{}", prev_hash=GENESIS_HASH)
    moved = {**base, "object_type": "project\nP", "object_id": "1"}
    assert compute_hash(**base) != compute_hash(**moved)
    # No side is hashed as empty text, as the document says.
    assert compute_hash(**{**base, "before_digest": None}) == compute_hash(**{**base, "before_digest": ""})


def test_the_first_entry_links_to_64_zeros() -> None:
    """As the document says, so a verifier written from it accepts the first entry."""
    [first] = build_chain(1)
    assert first.prev_hash == "0" * 64


def test_instants_are_hashed_as_utc_whatever_zone_they_come_in() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    expected = "2026-03-01T00:30:00.000000Z"
    assert format_instant(dt.datetime(2026, 3, 1, 8, 30, tzinfo=beijing)) == expected
    assert format_instant(dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.UTC)) == expected
    assert format_instant(dt.datetime(2026, 3, 1, 0, 30)) == expected  # naive, as SQLite returns it


def test_details_and_change_digests_are_canonical_json() -> None:
    """Keys sorted, no whitespace, non-ASCII as itself (docs/audit-log.md); a side that does not exist has
    no digest, one that does is the keyed HMAC of that text."""
    assert canonical_details({"name": "城市大脑", "b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1,"name":"城市大脑"}'
    assert canonical_details(None) == "{}"
    key = bytes(32)
    assert change_digest(key, None) is None
    text = '{"a":1,"name":"城市大脑"}'.encode()
    assert change_digest(key, {"name": "城市大脑", "a": 1}) == hmac.new(key, text, hashlib.sha256).hexdigest()


def stored_row(entry: AuditEntry) -> tuple:
    """The entry as audit_log stores it (column order, instant as text), as `audit verify` reads it."""
    return (entry.seq, format_instant(entry.recorded_at), entry.actor.subject, ",".join(entry.actor.roles),
            entry.actor.unit, entry.action, entry.object_type, entry.object_id, entry.before_digest,
            entry.after_digest, entry.details, entry.prev_hash, entry.entry_hash, entry.rows_digest)


def test_stored_rows_verify_like_entries_and_an_edited_row_is_named() -> None:
    entries = build_chain(4)
    walker = ChainWalker()
    assert all(walker.feed_row(stored_row(entry)) for entry in entries)
    assert walker.finish() == ChainReport(True, 4, 4, entries[-1].entry_hash, 0)
    for column in (1, 2, 3, 4, 5, 6, 7, 9, 10):
        rows = [stored_row(entry) for entry in entries]
        rows[2] = (*rows[2][:column], rows[2][column] + "x", *rows[2][column + 1:])
        walker = ChainWalker()
        for row in rows:
            if not walker.feed_row(row):
                break
        report = walker.finish()
        assert (report.ok, report.first_bad_seq, report.entries, report.head_seq) == (False, 3, 2, 2), column
        assert report.head_hash == entries[1].entry_hash


def test_a_profile_change_to_an_unknown_profile_is_named_at_its_entry_from_entries_and_stored_rows_alike() -> None:
    entries = build_chain(3)
    fields = dict(seq=4, recorded_at=dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), actor=ADMIN,
                  action=PROFILE_CHANGED, object_type="audit_chain", object_id="profile", before_digest=None,
                  after_digest=None, details=canonical_details({"to": "md5"}), prev_hash=entries[-1].entry_hash)
    entries.append(AuditEntry(**fields, entry_hash=compute_hash(**fields)))
    walker = ChainWalker()
    for row in map(stored_row, entries):
        if not walker.feed_row(row):
            break
    from_rows = walker.finish()
    assert from_rows == verify_chain(entries)
    assert (from_rows.ok, from_rows.first_bad_seq, from_rows.entries) == (False, 4, 4)
    assert from_rows.problem == (
        "entry 4 changes the chain's profile wrongly: a profile change names an unknown profile 'md5'")


def test_a_failure_reports_how_far_the_chain_held() -> None:
    entries = build_chain(5)
    report = verify_chain(entries[:2] + entries[3:], [Checkpoint(1, entries[0].entry_hash)])
    assert report == ChainReport(False, 2, 2, entries[1].entry_hash, 1, "entry 3 was removed (the next entry is 4)", 3)
    report = verify_chain(entries, [Checkpoint(2, entries[1].entry_hash), Checkpoint(5, entries[4].entry_hash)])
    assert report == ChainReport(True, 5, 5, entries[4].entry_hash, 2)  # a checkpoint at the head itself holds
    report = verify_chain(entries[:3], [Checkpoint(5, entries[4].entry_hash)])
    assert (report.problem, report.first_bad_seq) == (
        "entries after 3 were removed (a signed checkpoint names entry 5)", 4)
    report = verify_chain([*entries[:2], entries[1], *entries[2:]])
    assert (report.problem, report.first_bad_seq) == ("entry 2 appears again or out of order after entry 2", 2)


def test_a_segment_is_checked_from_where_it_starts_and_gives_its_first_link() -> None:
    entries = build_chain(5)
    walker = ChainWalker(start_seq=3, prev_hash=None)
    assert all(walker.feed(entry) for entry in entries[2:])
    assert walker.first_prev == entries[1].entry_hash
    assert walker.finish() == ChainReport(True, 3, 5, entries[4].entry_hash, 0)
    walker = ChainWalker(start_seq=3, prev_hash=entries[0].entry_hash)  # a link that does not match
    assert not walker.feed(entries[2])
    assert walker.finish().problem == "entry 3 was inserted or reordered (it does not follow entry 2)"
