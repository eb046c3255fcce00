"""``GET /api/v1/draw-statistics``: draws per expert and per period, for auditors."""

from __future__ import annotations

import datetime as dt

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import Parameter

from services.experts.domain.statistics import draw_statistics
from services.experts.schemas import DrawStatistics
from shared.clock import beijing_today
from shared.db import Database
from shared.errors import InvalidInput
from shared.identity import requires_role
from shared.permissions import ADMIN_AND_AUDITOR

_FIRST_DAY, _LAST_DAY = dt.date(1900, 1, 1), dt.date(9999, 12, 30)


@get("/api/v1/draw-statistics", guards=[requires_role(*ADMIN_AND_AUDITOR)], tags=["draws"])
async def get_draw_statistics(request: Request, state: State, since: dt.date | None = Parameter(default=None),
                              until: dt.date | None = Parameter(default=None)) -> DrawStatistics:
    """Draws committed between two Beijing dates (default: this year so far), cancellations included."""
    until = until or beijing_today()
    since = since or dt.date(until.year, 1, 1)
    if since > until:
        raise InvalidInput.for_field("since", "period.since_after_until", "must not be after until", source="query")
    for name, day in (("since", since), ("until", until)):
        if not _FIRST_DAY <= day <= _LAST_DAY:  # beyond them the Beijing-to-UTC bounds overflow
            raise InvalidInput.for_field(name, "date.out_of_range", "must be between {first} and {last}",
                                         {"first": str(_FIRST_DAY), "last": str(_LAST_DAY)}, source="query")
    database: Database = state.database
    async with database.reading() as session:
        return await draw_statistics(session, since, until, request.user)
