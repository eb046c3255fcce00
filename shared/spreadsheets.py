"""Spreadsheets in and out of a service: an uploaded xlsx or csv read into rows of header → text, a
sheet streamed back as xlsx or csv, and the row-by-row report of an import.

What the columns mean stays with each service; this module only knows cells and headers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
import openpyxl
from litestar.datastructures import UploadFile
from litestar.response import Stream
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from shared.errors import FieldError, InvalidInput

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"  # Litestar adds "; charset=utf-8" to every text/ type itself
SheetFormat = Literal["xlsx", "csv"]


class RowError(msgspec.Struct, frozen=True):
    """Why one row was not imported: the row as numbered in the sheet (the header is row 1) and the
    column header. Never the cell's value, which may be personal data."""

    row: int
    column: str
    message: str


class ImportReport(msgspec.Struct, frozen=True):
    dry_run: bool
    rows: int
    created: int
    updated: int
    rejected: int
    errors: list[RowError]


@dataclass
class SpreadsheetUpload:
    """The multipart body of an import: one file in the field ``file``."""

    file: UploadFile


class SpreadsheetError(InvalidInput):
    """The file as a whole cannot be read (not xlsx/csv, or required columns missing)."""


# Reading

def read_rows(content: bytes, filename: str, required: Iterable[str]) -> list[dict[str, str]]:
    """The sheet's rows as header → text; xlsx when the file is a zip (or named .xlsx), else csv.

    Blank rows are left out; a row's number in the sheet is its index here plus 2.
    """
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        table = _xlsx_table(content)
    else:
        table = _csv_table(content)
    if not table:
        raise SpreadsheetError("The file has no header row.", errors=[FieldError("file", "empty")])
    headers = [header.strip() for header in table[0]]
    missing = [column for column in required if column not in headers]
    if missing:
        raise SpreadsheetError("Required columns are missing.",
                               errors=[FieldError("file", f"missing column {column}") for column in missing])
    return [{header: cell.strip() for header, cell in zip(headers, row, strict=False) if header}
            for row in table[1:] if any(cell.strip() for cell in row)]


def _xlsx_table(content: bytes) -> list[list[str]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise SpreadsheetError("The file is not a readable xlsx workbook.",
                               errors=[FieldError("file", "not an xlsx workbook")]) from None
    sheet = workbook.worksheets[0]
    table = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return table


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _csv_table(content: bytes) -> list[list[str]]:
    if b"\x00" in content:  # no text encoding a sheet is saved in has NUL bytes; some other binary file
        raise SpreadsheetError("The file is neither xlsx nor csv.", errors=[FieldError("file", "not xlsx or csv")])
    # Excel in China saves CSV as GB18030 (GBK) unless told otherwise; UTF-8 (with or without BOM) first.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return list(csv.reader(io.StringIO(text)))
        except csv.Error:
            raise SpreadsheetError("The csv file cannot be read.", errors=[FieldError("file", "malformed csv")]) \
                from None
    raise SpreadsheetError("The csv file is neither UTF-8 nor GB18030.",
                           errors=[FieldError("file", "unknown encoding")])


def parse_date(text: str) -> dt.date | None:
    """A date as typed in a sheet (2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日); None when empty.

    Raises ValueError for anything else.
    """
    if not text:
        return None
    parts = [int(part) for part in re.split(r"[-/.年月日]", text) if part.isdigit()]
    if len(parts) != 3:
        raise ValueError(text)
    return dt.date(*parts)


# Writing

def csv_lines(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def sheet_bytes(format: SheetFormat, title: str, rows: Iterable[Sequence[Any]]) -> bytes:
    """A small sheet whole (a template): xlsx, or csv in UTF-8 with a BOM so Excel reads the Chinese."""
    if format == "csv":
        return ("\ufeff" + csv_lines(rows)).encode()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def media_type(format: SheetFormat) -> str:
    return XLSX_MEDIA_TYPE if format == "xlsx" else CSV_MEDIA_TYPE


def attachment(filename: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{filename}"'}


def stream_sheet(rows: AsyncIterator[Sequence[str]], *, format: SheetFormat, title: str, filename: str) -> Stream:
    """A large sheet sent as it is read: ``rows`` (the header first) opens its own database session."""
    chunks = _csv_chunks(rows) if format == "csv" else _xlsx_chunks(rows, title)
    return Stream(chunks, media_type=media_type(format), headers=attachment(filename))


async def _csv_chunks(rows: AsyncIterator[Sequence[str]]) -> AsyncIterator[bytes]:
    yield "\ufeff".encode()
    batch: list[Sequence[str]] = []
    async for row in rows:
        batch.append(row)
        if len(batch) >= 500:
            yield csv_lines(batch).encode()
            batch = []
    yield csv_lines(batch).encode()


async def _xlsx_chunks(rows: AsyncIterator[Sequence[str]], title: str) -> AsyncIterator[bytes]:
    # An xlsx file is a zip whose directory comes last, so it is built whole, then sent in chunks.
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    async for row in rows:
        # xlsx cannot hold most control characters; one stored in a name must not break the whole export.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("\ufffd", cell) if isinstance(cell, str) else cell for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    view = buffer.getbuffer()
    for start in range(0, len(view), 64 * 1024):
        yield bytes(view[start:start + 64 * 1024])
