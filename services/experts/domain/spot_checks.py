"""The annual spot check (Art. 25): ceil(rate × n) of the year's submitted self-evaluations, drawn
with sortes-draw/1 under project code ``SPOT-<year>``, a supervisor and a witness like any panel."""

from __future__ import annotations

import math

from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.draws import DrawLedger, NewDraw
from services.experts.models import Draw, SpotCheckSubmission
from shared.contracts.panels import SpotCheckRequest
from shared.errors import FieldError, InvalidInput, field_error
from shared.identity import Identity

SPOT_CHECK_FIELD = "SELF-EVALUATIONS"


def sample_size(submissions: int, percent: int) -> int:
    return math.ceil(submissions * percent / 100)


async def commit_spot_check(session: AsyncSession, ledger: DrawLedger, actor: Identity, data: SpotCheckRequest,
                            percent: int) -> Draw:
    errors = _request_errors(actor, data)
    if errors:
        raise InvalidInput(errors[0].message, code="input.invalid", errors=errors)
    codes = [submission.project_code for submission in data.submissions]
    draw = await ledger.commit(session, actor, NewDraw(
        purpose="spot_check", project_code=f"SPOT-{data.year}",
        quotas={SPOT_CHECK_FIELD: sample_size(len(codes), percent)}, reserves_per_field=0,
        candidates={SPOT_CHECK_FIELD: codes}, excluded=[], supervisor_subject=data.supervisor.subject))
    session.add_all(SpotCheckSubmission(draw_id=draw.id, project_code=s.project_code, kind=s.kind)
                    for s in data.submissions)
    await session.flush()
    return draw


def _request_errors(actor: Identity, data: SpotCheckRequest) -> list[FieldError]:
    errors = []
    if data.supervisor.subject == actor.subject:
        errors.append(field_error("supervisor", "spot_check.supervisor_is_asker",
                                  "the supervisor cannot be who asks for the draw"))
    seen: set[str] = set()
    for index, submission in enumerate(data.submissions):
        if submission.project_code in seen:
            errors.append(field_error(f"submissions[{index}].project_code", "field.listed_twice", "listed twice"))
        seen.add(submission.project_code)
    return errors
