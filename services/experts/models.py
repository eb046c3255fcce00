"""Tables of the experts service: fields, the pool, training, availability, and project references.

Personal data (phone, ID number, bank account) is stored only as field-encryption tokens; the ID
number also as a keyed blind index, the one way to find an expert by it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.experts.domain.statuses import ExpertStatus
from shared.audit import audit_tables
from shared.audit.rows import audited_rows
from shared.contracts.statuses import PanelStatus
from shared.db import service_metadata
from shared.outbox import outbox_tables
from shared.projects import LotColumns, ProjectColumns


class Base(DeclarativeBase):
    metadata = service_metadata()


AUDIT = audit_tables(Base.metadata)
OUTBOX = outbox_tables(Base.metadata)


class Project(ProjectColumns, Base):
    __tablename__ = "projects"


class Lot(LotColumns, Base):
    __tablename__ = "project_lots"


class Field(Base):
    """A professional field (专业领域) of the two-level taxonomy; retired fields keep their history."""

    __tablename__ = "fields"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("fields.code"), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Expert(Base):
    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # pool number, E00001 …
    name: Mapped[str] = mapped_column(String(50))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    unit_uscc: Mapped[str] = mapped_column(String(18), index=True)
    unit_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(50))  # 职称
    years_in_field: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=ExpertStatus.ACTIVE, index=True)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    status_changed_on: Mapped[dt.date | None] = mapped_column(Date)
    suspended_until: Mapped[dt.date | None] = mapped_column(Date)
    last_trained_on: Mapped[dt.date | None] = mapped_column(Date)
    # The identity subject (``user:<id>``) of the expert's own sign-in, so they can keep their
    # availability and declared conflicts themselves.
    account_subject: Mapped[str | None] = mapped_column(String(100), unique=True, index=True)
    phone_token: Mapped[str | None] = mapped_column(String(255))
    id_number_token: Mapped[str | None] = mapped_column(String(255))
    id_number_index: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    bank_account_token: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    fields: Mapped[list[ExpertField]] = relationship(
        cascade="all, delete-orphan", order_by="ExpertField.field_code", lazy="raise")
    former_employers: Mapped[list[FormerEmployer]] = relationship(
        cascade="all, delete-orphan", order_by="FormerEmployer.ended_on", lazy="raise")
    certificates: Mapped[list[Certificate]] = relationship(
        cascade="all, delete-orphan", order_by="Certificate.id", lazy="raise")
    bad_conduct_records: Mapped[list[BadConductRecord]] = relationship(
        cascade="all, delete-orphan", order_by="BadConductRecord.occurred_on", lazy="raise")
    unavailability: Mapped[list[Unavailability]] = relationship(
        cascade="all, delete-orphan", order_by="Unavailability.starts_on", lazy="raise")
    declared_conflicts: Mapped[list[DeclaredConflict]] = relationship(
        cascade="all, delete-orphan", order_by="DeclaredConflict.id", lazy="raise")


class ExpertField(Base):
    __tablename__ = "expert_fields"

    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), primary_key=True)
    field_code: Mapped[str] = mapped_column(ForeignKey("fields.code"), primary_key=True, index=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class TrainingSession(Base):
    """A training session (Art. 30); a pass in its attendance renews an expert's training."""

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The session's own number (T2026-001 …, by the year it is held), what lists and the console show.
    number: Mapped[str | None] = mapped_column(String(16), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TrainingAttendance(Base):
    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("session_id", "expert_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    passed: Mapped[bool] = mapped_column(Boolean)


class FormerEmployer(Base):
    """A unit the expert worked for; avoidance looks back 3 years from the meeting."""

    __tablename__ = "expert_former_employers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    unit_uscc: Mapped[str] = mapped_column(String(18), index=True)
    unit_name: Mapped[str] = mapped_column(String(200))
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date] = mapped_column(Date)


class Certificate(Base):
    __tablename__ = "expert_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    expires_on: Mapped[dt.date | None] = mapped_column(Date)


class BadConductRecord(Base):
    """不良行为: a dated record; one within 3 years of a meeting keeps the expert off its panel."""

    __tablename__ = "expert_bad_conduct"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500))


