"""Spreadsheet import and export of the pool, and the import template."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import MultipartBody, Parameter
from litestar.response import Stream

from services.experts.domain import spreadsheets
from services.experts.schemas import ExpertImportReport
from shared.db import Database
from shared.errors import NotPermitted
from shared.identity import Identity, requires_role
from shared.permissions import ADMIN_AND_AUDITOR
from shared.roles import Role
from shared.spreadsheets import (
    SheetFormat,
    SpreadsheetUpload,
    attachment,
    media_type,
    read_upload,
    stream_sheet,
)


class SpreadsheetsController(Controller):
    path = "/api/v1/experts"
    tags = ["experts"]

    @post("/import", guards=[requires_role(Role.BUREAU_ADMIN)], status_code=200)
    async def import_experts(
        self, state: State, request: Request,
        data: MultipartBody[SpreadsheetUpload],
        dry_run: bool = Parameter(default=False),
    ) -> ExpertImportReport:
        """An xlsx or csv file (field ``file``) with the template's columns; valid rows are imported, the
        others reported with every problem, row and column. A person already in the pool (same ID
        number) is updated: an empty optional cell keeps the stored value, a single ``-`` clears it, and
        a row equal to what is stored counts as unchanged. A masked export is refused whole."""
        rows = await read_upload(data.file, spreadsheets.REQUIRED_HEADERS, state.import_max_bytes)
        database: Database = state.database
        async with database.transaction() as session:
            return await spreadsheets.import_experts(session, state.audit, request.user, state.vault, rows,
                                                     dry_run=dry_run, rules=state.rules)

    @get("/import-template", guards=[requires_role(Role.BUREAU_ADMIN)], sync_to_thread=False)
    def get_import_template(self, format: SheetFormat = Parameter(default="xlsx")) -> Response[bytes]:
        return Response(spreadsheets.template(format), media_type=media_type(format),
                        headers=attachment(f"experts-template.{format}"))

    @get("/export", guards=[requires_role(*ADMIN_AND_AUDITOR)])
    async def export_experts(self, state: State, request: Request, format: SheetFormat = Parameter(default="xlsx"),
                             for_reimport: bool = Parameter(default=False)) -> Stream:
        """The whole pool, personal data masked (the sheet says it cannot be imported back); csv is UTF-8
        with a BOM so Excel reads the Chinese. ``for_reimport=true`` (bureau admins only, audited as
        ``experts.exported_for_reimport``) gives the import's columns unmasked: it imports back with no change."""
        identity: Identity = request.user
        if for_reimport:
            if not identity.has_any([Role.BUREAU_ADMIN]):
                raise NotPermitted("Only a bureau admin exports the pool unmasked for re-import.",
                                   code="experts.reimport_export_admin_only")
            database: Database = state.database
            async with database.transaction() as session:
                await state.audit.record(session, actor=identity, action="experts.exported_for_reimport",
                                         object_type="export", object_id=str(uuid.uuid4()),
                                         details={"format": format, "personal_data_unmasked": True})
            return stream_sheet(_export_rows(state, for_reimport=True), format=format, title="专家",
                                filename=f"experts-reimport.{format}")
        return stream_sheet(_export_rows(state), format=format, title="专家", filename=f"experts.{format}")


async def _export_rows(state: State, *, for_reimport: bool = False) -> AsyncIterator[list[str]]:
    database: Database = state.database
    async with database.reading() as session:
        async for row in spreadsheets.export_rows(session, state.vault, for_reimport=for_reimport):
            yield row
