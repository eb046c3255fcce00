"""Engagements on a project, conflict checks of a lot's bidders, and the project's barred list."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from services.vendors.domain import conflicts, engagements, involvement
from services.vendors.schemas import BarredList, EngagementCreate, EngagementPatch, EngagementView, EngagementVoid
from shared.contracts.vendors import ConflictCheckRequest, ConflictCheckView, InvolvedVendor
from shared.db import MAX_ROW_ID, Database
from shared.identity import Identity, requires_role
from shared.permissions import (
    CONFLICT_CHECK_READERS_AND_LIFECYCLE_SYSTEM,
    DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ENGAGEMENT_RECORDERS_AND_LIFECYCLE_SYSTEM,
    REGISTRY_READERS_AND_LIFECYCLE_SYSTEM,
)
from shared.spreadsheets import csv_bytes

RECORDERS_GUARD = requires_role(*ENGAGEMENT_RECORDERS_AND_LIFECYCLE_SYSTEM)


class EngagementsController(Controller):
    path = "/api/v1"
    tags = ["engagements"]

    @get("/projects/{code:str}/engagements", guards=[requires_role(*REGISTRY_READERS_AND_LIFECYCLE_SYSTEM)])
    async def get_engagements(self, request: Request[Identity, str, State], state: State,
                              code: FromPath[str]) -> list[EngagementView]:
        """Void ones included, marked void. A unit role reads only its own unit's projects (403 otherwise)."""
        database: Database = state.database
        async with database.reading() as session:
            project = await engagements.project_for_reader(session, code, request.user, state.bureau_units)
            return await engagements.project_engagements(session, project)

    @get("/projects/{code:str}/involved-vendors", guards=[requires_role(*DRAW_READERS_AND_LIFECYCLE_SYSTEM)])
    async def get_involved_vendors(self, state: State, code: FromPath[str]) -> list[InvolvedVendor]:
        """Vendors engaged on the project or bidding for its lots (the gateway avoids their experts in draws)."""
        database: Database = state.database
        async with database.reading() as session:
            project = await engagements.load_project(session, code)
            return await involvement.involved_vendors(session, project)

    @post("/projects/{code:str}/engagements", guards=[RECORDERS_GUARD])
    async def post_engagement(self, request: Request[Identity, str, State], state: State, code: FromPath[str],
                              data: JSONBody[EngagementCreate]) -> Response[EngagementView]:
        database: Database = state.database
        async with database.transaction() as session:
            project = await engagements.project_for_caller(session, code, request.user)
            recorded = await engagements.record_engagement(session, state.audit, request.user, project, data)
        return Response(recorded, status_code=201)

    @patch("/projects/{code:str}/engagements/{engagement_id:int}", guards=[RECORDERS_GUARD])
    async def patch_engagement(self, request: Request[Identity, str, State], state: State, code: FromPath[str],
                               engagement_id: Annotated[int, Parameter(ge=1, le=MAX_ROW_ID)],
                               data: JSONBody[EngagementPatch]) -> EngagementView:
        """Correct an engagement or end its contract (``ended_on``); audited with before and after."""
        database: Database = state.database
        async with database.transaction() as session:
            project = await engagements.project_for_caller(session, code, request.user)
            return await engagements.correct_engagement(session, state.audit, request.user, project,
                                                        engagement_id, data)

    @post("/projects/{code:str}/engagements/{engagement_id:int}/void", guards=[RECORDERS_GUARD])
    async def void_engagement(self, request: Request[Identity, str, State], state: State, code: FromPath[str],
                              engagement_id: Annotated[int, Parameter(ge=1, le=MAX_ROW_ID)],
                              data: JSONBody[EngagementVoid]) -> EngagementView:
        """Void an engagement recorded in error, with the reason: it stays readable, marked void, and no
        longer counts in conflict checks, avoidance or the standing to rate."""
        database: Database = state.database
        async with database.transaction() as session:
            project = await engagements.project_for_caller(session, code, request.user)
            return await engagements.void_engagement(session, state.audit, request.user, project,
                                                     engagement_id, data)

    @post("/projects/{code:str}/lots/{lot:str}/conflict-checks", guards=[RECORDERS_GUARD])
    async def post_conflict_check(self, request: Request[Identity, str, State], state: State, code: FromPath[str],
                                  lot: FromPath[str], data: JSONBody[ConflictCheckRequest]
                                  ) -> Response[ConflictCheckView]:
        """Judge each bidder of the lot: allowed, barred or flagged, with every reason and rule. Stored."""
        database: Database = state.database
        async with database.transaction() as session:
            project = await engagements.project_for_caller(session, code, request.user)
            check = await conflicts.run_conflict_check(session, state.audit, state.outbox, request.user, project,
                                                       lot, data, state.conflict_policy)
        return Response(check, status_code=201)

    @get("/conflict-checks/{check_id:str}", guards=[requires_role(*CONFLICT_CHECK_READERS_AND_LIFECYCLE_SYSTEM)])
    async def get_conflict_check(self, request: Request[Identity, str, State], state: State,
                                 check_id: FromPath[str]) -> ConflictCheckView:
        """A stored check exactly as it was answered."""
        database: Database = state.database
        async with database.reading() as session:
            check = await conflicts.read_conflict_check(session, check_id)
            await engagements.project_for_reader(session, check.project_code, request.user, state.bureau_units)
        return check

    @get("/projects/{code:str}/barred-list", guards=[requires_role(*CONFLICT_CHECK_READERS_AND_LIFECYCLE_SYSTEM)])
    async def get_barred_list(self, request: Request[Identity, str, State], state: State, code: FromPath[str],
                              format: FromQuery[Literal["json", "csv"]] = "json") -> Response[BarredList | bytes]:
        """Who may not bid on which lot, and why, for the procurement file."""
        database: Database = state.database
        async with database.reading() as session:
            project = await engagements.project_for_reader(session, code, request.user, state.bureau_units)
            barred = await conflicts.barred_list(session, project, state.conflict_policy)
        if format == "json":
            return Response(barred)
        # UTF-8 with a BOM, for Excel, which the procurement staff open it in; vendor and lot names that
        # look like formulas escaped.
        rows = [conflicts.BARRED_CSV_HEADERS, *conflicts.barred_list_rows(barred)]
        return Response(csv_bytes(rows), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="barred-list-{project.code}.csv"'})
