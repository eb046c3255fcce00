"""Reading the registry and engagements."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import FromPath, Parameter

from services.vendors.domain import registry
from services.vendors.schemas import EngagementView, Page, VendorView
from shared.db import Database
from shared.identity import requires_role
from shared.roles import Role

REGISTRY_READERS = (Role.BUREAU_ADMIN, Role.AUDITOR, Role.PROCUREMENT_OFFICER, Role.RATER,
                    Role.RATING_REVIEWER, Role.ORGANISER, Role.SERVICE)


class RegistryController(Controller):
    path = "/api/v1"
    tags = ["vendors"]

    @get("/vendors", guards=[requires_role(*REGISTRY_READERS)])
    async def get_vendors(self, state: State, page: int = Parameter(default=1, ge=1),
                          page_size: int = Parameter(default=50, ge=1, le=500)) -> Page[VendorView]:
        database: Database = state.database
        async with database.reading() as session:
            return await registry.list_vendors(session, page=page, page_size=page_size)

    @get("/vendors/{uscc:str}", guards=[requires_role(*REGISTRY_READERS)])
    async def get_vendor(self, state: State, uscc: FromPath[str]) -> VendorView:
        database: Database = state.database
        async with database.reading() as session:
            return await registry.get_vendor(session, uscc)

    @get("/projects/{code:str}/engagements", guards=[requires_role(*REGISTRY_READERS)])
    async def get_engagements(self, state: State, code: FromPath[str]) -> list[EngagementView]:
        database: Database = state.database
        async with database.reading() as session:
            return await registry.project_engagements(session, code)
