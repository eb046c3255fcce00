"""The organiser's to-do list, the supervisor's draws to witness and an expert's own invitations."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import State

from services.experts.domain import evaluations, supervision
from services.experts.schemas import Invitation, SupervisedDraw, TodoItem
from shared.db import Database
from shared.identity import Identity, requires_role
from shared.permissions import PANEL_ORGANISERS
from shared.roles import Role


class PanelsController(Controller):
    path = "/api/v1/panels"
    tags = ["draws"]

    @get("/todo", guards=[requires_role(*PANEL_ORGANISERS)])
    async def todo(self, request: Request[Identity, Any, State], state: State) -> list[TodoItem]:
        """The caller's panels needing work: answers missing, open seats, evaluations due or late."""
        database: Database = state.database
        async with database.reading() as session:
            return await evaluations.todo_list(session, request.user, state.rules.evaluation_working_days)

    @get("/supervising", guards=[requires_role(Role.SUPERVISOR)])
    async def supervising(self, request: Request[Identity, Any, State], state: State) -> list[SupervisedDraw]:
        """The draws naming the caller as supervisor: first every one still committed (awaiting the
        witness; reveal it under /api/v1/draws), then those revealed or cancelled in the last 90 days,
        newest first. No member names or pool numbers. Not paginated: one person's draws are few, since
        a committed draw waits only until it is revealed or cancelled and the rest reach back 90 days."""
        database: Database = state.database
        async with database.reading() as session:
            return await supervision.supervised_draws(session, request.user)

    @get("/invitations", guards=[requires_role(Role.EXPERT)])
    async def invitations(self, request: Request[Identity, Any, State], state: State) -> list[Invitation]:
        """The signed-in expert's seats and answered invitations (answer them under /api/v1/draws)."""
        database: Database = state.database
        async with database.reading() as session:
            return await evaluations.invitations(session, request.user, state.panels.contact_phone)
