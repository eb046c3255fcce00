"""The draw archive: every draw a reader may see, filtered and paged; a draw found by a prefix of its
number; the organiser's desk; a year's draws for the file; the public bulletin.

Who sees which draws: bureau admins, auditors and the lifecycle system every draw; an organiser its
unit's panels' draws; a supervisor the draws naming them. The archive lists a draw's facts only —
never a member, so no sealed list shows through it. The bulletin shows a panel's draws to anyone
once the meeting's last half-day has ended, and nothing about the panel before.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain import seats as seat_rules
from services.experts.domain.draws import draw_by_id, receipt_of, record_document
from services.experts.domain.panels import is_sealed, meeting_starts_at, reads_members
from services.experts.domain.printable import PURPOSES
from services.experts.models import Draw, DrawExclusion, Expert, Panel, Project
from services.experts.schemas import ArchiveEntry, BulletinEntry, OrganiserDesk, Page
from shared.clock import BEIJING, as_utc, beijing_today, utc_now
from shared.contracts.panels import DRAW_PURPOSES
from shared.contracts.statuses import HOLDING, DrawStatus, PanelStatus, SeatState
from shared.errors import Conflict, FieldError, InvalidInput, NotFound, field_error
from shared.identity import Identity
from shared.permissions import ADMIN_AND_AUDITOR
from shared.roles import Role

PREFIX_MIN = 8  # a draw opens by its full number or a unique prefix of at least this many characters
_DRAW_PREFIX = re.compile(r"^[0-9a-f-]+$")
_FIELD = re.compile(r"^[A-Z][A-Z0-9_-]{0,30}(\.[A-Z0-9_]{1,30})?$")
RECENT_SHOWN = 10
EVALUATION_LOOKBACK_DAYS = 60


async def draw_by_reference(session: AsyncSession, reference: str) -> Draw:
    """The draw numbered ``reference``, or the one draw whose number starts with it (at least 8
    characters): a shorter one is a 422 naming ``draw_id``, one that several numbers start with a 409."""
    wanted = reference.strip().lower()
    if len(wanted) < PREFIX_MIN:
        raise InvalidInput.for_field("draw_id", "draw.id_too_short",
                                     "give the draw number or at least its first {min} characters",
                                     {"min": PREFIX_MIN}, source="path")
    if len(wanted) >= 36 or not _DRAW_PREFIX.match(wanted):
        return await draw_by_id(session, reference.strip())
    found = (await session.execute(select(Draw.id).where(Draw.id.startswith(wanted)).order_by(Draw.id)
                                   .limit(2))).scalars().all()
    if not found:
        raise NotFound("No draw {draw}.", code="draw.unknown", params={"draw": wanted})
    if len(found) > 1:
        raise Conflict("More than one draw number starts with {prefix}; give more of it.",
                       code="draw.id_ambiguous", params={"prefix": wanted})
    return await draw_by_id(session, found[0])


@dataclass(frozen=True)
class ArchiveQuery:
    """The archive's filters as the caller gave them (strings, checked by :meth:`errors`)."""

    project: str | None = None
    purpose: str | None = None
    status: str | None = None
    since: str | None = None  # a Beijing date, the first day of the period (``from``)
    until: str | None = None  # a Beijing date, the last day of the period (``to``)
    organiser: str | None = None
    supervisor: str | None = None
    field: str | None = None

    def checked(self) -> tuple[dt.date | None, dt.date | None]:
        """The period's days; a 422 naming every bad filter."""
        errors: list[FieldError] = []
        if self.purpose is not None and self.purpose not in DRAW_PURPOSES:
            errors.append(field_error("purpose", "archive.unknown_purpose", "one of {allowed}",
                                      {"allowed": ", ".join(DRAW_PURPOSES)}, source="query"))
        statuses = [status.value for status in DrawStatus]
        if self.status is not None and self.status not in statuses:
            errors.append(field_error("status", "archive.unknown_status", "one of {allowed}",
                                      {"allowed": ", ".join(statuses)}, source="query"))
        if self.field is not None and not _FIELD.match(self.field):
            errors.append(field_error("field", "archive.bad_field", "a field code such as APP or CLOUD",
                                      source="query"))
        since, until = _day(self.since, "from", errors), _day(self.until, "to", errors)
        if since and until and until < since:
            errors.append(field_error("to", "archive.period_reversed", "the period ends before it starts",
                                      source="query"))
        for name, value in (("project", self.project), ("organiser", self.organiser),
                            ("supervisor", self.supervisor)):
            if value is not None and not 1 <= len(value) <= 100:
                errors.append(field_error(name, "archive.bad_text", "between 1 and 100 characters",
                                          source="query"))
        if errors:
            raise InvalidInput.of(errors)
        return since, until


