"""Project references: the lifecycle system's projects as experts and vendors both keep them.

The gateway's ``PUT /api/v1/projects/{code}`` fans one :class:`ProjectReference` out to both
services; each stores it with :func:`upsert_project`. A reference's ``digest`` is a hash of its
canonical form, so a retry that changes nothing writes nothing, and ``sortes reconcile`` can
compare the two services by digest alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Literal

import msgspec
from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship, selectinload

from shared.audit import Actor, AuditRecorder
from shared.clock import as_utc
from shared.contracts.projects import (
    CODE_PATTERN,
    EngagementRole,
    LotReference,
    ProcurementMethod,
    ProjectReference,
    ProjectView,
    ProjectWrite,
)
from shared.errors import FieldError, InvalidInput, field_error
from shared.identifiers import uscc_problem
from shared.identity import Identity
from shared.permissions import SEE_EVERY_PROJECT

_CODE = re.compile(CODE_PATTERN)
MAJOR_PROJECT_THRESHOLD_FEN = 2_000_000 * 100  # Art. 2: construction projects of ≥ 2,000,000 CNY


def validate_reference(code: str, reference: ProjectReference) -> ProjectReference:
    """Checks msgspec's types cannot express; lots come back sorted by code (canonical order)."""
    errors: list[FieldError] = []
    if not _CODE.match(code):
        errors.append(field_error("code", "project.code_format", "must match {pattern}", {"pattern": CODE_PATTERN},
                                  "path"))
    problem = uscc_problem(reference.owner_unit)
    if problem:
        errors.append(problem.at("owner_unit"))
    seen: set[str] = set()
    for index, lot in enumerate(reference.lots):
        if lot.code in seen:
            errors.append(field_error(f"lots[{index}].code", "project.lot_twice",
                                      "lot codes must be unique in a project"))
        seen.add(lot.code)
    if errors:
        raise InvalidInput.of(errors)
    return msgspec.structs.replace(reference, lots=sorted(reference.lots, key=lambda lot: lot.code))


def reference_digest(code: str, reference: ProjectReference) -> str:
    canonical = msgspec.json.encode({"code": code, "reference": reference}, order="sorted")
    return hashlib.sha256(canonical).hexdigest()


def is_major(reference: ProjectReference, threshold_fen: int = MAJOR_PROJECT_THRESHOLD_FEN) -> bool:
    return reference.kind == "construction" and reference.investment_fen >= threshold_fen


class ProjectColumns:
    """Columns of a service's ``projects`` table; each service maps it onto its own Base."""

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    owner_unit: Mapped[str] = mapped_column(String(18), index=True)
    investment_fen: Mapped[int] = mapped_column(BigInteger)
    planned_completion: Mapped[dt.date] = mapped_column(Date)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    @declared_attr
    def lots(cls) -> Mapped[list]:  # type: ignore[type-arg]
        return relationship("Lot", cascade="all, delete-orphan", order_by="Lot.code",
                            lazy="raise", uselist=True, collection_class=list)


class LotColumns:
    @declared_attr
    def project_code(cls) -> Mapped[str]:
        return mapped_column(String(64), ForeignKey("projects.code", ondelete="CASCADE"),
                             primary_key=True)

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    procurement_method: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(40))


def project_view(project: ProjectColumns) -> ProjectView:
    lots = [LotReference(code=lot.code, name=lot.name,
                         procurement_method=ProcurementMethod(lot.procurement_method),
                         role=EngagementRole(lot.role)) for lot in project.lots]
    reference = ProjectReference(name=project.name, kind=project.kind,  # type: ignore[arg-type]
                                 owner_unit=project.owner_unit, investment_fen=project.investment_fen,
                                 planned_completion=project.planned_completion, lots=lots)
    return ProjectView(code=project.code, name=project.name, kind=project.kind,
                       owner_unit=project.owner_unit, investment_fen=project.investment_fen,
                       planned_completion=project.planned_completion, lots=lots,
                       is_major=is_major(reference), digest=project.digest,
                       updated_at=as_utc(project.updated_at))



async def load_project(session: AsyncSession, project_cls: type, code: str) -> ProjectColumns | None:
    statement = select(project_cls).where(project_cls.code == code).options(
        selectinload(project_cls.lots))
    return (await session.execute(statement)).scalar_one_or_none()


async def upsert_project(session: AsyncSession, project_cls: type, lot_cls: type, code: str,
                         reference: ProjectReference, audit: AuditRecorder,
                         actor: Actor | Identity) -> ProjectWrite:
    """Store ``reference`` under ``code``; a repeat of the same content changes nothing (and logs nothing)."""
    reference = validate_reference(code, reference)
    digest = reference_digest(code, reference)
    project = await load_project(session, project_cls, code)
    if project is not None and project.digest == digest:
        return ProjectWrite(project=project_view(project), outcome="unchanged")
    before = _content(project_view(project)) if project is not None else None
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    outcome: Literal["created", "updated"] = "updated"
    if project is None:
        outcome = "created"
        project = project_cls(code=code, created_at=now, lots=[])
        session.add(project)
    project.name, project.kind = reference.name, reference.kind
    project.owner_unit, project.investment_fen = reference.owner_unit, reference.investment_fen
    project.planned_completion, project.digest, project.updated_at = (
        reference.planned_completion, digest, now)
    _replace_lots(project, lot_cls, reference.lots)
    await session.flush()
    view = project_view(project)
    await audit.record(session, actor=actor, action=f"project.{outcome}", object_type="project",
                       object_id=code, before=before, after=_content(view), details={"digest": digest})
    return ProjectWrite(project=view, outcome=outcome)


def _content(view: ProjectView) -> dict[str, object]:
    content = msgspec.to_builtins(view)
    content.pop("updated_at")
    return content


def _replace_lots(project: ProjectColumns, lot_cls: type, lots: list[LotReference]) -> None:
    # Update rows in place by lot code: deleting and re-adding a row with the same key in one
    # flush would collide on the primary key.
    existing = {lot.code: lot for lot in project.lots}
    kept = []
    for lot in lots:
        row = existing.get(lot.code) or lot_cls(code=lot.code)
        row.name, row.role, row.procurement_method = lot.name, lot.role.value, lot.procurement_method.value
        kept.append(row)
    project.lots = kept


async def list_projects(session: AsyncSession, project_cls: type, *, owner_unit: str | None = None,
                        query: str | None = None) -> list[ProjectView]:
    """Every project by code; only ``owner_unit``'s when given, only those whose code or name holds
    ``query`` when given."""
    statement = select(project_cls).options(selectinload(project_cls.lots)).order_by(project_cls.code)
    if owner_unit is not None:
        statement = statement.where(project_cls.owner_unit == owner_unit)
    if query:
        pattern = f"%{query}%"
        statement = statement.where(project_cls.code.like(pattern) | project_cls.name.like(pattern))
    return [project_view(project) for project in (await session.execute(statement)).scalars()]


# Roles that read every unit's projects; the other roles (organiser, procurement officer, rater) read
# their own unit's, unless their unit is one of the bureau's (shared.settings.bureau_units).


def sees_every_project(caller: Identity, bureau_units: frozenset[str]) -> bool:
    return caller.has_any(SEE_EVERY_PROJECT) or caller.unit in bureau_units
