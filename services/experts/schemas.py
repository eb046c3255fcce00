"""What the experts service takes and gives over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Generic, Literal, TypeVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from services.experts.domain.personal_data import PersonalData
from services.experts.domain.statuses import ExpertStatus
from shared.contracts.panels import Channel, FieldCode, Half, Halves, PoolNumber, Uscc
from shared.contracts.statuses import MemberKind, NotificationStatus, SeatState
from shared.spreadsheets import ImportReport

T = TypeVar("T")
DeclineCategoryName = Literal["illness", "meeting_clash", "unavailable", "other"]

Text50 = Annotated[str, Meta(min_length=1, max_length=50)]
Text100 = Annotated[str, Meta(min_length=1, max_length=100)]
Text200 = Annotated[str, Meta(min_length=1, max_length=200)]
Text500 = Annotated[str, Meta(min_length=1, max_length=500)]


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
    suspended_until: dt.date | None = None  # while suspended: the last day (none: until lifted)


class ExpertDetail(msgspec.Struct, frozen=True):
    """One expert in full; ``personal_data`` is masked except for bureau admins reading one expert."""

    code: str
    name: str
    birth_date: dt.date | None  # bureau admins only: beside the ID number's last four it narrows it down
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
    birth_year: int | None = None


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
    status: ExpertStatus
    reason: Text500
    suspended_until: dt.date | None = None


class ExpertImportReport(ImportReport, frozen=True):
    """``updated`` counts the experts a row changed; a row equal to what is stored is ``unchanged``."""

    unchanged: int = 0


# Annual assessment (年度考核)

class AssessmentFigures(msgspec.Struct, frozen=True):
    """An expert's year: seats offered and what became of them, scores and training at the year's end."""

    invitations: int
    accepted: int
    declined_valid: int  # for illness, a clash with a meeting already accepted, declared unavailability
    declined_unexcused: int
    attended: int
    no_shows: int
    scores: list[int]
    average_score: float | None
    training: Literal["valid", "lapsed", "never"]
    trained_until: dt.date | None
    trained_in_year: bool


class AssessmentConfirmation(msgspec.Struct, frozen=True):
    grade: Literal["pass", "basic", "fail"]
    outcome: Literal["none", "suspended", "retired"]
    reason: str | None
    confirmed_by: str
    confirmed_at: dt.datetime


class AssessmentRow(msgspec.Struct, frozen=True):
    code: str
    name: str
    unit_name: str
    status: str
    figures: AssessmentFigures
    proposed_grade: Literal["pass", "basic", "fail"]
    proposal_reasons: list[str]  # in Chinese, as printed
    confirmation: AssessmentConfirmation | None


class AssessmentSheet(msgspec.Struct, frozen=True):
    year: int
    items: list[AssessmentRow]
    grade_counts: dict[str, int]  # the confirmed grade, else the proposed one
    confirmed: int
    thresholds: dict[str, int]


class AssessmentDecision(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An admin's confirmation: the grade, and for 不合格 the outcome (suspended until a date, or retired)."""

    grade: Literal["pass", "basic", "fail"]
    outcome: Literal["none", "suspended", "retired"] = "none"
    reason: Text500 | None = None
    suspended_until: dt.date | None = None


# Training (Art. 30)

class TrainingCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Text200
    held_on: dt.date


class TrainingView(msgspec.Struct, frozen=True):
    id: int
    number: str  # the session's own number (T2026-001), what lists show
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


class Attendee(msgspec.Struct, frozen=True):
    code: str
    name: str
    unit_name: str
    passed: bool
    trained_until: dt.date | None


class TrainingAttendanceView(msgspec.Struct, frozen=True):
    training: TrainingView
    attendees: list[Attendee]


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


# Panels and draws


class RevealRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    witness: Annotated[str, Meta(min_length=1, max_length=800)]
    # The pool numbers of every expert the organiser named to avoid, as the supervisor confirmed them
    # (the draw view's ``avoidances``); an empty list when there are none.
    confirmed_avoidances: Annotated[list[Annotated[str, Meta(max_length=16)]], Meta(max_length=500)]


class Answer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A member's answer; the expert answering for themself leaves out the channel."""

    channel: Channel | None = None
    reason: Text500 | None = None
    # A decline's reason category: illness, a clash with a meeting already accepted and declared
    # unavailability are valid reasons (no suspension counts them); left out it is "other".
    reason_category: DeclineCategoryName | None = None


