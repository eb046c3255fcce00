"""The field taxonomy: everyone reads it, bureau admins keep it."""

from __future__ import annotations

from litestar import Controller, Request, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from services.experts.domain import fields
from services.experts.schemas import FieldCreate, FieldPatch, FieldView
from shared.db import Database
from shared.identity import requires_role
from shared.roles import ALL_ROLES, Role


class FieldsController(Controller):
    path = "/api/v1/fields"
    tags = ["fields"]

    @get("/", guards=[requires_role(*ALL_ROLES)])
    async def get_fields(self, state: State) -> list[FieldView]:
        database: Database = state.database
        async with database.reading() as session:
            return await fields.list_fields(session)

    @post("/", guards=[requires_role(Role.BUREAU_ADMIN)])
    async def create_field(self, state: State, request: Request, data: JSONBody[FieldCreate]) -> FieldView:
        database: Database = state.database
        async with database.transaction() as session:
            return await fields.create_field(session, state.audit, request.user, data)

    @patch("/{code:str}", guards=[requires_role(Role.BUREAU_ADMIN)])
    async def update_field(self, state: State, request: Request, code: FromPath[str],
                           data: JSONBody[FieldPatch]) -> FieldView:
        """Rename a field or retire it (``"retired": true``); a retired field stays with the experts who hold it."""
        database: Database = state.database
        async with database.transaction() as session:
            return await fields.update_field(session, state.audit, request.user, code, data)
