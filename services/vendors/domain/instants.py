"""Instants as the API gives them: always UTC-aware."""

from __future__ import annotations

import datetime as dt


def as_utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every instant is stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
