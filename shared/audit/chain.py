"""The audit chain itself: canonical encoding, entry hashes, and verification (pure; no I/O).

Each entry's hash is SHA-256 over a canonical, length-prefixed encoding of its fields and the
previous entry's hash (docs/audit-log.md), so editing, removing, inserting or reordering any entry breaks the chain
from that point on. Signed checkpoints pin (sequence, hash) pairs with a key kept outside the
database, so even a rewrite of the whole chain after some point is caught.

Under the commercial-cryptography profile the hash is SM3 (format line ``sortes-audit/1-sm``) and the
keyed digests HMAC-SM3. A chain moves to it with an entry of its own (``audit.profile_changed``, hashed
as the entries before it): every entry after that one is hashed under the profile it names, so the old
entries keep their hashes and a verifier reads the switch from the chain itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

FORMAT = "sortes-audit/1"
FORMAT_LINE = b"sortes-audit/1\n"
GENESIS_HASH = "0" * 64
STANDARD, SM = "standard", "sm"  # the crypto profiles (SORTES_CRYPTO_PROFILE)
_FORMATS = {STANDARD: (FORMAT_LINE, "sha256"), SM: (b"sortes-audit/1-sm\n", "sm3")}
PROFILE_CHANGED = "audit.profile_changed"  # the entry that moves the chain to another profile


def hash_name(profile: str) -> str:
    """hashlib's name of a profile's hash: sha256 or sm3."""
    return _FORMATS[profile][1]


def switched_to(action: str, details: str) -> str | None:
    """The profile a stored entry moves the chain to, when it is a profile change (else None)."""
    if action != PROFILE_CHANGED:
        return None
    profile = json.loads(details).get("to")
    if profile not in _FORMATS:
        raise ValueError(f"a profile change names an unknown profile {profile!r}")
    return profile


class Actor(NamedTuple):
    """Who acted: a person or system (``subject``), the roles it acted in, and its unit."""

    subject: str
    roles: tuple[str, ...]
    unit: str


class AuditEntry(NamedTuple):
    # A named tuple, not a dataclass: verification builds one per entry, a million at a time.
    seq: int
    recorded_at: dt.datetime  # UTC
    actor: Actor
    action: str
    object_type: str
    object_id: str
    before_digest: str | None
    after_digest: str | None
    details: str  # canonical JSON text of an object (canonical_details)
    prev_hash: str
    entry_hash: str
    rows_digest: str | None = None  # the rows the entry's transaction wrote (rows.py); hashed when present


def format_instant(moment: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ``; naive datetimes are taken as UTC (as SQLite returns them)."""
    if moment.tzinfo is dt.UTC:
        moment = moment.replace(tzinfo=None)
    elif moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"


