"""Panels and draws across the gateway and the experts service (专家抽取).

A caller asks the gateway for a panel naming its supervisor by user name (:class:`PanelAsk`); the
gateway resolves the name to a :class:`Person`, adds every vendor involved in the project to the
units to avoid (回避), and sends the experts service a :class:`PanelRequest`. Both carry the same
:class:`PanelTerms`, so the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

import msgspec
from msgspec import Meta

from shared.contracts.statuses import SeatState

Uscc = Annotated[str, Meta(min_length=18, max_length=18)]
FieldCode = Annotated[str, Meta(pattern=r"^[A-Z][A-Z0-9_]{0,30}(\.[A-Z0-9_]{1,30})?$")]
PoolNumber = Annotated[str, Meta(pattern=r"^E\d{5,}$")]
ProjectCode = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]

Half = Literal["morning", "afternoon"]
HALVES: tuple[Half, ...] = get_args(Half)
Halves = Annotated[list[Half], Meta(min_length=1, max_length=2)]


class Purpose(StrEnum):
    """Why a panel meets (《平阳县县级党政机关信息化项目建设管理办法》（平政办〔2021〕59号）, Arts. 10, 18 and 30)."""

    TECHNICAL_REVIEW = "technical_review"  # 技术审查 (Art. 10)
    EXPERT_REVIEW = "expert_review"  # 专家论证, of a major project (Art. 10)
    INITIAL_ACCEPTANCE = "initial_acceptance"  # 初验 (Art. 18): the owner unit organises
    FINAL_ACCEPTANCE = "final_acceptance"  # 终验 (Art. 18): for a major project, the bureau with the joint departments
    RESEARCH = "research"  # 项目调研 (Art. 30)


# For a major project these are organised by the bureau (an organiser of one of SORTES_BUREAU_UNITS).
BUREAU_ORGANISED: frozenset[Purpose] = frozenset({Purpose.EXPERT_REVIEW, Purpose.FINAL_ACCEPTANCE})


class JointDepartment(StrEnum):
    """The departments that join the bureau for a major project's final acceptance (Art. 18)."""

    PROPAGANDA_CYBERSPACE = "propaganda_cyberspace"  # 宣传部（网信办）
    DEVELOPMENT_REFORM = "development_reform"  # 发改局
    PUBLIC_SECURITY = "public_security"  # 公安局
    FINANCE = "finance"  # 财政局


