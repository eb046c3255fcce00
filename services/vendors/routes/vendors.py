"""The vendor registry: vendors, their legal representative and qualifications, related parties."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter

from services.vendors.domain import vendors
from services.vendors.schemas import (
    Page,
    RelationCreate,
    RelationView,
    VendorCreate,
    VendorDetail,
    VendorPatch,
    VendorView,
)
from shared.contracts.statuses import VendorStatus
from shared.db import MAX_PAGE, Database
from shared.identity import Identity, requires_role
from shared.permissions import ADMIN, REGISTRY_READERS_AND_LIFECYCLE_SYSTEM
from shared.roles import Role

# The registry's list sorts by these columns only ("-" first: descending); anything else is a 422 naming ``sort``.
VendorSort = Literal["uscc", "-uscc", "name", "-name", "status", "-status", "created_at", "-created_at"]


class VendorsController(Controller):
    path = "/api/v1/vendors"
    tags = ["vendors"]

    @get("/", guards=[requires_role(*REGISTRY_READERS_AND_LIFECYCLE_SYSTEM)])
    async def get_vendors(self, state: State, page: int = Parameter(default=1, ge=1, le=MAX_PAGE),
                          page_size: int = Parameter(default=50, ge=1, le=500),
                          q: Annotated[str | None, QueryParameter(description="name, former name or USCC")] = None,
                          status: FromQuery[VendorStatus | None] = None,
                          sort: VendorSort = Parameter(default="uscc")) -> Page[VendorView]:
        """The registry, by USCC unless ``sort`` names a column; legal representatives' ID numbers are
        always masked here."""
        database: Database = state.database
        async with database.reading() as session:
            return await vendors.list_vendors(session, state.vault, page=page, page_size=page_size, query=q,
                                              status=status, sort=sort)

    @post("/", guards=[requires_role(*ADMIN)])
    async def post_vendor(self, request: Request[Identity, str, State], state: State,
                          data: JSONBody[VendorCreate]) -> Response[VendorView]:
        database: Database = state.database
        async with database.transaction() as session:
            created = await vendors.create_vendor(session, state.vault, state.audit, request.user, data)
        return Response(created, status_code=201)

    @get("/{uscc:str}", guards=[requires_role(*REGISTRY_READERS_AND_LIFECYCLE_SYSTEM)])
    async def get_vendor(self, request: Request[Identity, str, State], state: State, uscc: FromPath[str],
                         masked: bool = Parameter(default=False, description=(
                             "true: the ID number masked for a bureau admin too, and nothing logged "
                             "(a page that shows it only on request)"))) -> VendorDetail:
        """One vendor with related parties. Bureau admins see the legal representative's ID number whole
        (unless ``masked``), and that is audited; everyone else sees it masked."""
        database: Database = state.database
        unmasked = request.user.has_any([Role.BUREAU_ADMIN]) and not masked
        async with (database.transaction() if unmasked else database.reading()) as session:
            return await vendors.vendor_detail(session, state.vault, state.audit, request.user, uscc,
                                               unmasked=unmasked)

    @patch("/{uscc:str}", guards=[requires_role(*ADMIN)])
    async def patch_vendor(self, request: Request[Identity, str, State], state: State, uscc: FromPath[str],
                           data: JSONBody[VendorPatch]) -> VendorView:
        database: Database = state.database
        async with database.transaction() as session:
            return await vendors.update_vendor(session, state.vault, state.audit, request.user, uscc, data)

    @post("/{uscc:str}/relations", guards=[requires_role(*ADMIN)])
    async def post_relation(self, request: Request[Identity, str, State], state: State, uscc: FromPath[str],
                            data: JSONBody[RelationCreate]) -> Response[RelationView]:
        database: Database = state.database
        async with database.transaction() as session:
            relation = await vendors.add_relation(session, state.audit, request.user, uscc, data)
        return Response(relation, status_code=201)
