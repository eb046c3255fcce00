"""What a caller sends the gateway to ask for a panel, a supplementary draw or the annual spot check.

The gateway's own API (it names the supervisor by user name and adds the project's vendors to the
units to avoid before the experts service commits), shared with the typed client in shared/client.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

Uscc = Annotated[str, msgspec.Meta(min_length=18, max_length=18)]
SupervisorName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="the supervisor's user name")]


class SeatAsk(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    field: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    count: Annotated[int, msgspec.Meta(ge=1, le=30)]


class UnitToAvoid(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    unit_uscc: Uscc
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


# Why an expert is named to avoid (回避): 近亲属, 现或近三年工作单位, 参与项目前期工作, 与供应商有利害关系, 其他.
AVOIDANCE_REASONS = ("close_relative", "employer_within_3_years", "prior_project_work", "vendor_interest", "other")
AvoidanceReason = Literal["close_relative", "employer_within_3_years", "prior_project_work", "vendor_interest",
                          "other"]


class ExpertToAvoid(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(pattern=r"^E\d{5,}$")]
    reason: AvoidanceReason
    explanation: Annotated[str, msgspec.Meta(
        max_length=200, description="why, in at least 10 characters; required with the reason other")] | None = None


class PanelAsk(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A panel for a project's meeting: seats per field, one reserves count for all fields, the
    supervisor (another person than the organiser, by default of another unit), and any further
    units or experts to avoid (each expert with a reason code). The project's owner unit and every
    vendor engaged on or bidding for the project are avoided without being named here."""

    purpose: Literal["technical_review", "expert_review", "acceptance", "research"]
    meeting_on: Annotated[dt.date, msgspec.Meta(description="Beijing date")]
    halves: Annotated[list[Literal["morning", "afternoon"]], msgspec.Meta(min_length=1, max_length=2)]
    seats: Annotated[list[SeatAsk], msgspec.Meta(min_length=1, max_length=10)]
    supervisor: SupervisorName
    reserves: Annotated[int, msgspec.Meta(ge=0, le=10)] = 2
    avoid_units: Annotated[list[UnitToAvoid], msgspec.Meta(max_length=500)] = []
    avoid_experts: Annotated[list[ExpertToAvoid], msgspec.Meta(max_length=500)] = []
    replaces: Annotated[str | None, msgspec.Meta(
        description="the panel this one replaces: required (409 otherwise) when a panel of the project and "
                    "purpose was cancelled after its reveal within the replacement window")] = None


class SupplementaryAsk(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """More seats after the reserves ran out: by default every open seat of the panel."""

    seats: Annotated[list[SeatAsk], msgspec.Meta(max_length=10)] = []
    reserves: Annotated[int, msgspec.Meta(ge=0, le=10)] | None = None


class SelfEvaluationAsk(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    project_code: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    kind: Literal["application", "performance"]


class SpotCheckAsk(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The year's submitted self-evaluations; ceil(10%) of them are drawn (Art. 25)."""

    year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]
    submissions: Annotated[list[SelfEvaluationAsk], msgspec.Meta(min_length=1, max_length=10000)]
    supervisor: SupervisorName
