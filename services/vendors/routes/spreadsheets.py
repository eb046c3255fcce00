"""Spreadsheet import and export of the registry, and the import template."""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import MultipartBody, Parameter
from litestar.response import Stream

from services.vendors.domain import spreadsheets
from services.vendors.schemas import VendorImportReport
from shared.db import Database
from shared.identity import Identity, requires_role
from shared.permissions import ADMIN
from shared.spreadsheets import SheetFormat, SpreadsheetUpload, attachment, media_type, read_upload, stream_sheet


class SpreadsheetsController(Controller):
    path = "/api/v1/vendors"
    tags = ["vendors"]

    @post("/import", guards=[requires_role(*ADMIN)], status_code=200)
    async def import_vendors(self, request: Request[Identity, str, State], state: State,
                             data: MultipartBody[SpreadsheetUpload],
                             dry_run: bool = Parameter(default=False)) -> VendorImportReport:
        """An xlsx or csv file (field ``file``) with the template's columns; valid rows are imported, the
        others reported row by row (row, column, message). A vendor already registered (same USCC) is
        updated; ``dry_run`` only reports."""
        rows = await read_upload(data.file, spreadsheets.REQUIRED_HEADERS, state.import_max_bytes)
        database: Database = state.database
        async with (database.reading() if dry_run else database.transaction()) as session:
            return await spreadsheets.import_vendors(session, state.vault, state.audit, request.user, rows,
                                                     dry_run=dry_run)

    @get("/import-template", guards=[requires_role(*ADMIN)], sync_to_thread=False)
    def get_import_template(self, format: SheetFormat = Parameter(default="xlsx")) -> Response[bytes]:
        return Response(spreadsheets.template(format), media_type=media_type(format),
                        headers=attachment(f"vendors-template.{format}"))

    @get("/export", guards=[requires_role(*ADMIN)])
    async def export_vendors(self, state: State, format: SheetFormat = Parameter(default="xlsx")) -> Stream:
        """The whole registry, ID numbers masked; csv is UTF-8 with a BOM so Excel reads the Chinese."""
        return stream_sheet(_export_rows(state), format=format, title="供应商", filename=f"vendors.{format}")


async def _export_rows(state: State) -> AsyncIterator[list[str]]:
    database: Database = state.database
    async with database.reading() as session:
        async for row in spreadsheets.export_rows(session, state.vault):
            yield row
