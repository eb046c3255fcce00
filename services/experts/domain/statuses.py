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


class DeclineCategory(StrEnum):
    """Why a member declined. The first three are valid reasons (正当理由): they count toward no
    automatic suspension and show apart in the annual assessment."""

    ILLNESS = "illness"  # 因病
    MEETING_CLASH = "meeting_clash"  # 与已接受的会议冲突
    UNAVAILABLE = "unavailable"  # 已申报不可参加
    OTHER = "other"  # 其他（无正当理由）


VALID_DECLINE_CATEGORIES = frozenset({DeclineCategory.ILLNESS, DeclineCategory.MEETING_CLASH,
                                      DeclineCategory.UNAVAILABLE})


class AssessmentGrade(StrEnum):
    PASS = "pass"  # 合格
    BASIC = "basic"  # 基本合格
    FAIL = "fail"  # 不合格


class AssessmentOutcome(StrEnum):
    """What a confirmed assessment did to the expert's status: 不合格 suspends or removes."""

    NONE = "none"
    SUSPENDED = "suspended"  # 暂停
    RETIRED = "retired"  # 清退（退出专家库）