def canonical_details(details: Mapping[str, Any] | None) -> str:
    """The one text of a details object: keys sorted, no whitespace, non-ASCII as itself."""
    return json.dumps(dict(details or {}), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def compute_hash(*, seq: int, recorded_at: dt.datetime, actor: Actor, action: str, object_type: str,
                 object_id: str, before_digest: str | None, after_digest: str | None, details: str,
                 prev_hash: str, rows_digest: str | None = None, profile: str = STANDARD) -> str:
    """SHA-256 over "sortes-audit/1\n" and each field as ``<byte length>:<UTF-8 text>\n`` (docs/audit-log.md),
    or SM3 over "sortes-audit/1-sm\n" and the same fields under the SM profile; ``rows_digest`` is a last
    field only when the entry has one, so entries without it hash as before."""
    rows = (rows_digest,) if rows_digest is not None else ()
    return _hash_texts((str(seq), format_instant(recorded_at), actor.subject, ",".join(actor.roles), actor.unit,
                        action, object_type, object_id, before_digest or "", after_digest or "", details, prev_hash,
                        *rows), profile)


def row_hash(row: tuple[Any, ...], profile: str = STANDARD) -> str:
    """The hash of a stored row in audit_log column order, its instant already formatted as text."""
    seq, recorded_at, subject, roles, unit, action, object_type, object_id, before, after, details, prev, _, rows = row
    return _hash_texts((str(seq), recorded_at, subject, roles, unit, action, object_type,
                        object_id, before or "", after or "", details, prev, *((rows,) if rows is not None else ())),
                       profile)


def _hash_texts(texts: tuple[str, ...], profile: str = STANDARD) -> str:
    line, name = _FORMATS[profile]
    message = [line]
    for text in texts:
        encoded = text.encode("utf-8")
        message.append(b"%d:%s\n" % (len(encoded), encoded))
    return hashlib.new(name, b"".join(message)).hexdigest()


def recompute(entry: AuditEntry, profile: str = STANDARD) -> str:
    return compute_hash(seq=entry.seq, recorded_at=entry.recorded_at, actor=entry.actor,
                        action=entry.action, object_type=entry.object_type, object_id=entry.object_id,
                        before_digest=entry.before_digest, after_digest=entry.after_digest,
                        details=entry.details, prev_hash=entry.prev_hash, rows_digest=entry.rows_digest,
                        profile=profile)


def change_digest(key: bytes, state: Any, profile: str = STANDARD) -> str | None:
    """A keyed digest of one side of a change (HMAC-SHA256, or HMAC-SM3 under the SM profile): short
    values such as phone numbers cannot be guessed back from it without the key. None when there is no
    such side (a creation has no 'before')."""
    if state is None:
        return None
    canonical = json.dumps(state, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, canonical.encode("utf-8"), hash_name(profile)).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    entry_hash: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    checkpoints_checked: int
    problem: str | None = None
    first_bad_seq: int | None = None


class ChainWalker:
    """Checks entries fed in sequence order; names the first one edited, removed, inserted or reordered.

    ``checkpoints`` are (seq, hash) pairs already known to be authentic (their signatures checked
    by the caller); the chain must pass through each, and must not end before the last one.
    Fed one entry at a time so a million-entry log streams through in constant memory.
    """

    def __init__(self, checkpoints: Iterable[Checkpoint] = (), *, start_seq: int = 1,
                 prev_hash: str | None = GENESIS_HASH, profile: str = STANDARD) -> None:
        """``start_seq``/``prev_hash`` let a walker check one segment of a long chain; with
        ``prev_hash=None`` the first entry's link is taken as found (``first_prev``) for the caller
        to check against the segment before. ``profile``: the one in force before ``start_seq``."""
        self.profile = profile
        self._pinned = {checkpoint.seq: checkpoint.entry_hash for checkpoint in checkpoints}
        self._expected_seq, self._count, self._checked = start_seq, 0, 0
        self._prev_hash: str | None = prev_hash
        self.first_prev: str | None = None
        self.failure: ChainReport | None = None

    def _fail(self, problem: str, seq: int) -> bool:
        self.failure = ChainReport(False, self._count, self._expected_seq - 1, self._prev_hash or "",
                                   self._checked, problem, seq)
        return False

    def feed(self, entry: AuditEntry) -> bool:
        """False (and ``failure`` set) at the first entry that breaks the chain."""
        return (self._step(entry.seq, entry.prev_hash, entry.entry_hash, recompute(entry, self.profile))
                and self._follow(entry.seq, entry.action, entry.details))

    def feed_row(self, row: tuple[Any, ...]) -> bool:
        """``feed`` for a stored row (audit_log column order, instant as text): the fast path."""
        return self._step(row[0], row[11], row[12], row_hash(row, self.profile)) and self._follow(row[0], row[5],
                                                                                                  row[10])

    def _follow(self, seq: int, action: str, details: str) -> bool:
        """After a verified profile change, hash what follows under the profile it names."""
        if action == PROFILE_CHANGED:
            try:
                self.profile = switched_to(action, details) or self.profile
            except ValueError as error:
                return self._fail(f"entry {seq} changes the chain's profile wrongly: {error}", seq)
        return True

    def _step(self, seq: int, prev_hash: str, entry_hash: str, recomputed: str) -> bool:
        expected = self._expected_seq
        if seq > expected:
            return self._fail(f"entry {expected} was removed (the next entry is {seq})", expected)
        if seq < expected:
            return self._fail(f"entry {seq} appears again or out of order after entry {expected - 1}", seq)
        if recomputed != entry_hash:
            return self._fail(f"entry {seq} was edited (its hash does not match its content)", seq)
        if self._prev_hash is None and self._count == 0:
            self.first_prev = self._prev_hash = prev_hash
        if prev_hash != self._prev_hash:
            return self._fail(f"entry {seq} was inserted or reordered (it does not follow entry {seq - 1})", seq)
        pinned = self._pinned.get(seq)
        if pinned is not None:
            self._checked += 1
            if pinned != entry_hash:
                return self._fail(f"entries up to {seq} were rewritten (signed checkpoint {seq} does not match)",
                                  seq)
        self._prev_hash, self._expected_seq, self._count = entry_hash, expected + 1, self._count + 1
        return True

    def finish(self) -> ChainReport:
        if self.failure is not None:
            return self.failure
        last = self._expected_seq - 1
        beyond = [seq for seq in self._pinned if seq > last]
        if beyond:
            self._fail(f"entries after {last} were removed (a signed checkpoint names entry {max(beyond)})",
                       last + 1)
            assert self.failure is not None
            return self.failure
        return ChainReport(True, self._count, last, self._prev_hash or "", self._checked)


def verify_chain(entries: Iterable[AuditEntry], checkpoints: Iterable[Checkpoint] = ()) -> ChainReport:
    walker = ChainWalker(checkpoints)
    for entry in entries:
        if not walker.feed(entry):
            break
    return walker.finish()
