"""The expert pool: profiles, status, bad conduct, and personal data shown whole to bureau admins."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Request, get, patch, post, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, Parameter

from services.experts.domain import experts
from services.experts.domain.availability import expert_of_account
from services.experts.domain.personal_data import record_unmasking
from services.experts.domain.statuses import ExpertStatus
from services.experts.schemas import (
    BadConductView,
    ExpertChanges,
    ExpertDetail,
    ExpertProfile,
    ExpertView,
    Page,
    StatusChange,
)
from shared.clock import beijing_today
from shared.db import MAX_PAGE, Database
from shared.identity import requires_role
from shared.permissions import POOL_READERS
from shared.roles import Role

Sort = Literal["code", "-code", "name", "-name", "unit_name", "-unit_name", "years_in_field", "-years_in_field",
               "trained_until", "-trained_until"]


class ExpertsController(Controller):
    path = "/api/v1/experts"
    tags = ["experts"]

    @get("/", guards=[requires_role(*POOL_READERS)])
    async def get_experts(
        self, state: State, request: Request,
        page: int = Parameter(default=1, ge=1, le=MAX_PAGE),
        page_size: int = Parameter(default=50, ge=1, le=500),
        field: str | None = Parameter(default=None, max_length=64),
        status: ExpertStatus | None = Parameter(default=None),
        unit: str | None = Parameter(default=None, max_length=18, description="employer USCC"),
        trained: bool | None = Parameter(default=None, description="training valid today (bureau's period)"),
        q: str | None = Parameter(default=None, max_length=100, description="pool number, name, unit or title"),
        sort: Sort = Parameter(default="code"),
    ) -> Page[ExpertView]:
        database: Database = state.database
        async with database.reading() as session:
            return await experts.list_experts(session, state.rules, page=page, page_size=page_size,
                                              field_code=field, status=status, unit=unit, trained=trained,
                                              text_query=q, sort=sort)

    @post("/", guards=[requires_role(Role.BUREAU_ADMIN)])
    async def create_expert(self, state: State, request: Request, data: JSONBody[ExpertProfile]) -> ExpertDetail:
        database: Database = state.database
        async with database.transaction() as session:
            return await experts.create_expert(session, state.audit, request.user, state.vault, state.rules, data)

    @get("/me", guards=[requires_role(Role.EXPERT)])
    async def get_own_entry(self, state: State, request: Request) -> ExpertView:
        """The signed-in expert's own entry: its pool number is how they answer invitations and keep
        their availability. 404 until a bureau admin links the account (``account_subject``)."""
        database: Database = state.database
        async with database.reading() as session:
            return experts.expert_view(await expert_of_account(session, request.user.subject), state.rules)

    @get("/{code:str}", guards=[requires_role(*POOL_READERS)])
    async def get_expert(self, state: State, request: Request, code: FromPath[str],
                         masked: bool = Parameter(default=False, description=(
                             "true: personal data masked for a bureau admin too, and nothing logged "
                             "(a page that shows it only on request)"))) -> ExpertDetail:
        """One expert. Bureau admins see phone, ID number and bank account whole (unless ``masked``), and
        each showing is audited; everyone else sees them masked, and the birth year, not the date.
        Answered alike whether or not the expert sits on a panel."""
        database: Database = state.database
        is_admin = request.user.has_any([Role.BUREAU_ADMIN])
        unmasked = is_admin and not masked
        async with (database.transaction() if unmasked else database.reading()) as session:
            expert = await experts.load_expert(session, code)
            if unmasked:
                await record_unmasking(session, state.audit, request.user, expert)
            return experts.expert_detail(expert, state.rules, state.vault, unmasked=unmasked,
                                         birth_date_shown=is_admin)

    @patch("/{code:str}", guards=[requires_role(Role.BUREAU_ADMIN)])
    async def update_expert(self, state: State, request: Request, code: FromPath[str],
                            data: JSONBody[ExpertChanges]) -> ExpertDetail:
        database: Database = state.database
        async with database.transaction() as session:
            return await experts.update_expert(session, state.audit, request.user, state.vault, state.rules,
                                               code, data)

    @put("/{code:str}/status", guards=[requires_role(Role.BUREAU_ADMIN)])
    async def change_status(self, state: State, request: Request, code: FromPath[str],
                            data: JSONBody[StatusChange]) -> ExpertDetail:
        """Activate, suspend until a date, or retire, with a reason."""
        database: Database = state.database
        async with database.transaction() as session:
            expert = await experts.load_expert(session, code)
            await experts.change_status(session, state.audit, request.user, expert, data, beijing_today())
            return experts.expert_detail(expert, state.rules, state.vault, birth_date_shown=True)

    @post("/{code:str}/bad-conduct", guards=[requires_role(Role.BUREAU_ADMIN)])
    async def add_bad_conduct(self, state: State, request: Request, code: FromPath[str],
                              data: JSONBody[BadConductView]) -> ExpertDetail:
        database: Database = state.database
        async with database.transaction() as session:
            return await experts.add_bad_conduct(session, state.audit, request.user, state.vault, state.rules,
                                                 code, data)