ClockTime = Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, Beijing time")]
Phone = Annotated[str, Meta(pattern=r"^\+?[0-9][0-9 -]{5,19}$", description="mobile or landline")]
# What a draw is for, as the archive filters it: a panel's purpose, the annual spot check, or ``acceptance``
# kept in the signed receipts of draws committed before 初验 and 终验 were told apart.
DRAW_PURPOSES: tuple[str, ...] = (*(purpose.value for purpose in Purpose), "spot_check", "acceptance")
# How a member's answer came in, when the organiser records it (电话, 短信, 当面, 联系不上).
Channel = Literal["phone", "sms", "in_person", "unreachable"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
# Why the organiser names an expert to avoid (回避): 近亲属, 现或近三年工作单位, 参与项目前期工作,
# 与供应商有利害关系, 其他 (``other`` needs an explanation of at least 10 characters).
AvoidanceReason = Literal["close_relative", "employer_within_3_years", "prior_project_work", "vendor_interest",
                          "other"]
SpotCheckKind = Literal["application", "performance"]




# --- what the gateway sends ----------------------------------------------------------------------

class SeatRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    field: FieldCode
    count: Annotated[int, Meta(ge=1, le=30)]


class UnitAvoidance(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    unit_uscc: Uscc
    reason: Annotated[str, Meta(min_length=1, max_length=200)]
    unit_name: Annotated[str, Meta(max_length=200, description="for the printed record")] | None = None


class ExpertAvoidance(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: PoolNumber
    reason: AvoidanceReason
    explanation: Annotated[str, Meta(
        max_length=200, description="why, in at least 10 characters; required with the reason other")] | None = None


class ParticipatingUnit(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A joint department taking part in the meeting: its staff are avoided like the owner unit's."""

    unit_uscc: Uscc
    department: JointDepartment


class MeetingNotice(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Where and when the panel meets and whom to call (评审地点、时间、联系人), and the notice text.
    ``starts_at`` gives the start time of each half-day (default 08:30 and 14:00, Beijing time)."""

    venue: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    starts_at: dict[Half, ClockTime] = {}
    contact_name: Annotated[str, Meta(min_length=1, max_length=50)] | None = None
    contact_phone: Phone | None = None
    notice: Annotated[str, Meta(max_length=2000)] | None = None


class Person(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A signed-in person as the gateway knows them (the gateway resolves user names to these)."""

    subject: Annotated[str, Meta(min_length=1, max_length=100)]
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    unit: Annotated[str, Meta(min_length=1, max_length=64)]
    unit_name: Annotated[str, Meta(max_length=200)] | None = None


class PanelTerms(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a panel is asked for, whoever names its supervisor."""

    purpose: Purpose
    meeting_on: Annotated[dt.date, Meta(description="Beijing date")]
    halves: Halves
    seats: Annotated[list[SeatRequest], Meta(min_length=1, max_length=10)]
    reserves: Annotated[int, Meta(ge=0, le=10)] = 2
    avoid_units: Annotated[list[UnitAvoidance], Meta(max_length=500)] = []
    avoid_experts: Annotated[list[ExpertAvoidance], Meta(max_length=500)] = []
    participating_units: Annotated[list[ParticipatingUnit], Meta(max_length=10)] = []
    venue: Annotated[str, Meta(min_length=1, max_length=200, description="评审地点")] | None = None
    starts_at: Annotated[dict[Half, ClockTime], Meta(
        description="start time of each half-day, Beijing time (default morning 08:30, afternoon 14:00)")] = {}
    contact_name: Annotated[str, Meta(min_length=1, max_length=50)] | None = None
    contact_phone: Annotated[Phone, Meta(description="sealed at rest like an expert's phone")] | None = None
    notice: Annotated[str, Meta(max_length=2000, description="the notice text the members read")] | None = None
    replaces: Annotated[str, Meta(
        min_length=1, max_length=36,
        description="the panel this one replaces: required (409 otherwise) when a panel of the project and "
                    "purpose was cancelled after its reveal within the replacement window")] | None = None


class PanelAsk(PanelTerms, kw_only=True):
    """A panel for a project's meeting: seats per field, one reserves count for all fields, the
    supervisor (another person than the organiser, by default of another unit), and any further
    units or experts to avoid (each expert with a reason code). The project's owner unit and every
    vendor engaged on or bidding for the project are avoided without being named here."""

    supervisor: Annotated[str, Meta(min_length=1, max_length=64, description="the supervisor's user name")]

    def for_experts(self, supervisor: Person) -> PanelRequest:
        """The same terms with the supervisor the user name stands for."""
        terms = {name: getattr(self, name) for name in PanelTerms.__struct_fields__}
        return PanelRequest(**terms, supervisor=supervisor)


class PanelRequest(PanelTerms, kw_only=True):
    """A panel for a project's meeting, as the experts service takes it from the gateway (which adds
    the organiser's unit name, for the printed record)."""

    supervisor: Person
    organiser_unit_name: Annotated[str, Meta(max_length=200)] | None = None


class SupplementaryAsk(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """More seats after the reserves ran out: by default every open seat of the panel."""

    seats: Annotated[list[SeatRequest], Meta(max_length=10)] = []
    reserves: Annotated[int, Meta(ge=0, le=10)] | None = None


class SupplementaryRequest(SupplementaryAsk):
    """More seats for a panel whose reserves ran out, with the vendors to avoid as for the panel."""

    avoid_units: Annotated[list[UnitAvoidance], Meta(max_length=500)] = []


class SelfEvaluation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    project_code: ProjectCode
    kind: SpotCheckKind


class SpotCheckTerms(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The spot check of a year that has ended (Art. 25): ceil(10%) of the self-evaluations in the
    register for that year are drawn (application self-evaluations, and performance self-evaluations
    of projects completed the year before). ``submissions``, when given, are entered in the register
    first (those already there are kept as they are)."""

    year: Annotated[int, Meta(ge=2000, le=2100)]
    submissions: Annotated[list[SelfEvaluation], Meta(max_length=10000)] = []


class SpotCheckAsk(SpotCheckTerms):
    supervisor: Annotated[str, Meta(min_length=1, max_length=64, description="the supervisor's user name")]

    def for_experts(self, supervisor: Person) -> SpotCheckRequest:
        return SpotCheckRequest(year=self.year, submissions=self.submissions, supervisor=supervisor)


class SpotCheckRequest(SpotCheckTerms):
    supervisor: Person


# --- what the gateway and its callers read back ---------------------------------------------------

class PanelMember(msgspec.Struct, frozen=True):
    expert_code: str
    field: str
    kind: Literal["primary", "reserve"]
    state: SeatState
    replaces: str | None = None
    reason: str | None = None


class Panel(msgspec.Struct, frozen=True):
    id: str
    project_code: str
    meeting_on: dt.date
    halves: list[Half]
    status: str
    open_seats: dict[str, int]
    members: list[PanelMember]  # empty for a reader the list is sealed to
    cancel_phase: str | None = None  # before_reveal, after_reveal
    replaces: str | None = None  # the panel cancelled after its reveal that this one replaces
    replaced_by: str | None = None


class Draw(msgspec.Struct, frozen=True):
    """A draw as its readers see it: the commit receipt before the reveal, the result after."""

    id: str
    kind: Literal["panel", "supplementary", "spot_check"]
    status: str  # committed, revealed, cancelled
    project_code: str
    commitment: str
    committed_at: dt.datetime
    exclusion_counts: dict[str, int]
    receipt: dict[str, Any]
    result: dict[str, dict[str, list[str]]] | None = None
    supplementary_of: str | None = None
    panel: Panel | None = None
    cancel_reason: str | None = None
    cancel_phase: str | None = None  # before_reveal (status cancelled), after_reveal (status stays revealed)
