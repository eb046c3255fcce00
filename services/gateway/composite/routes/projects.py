"""Composite project routes: registration fanned out to both services, reading, and reconciliation."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, Parameter

from services.gateway.composite import projects
from services.gateway.schemas import Reconciliation
from shared.contracts.projects import ProjectPage, ProjectReference, ProjectRegistration, ProjectView
from shared.db import MAX_PAGE
from shared.identity import requires_role
from shared.permissions import ADMIN_AND_AUDITOR, LIFECYCLE_SYSTEM_AND_ADMIN, PROJECT_READERS
from shared.projects import validate_reference


class ProjectsController(Controller):
    path = "/"
    tags = ["projects"]

    @put("/projects/{code:str}", guards=[requires_role(*LIFECYCLE_SYSTEM_AND_ADMIN)])
    async def put_project(self, request: Request, state: State, code: FromPath[str],
                          data: JSONBody[ProjectReference]) -> Response[ProjectRegistration]:
        """Register or update a project reference (with its lots) in experts and vendors.

        Idempotent: repeating the same body changes nothing; a retry after a partial failure
        converges. 201 when either service created the project, else 200.
        """
        validate_reference(code, data)
        registration = await projects.register_project(state.upstreams, request.user, code, data)
        created = "created" in registration.outcomes.values()
        return Response(registration, status_code=201 if created else 200)

    @get("/projects", guards=[requires_role(*PROJECT_READERS)])
    async def get_projects(self, request: Request, state: State,
                           page: int = Parameter(default=1, ge=1, le=MAX_PAGE),
                           page_size: int = Parameter(default=50, ge=1, le=500),
                           q: Annotated[str | None, Parameter(max_length=200,
                                                              description="part of the code or name")] = None,
                           ) -> ProjectPage:
        """Registered projects by code: a unit role (organiser, procurement officer, rater) reads its own
        unit's, the bureau's units, auditors, supervisors, rating reviewers and the lifecycle system all."""
        return await projects.read_projects(state.upstreams, request.user, page=page, page_size=page_size, query=q)

    @get("/projects/{code:str}", guards=[requires_role(*PROJECT_READERS)])
    async def get_project(self, request: Request, state: State, code: FromPath[str]) -> ProjectView:
        """One project with its lots; another unit's project is refused to a unit role (403)."""
        return await projects.read_project(state.upstreams, request.user, code)

    @get("/reconciliation/projects", guards=[requires_role(*ADMIN_AND_AUDITOR)])
    async def get_reconciliation(self, request: Request, state: State) -> Reconciliation:
        """Project references that differ between experts and vendors (``sortes reconcile``)."""
        return await projects.reconcile(state.upstreams, request.user)