class Unavailability(Base):
    """A period the expert cannot sit, from a half-day to a half-day (both included)."""

    __tablename__ = "expert_unavailability"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    starts_half: Mapped[str] = mapped_column(String(10))
    ends_on: Mapped[dt.date] = mapped_column(Date, index=True)
    ends_half: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class DeclaredConflict(Base):
    """A unit the expert declares a conflict with (回避), until a date or open-ended."""

    __tablename__ = "expert_declared_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    unit_uscc: Mapped[str] = mapped_column(String(18), index=True)
    until: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))
    declared_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Panel(Base):
    """A panel (评审专家组) asked for a project's meeting; its seats are filled by one or more draws."""

    __tablename__ = "panels"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_code: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    meeting_on: Mapped[dt.date] = mapped_column(Date, index=True)  # a Beijing date
    halves: Mapped[str] = mapped_column(String(20))  # "morning", "afternoon" or "morning,afternoon"
    reserves_per_field: Mapped[int] = mapped_column(Integer)
    seats: Mapped[str] = mapped_column(Text)  # JSON: field code → seats asked
    # JSON: the units and experts the organiser and the gateway named for avoidance (回避), with reasons;
    # supplementary draws avoid them too.
    avoidances: Mapped[str] = mapped_column(Text)
    organiser_subject: Mapped[str] = mapped_column(String(100), index=True)
    organiser_name: Mapped[str] = mapped_column(String(100))
    organiser_unit: Mapped[str] = mapped_column(String(64))
    supervisor_subject: Mapped[str] = mapped_column(String(100), index=True)
    supervisor_name: Mapped[str] = mapped_column(String(100))
    supervisor_unit: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=PanelStatus.OPEN, index=True)  # PanelStatus
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # The cancel: before_reveal or after_reveal (a result was known), and when. A panel cancelled after
    # its reveal is named by the next panel of its project and purpose (``replaces``), once.
    cancel_phase: Mapped[str | None] = mapped_column(String(20))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    replaces: Mapped[str | None] = mapped_column(String(36), index=True, unique=True)
    # JSON: the joint departments taking part (宣传部/网信办, 发改局, 公安局, 财政局), avoided like the owner.
    participating_units: Mapped[str] = mapped_column(Text, default="[]")
    # Where and when, whom to call, and the notice: set at request and editable (MeetingNotice).
    venue: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[str] = mapped_column(Text, default="{}")  # JSON: half → "HH:MM", Beijing time
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone_token: Mapped[str | None] = mapped_column(Text)  # sealed like an expert's phone
    notice: Mapped[str | None] = mapped_column(Text)
    # Unit names as the gateway knew them at the request (the record prints names, not codes).
    organiser_unit_name: Mapped[str | None] = mapped_column(String(200))
    supervisor_unit_name: Mapped[str | None] = mapped_column(String(200))


