"""``POST /api/v1/spot-checks``: the annual sample of self-evaluations (Art. 25)."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.datastructures import State
from litestar.params import JSONBody

from services.experts.domain import panel_views
from services.experts.domain.panels import PanelDesk
from services.experts.domain.spot_checks import commit_spot_check
from services.experts.schemas import DrawView
from shared.contracts.panels import SpotCheckRequest
from shared.db import Database
from shared.identity import Identity, requires_role
from shared.permissions import LIFECYCLE_SYSTEM_AND_ADMIN


@post("/api/v1/spot-checks", guards=[requires_role(*LIFECYCLE_SYSTEM_AND_ADMIN)], status_code=201,
      tags=["draws"])
async def post_spot_check(request: Request[Identity, Any, State], state: State,
                          data: JSONBody[SpotCheckRequest]) -> DrawView:
    """Commit the draw of ceil(rate × n) of the submitted self-evaluations under ``SPOT-<year>``; the
    named supervisor reveals it with a witness at ``POST /api/v1/draws/{id}/reveal``."""
    desk: PanelDesk = state.panels
    database: Database = state.database
    async with database.transaction() as session:
        draw = await commit_spot_check(session, desk.ledger, request.user, data, desk.rules.spot_check_percent)
        return await panel_views.draw_view(session, state.audit, state.vault, request.user, draw,
                                           desk.rules.evaluation_working_days)