def _day(text: str | None, name: str, errors: list[FieldError]) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(field_error(name, "archive.bad_date", "a date as YYYY-MM-DD (Beijing)", source="query"))
        return None


def _beijing_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), BEIJING).astimezone(dt.UTC)


def visible_to(actor: Identity) -> ColumnElement[bool] | None:
    """Which draws ``actor`` may find in the archive; None for every draw."""
    if actor.has_any(ADMIN_AND_AUDITOR | {Role.SERVICE}):
        return None
    clauses: list[ColumnElement[bool]] = []
    if Role.ORGANISER in actor.roles:
        clauses.append(Panel.organiser_unit == actor.unit)
    if Role.SUPERVISOR in actor.roles:
        clauses.append(Draw.supervisor_subject == actor.subject)
    return or_(*clauses) if clauses else false()


def _person(value: str) -> list[str]:
    return [value] if ":" in value else [value, f"user:{value}"]


def _rows() -> Select[Any]:
    excluded = select(func.count()).where(DrawExclusion.draw_id == Draw.id).correlate(Draw).scalar_subquery()
    return (select(Draw, Panel, Project.name, excluded).outerjoin(Panel, Panel.id == Draw.panel_id)
            .outerjoin(Project, Project.code == Draw.project_code))


def _filtered(statement: Select[Any], actor: Identity, query: ArchiveQuery) -> Select[Any]:
    since, until = query.checked()
    scope = visible_to(actor)
    if scope is not None:
        statement = statement.where(scope)
    if query.project:
        statement = statement.where(or_(Draw.project_code.icontains(query.project, autoescape=True),
                                        Project.name.icontains(query.project, autoescape=True)))
    if query.purpose:
        statement = statement.where(Draw.purpose == query.purpose)
    if query.status:
        statement = statement.where(Draw.status == query.status)
    if since:
        statement = statement.where(Draw.committed_at >= _beijing_midnight(since))
    if until:
        statement = statement.where(Draw.committed_at < _beijing_midnight(until + dt.timedelta(days=1)))
    if query.organiser:
        statement = statement.where(or_(Panel.organiser_subject.in_(_person(query.organiser)),
                                        Panel.organiser_name == query.organiser))
    if query.supervisor:
        statement = statement.where(or_(Draw.supervisor_subject.in_(_person(query.supervisor)),
                                        Panel.supervisor_name == query.supervisor))
    if query.field:  # the draw's own quotas, as its receipt commits to them
        statement = statement.where(Draw.receipt.contains(f'"field": "{query.field}"', autoescape=True))
    return statement


async def archive_page(session: AsyncSession, actor: Identity, query: ArchiveQuery, *, page: int,
                       size: int) -> Page[ArchiveEntry]:
    statement = _filtered(_rows(), actor, query)
    total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
    rows = await session.execute(statement.order_by(Draw.committed_at.desc(), Draw.id)
                                 .offset((page - 1) * size).limit(size))
    return Page(items=[entry(*row) for row in rows], total=total, page=page,
                page_size=size)


def entry(draw: Draw, panel: Panel | None, project_name: str | None, excluded: int) -> ArchiveEntry:
    receipt = receipt_of(draw)
    return ArchiveEntry(
        draw_id=draw.id, kind="spot_check" if draw.panel_id is None else
        ("supplementary" if draw.supplementary_of else "panel"), purpose=draw.purpose,
        project_code=draw.project_code, project_name=project_name, status=draw.status,
        committed_at=as_utc(draw.committed_at), commitment=receipt.commitment, fields=dict(receipt.quota_map),
        excluded=excluded,
        panel_id=draw.panel_id, meeting_on=panel.meeting_on if panel else None,
        organiser=panel.organiser_subject if panel else draw.committed_by,
        organiser_name=panel.organiser_name if panel else None, organiser_unit=panel.organiser_unit if panel else None,
        supervisor=draw.supervisor_subject, supervisor_name=panel.supervisor_name if panel else None,
        revealed_at=as_utc(draw.revealed_at), cancelled_at=as_utc(draw.cancelled_at), cancel_reason=draw.cancel_reason)