class Draw(Base):
    """One sortes-draw/1 draw: a panel's first draw, a supplementary one, or a spot check.

    The secret is kept only as a field-encryption token until the reveal puts it in the record.
    """

    __tablename__ = "draws"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    panel_id: Mapped[str | None] = mapped_column(ForeignKey("panels.id"), index=True)
    supplementary_of: Mapped[str | None] = mapped_column(ForeignKey("draws.id"))
    purpose: Mapped[str] = mapped_column(String(32))
    project_code: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # DrawStatus
    supervisor_subject: Mapped[str] = mapped_column(String(100))
    receipt: Mapped[str] = mapped_column(Text)  # the commit receipt, canonical JSON
    secret_token: Mapped[str] = mapped_column(String(255))
    record: Mapped[str | None] = mapped_column(Text)  # the full record once revealed
    exclusions_digest: Mapped[str] = mapped_column(String(64))
    exclusion_counts: Mapped[str] = mapped_column(Text)  # JSON: reason code → experts left out
    committed_by: Mapped[str] = mapped_column(String(100))
    committed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    revealed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Who cancelled and in which phase: before_reveal (status cancelled) or after_reveal (the panel was
    # cancelled once its result was known; the status stays revealed, the record stays readable).
    cancel_phase: Mapped[str | None] = mapped_column(String(20))
    cancelled_by: Mapped[str | None] = mapped_column(String(100), index=True)


class DrawExclusion(Base):
    """An expert of the asked fields left out of a draw at commit, with every reason code."""

    __tablename__ = "draw_exclusions"

    draw_id: Mapped[str] = mapped_column(ForeignKey("draws.id"), primary_key=True)
    expert_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    reasons: Mapped[str] = mapped_column(String(300))


class PanelMember(Base):
    """An expert a draw placed on a panel, as a primary (a seat) or a reserve (候补), and what became of it.

    States: ``invited`` and ``accepted`` hold a seat (and its bookings); ``reserve`` waits in order;
    ``declined``, ``unable`` (seated elsewhere at reveal or after a move) and ``released`` (the panel
    was cancelled) no longer do; ``skipped`` is a reserve passed over because it was seated elsewhere.
    """

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("panel_id", "expert_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[str] = mapped_column(ForeignKey("panels.id"), index=True)
    draw_id: Mapped[str] = mapped_column(ForeignKey("draws.id"), index=True)
    expert_code: Mapped[str] = mapped_column(String(16), index=True)
    field_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))  # MemberKind
    position: Mapped[int] = mapped_column(Integer)  # placing order within the field's list of its draw
    state: Mapped[str] = mapped_column(String(20), index=True)  # SeatState
    replaces: Mapped[int | None] = mapped_column(ForeignKey("panel_members.id"))
    channel: Mapped[str | None] = mapped_column(String(20))  # phone, sms, in_person, unreachable, self
    reason: Mapped[str | None] = mapped_column(String(500))
    # A decline's reason category (DeclineCategory); illness, a clash with a meeting already accepted
    # and declared unavailability are valid reasons and count toward no suspension. None before 0013.
    decline_category: Mapped[str | None] = mapped_column(String(20))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    attended: Mapped[bool | None] = mapped_column(Boolean)
    score: Mapped[int | None] = mapped_column(Integer)
    evaluation_notes: Mapped[str | None] = mapped_column(String(1000))
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Booking(Base):
    """A half-day an expert is seated on a panel. The primary key is the guarantee that no expert
    holds seats on two panels meeting in the same half-day, whatever two processes do at once."""

    __tablename__ = "panel_bookings"

    expert_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    half: Mapped[str] = mapped_column(String(10), primary_key=True)
    panel_id: Mapped[str] = mapped_column(ForeignKey("panels.id"), index=True)


class SpotCheckSubmission(Base):
    """A self-evaluation in the population of a year's spot check (Art. 25)."""

    __tablename__ = "spot_check_submissions"

    draw_id: Mapped[str] = mapped_column(ForeignKey("draws.id"), primary_key=True)
    project_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # application, performance


