"""Tables of the vendors service: the registry, engagements, conflict checks, exclusions and ratings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.audit import audit_tables
from shared.audit.rows import audited_rows
from shared.contracts.statuses import VendorStatus
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


class Vendor(Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=VendorStatus.ACTIVE)
    # 法定代表人: the name is public in the business register; the ID number is personal data, kept
    # only as a field-encryption token and a keyed blind index (to find the same person elsewhere).
    legal_representative_name: Mapped[str | None] = mapped_column(String(100))
    legal_representative_id_token: Mapped[str | None] = mapped_column(Text)
    legal_representative_id_index: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    aliases: Mapped[list[VendorAlias]] = relationship(
        lazy="raise", order_by="VendorAlias.id", cascade="all, delete-orphan")
    qualifications: Mapped[list[Qualification]] = relationship(
        lazy="raise", order_by="Qualification.id", cascade="all, delete-orphan")


class VendorAlias(Base):
    """A former name (曾用名), kept when the vendor is renamed."""

    __tablename__ = "vendor_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    used_until: Mapped[dt.date] = mapped_column(Date)  # Beijing date of the rename


class Qualification(Base):
    """A licence or certificate (资质) with its expiry."""

    __tablename__ = "vendor_qualifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    certificate_number: Mapped[str] = mapped_column(String(100))
    valid_until: Mapped[dt.date | None] = mapped_column(Date)


class VendorRelation(Base):
    """A direct controlling (> 50% or decisive vote) or management relationship: ``vendor`` over ``related``."""

    __tablename__ = "vendor_relations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    related_vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(100))

    vendor: Mapped[Vendor] = relationship(foreign_keys=[vendor_id], lazy="raise")
    related: Mapped[Vendor] = relationship(foreign_keys=[related_vendor_id], lazy="raise")


class Engagement(Base):
    """Who does what on a project: vendor × project × lot (or none) × role."""

    __tablename__ = "engagements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    lot_code: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(40))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Voided (作废), never deleted: a void engagement counts in no conflict check and gives no standing
    # to rate, but stays readable with its reason.
    voided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    voided_by: Mapped[str | None] = mapped_column(String(100))
    void_reason: Mapped[str | None] = mapped_column(Text)

    vendor: Mapped[Vendor] = relationship(lazy="raise")


class Exclusion(Base):
    """A debarment (禁止参加政府采购活动) from the register; active or not follows from its dates."""

    __tablename__ = "exclusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # By USCC, not by registry row: a debarred supplier need not be in the county's registry.
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    vendor_name: Mapped[str] = mapped_column(String(200))
    issuing_body: Mapped[str] = mapped_column(String(200))
    decision_number: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(100))


class ConflictCheck(Base):
    """One conflict check exactly as answered: the answer is stored whole and never rewritten."""

    __tablename__ = "conflict_checks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    lot_code: Mapped[str] = mapped_column(String(64))
    rule_version: Mapped[str] = mapped_column(String(40))
    policy: Mapped[str] = mapped_column(String(20))
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    checked_by: Mapped[str] = mapped_column(String(100))
    checked_by_unit: Mapped[str] = mapped_column(String(18))
    answer: Mapped[str] = mapped_column(Text)  # the JSON document GET returns


class Rating(Base):
    """A vendor's rating after a contract stage (Art. 28). Comment and review are rows of their own."""

    __tablename__ = "ratings"
    __table_args__ = (Index("ix_ratings_vendor_rated_on", "vendor_id", "rated_on"),
                      Index("ix_ratings_finalised_at_comment_until", "finalised_at", "comment_until"),
                      # Art. 28: one rating per engagement and contract stage.
                      UniqueConstraint("engagement_id", "stage", name="uq_ratings_engagement_stage"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    project_code: Mapped[str | None] = mapped_column(ForeignKey("projects.code"))
    stage: Mapped[str] = mapped_column(String(100))
    quality: Mapped[str] = mapped_column(String(30))
    schedule: Mapped[str] = mapped_column(String(30))
    service_responsiveness: Mapped[str] = mapped_column(String(30))
    security_compliance: Mapped[str] = mapped_column(String(30))
    documentation: Mapped[str] = mapped_column(String(30))
    overall: Mapped[str] = mapped_column(String(30))
    narrative: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(20))
    rated_on: Mapped[dt.date] = mapped_column(Date)  # Beijing date
    comment_until: Mapped[dt.date] = mapped_column(Date)  # last Beijing day of the comment window
    rater: Mapped[str] = mapped_column(String(100))
    rater_unit: Mapped[str] = mapped_column(String(18))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # When the rating became final (its comment window lapsed undisputed, or its dispute was reviewed)
    # and ``rating.final`` was published; set once, by whoever locks the row first.
    finalised_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The engagement the rater's standing rests on; none only on ratings made before standing was checked.
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("engagements.id"), index=True)

    vendor: Mapped[Vendor] = relationship(lazy="raise")
    comment: Mapped[RatingComment | None] = relationship(lazy="raise", uselist=False)
    review: Mapped[RatingReview | None] = relationship(lazy="raise", uselist=False)


class RatingComment(Base):
    """The vendor's answer within its comment window; ``disputes`` asks for a review."""

    __tablename__ = "rating_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    disputes: Mapped[bool] = mapped_column(Boolean)
    commented_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    commented_by: Mapped[str] = mapped_column(String(100))


class RatingReview(Base):
    """A rating reviewer's decision on a disputed rating: upheld, or revised to another level."""

    __tablename__ = "rating_reviews"
    __table_args__ = (UniqueConstraint("rating_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    revised_level: Mapped[str | None] = mapped_column(String(30))
    narrative: Mapped[str] = mapped_column(Text)
    reviewed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str] = mapped_column(String(100))
    reviewer_unit: Mapped[str] = mapped_column(String(18))


# Every table of this service is audited row by row (shared/audit/rows.py): `sortes audit verify` names
# a row changed, inserted or deleted behind the log.
AUDITED_ROWS = audited_rows(Base.metadata, unaudited={})