async def organiser_desk(session: AsyncSession, actor: Identity) -> OrganiserDesk:
    """An organiser's home: its unit's draws awaiting the witness, panels whose members have not all
    answered before the meeting, panels whose members wait for their evaluation after it, and the
    latest draws. A bureau admin's are the panels they asked for themself."""
    mine = (Panel.organiser_unit == actor.unit if Role.ORGANISER in actor.roles
            else Panel.organiser_subject == actor.subject)
    base = _rows().where(mine)
    waiting = [entry(*row) for row in await session.execute(
        base.where(Draw.status == DrawStatus.COMMITTED).order_by(Draw.committed_at))]
    recent = [entry(*row) for row in await session.execute(
        base.order_by(Draw.committed_at.desc(), Draw.id).limit(RECENT_SHOWN))]
    first_draws = await session.execute(
        base.where(Draw.supplementary_of.is_(None), Panel.status == PanelStatus.OPEN,
                   Draw.status == DrawStatus.REVEALED,
                   Panel.meeting_on >= beijing_today() - dt.timedelta(days=EVALUATION_LOOKBACK_DAYS))
        .order_by(Panel.meeting_on, Draw.id))
    answers, evaluations = [], []
    now = utc_now()
    for row in first_draws:
        panel = row[1]
        states = [(member.state, member.evaluated_at) for member in await seat_rules.members_of(session, panel.id)]
        if now < meeting_starts_at(panel):
            if any(state == SeatState.INVITED for state, _ in states):
                answers.append(entry(*row))
        elif any(state in HOLDING and evaluated is None for state, evaluated in states):
            evaluations.append(entry(*row))
    return OrganiserDesk(awaiting_witness=waiting, awaiting_answers=answers, awaiting_evaluation=evaluations,
                         recent=recent)


# --- a year's draws for the file -------------------------------------------------------------------

EXPORT_HEADERS = ("抽取编号", "类型", "用途", "项目编号", "项目名称", "状态", "承诺时间（北京时间）", "评审日期",
                  "组织人", "组织单位", "监督人", "抽取领域及人数", "排除人数", "承诺值", "揭示时间（北京时间）",
                  "取消时间（北京时间）", "取消原因")
_KINDS = {"panel": "评审组抽取", "supplementary": "补抽", "spot_check": "自评报告抽查"}
_STATUSES = {"committed": "已承诺待揭示", "revealed": "已揭示", "cancelled": "已取消"}


async def year_entries(session: AsyncSession, actor: Identity, year: int) -> list[tuple[Draw, Panel | None,
                                                                                        ArchiveEntry]]:
    """Every draw of ``year`` (committed that Beijing year) the actor may find, oldest first."""
    statement = _filtered(_rows(), actor, ArchiveQuery(since=f"{year:04d}-01-01", until=f"{year:04d}-12-31"))
    rows = await session.execute(statement.order_by(Draw.committed_at, Draw.id))
    return [(row[0], row[1], entry(*row)) for row in rows]


def _beijing_text(instant: dt.datetime | None) -> str:
    return "" if instant is None else instant.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def export_rows(entries: Sequence[ArchiveEntry]) -> list[list[Any]]:
    rows: list[list[Any]] = [list(EXPORT_HEADERS)]
    for item in entries:
        rows.append([item.draw_id, _KINDS.get(item.kind, item.kind), PURPOSES.get(item.purpose, item.purpose),
                     item.project_code, item.project_name or "", _STATUSES.get(item.status, item.status),
                     _beijing_text(item.committed_at), item.meeting_on.isoformat() if item.meeting_on else "",
                     item.organiser_name or item.organiser or "", item.organiser_unit or "",
                     item.supervisor_name or item.supervisor or "",
                     "、".join(f"{field} {count}" for field, count in item.fields.items()), item.excluded,
                     item.commitment, _beijing_text(item.revealed_at), _beijing_text(item.cancelled_at),
                     item.cancel_reason or ""])
    return rows


