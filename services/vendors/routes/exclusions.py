"""The exclusion register (debarments)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromQuery, JSONBody, Parameter

from services.vendors.domain import exclusions
from services.vendors.schemas import ExclusionCreate, ExclusionView, Page
from shared.db import MAX_PAGE, Database
from shared.identity import Identity, requires_role
from shared.permissions import ADMIN, REGISTRY_READERS_AND_LIFECYCLE_SYSTEM


class ExclusionsController(Controller):
    path = "/api/v1/exclusions"
    tags = ["exclusions"]

    @get("/", guards=[requires_role(*REGISTRY_READERS_AND_LIFECYCLE_SYSTEM)])
    async def get_exclusions(self, state: State, page: int = Parameter(default=1, ge=1, le=MAX_PAGE),
                             page_size: int = Parameter(default=50, ge=1, le=500), uscc: FromQuery[str | None] = None,
                             active: FromQuery[bool | None] = None) -> Page[ExclusionView]:
        """The register, newest first; ``active`` is computed from the dates on today's Beijing date."""
        database: Database = state.database
        async with database.reading() as session:
            return await exclusions.list_exclusions(session, page=page, page_size=page_size, uscc=uscc,
                                                    active=active)

    @post("/", guards=[requires_role(*ADMIN)])
    async def post_exclusion(self, request: Request[Identity, str, State], state: State,
                             data: JSONBody[ExclusionCreate]) -> Response[ExclusionView]:
        database: Database = state.database
        async with database.transaction() as session:
            recorded = await exclusions.record_exclusion(session, state.audit, request.user, data)
        return Response(recorded, status_code=201)
