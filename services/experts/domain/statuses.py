"""Statuses only the experts service reads (those the console reads too are in shared/contracts/statuses.py)."""

from __future__ import annotations

from enum import StrEnum


class ExpertStatus(StrEnum):
    ACTIVE = "active"  # 在库
    SUSPENDED = "suspended"  # 暂停, until a date
    RETIRED = "retired"  # 退出: never deleted


class CancelPhase(StrEnum):
    """When a panel or draw was cancelled: before its reveal, or after its result was known."""

    BEFORE_REVEAL = "before_reveal"
    AFTER_REVEAL = "after_reveal"
