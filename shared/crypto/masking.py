"""Masks for personal values shown in responses. Any length is accepted; a value too short for its
own pattern falls back to :func:`mask_text`, so no mask ever shows the whole value."""

from __future__ import annotations


def mask_text(value: str) -> str:
    """Keep the first and the last character: ``"欧阳娜娜"`` → ``"欧**娜"``, ``"张三"`` → ``"张*"``."""
    # Written for speed: an eligibility answer masks the name of every excluded expert, thousands at a time.
    length = len(value)
    if length >= 3:
        return value[0] + "*" * (length - 2) + value[-1]
    return value[:1] + "*" if length == 2 else "*" * length  # a single character is hidden entirely


def mask_phone(phone: str) -> str:
    """``"13912345678"`` → ``"139****5678"``; spaces and hyphens are dropped first."""
    compact = _compact(phone)
    if len(compact) < 11:
        return mask_text(compact)
    return compact[:3] + "****" + compact[-4:]


def mask_id_number(id_number: str) -> str:
    """Keep the last 4 only: ``"**************123X"``. Region and birth date are hidden, so that with the
    birth year shown beside it more than a million numbers remain possible (docs/guarantees.md §7, masking)."""
    compact = _compact(id_number).upper()
    if len(compact) < 15:  # shorter than an old 15-digit number: not an ID number we can mask by pattern
        return mask_text(compact)
    return "*" * (len(compact) - 4) + compact[-4:]


def mask_bank_account(account: str) -> str:
    """Keep the last 4 digits behind a fixed mask that hides the length: ``"**** **** **** 1234"``."""
    compact = _compact(account)
    if len(compact) < 8:
        return mask_text(compact)
    return "**** **** **** " + compact[-4:]


def _compact(value: str) -> str:
    return "".join(value.split()).replace("-", "")
