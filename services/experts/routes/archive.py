"""The draw archive (``GET /api/v1/draws`` and a year's export), the organiser's desk, the register of
self-evaluations the spot check draws from, and the public bulletin the gateway shows to anyone."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from services.experts.domain import archive, spot_checks
from services.experts.domain.draw_keys import DrawKeys
from services.experts.schemas import (
    ArchiveEntry,
    BulletinEntry,
    OrganiserDesk,
    Page,
    SelfEvaluationInput,
    SelfEvaluationView,
)
from shared.db import Database
from shared.identity import Identity, requires_role
from shared.permissions import (
    DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    PANEL_ORGANISERS,
    PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM,
)
from shared.roles import Role
from shared.spreadsheets import attachment, media_type, sheet_bytes

READERS_GUARD = requires_role(*DRAW_READERS_AND_LIFECYCLE_SYSTEM)
MAX_PAGE = 10_000
Year = Annotated[int, QueryParameter(ge=2000, le=2100)]


class ArchiveController(Controller):
    path = "/api/v1"
    tags = ["draws"]

    @get("/draws", guards=[READERS_GUARD])
    async def list_draws(
        self, request: Request[Identity, Any, State], state: State,
        project: Annotated[str | None, QueryParameter(description="project code or name, in part")] = None,
        purpose: Annotated[str | None, QueryParameter(description="technical_review, …, spot_check")] = None,
        status: Annotated[str | None, QueryParameter(description="committed, revealed or cancelled")] = None,
        since: Annotated[str | None, QueryParameter(name="from", description="first Beijing day, YYYY-MM-DD")] = None,
        until: Annotated[str | None, QueryParameter(name="to", description="last Beijing day, YYYY-MM-DD")] = None,
        organiser: Annotated[str | None, QueryParameter(description="user name, subject or name")] = None,
        supervisor: Annotated[str | None, QueryParameter(description="user name, subject or name")] = None,
        field: Annotated[str | None, QueryParameter(description="a field code the draw drew in")] = None,
        page: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 1,
        size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> Page[ArchiveEntry]:
        """The draw archive, newest first: bureau admins, auditors and the lifecycle system every draw, an
        organiser its unit's, a supervisor the draws naming them. Facts only, never a member: the list
        of a panel is read on the draw itself, sealed until the meeting has ended."""
        query = archive.ArchiveQuery(project=project, purpose=purpose, status=status, since=since, until=until,
                                     organiser=organiser, supervisor=supervisor, field=field)
        async with _database(state).reading() as session:
            return await archive.archive_page(session, request.user, query, page=page, size=size)

    @get("/draws/export", guards=[READERS_GUARD])
    async def export_draws(self, request: Request[Identity, Any, State], state: State, year: Year,
                           format: FromQuery[Literal["xlsx", "csv", "zip"]] = "xlsx") -> Response[bytes]:
        """A year's draws (committed that Beijing year) the caller may find in the archive: a sheet
        (csv in UTF-8 with a BOM, formula-safe), or a zip of their JSON records with the key set, each
        record checked offline with ``sortes verify``."""
        async with _database(state).reading() as session:
            rows = await archive.year_entries(session, request.user, year)
        if format == "zip":
            keys: DrawKeys = state.draw_keys
            return Response(archive.records_zip(rows, request.user, keys.key_set.to_json_dict(), year),
                            media_type="application/zip", headers=attachment(f"draws-{year}.zip"))
        content = sheet_bytes(format, f"{year}年抽取记录", archive.export_rows([item for _, _, item in rows]))
        return Response(content, media_type=media_type(format), headers=attachment(f"draws-{year}.{format}"))

    @get("/panels/organising", guards=[requires_role(*PANEL_ORGANISERS)])
    async def organising(self, request: Request[Identity, Any, State], state: State) -> OrganiserDesk:
        """The organiser's home: draws awaiting the witness, panels awaiting answers, panels awaiting
        evaluations, and the latest draws of the organiser's unit."""
        async with _database(state).reading() as session:
            return await archive.organiser_desk(session, request.user)

    @get("/self-evaluations", guards=[READERS_GUARD])
    async def self_evaluations(self, state: State, year: Year) -> list[SelfEvaluationView]:
        """The register of a year's submitted self-evaluations (Art. 25)."""
        async with _database(state).reading() as session:
            return await spot_checks.register_of(session, year)

    @post("/self-evaluations", guards=[requires_role(*PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM)], status_code=201)
    async def record_self_evaluation(self, request: Request[Identity, Any, State], state: State,
                                     data: JSONBody[SelfEvaluationInput]) -> SelfEvaluationView:
        """Enter a submitted self-evaluation: a unit its own, the lifecycle system or a bureau admin any
        unit's. The same project, year and kind twice is a 409."""
        async with _database(state).transaction() as session:
            row = await spot_checks.record_self_evaluation(session, state.audit, request.user, data)
            return next(view for view in await spot_checks.register_of(session, row.year) if view.id == row.id)

    @get("/bulletin", guards=[requires_role(Role.SERVICE)])
    async def bulletin(self, state: State, page: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 1,
                       size: Annotated[int, QueryParameter(ge=1, le=100)] = 20) -> Page[BulletinEntry]:
        """The public bulletin, which the gateway shows to anyone: every revealed panel draw whose
        meeting has ended, by pool number; names only when SORTES_EXPERTS_BULLETIN_NAMES=1."""
        async with _database(state).reading() as session:
            return await archive.bulletin_page(session, names=bool(state.rules.bulletin_names), page=page,
                                               size=size)

    @get("/bulletin/{draw_id:str}/record", guards=[requires_role(Role.SERVICE)])
    async def bulletin_record(self, state: State, draw_id: FromPath[str]) -> dict[str, Any]:
        """A bulletin draw's sortes-draw/1 record; the same 404 for a draw whose meeting has not ended."""
        async with _database(state).reading() as session:
            return await archive.bulletin_record(session, draw_id)


def _database(state: State) -> Database:
    return state.database
