"""Who may be drawn for a meeting, and why every other expert of the asked fields may not.

The rules (docs/architecture.md §6, Art. 30 and avoidance 回避): active and not suspended; under the age limit on
the meeting date; trained within the validity period; no bad conduct within the look-back; not
unavailable on a half-day of the meeting; not seated on an overlapping panel; under the yearly cap;
not working, now or within the look-back, for a unit to avoid (the project's owner among them); no
declared conflict with such a unit; not named for avoidance by the caller. Each excluded expert is
listed with every reason that applies.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.fields import field_with_sub_fields
from services.experts.domain.statuses import ExpertStatus
from services.experts.models import (
    BadConductRecord,
    DeclaredConflict,
    Expert,
    ExpertField,
    FormerEmployer,
    Project,
    Unavailability,
)
from services.experts.settings import PoolRules
from shared.clock import add_months
from shared.crypto import mask_text
from shared.errors import InvalidInput


class Reason(StrEnum):
    STATUS = "STATUS"
    AGE = "AGE"
    TRAINING = "TRAINING"
    BAD_CONDUCT = "BAD_CONDUCT"
    UNAVAILABLE = "UNAVAILABLE"
    BUSY = "BUSY"  # no longer given (see _request_rules); kept to read older draws' stored exclusions
    YEARLY_CAP = "YEARLY_CAP"
    AVOID_EMPLOYER = "AVOID_EMPLOYER"
    AVOID_FORMER_EMPLOYER = "AVOID_FORMER_EMPLOYER"
    DECLARED_CONFLICT = "DECLARED_CONFLICT"
    EXTRA_AVOIDANCE = "EXTRA_AVOIDANCE"
    SAME_PROJECT = "SAME_PROJECT"  # seated on another panel of the project, when the policy avoids that
    ALREADY_PLACED = "ALREADY_PLACED"  # a supplementary draw leaves out everyone its panel already placed


@dataclass(frozen=True)
class EligibilityQuery:
    """A meeting on ``meeting_on`` (a Beijing date) during ``halves``, for seats in ``fields``.

    ``busy_experts`` are pool numbers seated on panels that overlap the meeting; ``panels_this_year``
    counts each expert's panels in the meeting's year; ``avoid_experts`` are avoided for reasons the
    caller knows (bureau staff supervising the project, an earlier panel of the same project).
    """

    fields: list[str]
    meeting_on: dt.date
    halves: tuple[str, ...] = ("morning", "afternoon")
    project_code: str | None = None
    avoid_units: frozenset[str] = frozenset()
    avoid_experts: frozenset[str] = frozenset()
    busy_experts: frozenset[str] = frozenset()
    panels_this_year: Mapping[str, int] = field(default_factory=dict)
    same_project_experts: frozenset[str] = frozenset()
    placed_experts: frozenset[str] = frozenset()


class Exclusion(NamedTuple):
    code: str
    masked_name: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Eligibility:
    eligible: dict[str, list[str]]  # requested field → pool numbers, in order
    excluded: list[Exclusion]


REASON_BIT = {reason: 1 << index for index, reason in enumerate(Reason)}
FIRST_FIELD_BIT = len(Reason)


async def find_eligible(session: AsyncSession, query: EligibilityQuery, rules: PoolRules) -> Eligibility:
    """One query over the holders of the requested fields (sub-fields included), every stored-data
    rule a flag in one integer per expert: a pool of 100,000 answers without building objects."""
    seats = await field_with_sub_fields(session, query.fields)
    avoid_units = set(query.avoid_units) | await _project_owner(session, query.project_code)
    # Bits below FIRST_FIELD_BIT flag the rules that exclude the expert; the bits above say which
    # requested fields the expert holds (a seat for NET takes NET.BI too), found in one pass over the
    # holders' field rows: per requested field, the largest of its bit or 0 over the expert's rows.
    # equivalent mutant: 1 → 2 — each field's bit one higher: still apart, and above the rules' bits
    field_bits = {requested: 1 << (FIRST_FIELD_BIT + index) for index, requested in enumerate(seats)}
    holders = (select(ExpertField.expert_id, sum((
        func.max(case((ExpertField.field_code.in_(codes), field_bits[requested]), else_=0))
        for requested, codes in seats.items()), start=literal(0)).label("bits"))
        .where(ExpertField.field_code.in_(set().union(*seats.values()))).group_by(ExpertField.expert_id).subquery())
    rule_bits = sum((case((rule, REASON_BIT[reason]), else_=0)
                     for reason, rule in _stored_data_rules(query, rules, avoid_units)), start=literal(0))
    statement = (select(Expert.code, Expert.name, holders.c.bits + rule_bits)
                 .join(holders, holders.c.expert_id == Expert.id))
    # Tens of thousands of rows: read as the driver's plain tuples, not the ORM's objects nor even
    # SQLAlchemy's rows, which would cost as much again as the query (no column needs converting).
    result = await (await session.connection()).execute(statement)
    rows = result.cursor.fetchall()
    result.close()

    by_code = _request_rules(query, rules)
    reason_bits = (1 << FIRST_FIELD_BIT) - 1
    eligible: dict[str, list[str]] = {requested: [] for requested in seats}
    excluded: list[Exclusion] = []
    held = [(bit, eligible[requested]) for requested, bit in field_bits.items()]
    for code, name, bits in rows:
        reasons = (bits | by_code.get(code, 0)) & reason_bits
        if reasons:
            excluded.append(Exclusion(code, mask_text(name), _reasons_of(reasons)))
            continue
        for bit, codes in held:
            if bits & bit:
                codes.append(code)
    # Pool order, E99999 before E100000: by text, then (stably) by length; two sorts without a Python
    # key per item cost a fraction of one by a (length, text) key. Exclusions sort by code first.
    for codes in eligible.values():
        codes.sort()
        codes.sort(key=len)
    excluded.sort()
    excluded.sort(key=lambda exclusion: len(exclusion.code))
    return Eligibility(eligible=eligible, excluded=excluded)


@functools.cache
def _reasons_of(bits: int) -> tuple[Reason, ...]:
    return tuple(reason for reason, bit in REASON_BIT.items() if bits & bit)


def _request_rules(query: EligibilityQuery, rules: PoolRules) -> dict[str, int]:
    """Rules on what the caller passes (pool numbers): checked here, as a long IN list costs the
    database a comparison per listed number on every row."""
    flagged: dict[str, int] = {}
    capped = [code for code, panels in query.panels_this_year.items() if panels >= rules.yearly_panel_cap]
    # Seated on an overlapping panel is reported as unavailable: a reason of its own would tell the
    # caller who sits on another panel, whose list may be sealed to them (docs/guarantees.md §7: no oracles).
    for reason, codes in ((Reason.UNAVAILABLE, query.busy_experts), (Reason.YEARLY_CAP, capped),
                          (Reason.EXTRA_AVOIDANCE, query.avoid_experts),
                          (Reason.SAME_PROJECT, query.same_project_experts),
                          (Reason.ALREADY_PLACED, query.placed_experts)):
        for code in codes:
            flagged[code] = flagged.get(code, 0) | REASON_BIT[reason]
    return flagged


def _stored_data_rules(query: EligibilityQuery, rules: PoolRules,
                       avoid_units: set[str]) -> list[tuple[Reason, ColumnElement[bool]]]:
    """Each rule on stored data as a condition that is true when it excludes the expert."""
    day = query.meeting_on
    return [
        (Reason.STATUS, or_(Expert.status == ExpertStatus.RETIRED, and_(Expert.status == ExpertStatus.SUSPENDED, or_(
            Expert.suspended_until.is_(None), Expert.suspended_until >= day)))),
        # Born on or before this day: at the age limit on the meeting day (a 29 February birthday
        # counts from 1 March, as add_months clips the day).
        (Reason.AGE, Expert.birth_date <= add_months(day, -12 * rules.max_age)),
        (Reason.TRAINING, or_(Expert.last_trained_on.is_(None),
                              Expert.last_trained_on < add_months(day, -rules.training_valid_months))),
        (Reason.BAD_CONDUCT, Expert.id.in_(select(BadConductRecord.expert_id).where(
            BadConductRecord.occurred_on > add_months(day, -12 * rules.bad_conduct_years)))),
        (Reason.UNAVAILABLE, Expert.id.in_(select(Unavailability.expert_id).where(
            _period_overlaps(day, query.halves)))),
        (Reason.AVOID_EMPLOYER, Expert.unit_uscc.in_(sorted(avoid_units))),
        (Reason.AVOID_FORMER_EMPLOYER, Expert.id.in_(select(FormerEmployer.expert_id).where(
            FormerEmployer.unit_uscc.in_(sorted(avoid_units)),
            FormerEmployer.ended_on >= add_months(day, -12 * rules.former_employer_years)))),
        (Reason.DECLARED_CONFLICT, Expert.id.in_(select(DeclaredConflict.expert_id).where(
            DeclaredConflict.unit_uscc.in_(sorted(avoid_units)),
            or_(DeclaredConflict.until.is_(None), DeclaredConflict.until >= day)))),
    ]


async def unavailable_experts(session: AsyncSession, codes: Iterable[str], day: dt.date,
                              halves: Iterable[str]) -> set[str]:
    """Of ``codes``, those who declared themselves unavailable on a half-day of the meeting."""
    wanted = sorted(set(codes))
    if not wanted:
        return set()
    rows = await session.execute(select(Expert.code).join(Unavailability, Unavailability.expert_id == Expert.id)
                                 .where(Expert.code.in_(wanted), _period_overlaps(day, tuple(halves))))
    return set(rows.scalars())


def _period_overlaps(day: dt.date, halves: tuple[str, ...]) -> ColumnElement[bool]:
    """An unavailable period that covers a half-day of the meeting (a day's halves are contiguous)."""
    starts_in_time = (Unavailability.starts_on <= day if "afternoon" in halves else or_(
        Unavailability.starts_on < day, and_(Unavailability.starts_on == day, Unavailability.starts_half == "morning")))
    lasts_long_enough = (Unavailability.ends_on >= day if "morning" in halves else or_(
        Unavailability.ends_on > day, and_(Unavailability.ends_on == day, Unavailability.ends_half == "afternoon")))
    return and_(Unavailability.starts_on <= day, Unavailability.ends_on >= day, starts_in_time, lasts_long_enough)


async def _project_owner(session: AsyncSession, project_code: str | None) -> set[str]:
    if project_code is None:
        return set()
    project = await session.get(Project, project_code)  # the session's copy when the caller read it already
    if project is None:
        raise InvalidInput.for_field("project_code", "project.no_such", "no such project")
    return {project.owner_unit}