def records_zip(rows: Sequence[tuple[Draw, Panel | None, ArchiveEntry]], actor: Identity,
                key_set: dict[str, Any], year: int) -> bytes:
    """The year's revealed draw records the actor may read in full, one ``<draw id>.json`` each (each
    checks with ``sortes verify <file> --keys sortes-keys.json``), the key set, and a list of the draws
    left out with why: not revealed, or a panel whose list is still sealed to the reader."""
    buffer = io.BytesIO()
    left_out: list[dict[str, str]] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for draw, panel, _ in rows:
            if draw.record is None:
                left_out.append({"draw_id": draw.id, "why": f"not revealed ({draw.status})"})
            elif panel is not None and not reads_members(actor, panel):
                left_out.append({"draw_id": draw.id, "why": "sealed until the meeting has ended"})
            else:
                archive.writestr(f"records/{draw.id}.json",
                                 json.dumps(record_document(draw), ensure_ascii=False, indent=2))
        archive.writestr("sortes-keys.json", json.dumps(key_set, ensure_ascii=False, indent=2))
        archive.writestr("left-out.json", json.dumps({"year": year, "draws": left_out}, ensure_ascii=False,
                                                     indent=2))
    return buffer.getvalue()


# --- the public bulletin ---------------------------------------------------------------------------

async def _ended_panels(session: AsyncSession) -> list[Panel]:
    """Open panels whose meeting's last half-day has ended, latest meeting first."""
    panels = (await session.execute(select(Panel).where(
        Panel.status == PanelStatus.OPEN, Panel.meeting_on <= beijing_today())
        .order_by(Panel.meeting_on.desc(), Panel.id))).scalars().all()
    return [panel for panel in panels if not is_sealed(panel)]


async def bulletin_page(session: AsyncSession, *, names: bool, page: int, size: int) -> Page[BulletinEntry]:
    """The county's revealed panel draws whose meeting has ended; member names only when ``names``."""
    panels = await _ended_panels(session)
    by_id = {panel.id: panel for panel in panels}
    draws = (await session.execute(select(Draw, Project.name).outerjoin(Project, Project.code == Draw.project_code)
                                   .where(Draw.panel_id.in_(list(by_id)), Draw.status == DrawStatus.REVEALED)))
    ordered = sorted(draws.all(), key=lambda row: (by_id[row[0].panel_id].meeting_on, as_utc(row[0].committed_at)),
                     reverse=True)
    shown = ordered[(page - 1) * size:page * size]
    name_of: dict[str, str] = {}
    if names and shown:
        codes = {code for draw, _ in shown for lists in _result(draw).values() for each in lists.values()
                 for code in each}
        name_of = dict((await session.execute(select(Expert.code, Expert.name)
                                              .where(Expert.code.in_(codes)))).all())
    items = []
    for draw, project_name in shown:
        result = _result(draw)
        items.append(BulletinEntry(
            draw_id=draw.id, kind="supplementary" if draw.supplementary_of else "panel",
            project_code=draw.project_code, project_name=project_name, purpose=draw.purpose,
            meeting_on=by_id[draw.panel_id].meeting_on, commitment=receipt_of(draw).commitment,
            exclusion_counts=json.loads(draw.exclusion_counts), result=result,
            names={code: name_of[code] for lists in result.values() for each in lists.values() for code in each
                   if code in name_of} if names else None))
    return Page(items=items, total=len(ordered), page=page, page_size=size)


def _result(draw: Draw) -> dict[str, dict[str, list[str]]]:
    return json.loads(draw.record or "{}").get("result", {})


async def bulletin_record(session: AsyncSession, draw_id: str) -> dict[str, Any]:
    """A draw's record for the bulletin: only a revealed panel draw whose meeting has ended. Any other
    draw, or one whose meeting has not ended, is the same 404 as no draw at all."""
    draw = (await session.execute(select(Draw).where(Draw.id == draw_id))).scalar_one_or_none()
    panel = await session.get(Panel, draw.panel_id) if draw is not None and draw.panel_id else None
    if (draw is None or panel is None or draw.status != DrawStatus.REVEALED or panel.status != PanelStatus.OPEN
            or is_sealed(panel)):
        raise NotFound("No draw {draw} on the bulletin.", code="bulletin.unknown", params={"draw": draw_id[:40]})
    return record_document(draw)
