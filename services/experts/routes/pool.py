"""Reading the pool and the field taxonomy."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import FromPath, Parameter

from services.experts.domain import pool
from services.experts.schemas import ExpertView, FieldView, Page
from shared.db import Database
from shared.identity import requires_role
from shared.roles import ALL_ROLES, Role

POOL_READERS = (Role.BUREAU_ADMIN, Role.AUDITOR, Role.ORGANISER, Role.SUPERVISOR, Role.SERVICE)


class PoolController(Controller):
    path = "/api/v1"
    tags = ["experts"]

    @get("/fields", guards=[requires_role(*ALL_ROLES)])
    async def get_fields(self, state: State) -> list[FieldView]:
        database: Database = state.database
        async with database.reading() as session:
            return await pool.list_fields(session)

    @get("/experts", guards=[requires_role(*POOL_READERS)])
    async def get_experts(
        self, state: State,
        page: int = Parameter(default=1, ge=1),
        page_size: int = Parameter(default=50, ge=1, le=500),
        field: str | None = Parameter(default=None, max_length=64),
        status: str | None = Parameter(default=None, max_length=20),
    ) -> Page[ExpertView]:
        database: Database = state.database
        async with database.reading() as session:
            return await pool.list_experts(session, page=page, page_size=page_size,
                                           field_code=field, status=status)

    @get("/experts/{code:str}", guards=[requires_role(*POOL_READERS)])
    async def get_expert(self, state: State, code: FromPath[str]) -> ExpertView:
        database: Database = state.database
        async with database.reading() as session:
            return await pool.get_expert(session, code)
