"""``POST /api/v1/eligibility``: who may sit a meeting, and why the others may not (masked names only)."""

from __future__ import annotations

from litestar import post
from litestar.datastructures import State
from litestar.params import JSONBody

from services.experts.domain.eligibility import EligibilityQuery, find_eligible
from services.experts.schemas import EligibilityRequest, EligibilityView, ExclusionView
from shared.db import Database
from shared.identity import requires_role
from shared.permissions import ELIGIBILITY_CHECKERS


@post("/api/v1/eligibility", guards=[requires_role(*ELIGIBILITY_CHECKERS)],
      status_code=200, tags=["eligibility"])
async def check_eligibility(state: State, data: JSONBody[EligibilityRequest]) -> EligibilityView:
    query = EligibilityQuery(
        fields=data.fields, meeting_on=data.meeting_on, halves=tuple(dict.fromkeys(data.halves)),
        project_code=data.project_code, avoid_units=frozenset(data.avoid_units),
        avoid_experts=frozenset(data.avoid_experts), busy_experts=frozenset(data.busy_experts),
        panels_this_year=data.panels_this_year)
    database: Database = state.database
    async with database.reading() as session:
        result = await find_eligible(session, query, state.rules)
    return EligibilityView(eligible=result.eligible, excluded=[
        ExclusionView(code=e.code, name=e.masked_name, reasons=[str(reason) for reason in e.reasons])
        for e in result.excluded])
