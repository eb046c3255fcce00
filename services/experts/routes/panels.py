"""The organiser's to-do list and an expert's own invitations."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import State

from services.experts.domain import evaluations
from services.experts.schemas import Invitation, TodoItem
from shared.db import Database
from shared.identity import Identity, requires_role
from shared.roles import Role


class PanelsController(Controller):
    path = "/api/v1/panels"
    tags = ["draws"]

    @get("/todo", guards=[requires_role(Role.ORGANISER, Role.BUREAU_ADMIN)])
    async def todo(self, request: Request[Identity, Any, State], state: State) -> list[TodoItem]:
        """The caller's panels needing work: answers missing, open seats, evaluations due or late."""
        database: Database = state.database
        async with database.reading() as session:
            return await evaluations.todo_list(session, request.user, state.rules.evaluation_working_days)

    @get("/invitations", guards=[requires_role(Role.EXPERT)])
    async def invitations(self, request: Request[Identity, Any, State], state: State) -> list[Invitation]:
        """The signed-in expert's seats and answered invitations (answer them under /api/v1/draws)."""
        database: Database = state.database
        async with database.reading() as session:
            return await evaluations.invitations(session, request.user)
