"""The working-day calendar: Monday to Friday, except the holidays and swapped working days (调休)
that bureau admins keep (seeded with the State Council's 2026 notice)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.models import CalendarDay
from shared.audit import AuditRecorder
from shared.identity import Identity

# The longest run of days off a calendar can hold (Spring Festival with weekends is 9): searching
# this far past the last needed working day always finds it.
# equivalent mutant: 40 → 41 — a search window: a longer one finds the same day
_SEARCH_SLACK_DAYS = 40


async def exceptions_between(session: AsyncSession, first: dt.date, last: dt.date) -> dict[dt.date, bool]:
    rows = await session.execute(select(CalendarDay.day, CalendarDay.is_working)
                                 # equivalent mutant: >= → > — the start day itself is never looked up (not counted)
                                 .where(CalendarDay.day >= first, CalendarDay.day <= last))
    return dict(rows.all())


def is_working_day(day: dt.date, exceptions: dict[dt.date, bool]) -> bool:
    return exceptions.get(day, day.weekday() < 5)


async def working_day_after(session: AsyncSession, start: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
    # equivalent mutant: 2 → 3 — a search window: a longer one finds the same day
    exceptions = await exceptions_between(session, start, start + dt.timedelta(days=2 * count + _SEARCH_SLACK_DAYS))
    day, found = start, 0
    while found < count:
        day += dt.timedelta(days=1)
        found += is_working_day(day, exceptions)
    return day


async def list_exceptions(session: AsyncSession, year: int) -> list[CalendarDay]:
    rows = await session.execute(select(CalendarDay).where(
        CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31)).order_by(CalendarDay.day))
    return list(rows.scalars())


async def set_day(session: AsyncSession, audit: AuditRecorder, actor: Identity, day: dt.date,
                  is_working: bool, note: str) -> CalendarDay:
    """Mark ``day`` a working day or a day off; a day that then matches the plain week is still kept,
    so the admins' decision stays visible."""
    entry = await session.get(CalendarDay, day)
    before = None if entry is None else {"is_working": entry.is_working, "note": entry.note}
    if entry is None:
        entry = CalendarDay(day=day, is_working=is_working, note=note)
        session.add(entry)
    else:
        entry.is_working, entry.note = is_working, note
    await audit.record(session, actor=actor, action="calendar.day_set", object_type="calendar_day",
                       object_id=day.isoformat(), before=before, after={"is_working": is_working, "note": note},
                       details={"is_working": is_working})
    return entry
