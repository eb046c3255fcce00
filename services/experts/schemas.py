"""What the experts service takes and gives over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Generic, Literal, TypeVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from services.experts.domain.personal_data import PersonalData

T = TypeVar("T")

Text50 = Annotated[str, Meta(min_length=1, max_length=50)]
Text100 = Annotated[str, Meta(min_length=1, max_length=100)]
Text200 = Annotated[str, Meta(min_length=1, max_length=200)]
Text500 = Annotated[str, Meta(min_length=1, max_length=500)]
FieldCode = Annotated[str, Meta(pattern=r"^[A-Z][A-Z0-9_]{0,30}(\.[A-Z0-9_]{1,30})?$")]
PoolNumber = Annotated[str, Meta(pattern=r"^E\d{5,}$")]
Uscc = Annotated[str, Meta(min_length=18, max_length=18)]
Half = Literal["morning", "afternoon"]
Status = Literal["active", "suspended", "retired"]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


# Fields (专业领域)

class FieldView(msgspec.Struct, frozen=True):
    code: str
    parent_code: str | None
    name_zh: str
    name_en: str
    retired: bool


class FieldCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: FieldCode
    name_zh: Text100
    name_en: Text100
    parent_code: FieldCode | None = None


class FieldPatch(msgspec.Struct, forbid_unknown_fields=True):
    name_zh: Text100 | UnsetType = UNSET
    name_en: Text100 | UnsetType = UNSET
    retired: bool | UnsetType = UNSET


# Experts

class ExpertFieldView(msgspec.Struct, frozen=True):
    code: str
    primary: bool


class FormerEmployerView(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    unit_uscc: Uscc
    unit_name: Text200
    ended_on: dt.date
    started_on: dt.date | None = None


class CertificateView(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Text100
    expires_on: dt.date | None = None


class BadConductView(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    occurred_on: dt.date
    description: Text500


class ExpertFieldInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: FieldCode
    primary: bool = False


class ExpertView(msgspec.Struct, frozen=True):
    """One expert in a list: no personal data."""

    code: str
    name: str
    unit_uscc: str
    unit_name: str
    title: str
    years_in_field: int
    status: str
    fields: list[ExpertFieldView]
    trained_until: dt.date | None


class ExpertDetail(msgspec.Struct, frozen=True):
    """One expert in full; ``personal_data`` is masked except for bureau admins reading one expert."""

    code: str
    name: str
    birth_date: dt.date
    unit_uscc: str
    unit_name: str
    title: str
    years_in_field: int
    fields: list[ExpertFieldView]
    former_employers: list[FormerEmployerView]
    certificates: list[CertificateView]
    bad_conduct_records: list[BadConductView]
    status: str
    status_reason: str | None
    status_changed_on: dt.date | None
    suspended_until: dt.date | None
    last_trained_on: dt.date | None
    trained_until: dt.date | None
    account_subject: str | None
    personal_data: PersonalData
    personal_data_masked: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ExpertProfile(msgspec.Struct, forbid_unknown_fields=True):
    """A new expert; the pool number is assigned."""

    name: Text50
    birth_date: dt.date
    unit_uscc: Uscc
    unit_name: Text200
    title: Text50
    years_in_field: Annotated[int, Meta(ge=0, le=70)]
    fields: Annotated[list[ExpertFieldInput], Meta(min_length=1, max_length=3)]
    former_employers: list[FormerEmployerView] = []
    certificates: list[CertificateView] = []
    bad_conduct_records: list[BadConductView] = []
    phone: Annotated[str, Meta(max_length=30)] | None = None
    id_number: Annotated[str, Meta(max_length=30)] | None = None
    bank_account: Annotated[str, Meta(max_length=40)] | None = None
    account_subject: Text100 | None = None
    last_trained_on: dt.date | None = None


class ExpertChanges(msgspec.Struct, forbid_unknown_fields=True):
    """A partial update: fields left out stay; lists given replace the stored list; null clears.

    Bad-conduct records are history and only ever added (``POST .../bad-conduct``)."""

    name: Text50 | UnsetType = UNSET
    birth_date: dt.date | UnsetType = UNSET
    unit_uscc: Uscc | UnsetType = UNSET
    unit_name: Text200 | UnsetType = UNSET
    title: Text50 | UnsetType = UNSET
    years_in_field: Annotated[int, Meta(ge=0, le=70)] | UnsetType = UNSET
    fields: Annotated[list[ExpertFieldInput], Meta(min_length=1, max_length=3)] | UnsetType = UNSET
    former_employers: list[FormerEmployerView] | UnsetType = UNSET
    certificates: list[CertificateView] | UnsetType = UNSET
    phone: Annotated[str, Meta(max_length=30)] | UnsetType | None = UNSET
    id_number: Annotated[str, Meta(max_length=30)] | UnsetType | None = UNSET
    bank_account: Annotated[str, Meta(max_length=40)] | UnsetType | None = UNSET
    account_subject: Text100 | UnsetType | None = UNSET


class StatusChange(msgspec.Struct, forbid_unknown_fields=True):
    status: Status
    reason: Text500
    suspended_until: dt.date | None = None


# Training (Art. 30)

class TrainingCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Text200
    held_on: dt.date


class TrainingView(msgspec.Struct, frozen=True):
    id: int
    title: str
    held_on: dt.date
    attended: int
    passed: int


class AttendanceRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    expert_code: PoolNumber
    passed: bool


class AttendanceInput(msgspec.Struct, forbid_unknown_fields=True):
    records: Annotated[list[AttendanceRecord], Meta(min_length=1, max_length=5000)]


class TrainedExpert(msgspec.Struct, frozen=True):
    code: str
    passed: bool
    trained_until: dt.date | None


class AttendanceResult(msgspec.Struct, frozen=True):
    training: TrainingView
    experts: list[TrainedExpert]


# Availability

class UnavailabilityInput(msgspec.Struct, forbid_unknown_fields=True):
    starts_on: dt.date
    ends_on: dt.date
    starts_half: Half = "morning"
    ends_half: Half = "afternoon"
    reason: Text200 | None = None


class UnavailabilityView(msgspec.Struct, frozen=True):
    id: int
    starts_on: dt.date
    starts_half: str
    ends_on: dt.date
    ends_half: str
    reason: str | None


class DeclaredConflictInput(msgspec.Struct, forbid_unknown_fields=True):
    unit_uscc: Uscc
    until: dt.date | None = None
    reason: Text200 | None = None


class DeclaredConflictView(msgspec.Struct, frozen=True):
    id: int
    unit_uscc: str
    until: dt.date | None
    reason: str | None
    declared_at: dt.datetime


# Eligibility

class EligibilityRequest(msgspec.Struct, forbid_unknown_fields=True):
    fields: Annotated[list[FieldCode], Meta(min_length=1, max_length=20)]
    meeting_on: dt.date
    halves: Annotated[list[Half], Meta(min_length=1, max_length=2)] = msgspec.field(
        default_factory=lambda: ["morning", "afternoon"])
    project_code: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    avoid_units: list[Uscc] = []
    avoid_experts: list[PoolNumber] = []
    busy_experts: list[PoolNumber] = []
    panels_this_year: dict[PoolNumber, Annotated[int, Meta(ge=0)]] = {}


class ExclusionView(msgspec.Struct, frozen=True):
    code: str
    name: str  # masked
    reasons: list[str]


class EligibilityView(msgspec.Struct, frozen=True):
    eligible: dict[str, list[str]]
    excluded: list[ExclusionView]


# Spreadsheets

class RowError(msgspec.Struct, frozen=True):
    row: int
    column: str
    message: str


class ImportReport(msgspec.Struct, frozen=True):
    dry_run: bool
    rows: int
    created: int
    updated: int
    rejected: int
    errors: list[RowError]
