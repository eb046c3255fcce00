"""Spreadsheet import and export of the pool, and the import template."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import openpyxl
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.params import MultipartBody, Parameter
from litestar.response import Stream

from services.experts.domain import spreadsheets
from services.experts.schemas import ImportReport
from shared.db import Database
from shared.identity import requires_role
from shared.roles import Role


@dataclass
class SpreadsheetUpload:
    file: UploadFile


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
        rows = spreadsheets.read_rows(await data.file.read(), data.file.filename or "")
        database: Database = state.database
        async with database.transaction() as session:
            return await spreadsheets.import_experts(session, state.audit, request.user, state.vault, rows,
                                                     dry_run=dry_run)

    @get("/import-template", guards=[requires_role(Role.BUREAU_ADMIN)], sync_to_thread=False)
    def get_import_template(self) -> Response[bytes]:
        return Response(spreadsheets.template_xlsx(), media_type=spreadsheets.XLSX_MEDIA_TYPE,
                        headers={"content-disposition": 'attachment; filename="experts-template.xlsx"'})

    @get("/export", guards=[requires_role(Role.BUREAU_ADMIN, Role.AUDITOR)])
    async def export_experts(self, state: State, format: Literal["xlsx", "csv"] = Parameter(default="xlsx")
                             ) -> Stream:
        """The whole pool, personal data masked; csv is UTF-8 with a BOM so Excel reads the Chinese."""
        database: Database = state.database
        disposition = {"content-disposition": f'attachment; filename="experts.{format}"'}
        if format == "csv":
            return Stream(_csv_chunks(database, state), media_type="text/csv; charset=utf-8", headers=disposition)
        return Stream(_xlsx_chunks(database, state), media_type=spreadsheets.XLSX_MEDIA_TYPE, headers=disposition)


async def _csv_chunks(database: Database, state: State) -> AsyncIterator[bytes]:
    yield "\ufeff".encode()
    async with database.reading() as session:
        batch: list[list[str]] = []
        async for row in spreadsheets.export_rows(session, state.vault):
            batch.append(row)
            if len(batch) >= 500:
                yield spreadsheets.csv_lines(batch).encode()
                batch = []
        yield spreadsheets.csv_lines(batch).encode()


async def _xlsx_chunks(database: Database, state: State) -> AsyncIterator[bytes]:
    # An xlsx file is a zip whose directory comes last, so it is built whole, then sent in chunks.
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("专家")
    async with database.reading() as session:
        async for row in spreadsheets.export_rows(session, state.vault):
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    view = buffer.getbuffer()
    for start in range(0, len(view), 64 * 1024):
        yield bytes(view[start:start + 64 * 1024])
