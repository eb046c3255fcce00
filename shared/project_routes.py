"""The project-reference routes that experts and vendors both serve, over their own tables."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, Parameter

from shared.db import Database
from shared.errors import NotFound
from shared.identity import requires_role
from shared.projects import (
    CODE_PATTERN,
    ProjectReference,
    ProjectView,
    ProjectWrite,
    list_projects,
    load_project,
    project_view,
    upsert_project,
)
from shared.roles import Role

READERS = (Role.BUREAU_ADMIN, Role.SERVICE, Role.AUDITOR, Role.ORGANISER, Role.SUPERVISOR,
           Role.PROCUREMENT_OFFICER, Role.RATER, Role.RATING_REVIEWER)
ProjectCode = Parameter(pattern=CODE_PATTERN, description="project code")


def project_controller(project_cls: type, lot_cls: type) -> type[Controller]:
    class ProjectController(Controller):
        path = "/api/v1/projects"
        tags = ["projects"]

        @put("/{code:str}", guards=[requires_role(Role.SERVICE, Role.BUREAU_ADMIN)])
        async def put_project(self, request: Request, state: State, code: FromPath[str],
                              data: JSONBody[ProjectReference]) -> Response[ProjectWrite]:
            """Register or update a project reference; repeating the same content changes nothing."""
            database: Database = state.database
            async with database.transaction() as session:
                written = await upsert_project(session, project_cls, lot_cls, code, data, state.audit,
                                               request.user)
            return Response(written, status_code=201 if written.outcome == "created" else 200)

        @get("/", guards=[requires_role(*READERS)])
        async def get_projects(self, state: State) -> list[ProjectView]:
            database: Database = state.database
            async with database.reading() as session:
                return await list_projects(session, project_cls)

        @get("/{code:str}", guards=[requires_role(*READERS)])
        async def get_project(self, state: State, code: FromPath[str]) -> ProjectView:
            database: Database = state.database
            async with database.reading() as session:
                project = await load_project(session, project_cls, code)
            if project is None:
                raise NotFound(f"No project {code} is registered.")
            return project_view(project)

    return ProjectController
