"""An expert's unavailable periods and declared conflicts, kept by the expert or a bureau admin."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, delete, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, JSONBody, Parameter

from services.experts.domain import availability
from services.experts.schemas import (
    DeclaredConflictInput,
    DeclaredConflictView,
    UnavailabilityInput,
    UnavailabilityView,
)
from shared.db import MAX_ROW_ID, Database
from shared.errors import NotPermitted
from shared.identity import Identity, requires_role
from shared.permissions import AVAILABILITY_KEEPERS
from shared.roles import Role


async def the_expert_or_a_bureau_admin(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """An expert keeps only their own availability. A guard runs before the body is read, so an expert
    learns nothing of another's, not even whether a pool number exists."""
    identity: Identity = connection.user
    if identity.has_any([Role.BUREAU_ADMIN]):
        return
    database: Database = connection.app.state.database
    async with database.reading() as session:
        if await availability.is_account_of(session, identity.subject, connection.path_params["code"]):
            return
    raise NotPermitted("Experts keep only their own availability and declared conflicts.",
                       code="availability.own_only")


class AvailabilityController(Controller):
    path = "/api/v1/experts/{code:str}"
    tags = ["availability"]
    guards = [requires_role(*AVAILABILITY_KEEPERS), the_expert_or_a_bureau_admin]

    @get("/unavailability")
    async def get_unavailability(self, state: State, request: Request, code: FromPath[str]) -> list[UnavailabilityView]:
        database: Database = state.database
        async with database.reading() as session:
            expert = await availability.expert_by_code(session, code)
            return await availability.list_unavailability(session, expert)

    @post("/unavailability")
    async def add_unavailability(self, state: State, request: Request, code: FromPath[str],
                                 data: JSONBody[UnavailabilityInput]) -> UnavailabilityView:
        database: Database = state.database
        async with database.transaction() as session:
            expert = await availability.expert_by_code(session, code)
            return await availability.add_unavailability(session, state.audit, request.user, expert, data)

    @delete("/unavailability/{period_id:int}")
    async def remove_unavailability(self, state: State, request: Request, code: FromPath[str],
                                    period_id: Annotated[int, Parameter(ge=1, le=MAX_ROW_ID)]) -> None:
        database: Database = state.database
        async with database.transaction() as session:
            expert = await availability.expert_by_code(session, code)
            await availability.remove_unavailability(session, state.audit, request.user, expert, period_id)

    @get("/declared-conflicts")
    async def get_declared_conflicts(self, state: State, request: Request,
                                     code: FromPath[str]) -> list[DeclaredConflictView]:
        database: Database = state.database
        async with database.reading() as session:
            expert = await availability.expert_by_code(session, code)
            return await availability.list_declared_conflicts(session, expert)

    @post("/declared-conflicts")
    async def declare_conflict(self, state: State, request: Request, code: FromPath[str],
                               data: JSONBody[DeclaredConflictInput]) -> DeclaredConflictView:
        database: Database = state.database
        async with database.transaction() as session:
            expert = await availability.expert_by_code(session, code)
            return await availability.declare_conflict(session, state.audit, request.user, expert, data)

    @delete("/declared-conflicts/{conflict_id:int}")
    async def withdraw_conflict(self, state: State, request: Request, code: FromPath[str],
                                conflict_id: Annotated[int, Parameter(ge=1, le=MAX_ROW_ID)]) -> None:
        database: Database = state.database
        async with database.transaction() as session:
            expert = await availability.expert_by_code(session, code)
            await availability.withdraw_conflict(session, state.audit, request.user, expert, conflict_id)
