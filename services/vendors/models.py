"""Tables of the vendors service: the registry, engagements and project references."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String
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


class Vendor(Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


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

    vendor: Mapped[Vendor] = relationship(lazy="raise")
