"""Vendor ratings (Art. 28) as the vendors service gives them and the console and callers read them:
five levels with their written definitions, five factors, a visibility."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal, get_args

import msgspec

from shared.contracts.statuses import RatingStatus


class RatingLevel(StrEnum):
    EXCELLENT = "excellent"  # 优秀
    GOOD = "good"  # 良好
    QUALIFIED = "qualified"  # 合格
    BASICALLY_QUALIFIED = "basically_qualified"  # 基本合格
    UNQUALIFIED = "unqualified"  # 不合格


# 评价等级及其定义: the written definitions the raters apply, with each level's Chinese name.
LEVEL_DEFINITIONS: dict[RatingLevel, tuple[str, str]] = {
    RatingLevel.EXCELLENT: ("优秀", "全面履行合同并有超出约定的成效；质量、进度、服务、安全合规和文档均无问题。"),
    RatingLevel.GOOD: ("良好", "全面履行合同；仅有个别非关键问题，且已及时整改到位。"),
    RatingLevel.QUALIFIED: ("合格", "履行合同主要约定；存在一般性问题，经督促后整改到位。"),
    RatingLevel.BASICALLY_QUALIFIED: ("基本合格", "合同履行有明显不足，问题较多或整改不及时，但未造成严重后果。"),
    RatingLevel.UNQUALIFIED: ("不合格", "未履行合同主要约定，或存在严重的质量、安全、合规问题，或造成重大损失。"),
}


class RatingFactor(StrEnum):
    QUALITY = "quality"  # 质量
    SCHEDULE = "schedule"  # 进度
    SERVICE_RESPONSIVENESS = "service_responsiveness"  # 服务响应
    SECURITY_COMPLIANCE = "security_compliance"  # 安全合规
    DOCUMENTATION = "documentation"  # 文档


# Who may read a rating: the bureau only, government units, or everyone once it is final.
Visibility = Literal["bureau", "government", "public"]
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)
# 意见期内 / 有异议，待复核 / 已生效: computed from the comment window, the comment and the review.


class RatingFactors(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One level per :class:`RatingFactor`."""

    quality: RatingLevel
    schedule: RatingLevel
    service_responsiveness: RatingLevel
    security_compliance: RatingLevel
    documentation: RatingLevel


class RatingCommentView(msgspec.Struct, frozen=True):
    text: str
    disputes: bool
    commented_at: dt.datetime


class RatingReviewView(msgspec.Struct, frozen=True):
    outcome: str
    revised_level: RatingLevel | None
    narrative: str
    reviewed_at: dt.datetime
    reviewer_unit: str


class RatingView(msgspec.Struct, frozen=True):
    id: int
    vendor_uscc: str
    vendor_name: str
    project_code: str | None
    stage: str
    factors: RatingFactors
    overall: RatingLevel
    overall_label: str
    narrative: str
    visibility: Visibility
    rated_on: dt.date
    comment_until: dt.date
    rater_unit: str
    comment: RatingCommentView | None
    review: RatingReviewView | None
    final_level: RatingLevel  # the review's revised level, else the rating's own
    status: RatingStatus
    finalised_at: dt.datetime | None  # when rating.final was published: on review, or after the window lapsed
    engagement_id: int | None  # none only on ratings made before standing was checked


class RatingAggregate(msgspec.Struct, frozen=True):
    since: dt.date
    count: int
    by_level: dict[str, int]


class VendorRatings(msgspec.Struct, frozen=True):
    vendor_uscc: str
    items: list[RatingView]
    aggregate: RatingAggregate  # over the ratings listed here from the last 3 years, by final level
