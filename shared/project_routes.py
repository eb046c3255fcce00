"""The project-reference routes that experts and vendors both serve, over their own tables."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, Parameter

from shared.contracts.projects import CODE_PATTERN, ProjectReference, ProjectView, ProjectWrite
from shared.db import Database
from shared.errors import NotFound, NotPermitted
from shared.identity import Identity, requires_role
from shared.permissions import LIFECYCLE_SYSTEM_AND_ADMIN, PROJECT_READERS
from shared.projects import list_projects, load_project, project_view, sees_every_project, upsert_project
from shared.settings import bureau_units

ProjectCode = Parameter(pattern=CODE_PATTERN, description="project code")


def project_controller(project_cls: type, lot_cls: type,
                       bureau: frozenset[str] | None = None) -> type[Controller]:
    """``bureau``: the bureau's units, whose callers read every project (``SORTES_BUREAU_UNITS`` by default)."""
    bureau = bureau_units() if bureau is None else bureau

    class ProjectController(Controller):
        path = "/api/v1/projects"
        tags = ["projects"]

        @put("/{code:str}", guards=[requires_role(*LIFECYCLE_SYSTEM_AND_ADMIN)])
        async def put_project(self, request: Request, state: State, code: FromPath[str],
                              data: JSONBody[ProjectReference]) -> Response[ProjectWrite]:
            """Register or update a project reference; repeating the same content changes nothing."""
            database: Database = state.database
            async with database.transaction() as session:
                written = await upsert_project(session, project_cls, lot_cls, code, data, state.audit,
                                               request.user)
            return Response(written, status_code=201 if written.outcome == "created" else 200)

        @get("/", guards=[requires_role(*PROJECT_READERS)])
        async def get_projects(self, request: Request[Identity, str, State], state: State,
                               q: Annotated[str | None, Parameter(max_length=200,
                                                                  description="part of the code or name")] = None,
                               ) -> list[ProjectView]:
            """The projects the caller reads: a unit role (organiser, procurement officer, rater) its own
            unit's, the bureau and the oversight roles every unit's."""
            caller: Identity = request.user
            owner = None if sees_every_project(caller, bureau) else caller.unit
            database: Database = state.database
            async with database.reading() as session:
                return await list_projects(session, project_cls, owner_unit=owner, query=q)

        @get("/{code:str}", guards=[requires_role(*PROJECT_READERS)])
        async def get_project(self, request: Request[Identity, str, State], state: State,
                              code: FromPath[str]) -> ProjectView:
            database: Database = state.database
            async with database.reading() as session:
                project = await load_project(session, project_cls, code)
            if project is None:
                raise NotFound("No project {project} is registered.", code="project.unknown", params={"project": code})
            caller: Identity = request.user
            if not sees_every_project(caller, bureau) and project.owner_unit != caller.unit:
                raise NotPermitted("Project {project} belongs to another unit.", code="project.other_unit",
                                   params={"project": code})
            return project_view(project)

    return ProjectController
