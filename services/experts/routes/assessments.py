"""The annual assessment (年度考核): the year's sheet, its xlsx/csv, and an admin's confirmation."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from services.experts.domain import assessments
from services.experts.schemas import AssessmentDecision, AssessmentRow, AssessmentSheet
from shared.contracts.panels import PoolNumber
from shared.db import Database
from shared.identity import requires_role
from shared.permissions import ADMIN_AND_AUDITOR
from shared.roles import Role
from shared.spreadsheets import SheetFormat, attachment, media_type, sheet_bytes

Year = Annotated[int, Parameter(ge=1, le=9999)]


class AssessmentsController(Controller):
    path = "/api/v1/assessments"
    tags = ["assessments"]

    @get("/{year:int}", guards=[requires_role(*ADMIN_AND_AUDITOR)])
    async def get_sheet(self, state: State, year: Year) -> AssessmentSheet:
        """Every expert in the pool during the year: figures, the proposed grade and why, and the
        confirmation once an admin has given it."""
        database: Database = state.database
        async with database.reading() as session:
            return await assessments.assessment_sheet(session, year, state.rules)

    @get("/{year:int}/export", guards=[requires_role(*ADMIN_AND_AUDITOR)])
    async def export_sheet(self, state: State, year: Year,
                           format: SheetFormat = Parameter(default="xlsx")) -> Response[bytes]:
        database: Database = state.database
        async with database.reading() as session:
            sheet = await assessments.assessment_sheet(session, year, state.rules)
        return Response(sheet_bytes(format, f"{year}年度考核", assessments.sheet_rows(sheet)),
                        media_type=media_type(format), headers=attachment(f"assessment-{year}.{format}"))

    @post("/{year:int}/experts/{code:str}", guards=[requires_role(Role.BUREAU_ADMIN)], status_code=200)
    async def confirm(self, state: State, request: Request, year: Year, code: Annotated[PoolNumber, Parameter()],
                      data: JSONBody[AssessmentDecision]) -> AssessmentRow:
        """Confirm the grade; 不合格 suspends (``suspended_until``) or removes (``retired``) the expert."""
        database: Database = state.database
        async with database.transaction() as session:
            return await assessments.confirm_assessment(session, state.audit, request.user, state.rules, year,
                                                        code, data)
