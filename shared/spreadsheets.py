"""Spreadsheets in and out of a service: an uploaded xlsx or csv read into rows of header → text, a
sheet streamed back as xlsx or csv, and the row-by-row report of an import.

What the columns mean stays with each service; this module only knows cells and headers.

Two defences live here for every sheet the services read or write:

- A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
  Excel and LibreOffice (OWASP's CSV injection). A csv cell so beginning is written with a ``'``
  before it, in an xlsx too, where every text cell is moreover a typed string, never a formula.
  Reading a sheet takes the ``'`` off again, so an exported sheet imports back unchanged.
- An upload is read within bounds whatever the file declares: at most ``import_max_bytes()`` bytes,
  :data:`MAX_ROWS` rows under the header and :data:`MAX_COLUMNS` columns, an xlsx streamed row by row
  (its ``<dimension>`` ignored), in a worker thread so the service keeps answering meanwhile.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import anyio.to_thread
import msgspec
import openpyxl
from litestar.datastructures import UploadFile
from litestar.response import Stream
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from shared.errors import InvalidInput, Params, PayloadTooLarge, field_error
from shared.settings import env_int

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"  # Litestar adds "; charset=utf-8" to every text/ type itself
SheetFormat = Literal["xlsx", "csv"]
MAX_ROWS = 20_000  # under the header
MAX_COLUMNS = 60
DEFAULT_IMPORT_MAX_BYTES = 10 * 1024 * 1024
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# XML turns a carriage return in a cell's text into a line feed; Excel writes it as this escape
# (OOXML's ST_Xstring), which openpyxl leaves to its caller.
_XLSX_CR = "_x000D_"


def import_max_bytes() -> int:
    """The largest spreadsheet an import reads: ``SORTES_IMPORT_MAX_BYTES``, 10 MB by default."""
    return env_int("SORTES_IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES)


class RowError(msgspec.Struct, frozen=True):
    """Why one row was not imported: the row as numbered in the sheet (the header is row 1) and the
    column header. Never the cell's value, which may be personal data."""

    row: int
    column: str
    message: str
    code: str
    params: Params = {}


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


def _too_many_rows() -> SpreadsheetError:
    return SpreadsheetError("A sheet holds at most {limit} rows under its header (row {last} is the last one read); "
                            "delete any rows, empty ones too, below the data or split the sheet.",
                            code="sheet.too_many_rows", params={"limit": MAX_ROWS, "last": MAX_ROWS + 1},
                            errors=[field_error("file", "sheet.too_many_rows", "more than {limit} rows",
                                                {"limit": MAX_ROWS})], limit=MAX_ROWS)


def _too_many_columns() -> SpreadsheetError:
    return SpreadsheetError("A sheet holds at most {limit} columns.", code="sheet.too_many_columns",
                            params={"limit": MAX_COLUMNS},
                            errors=[field_error("file", "sheet.too_many_columns", "more than {limit} columns",
                                                {"limit": MAX_COLUMNS})], limit=MAX_COLUMNS)


# Reading

async def read_upload(upload: UploadFile, required: Iterable[str], max_bytes: int) -> list[dict[str, str]]:
    """:func:`read_rows` of an uploaded file, refused with 413 past ``max_bytes`` and read in a worker
    thread: parsing a large sheet is seconds of work the event loop must not wait for."""
    content = await upload.read()
    if len(content) > max_bytes:
        limits = {"limit": max_bytes, "megabytes": f"{max_bytes / 1024 / 1024:g}"}
        raise PayloadTooLarge("A spreadsheet may be at most {limit} bytes ({megabytes} MB); this one has {size}.",
                              code="sheet.too_large", params={**limits, "size": len(content)},
                              errors=[field_error("file", "sheet.too_large",
                                                  "larger than {limit} bytes ({megabytes} MB)", limits)],
                              limit=max_bytes)
    return await anyio.to_thread.run_sync(read_rows, content, upload.filename or "", list(required))


def read_rows(content: bytes, filename: str, required: Iterable[str]) -> list[dict[str, str]]:
    """The sheet's rows as header → text; xlsx when the file is a zip (or named .xlsx), else csv.

    Blank rows are left out; a row's number in the sheet is its index here plus 2. A sheet past
    :data:`MAX_ROWS` rows under its header or with anything in a column past :data:`MAX_COLUMNS` is
    refused whole (422).
    """
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        table = _xlsx_table(content)
    else:
        table = _csv_table(content)
    if not table:
        raise SpreadsheetError("The file has no header row.", code="sheet.empty",
                               errors=[field_error("file", "sheet.empty", "empty")])
    headers = [header.strip() for header in table[0]]
    missing = [column for column in required if column not in headers]
    if missing:
        raise SpreadsheetError("Required columns are missing.", code="sheet.columns_missing",
                               errors=[field_error("file", "sheet.column_missing", "missing column {column}",
                                                   {"column": column}) for column in missing])
    # The quote comes off after the spaces: an escaped "'\t=1" keeps its tab.
    return [{header: unescaped(cell.strip()) for header, cell in zip(headers, row, strict=False) if header}
            for row in table[1:] if any(cell.strip() for cell in row)]


