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


class ApplicationStatus(StrEnum):
    """An application to join the pool (入库申请), or an expert's proposed change, under review."""

    PENDING = "pending"  # 待审核
    APPROVED = "approved"  # 已通过
    REJECTED = "rejected"  # 未通过


class ApplicationKind(StrEnum):
    SELF = "self"  # 个人申请, through the public page
    RECOMMENDED = "recommended"  # 单位推荐, by a signed-in unit user