LinkToken = Annotated[str, Meta(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class LinkLookup(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A one-time answer link's token, as the gateway's public page forwards it (never in a path)."""

    token: LinkToken


class LinkAnswer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token: LinkToken
    accept: bool
    reason: Text500 | None = None  # a decline needs one
    reason_category: DeclineCategoryName | None = None  # as in Answer; left out it is "other"


class LinkInvitation(msgspec.Struct, frozen=True):
    """What a one-time link shows: the invitation of its own member, nobody else's name or number."""

    project_name: str
    purpose: str
    meeting_on: dt.date
    halves: list[str]
    time_text: str
    state: str  # open (may answer), accepted, declined, closed (replaced, cancelled or the meeting began)
    venue: str | None = None
    contact: str | None = None


class OutboxMessage(msgspec.Struct, frozen=True):
    """A message of the notification outbox as the bureau admin's 消息发件箱 lists it."""

    id: str
    created_at: dt.datetime
    channel: str
    provider: str
    status: NotificationStatus
    attempts: int
    recipient: str  # masked, 3+4
    panel_id: str
    last_error: str | None = None
    sent_at: dt.datetime | None = None
    text: str | None = None  # only of the local outbox, whose messages never left the machine


class MeetingMove(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    meeting_on: dt.date
    halves: Halves
    reason: Text500


class Cancellation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    reason: Text500


class Evaluation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    attended: bool
    score: Annotated[int, Meta(ge=0, le=100)] | None = None
    notes: Annotated[str, Meta(max_length=1000)] | None = None


class MemberView(msgspec.Struct, frozen=True):
    expert_code: str
    field: str
    kind: MemberKind
    position: int
    state: SeatState
    draw_id: str
    replaces: str | None = None  # pool number of the member whose seat this one took
    channel: str | None = None
    reason: str | None = None
    decline_category: str | None = None
    answered_at: dt.datetime | None = None
    attended: bool | None = None
    score: int | None = None
    evaluated_at: dt.datetime | None = None
    name: str | None = None  # only for those who may see the sealed list
    phone: str | None = None
    # The latest SMS and voice call to the member, by channel: pending, sent, failed, delivered (same readers).
    notices: dict[str, NotificationStatus] = {}


class PanelView(msgspec.Struct, frozen=True):
    id: str
    project_code: str
    purpose: str
    meeting_on: dt.date
    halves: list[str]
    seats: dict[str, int]
    reserves_per_field: int
    organiser: str
    organiser_unit: str
    supervisor: str
    supervisor_unit: str
    status: str
    cancel_reason: str | None
    sealed: bool
    draws: list[str]
    open_seats: dict[str, int]
    members: list[MemberView]  # empty for a reader the list is sealed to
    evaluations_due_on: dt.date
    sealed_until: dt.datetime | None = None  # when the meeting's last half-day ends: the list opens to all
    member_counts: dict[str, int] = {}  # members by state, shown to every reader
    answers_open: bool = False  # accepts and declines are taken until the meeting starts
    cancel_phase: str | None = None  # before_reveal, after_reveal
    cancelled_at: dt.datetime | None = None
    replaces: str | None = None  # the panel cancelled after its reveal that this one replaces
    replaced_by: str | None = None
    replaces_draw: str | None = None  # the first draws of those panels, for links
    replaced_by_draw: str | None = None
    project_name: str | None = None
    venue: str | None = None  # 评审地点
    starts_at: dict[str, str] = {}  # half → "HH:MM" (Beijing time) when set; else 08:30 and 14:00
    meeting_starts_at: dt.datetime | None = None
    contact_name: str | None = None
    contact_phone: str | None = None  # whole for those who may see the sealed list, masked for others
    notice: str | None = None
    participating_units: list[dict[str, str]] = []  # {"unit_uscc", "department"}


class AvoidanceView(msgspec.Struct, frozen=True):
    """An expert the organiser named to avoid, as the supervisor confirms it before the reveal."""

    code: str
    reason: str
    explanation: str | None
    drawn_earlier: bool  # drawn (primary or reserve) in an earlier revealed draw of the same project


class ShortfallView(msgspec.Struct, frozen=True):
    primaries: int
    reserves: int


class DrawView(msgspec.Struct, frozen=True):
    id: str
    kind: Literal["panel", "supplementary", "spot_check"]
    purpose: str
    project_code: str
    status: str
    committed_at: dt.datetime
    revealed_at: dt.datetime | None
    commitment: str
    candidates_digest: str
    exclusions_digest: str
    exclusion_counts: dict[str, int]
    candidate_counts: dict[str, int]
    receipt: dict[str, object]
    supervisor: str
    supplementary_of: str | None = None
    reserve_shortfall: dict[str, int] = {}
    shortfall: dict[str, ShortfallView] = {}
    result: dict[str, dict[str, list[str]]] | None = None
    cancel_reason: str | None = None
    panel: PanelView | None = None
    cancel_phase: str | None = None  # before_reveal (status cancelled) or after_reveal (status stays revealed)
    cancelled_at: dt.datetime | None = None
    cancelled_by: str | None = None
    # The extra avoidances the supervisor confirms at the reveal: listed for the panel's organiser,
    # supervisor and bureau admins; everyone else gets only their number.
    avoidances: list[AvoidanceView] | None = None
    avoidance_count: int = 0


class ExclusionEntry(msgspec.Struct, frozen=True):
    expert_code: str | None  # None while the panel's list is sealed to the reader: counts only
    reasons: list[str]


class HistoryEntry(msgspec.Struct, frozen=True):
    seq: int
    recorded_at: dt.datetime
    actor: str
    action: str
    details: dict[str, object]


class TodoItem(msgspec.Struct, frozen=True):
    kind: Literal["answers_missing", "seats_open", "evaluations_due", "evaluations_late"]
    panel_id: str
    draw_id: str
    project_code: str
    meeting_on: dt.date
    experts: list[str] = []
    fields: dict[str, int] = {}
    due_on: dt.date | None = None


class Invitation(msgspec.Struct, frozen=True):
    draw_id: str
    panel_id: str
    project_code: str
    purpose: str
    meeting_on: dt.date
    halves: list[str]
    field: str
    state: str
    project_name: str | None = None
    venue: str | None = None
    starts_at: dt.datetime | None = None  # when the meeting starts (its first half-day)
    contact_name: str | None = None
    contact_phone: str | None = None
    notice: str | None = None


class SupervisedDraw(msgspec.Struct, frozen=True):
    """A draw naming the caller as its supervisor (监督人员). Never a member's name or pool number:
    the panel's list is sealed until the meeting."""

    draw_id: str
    kind: Literal["panel", "supplementary", "spot_check"]
    panel_id: str | None  # None for a spot check
    project_code: str
    purpose: str
    status: str  # committed (awaiting the witness), revealed, cancelled
    committed_at: dt.datetime
    committed_by: str
    meeting_on: dt.date | None  # the panel's Beijing date; None for a spot check
    seats: dict[str, int] | None  # the panel's seats by field (a supplementary draw fills some of them)
    revealed_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    project_name: str | None = None  # the project's name, when the register knows it


class CalendarDayView(msgspec.Struct, frozen=True):
    day: dt.date
    is_working: bool
    note: str


class CalendarDayInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    is_working: bool
    note: Text100


class ExpertStatistics(msgspec.Struct, frozen=True):
    expert_code: str
    draws: int
    seats: int
    accepted: int
    declined: int
    last_drawn_at: dt.datetime | None


class DrawStatistics(msgspec.Struct, frozen=True):
    since: dt.date
    until: dt.date
    committed: int
    revealed: int
    cancelled: int
    supplementary: int
    spot_checks: int
    experts: list[ExpertStatistics]
    cancelled_before_reveal: int = 0
    cancelled_after_reveal: int = 0
    cancels_by: list[CancelsBy] = []
    replacements: list[Replacement] = []


class CancelsBy(msgspec.Struct, frozen=True):
    """The draws one person (an organiser, or an admin) cancelled, by phase."""

    subject: str
    before_reveal: int
    after_reveal: int


class Replacement(msgspec.Struct, frozen=True):
    """A panel asked again after one of its project and purpose was cancelled once its result was known."""

    panel_id: str
    draw_id: str
    project_code: str
    purpose: str
    replaces: str
    replaces_draw: str | None
    cancel_reason: str | None


# Applications to join the pool (入库申请) and experts' own change requests

ApplicationNumber = Annotated[str, Meta(pattern=r"^SQ[0-9]{6,9}$", max_length=11)]
ChangeRequestNumber = Annotated[str, Meta(pattern=r"^BG[0-9]{6,9}$", max_length=11)]
Phone = Annotated[str, Meta(min_length=1, max_length=30)]


class ExpertApplicationInput(msgspec.Struct, forbid_unknown_fields=True):
    """What a person applying, or a unit recommending them, gives: the pool's profile without the
    bank account, training and history (they come after approval)."""

    name: Text50
    birth_date: dt.date
    unit_uscc: Uscc
    unit_name: Text200
    title: Text50
    years_in_field: Annotated[int, Meta(ge=0, le=70)]
    fields: Annotated[list[ExpertFieldInput], Meta(min_length=1, max_length=3)]
    id_number: Annotated[str, Meta(min_length=1, max_length=30)]
    phone: Phone
    certificates: Annotated[list[CertificateView], Meta(max_length=10)] = []


class ApplicationReceipt(msgspec.Struct, frozen=True):
    """Given once at submission: the number and receipt code together show the application's status."""

    number: str
    receipt_code: str
    status: str
    submitted_at: dt.datetime


class ApplicationStatusQuery(msgspec.Struct, forbid_unknown_fields=True):
    number: ApplicationNumber
    receipt_code: Annotated[str, Meta(min_length=1, max_length=64)]


class ApplicationStatusView(msgspec.Struct, frozen=True):
    """What the applicant sees: the status, the reason of a rejection, the pool number once approved."""

    number: str
    name: str
    status: str
    submitted_at: dt.datetime
    decided_on: dt.date | None
    reason: str | None
    expert_code: str | None


class ExpertApplicationView(msgspec.Struct, frozen=True):
    """One application for the review queue; personal data masked, a duplicate of the pool named."""

    number: str
    kind: str
    recommended_by_unit: str | None
    status: str
    name: str
    birth_date: dt.date
    unit_uscc: str
    unit_name: str
    title: str
    years_in_field: int
    fields: list[ExpertFieldView]
    certificates: list[CertificateView]
    personal_data: PersonalData
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    decision_reason: str | None
    expert_code: str | None
    duplicate_of: str | None = None


class ApprovalInput(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text500 | None = None
    left_on: dt.date | None = None  # a change request's employer change: the day the old one was left


class RejectionInput(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text500


class ChangeRequestInput(msgspec.Struct, forbid_unknown_fields=True):
    """An expert's proposed changes to their own entry; what is not given stays. A new employer needs
    its code and name, and may say the day the old one was left (else the approval's day)."""

    phone: Phone | UnsetType = UNSET
    unit_uscc: Uscc | UnsetType = UNSET
    unit_name: Text200 | UnsetType = UNSET
    title: Text50 | UnsetType = UNSET
    fields: Annotated[list[ExpertFieldInput], Meta(min_length=1, max_length=3)] | UnsetType = UNSET
    left_on: dt.date | UnsetType = UNSET


class ProposedChanges(msgspec.Struct, frozen=True, omit_defaults=True):
    """The values of a change request, or the entry's current ones beside them (the phone masked)."""

    phone: str | None = None
    unit_uscc: str | None = None
    unit_name: str | None = None
    title: str | None = None
    fields: list[ExpertFieldView] | None = None
    left_on: dt.date | None = None


class ChangeRequestView(msgspec.Struct, frozen=True):
    number: str
    expert_code: str
    expert_name: str
    status: str
    changes: ProposedChanges
    current: ProposedChanges
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    decision_reason: str | None
# The draw archive, the organiser's desk, the register of self-evaluations and the public bulletin

class ArchiveEntry(msgspec.Struct, frozen=True):
    """A draw in the archive: its facts, never a member (the archive shows no sealed list, and no list)."""

    draw_id: str
    kind: Literal["panel", "supplementary", "spot_check"]
    purpose: str
    project_code: str
    project_name: str | None
    status: str  # committed (awaiting the witness), revealed, cancelled
    committed_at: dt.datetime
    commitment: str
    fields: dict[str, int]  # seats asked by field (a spot check: the sample size)
    excluded: int  # experts left out at commit
    panel_id: str | None = None
    meeting_on: dt.date | None = None
    organiser: str | None = None  # subject
    organiser_name: str | None = None
    organiser_unit: str | None = None
    supervisor: str | None = None
    supervisor_name: str | None = None
    revealed_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    cancel_reason: str | None = None


class OrganiserDesk(msgspec.Struct, frozen=True):
    """The organiser's home: draws awaiting the witness, panels awaiting answers or evaluations, and
    the latest draws of the organiser's unit."""

    awaiting_witness: list[ArchiveEntry]
    awaiting_answers: list[ArchiveEntry]
    awaiting_evaluation: list[ArchiveEntry]
    recent: list[ArchiveEntry]


class SelfEvaluationInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A submitted self-evaluation for the register (Art. 25). ``unit_uscc`` is the submitting unit:
    an organiser's own unit when left out."""

    year: Annotated[int, Meta(ge=2000, le=2100)]
    project_code: Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    kind: Literal["application", "performance"]
    submitted_on: dt.date
    unit_uscc: Uscc | None = None


class SelfEvaluationView(msgspec.Struct, frozen=True):
    id: int
    year: int
    project_code: str
    project_name: str | None
    kind: str
    unit_uscc: str
    submitted_on: dt.date
    recorded_by: str
    recorded_at: dt.datetime


class BulletinEntry(msgspec.Struct, frozen=True):
    """A panel's draw on the public bulletin, once its meeting has ended."""

    draw_id: str
    kind: Literal["panel", "supplementary"]
    project_code: str
    project_name: str | None
    purpose: str
    meeting_on: dt.date
    commitment: str
    exclusion_counts: dict[str, int]
    result: dict[str, dict[str, list[str]]]  # field → primaries and reserves, by pool number
    names: dict[str, str] | None = None  # pool number → name, only where the setting says so