def _bounded(rows: Iterable[Sequence[Any]], text: Callable[[Any], str]) -> list[list[str]]:
    """The rows as text, refusing a row past the header and MAX_ROWS or a filled cell past MAX_COLUMNS;
    an xlsx is read at most one column wider than MAX_COLUMNS."""
    table: list[list[str]] = []
    for row in rows:
        if len(table) > MAX_ROWS:
            raise _too_many_rows()
        cells = [text(value) for value in row]
        if any(cell.strip() for cell in cells[MAX_COLUMNS:]):
            raise _too_many_columns()
        table.append(cells[:MAX_COLUMNS])
    return table


def _xlsx_table(content: bytes) -> list[list[str]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise SpreadsheetError("The file is not a readable xlsx workbook.", code="sheet.not_xlsx",
                               errors=[field_error("file", "sheet.not_xlsx", "not an xlsx workbook")]) from None
    try:
        sheet = workbook.worksheets[0]
        # The declared <dimension> is what a crafted file lies about: openpyxl would pad every row to
        # its width and every gap to its height. Without it, and with explicit bounds, at most one row
        # past the limit is ever built, and none wider than one column past the limit.
        sheet.reset_dimensions()
        return _bounded(sheet.iter_rows(min_row=1, max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS + 1,
                                        values_only=True), _cell_text)
    except SpreadsheetError:
        raise
    except Exception:  # a broken sheet inside a well-formed zip
        raise SpreadsheetError("The file is not a readable xlsx workbook.", code="sheet.not_xlsx",
                               errors=[field_error("file", "sheet.not_xlsx", "not an xlsx workbook")]) from None
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace(_XLSX_CR, "\r")
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _csv_table(content: bytes) -> list[list[str]]:
    if b"\x00" in content:  # no text encoding a sheet is saved in has NUL bytes; some other binary file
        raise SpreadsheetError("The file is neither xlsx nor csv.", code="sheet.format",
                               errors=[field_error("file", "sheet.format", "not xlsx or csv")])
    # Excel in China saves CSV as GB18030 (GBK) unless told otherwise; UTF-8 (with or without BOM) first.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return _bounded(csv.reader(io.StringIO(text)), str)
        except csv.Error:
            raise SpreadsheetError("The csv file cannot be read.", code="sheet.bad_csv",
                                   errors=[field_error("file", "sheet.bad_csv", "malformed csv")]) \
                from None
    raise SpreadsheetError("The csv file is neither UTF-8 nor GB18030.", code="sheet.encoding",
                           errors=[field_error("file", "sheet.encoding", "unknown encoding")])


def parse_date(text: str) -> dt.date | None:
    """A date as typed in a sheet (2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日); None when empty.

    Raises ValueError for anything else.
    """
    if not text:
        return None
    parts = [int(part) for part in re.split(r"[-/.年月日]", text) if part.isdigit()]
    if len(parts) != 3:
        raise ValueError(text)
    try:
        return dt.date(*parts)
    except OverflowError:  # a number too large for C: as much not a date as month 13
        raise ValueError(text) from None


# Formula triggers

def escaped(value: Any) -> Any:
    """A csv cell as written: text that a spreadsheet program would take for a formula gets a ``'``
    before it (OWASP's advice); numbers and other text stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unescaped(text: str) -> str:
    """A cell as read: the ``'`` that :func:`escaped` (or Excel's quote prefix, typed by hand) put before
    a formula trigger is taken off, so the text round-trips; the text itself is only ever text."""
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


# Writing

def csv_lines(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as csv text, every cell that could be a formula escaped."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([escaped(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """A whole csv file in UTF-8 with a BOM, so that Excel reads the Chinese."""
    return ("\ufeff" + csv_lines(rows)).encode()


def sheet_bytes(format: SheetFormat, title: str, rows: Iterable[Sequence[Any]]) -> bytes:
    """A small sheet whole (a template): xlsx, or csv in UTF-8 with a BOM so Excel reads the Chinese."""
    if format == "csv":
        return csv_bytes(rows)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_row(sheet: WriteOnlyWorksheet, row: Sequence[Any]) -> list[Any]:
    """A row for an xlsx sheet: text always a string cell, never a formula (openpyxl would write any
    text starting with ``=`` as one), escaped as in csv so that the cell still reads as text once
    edited or saved as csv, and an export imports back the same in either format; numbers stay typed."""
    cells: list[Any] = []
    for value in row:
        if not isinstance(value, str):
            cells.append(value)
            continue
        # xlsx cannot hold most control characters; one stored in a name must not break the whole export.
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", escaped(value)).replace("\r", _XLSX_CR)
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        cells.append(cell)
    return cells


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
        sheet.append(xlsx_row(sheet, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    view = buffer.getbuffer()
    for start in range(0, len(view), 64 * 1024):
        yield bytes(view[start:start + 64 * 1024])
