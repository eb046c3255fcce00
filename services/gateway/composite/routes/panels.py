"""Composite draw routes: a project's panel, a supplementary draw and the annual spot check."""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from services.gateway.composite import panels
from services.gateway.composite.clients import ExpertsClient, VendorsClient
from services.gateway.edge.metrics import count_business_event
from services.gateway.edge.upstream import relayed_media_type
from shared.contracts.panels import PanelAsk, Person, SpotCheckAsk, SupplementaryAsk
from shared.db import Database
from shared.identity import Identity, requires_role
from shared.permissions import LIFECYCLE_SYSTEM_AND_ADMIN, PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM


class PanelsController(Controller):
    path = "/"
    tags = ["draws"]

    @post("/projects/{code:str}/panels",
          guards=[requires_role(*PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM)], status_code=201)
    async def request_panel(self, request: Request[Identity, Any, State], state: State, code: FromPath[str],
                            data: JSONBody[PanelAsk]) -> Response[bytes]:
        """Ask for a panel (see the experts service's description): the gateway avoids the project's
        owner and every vendor engaged on or bidding for it, and names the supervisor by user name.
        The answer is the signed commit receipt with the exclusion summary; 503 with nothing committed
        when the vendors service cannot answer."""
        supervisor = await _supervisor(state, data.supervisor)
        database: Database = state.database
        async with database.reading() as session:
            organiser_unit = await panels.unit_name(session, request.user.unit)
        answer = await panels.commit_panel(*_clients(state, request.user), code, data, supervisor, organiser_unit)
        return _relay(request, answer)

    @post("/draws/{draw_id:str}/supplementary", guards=[requires_role(*PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM)],
          status_code=201)
    async def supplementary(self, request: Request[Identity, Any, State], state: State, draw_id: FromPath[str],
                            data: JSONBody[SupplementaryAsk]) -> Response[bytes]:
        """A new draw for the panel's open seats, naming the original; vendors avoided as for the panel."""
        answer = await panels.commit_supplementary(*_clients(state, request.user), draw_id, data)
        return _relay(request, answer)

    @post("/spot-checks", guards=[requires_role(*LIFECYCLE_SYSTEM_AND_ADMIN)], status_code=201)
    async def spot_check(self, request: Request[Identity, Any, State], state: State,
                         data: JSONBody[SpotCheckAsk]) -> Response[bytes]:
        """Commit the year's spot-check draw (``SPOT-<year>``); the named supervisor reveals it."""
        supervisor = await _supervisor(state, data.supervisor)
        experts = ExpertsClient(state.upstreams, request.user)
        return _relay(request, await panels.commit_spot_check(experts, data, supervisor))


def _clients(state: State, identity: Identity) -> tuple[ExpertsClient, VendorsClient]:
    return ExpertsClient(state.upstreams, identity), VendorsClient(state.upstreams, identity)


async def _supervisor(state: State, username: str) -> Person:
    database: Database = state.database
    async with database.reading() as session:
        return await panels.supervisor_of(session, username)


def _relay(request: Request[Identity, Any, State], answer: httpx.Response) -> Response[bytes]:
    count_business_event("POST", request.url.path.removeprefix("/api/v1"), answer.status_code)
    return Response(content=answer.content, status_code=answer.status_code,
                    media_type=relayed_media_type(answer.headers.get("content-type", "application/json")))
