"""What the vendors service takes and gives over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

import msgspec

from shared.contracts.projects import EngagementRole
from shared.contracts.ratings import RatingFactors, RatingLevel, Visibility
from shared.contracts.statuses import VendorStatus
from shared.contracts.vendors import Policy, RuleCitation
from shared.spreadsheets import ImportReport

T = TypeVar("T")

Uscc = Annotated[str, msgspec.Meta(min_length=18, max_length=18, description="统一社会信用代码 (GB 32100-2015)")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
LongText = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


# --- the registry -----------------------------------------------------------------------------

class LegalRepresentativeInput(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    id_number: Annotated[str, msgspec.Meta(description="resident ID number; stored encrypted")]


class QualificationInput(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Name
    certificate_number: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    valid_until: dt.date | None = None


class VendorCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    uscc: Uscc
    name: Name
    status: VendorStatus = VendorStatus.ACTIVE
    legal_representative: LegalRepresentativeInput | None = None
    qualifications: list[QualificationInput] = []


class VendorPatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Fields left out stay as they are; a new ``name`` keeps the old one as an alias."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    status: VendorStatus | msgspec.UnsetType = msgspec.UNSET
    legal_representative: LegalRepresentativeInput | msgspec.UnsetType | None = msgspec.UNSET
    qualifications: list[QualificationInput] | msgspec.UnsetType = msgspec.UNSET


class AliasView(msgspec.Struct, frozen=True):
    name: str
    used_until: dt.date


class QualificationView(msgspec.Struct, frozen=True):
    name: str
    certificate_number: str
    valid_until: dt.date | None
    expired: bool


class LegalRepresentativeView(msgspec.Struct, frozen=True):
    name: str | None
    id_number: str | None
    id_number_masked: bool


class RelationView(msgspec.Struct, frozen=True):
    id: int
    controlling_uscc: str
    controlled_uscc: str
    kind: str
    source: str
    valid_from: dt.date
    valid_until: dt.date | None
    recorded_at: dt.datetime


class VendorView(msgspec.Struct, frozen=True):
    uscc: str
    name: str
    status: str
    aliases: list[AliasView]
    legal_representative: LegalRepresentativeView | None
    qualifications: list[QualificationView]
    created_at: dt.datetime
    updated_at: dt.datetime
    # Under an active exclusion (禁止参加政府采购活动) today, by the register's Beijing dates; until when
    # (none: until lifted, or not excluded).
    excluded: bool
    excluded_until: dt.date | None


class VendorDetail(VendorView, frozen=True):
    relations: list[RelationView]
    same_legal_representative: list[str]  # USCCs of other vendors with the same legal representative


class RelationCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The vendor in the URL controls or manages ``related_uscc`` (Implementing Regulations Art. 18(1))."""

    related_uscc: Uscc
    kind: Literal["controlling", "management"]  # 直接控股 (> 50% or decisive vote) / 管理关系
    source: ShortText
    valid_from: dt.date
    valid_until: dt.date | None = None


# --- engagements and conflict checks -----------------------------------------------------------

class EngagementCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    vendor_uscc: Uscc
    role: EngagementRole
    started_on: dt.date
    amount_fen: Annotated[int, msgspec.Meta(ge=0, le=10**15)]
    lot_code: str | None = None  # none: an engagement on the whole project (the construction plan's author)
    ended_on: dt.date | None = None


class EngagementView(msgspec.Struct, frozen=True):
    id: int
    vendor_uscc: str
    vendor_name: str
    project_code: str
    lot_code: str | None
    role: str
    started_on: dt.date
    ended_on: dt.date | None
    amount_fen: int
    # A void engagement (作废) stays readable; it counts in no conflict check and gives no standing to rate.
    voided: bool
    voided_at: dt.datetime | None
    void_reason: str | None


class EngagementPatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A correction, or the end of the contract (``ended_on``); fields left out stay as they are. The vendor
    and the project are what the engagement is: a wrong one is voided and recorded anew."""

    role: EngagementRole | msgspec.UnsetType = msgspec.UNSET
    lot_code: str | msgspec.UnsetType | None = msgspec.UNSET
    started_on: dt.date | msgspec.UnsetType = msgspec.UNSET
    ended_on: dt.date | msgspec.UnsetType | None = msgspec.UNSET
    amount_fen: Annotated[int, msgspec.Meta(ge=0, le=10**15)] | msgspec.UnsetType = msgspec.UNSET


class EngagementVoid(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    reason: ShortText


class BarredEntry(msgspec.Struct, frozen=True):
    uscc: str
    vendor_name: str
    lot_code: str | None  # none: every lot of the project
    lot_name: str
    reason: str
    rules: list[str]  # codes of the list's ``rules``
    params: dict[str, Any] = {}  # the reason's parameters, as in a check's verdict
    verdict: Literal["barred", "flagged"] = "barred"


class BarredList(msgspec.Struct, frozen=True):
    project_code: str
    project_name: str
    policy: Policy
    rule_version: str
    as_of: dt.date
    entries: list[BarredEntry]
    rules: list[RuleCitation] = []  # every rule the entries cite, in full


# --- exclusions --------------------------------------------------------------------------------

class ExclusionCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    uscc: Uscc
    vendor_name: Name
    issuing_body: Name
    decision_number: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    scope: ShortText
    reason: LongText
    starts_on: dt.date
    ends_on: dt.date | None = None  # none: until lifted


class ExclusionView(msgspec.Struct, frozen=True):
    id: int
    uscc: str
    vendor_name: str
    issuing_body: str
    decision_number: str
    scope: str
    reason: str
    starts_on: dt.date
    ends_on: dt.date | None
    active: bool
    recorded_at: dt.datetime


# --- ratings -----------------------------------------------------------------------------------

class RatingCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    stage: Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="contract stage rated")]
    factors: RatingFactors
    overall: RatingLevel
    narrative: LongText
    visibility: Visibility
    project_code: str | None = None  # the engagement's project; may be left out
    engagement_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1, description=(
        "the vendor's engagement rated: on a project of the rater's unit (bureau units: any project)"))] | None = None


class RatingCommentCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    text: LongText
    disputes: bool = False


class RatingReviewCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    outcome: Literal["upheld", "revised"]
    narrative: LongText
    revised_level: RatingLevel | None = None


# --- spreadsheets ------------------------------------------------------------------------------

class VendorImportReport(ImportReport, frozen=True):
    """``updated`` counts the vendors a row changed; a row equal to the registry is ``unchanged``."""

    unchanged: int

