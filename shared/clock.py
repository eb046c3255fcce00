"""Time as users see it: instants in UTC, business dates in Beijing (Asia/Shanghai)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import overload
from zoneinfo import ZoneInfo

from shared.errors import Refusal

BEIJING = ZoneInfo("Asia/Shanghai")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@overload
def as_utc(moment: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """An instant read back from the database, made UTC-aware: SQLite hands back naive datetimes,
    and every instant is stored in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


OUT_OF_UTC_RANGE = Refusal("instant.out_of_range", "the instant is out of range (years 1 to 9999 in UTC)")


def fits_in_utc(moment: dt.datetime | None) -> bool:
    """False for an instant whose offset takes it outside years 1–9999 in UTC (such as
    ``0001-01-01T00:00:00+01:00``), which the database cannot store or compare: refuse it as input."""
    try:
        if moment is not None:
            moment.astimezone(dt.UTC)
    except OverflowError:
        return False
    return True


def beijing_today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clipped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