class SelfEvaluation(Base):
    """A submitted self-evaluation in the register a year's spot check (Art. 25) draws from: an
    application self-evaluation (申报自评) of the year, or a performance self-evaluation (绩效自评) of a
    project completed the year before. Entered by the unit or by the lifecycle system; never deleted."""

    __tablename__ = "self_evaluations"
    __table_args__ = (UniqueConstraint("year", "project_code", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    project_code: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # application, performance
    unit_uscc: Mapped[str] = mapped_column(String(64))
    submitted_on: Mapped[dt.date] = mapped_column(Date)  # a Beijing date
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Assessment(Base):
    """An expert's confirmed annual assessment (年度考核): the year's figures as read, the grade the rules
    proposed, the grade the admin confirmed and what followed (none, suspended or retired)."""

    __tablename__ = "expert_assessments"
    __table_args__ = (UniqueConstraint("year", "expert_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    expert_code: Mapped[str] = mapped_column(String(16), index=True)
    figures: Mapped[str] = mapped_column(Text)  # JSON: the AssessmentFigures confirmed
    proposed_grade: Mapped[str] = mapped_column(String(10))  # AssessmentGrade
    grade: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(20))  # AssessmentOutcome
    reason: Mapped[str | None] = mapped_column(String(500))
    confirmed_by: Mapped[str] = mapped_column(String(100))
    confirmed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CalendarDay(Base):
    """An exception to the Monday–Friday working week: a holiday, or a swapped working day (调休)."""

    __tablename__ = "calendar_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(100))


class ExpertApplication(Base):
    """An application to join the pool (入库申请): by the person (``self``) or recommended by a unit.

    Personal data is sealed as in ``experts`` (context ``experts.application.<field>:<number>``); the ID
    number's blind index finds a duplicate of an expert or of another open application. The applicant
    reads the status with the number and the receipt code given once at submission (only its digest kept).
    """

    __tablename__ = "expert_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # SQ000001 …
    kind: Mapped[str] = mapped_column(String(20))  # self, recommended
    recommended_by_unit: Mapped[str | None] = mapped_column(String(64))
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    receipt_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending, approved, rejected
    name: Mapped[str] = mapped_column(String(50))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    unit_uscc: Mapped[str] = mapped_column(String(18))
    unit_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(50))
    years_in_field: Mapped[int] = mapped_column(Integer)
    fields: Mapped[str] = mapped_column(Text)  # JSON: [{code, primary}]
    certificates: Mapped[str] = mapped_column(Text)  # JSON: [{name, expires_on}]
    phone_token: Mapped[str | None] = mapped_column(String(255))
    id_number_token: Mapped[str] = mapped_column(String(255))
    id_number_index: Mapped[str] = mapped_column(String(64), index=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    expert_code: Mapped[str | None] = mapped_column(String(16))


class ExpertChangeRequest(Base):
    """A change an expert proposes to their own entry (contact, employer, title, fields), for review."""

    __tablename__ = "expert_change_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # BG000001 …
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending, approved, rejected
    changes: Mapped[str] = mapped_column(Text)  # JSON: the proposed values, the phone left out
    phone_token: Mapped[str | None] = mapped_column(String(255))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decision_reason: Mapped[str | None] = mapped_column(String(500))
class InvitationLink(Base):
    """A one-time link sent to an invited member to accept or decline without signing in.

    Only the SHA-256 digest of the link's token is kept: the token itself is in the message sent (sealed
    in the notification's payload) and nowhere else. A link answers for its own member only, until the
    meeting starts, once.
    """

    __tablename__ = "invitation_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Notification(Base):
    """One SMS or voice call to a panel member, in the notification outbox the sender works through.

    The recipient's phone, the text and the link are sealed together in ``payload_token`` (field
    encryption bound to the row's id); the row itself names the member by pool number only.
    """

    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    panel_id: Mapped[str] = mapped_column(ForeignKey("panels.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_members.id"), index=True)
    expert_code: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(10))  # sms, voice
    provider: Mapped[str] = mapped_column(String(20))  # local, alibaba
    status: Mapped[str] = mapped_column(String(20), index=True)  # NotificationStatus
    payload_token: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(36))
    last_error: Mapped[str | None] = mapped_column(String(100))  # the provider's code, never its text
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# Every table of this service is audited row by row (shared/audit/rows.py): `sortes audit verify` names
# a row changed, inserted or deleted behind the log.
AUDITED_ROWS = audited_rows(Base.metadata, unaudited={}, unaudited_columns={"notifications": {
    "attempts": "a failed attempt before the last is retried without an entry; the outcome has one",
    "next_attempt_at": "the sender's back-off, moved with each failed attempt",
    "lease_until": "the sender's claim on a row while it sends", "lease_owner": "the sender holding the claim",
    "last_error": "the provider's code of the latest failed attempt"}})
