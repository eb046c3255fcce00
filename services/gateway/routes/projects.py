"""Composite project routes: registration fanned out to both services, and reconciliation."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from services.gateway.domain import projects
from services.gateway.schemas import Reconciliation
from shared.identity import requires_role
from shared.projects import ProjectReference, ProjectRegistration, validate_reference
from shared.roles import Role


class ProjectsController(Controller):
    path = "/"
    tags = ["projects"]

    @put("/projects/{code:str}", guards=[requires_role(Role.SERVICE, Role.BUREAU_ADMIN)])
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

    @get("/reconciliation/projects", guards=[requires_role(Role.BUREAU_ADMIN, Role.AUDITOR)])
    async def get_reconciliation(self, request: Request, state: State) -> Reconciliation:
        """Project references that differ between experts and vendors (``sortes reconcile``)."""
        return await projects.reconcile(state.upstreams, request.user)
