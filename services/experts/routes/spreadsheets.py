"""Spreadsheet import and export of the pool, and the import template."""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import MultipartBody, Parameter
from litestar.response import Stream

from services.experts.domain import spreadsheets
from shared.db import Database
from shared.identity import requires_role
from shared.permissions import ADMIN_AND_AUDITOR
from shared.roles import Role
from shared.spreadsheets import (
    ImportReport,
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
    ) -> ImportReport:
        """An xlsx or csv file (field ``file``) with the template's columns; valid rows are imported, the
        others reported row by row. A person already in the pool (same ID number) is updated."""
        rows = await read_upload(data.file, spreadsheets.REQUIRED_HEADERS, state.import_max_bytes)
        database: Database = state.database
        async with database.transaction() as session:
            return await spreadsheets.import_experts(session, state.audit, request.user, state.vault, rows,
                                                     dry_run=dry_run)

    @get("/import-template", guards=[requires_role(Role.BUREAU_ADMIN)], sync_to_thread=False)
    def get_import_template(self, format: SheetFormat = Parameter(default="xlsx")) -> Response[bytes]:
        return Response(spreadsheets.template(format), media_type=media_type(format),
                        headers=attachment(f"experts-template.{format}"))

    @get("/export", guards=[requires_role(*ADMIN_AND_AUDITOR)])
    async def export_experts(self, state: State, format: SheetFormat = Parameter(default="xlsx")) -> Stream:
        """The whole pool, personal data masked; csv is UTF-8 with a BOM so Excel reads the Chinese."""
        return stream_sheet(_export_rows(state), format=format, title="专家", filename=f"experts.{format}")


async def _export_rows(state: State) -> AsyncIterator[list[str]]:
    database: Database = state.database
    async with database.reading() as session:
        async for row in spreadsheets.export_rows(session, state.vault):
            yield row
