"""Spreadsheets as a bureau would upload them, for the import tests: a header row, then the rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import openpyxl


def csv_sheet(header: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str = "utf-8-sig") -> bytes:
    """CSV bytes; UTF-8 with a BOM as Excel saves it, unless another encoding is asked for."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([list(header), *rows])
    return buffer.getvalue().encode(encoding)


def xlsx_sheet(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    for values in [list(header), *rows]:
        workbook.active.append(list(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
