"""The working-day calendar's exceptions (holidays, swapped working days), kept by bureau admins."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, get, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, Parameter

from services.experts.domain import working_days
from services.experts.schemas import CalendarDayInput, CalendarDayView
from shared.db import Database
from shared.identity import Identity, requires_role
from shared.roles import ALL_ROLES, Role


class CalendarController(Controller):
    path = "/api/v1/calendar"
    tags = ["calendar"]

    @get("/", guards=[requires_role(*ALL_ROLES)])
    async def get_year(self, state: State,
                       year: Annotated[int, Parameter(ge=dt.MINYEAR, le=dt.MAXYEAR)]) -> list[CalendarDayView]:
        """The year's holidays and swapped working days; every other Monday–Friday is a working day."""
        database: Database = state.database
        async with database.reading() as session:
            return [CalendarDayView(day=d.day, is_working=d.is_working, note=d.note)
                    for d in await working_days.list_exceptions(session, year)]

    @put("/{day:date}", guards=[requires_role(Role.BUREAU_ADMIN)])
    async def put_day(self, request: Request[Identity, Any, State], state: State, day: FromPath[dt.date],
                      data: JSONBody[CalendarDayInput]) -> CalendarDayView:
        database: Database = state.database
        async with database.transaction() as session:
            entry = await working_days.set_day(session, state.audit, request.user, day, data.is_working, data.note)
            return CalendarDayView(day=entry.day, is_working=entry.is_working, note=entry.note)
