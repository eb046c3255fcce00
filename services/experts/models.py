"""Tables of the experts service: fields, the pool, training, and project references."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.audit import audit_tables
from shared.outbox import outbox_tables
from shared.projects import LotColumns, ProjectColumns


class Base(DeclarativeBase):
    pass


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
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    suspended_until: Mapped[dt.date | None] = mapped_column(Date)
    last_trained_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    fields: Mapped[list[ExpertField]] = relationship(
        cascade="all, delete-orphan", order_by="ExpertField.field_code", lazy="raise")


class ExpertField(Base):
    __tablename__ = "expert_fields"

    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), primary_key=True)
    field_code: Mapped[str] = mapped_column(ForeignKey("fields.code"), primary_key=True, index=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class TrainingSession(Base):
    """A training session (Art. 30); a pass in its attendance renews an expert's training."""

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
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
