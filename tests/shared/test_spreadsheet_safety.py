"""Spreadsheets that cannot attack their reader, and imports that a crafted file cannot stall.

Every sheet the services write escapes text a spreadsheet program would run as a formula (OWASP's
CSV injection: a cell starting with = + - @ tab or carriage return) and writes no formula into an
xlsx; an import reads such text back as it was. An import reads at most 10 MB, 20,000 rows and 60
columns, whatever the file declares, in a worker thread while the service goes on answering.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import re
import time
import zipfile

import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from services.experts.domain.spreadsheets import COLUMNS as EXPERT_COLUMNS
from services.vendors.domain.spreadsheets import COLUMNS as VENDOR_COLUMNS
from shared.spreadsheets import DEFAULT_IMPORT_MAX_BYTES, FORMULA_TRIGGERS, MAX_COLUMNS, MAX_ROWS, import_max_bytes
from tests.experts.helpers import admin, create_expert, valid_id_number
from tests.support.identity import AssertionMinter
from tests.support.sheets import csv_sheet, xlsx_sheet
from tests.vendors.conftest import VendorsApi
from tests.vendors.conftest import valid_id_number as representative_id_number

PAYLOADS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_rows(content: bytes) -> list[list[str]]:
    """The sheet's cells, after checking its XML holds no formula and only string or number cells."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        for name in sheets:
            xml = archive.read(name).decode()
            assert "<f>" not in xml and "<f " not in xml, name
            assert set(re.findall(r'<c [^>]*t="(\w+)"', xml)) <= {"inlineStr", "s", "n"}, name
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]


def assert_no_formula_trigger(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_TRIGGERS), (cell, row)


@pytest.mark.parametrize("format", ["csv", "xlsx"])
async def test_expert_exports_escape_formulas_and_import_back_the_same_text(
        experts_client: AsyncTestClient[Litestar], minter: AssertionMinter, format: str) -> None:
    for payload in PAYLOADS:
        await create_expert(experts_client, minter, name=payload, title=payload, id_number=valid_id_number())
    for params in ({"format": format}, {"format": format, "for_reimport": "true"}):
        exported = await experts_client.get("/api/v1/experts/export", params=params, headers=admin(minter))
        assert exported.status_code == 200, exported.text
        rows = csv_rows(exported.content) if format == "csv" else xlsx_rows(exported.content)
        assert_no_formula_trigger(rows)
        assert len(rows) == len(PAYLOADS) + 1

    # The export for re-import (unmasked) imports back as the same text: nothing changes.
    imported = await experts_client.post("/api/v1/experts/import", files={"file": (f"pool.{format}", exported.content)},
                                         headers=admin(minter))
    assert imported.status_code == 200, imported.text
    assert (imported.json()["unchanged"], imported.json()["rejected"]) == (len(PAYLOADS), 0), imported.text
    listed = (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()["items"]
    assert sorted(expert["name"] for expert in listed) == sorted(PAYLOADS)
    assert sorted(expert["title"] for expert in listed) == sorted(PAYLOADS)


@pytest.mark.parametrize("format", ["csv", "xlsx"])
async def test_vendor_exports_escape_formulas_and_import_back_unchanged(
        vendors_client: AsyncTestClient[Litestar], minter: AssertionMinter, format: str) -> None:
    api = VendorsApi(vendors_client, minter, random.Random(19))
    for payload in PAYLOADS:
        await api.vendor(name=payload, legal_representative={"name": payload, "id_number": representative_id_number(1)})
    exported = await vendors_client.get("/api/v1/vendors/export", params={"format": format}, headers=api.admin)
    assert exported.status_code == 200, exported.text
    rows = csv_rows(exported.content) if format == "csv" else xlsx_rows(exported.content)
    assert_no_formula_trigger(rows)
    assert len(rows) == len(PAYLOADS) + 1

    imported = await vendors_client.post("/api/v1/vendors/import", headers=api.admin,
                                         files={"file": (f"vendors.{format}", exported.content)})
    assert imported.status_code == 200, imported.text
    report = imported.json()
    assert (report["unchanged"], report["updated"], report["rejected"]) == (len(PAYLOADS), 0, 0), report
    listed = (await vendors_client.get("/api/v1/vendors", headers=api.admin)).json()["items"]
    assert sorted(vendor["name"] for vendor in listed) == sorted(PAYLOADS)


async def test_the_barred_list_csv_escapes_formulas(vendors_client: AsyncTestClient[Litestar],
                                                    minter: AssertionMinter) -> None:
    api = VendorsApi(vendors_client, minter, random.Random(23))
    project = await api.project(lots=[
        {"code": "L1", "name": "=1+1", "procurement_method": "competitive_consultation", "role": "overall_design"},
        *({"code": f"L{index}", "name": payload, "procurement_method": "public_tender", "role": "construction"}
          for index, payload in enumerate(PAYLOADS, start=2))])
    for payload in PAYLOADS:
        await api.engage(project, await api.vendor(name=payload), "overall_design", lot="L1")
    response = await vendors_client.get(f"/api/v1/projects/{project}/barred-list", params={"format": "csv"},
                                        headers=api.headers("procurement_officer"))
    assert response.status_code == 200, response.text
    rows = csv_rows(response.content)
    assert_no_formula_trigger(rows)
    assert {(row[1], row[3]) for row in rows[1:]} == {(f"'{vendor}", f"'{lot}") for vendor in PAYLOADS
                                                      for lot in PAYLOADS}


# Bounded imports

def declared_huge_xlsx() -> bytes:
    """A valid workbook of a header row that declares A1:XFD1048576 and holds a cell in its far corner."""
    content = xlsx_sheet(list(EXPERT_COLUMNS.values()), [])
    source = zipfile.ZipFile(io.BytesIO(content))
    crafted = io.BytesIO()
    with zipfile.ZipFile(crafted, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', data.decode())
                xml = xml.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t>'
                                                  "</is></c></row></sheetData>")
                assert 'ref="A1:XFD1048576"' in xml
                data = xml.encode()
            target.writestr(item, data)
    return crafted.getvalue()


async def test_a_declared_huge_xlsx_is_refused_quickly_while_the_service_answers(
        experts_client: AsyncTestClient[Litestar], minter: AssertionMinter) -> None:
    content = declared_huge_xlsx()
    assert len(content) < 8 * 1024
    latencies: list[float] = []

    async def import_it() -> tuple[float, object]:
        started = time.monotonic()
        response = await experts_client.post("/api/v1/experts/import", files={"file": ("huge.xlsx", content)},
                                             headers=admin(minter))
        return time.monotonic() - started, response

    async def meanwhile() -> None:
        for _ in range(10):
            started = time.monotonic()
            assert (await experts_client.get("/healthz")).status_code == 200
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(0.01)

    (elapsed, response), _ = await asyncio.gather(import_it(), meanwhile())
    assert elapsed < 5, elapsed
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["limit"] == MAX_ROWS and str(MAX_ROWS) in problem["detail"]
    assert problem["code"] == "sheet.too_many_rows" and problem["params"]["limit"] == MAX_ROWS
    assert problem["errors"] == [{"field": "file", "code": "sheet.too_many_rows",
                                  "message": f"more than {MAX_ROWS} rows", "params": {"limit": MAX_ROWS},
                                  "source": "body"}]
    assert max(latencies) < 1.0, latencies


@pytest.mark.parametrize("format", ["csv", "xlsx"])
async def test_a_sheet_past_20000_rows_is_refused_naming_the_limit(
        experts_client: AsyncTestClient[Litestar], minter: AssertionMinter, format: str) -> None:
    header = list(EXPERT_COLUMNS.values())
    rows = [["某"] * len(header)] * (MAX_ROWS + 1)
    content = csv_sheet(header, rows) if format == "csv" else xlsx_sheet(header, rows)
    response = await experts_client.post("/api/v1/experts/import", files={"file": (f"pool.{format}", content)},
                                         headers=admin(minter))
    assert response.status_code == 422, response.text
    assert response.json()["limit"] == MAX_ROWS and "20000 rows" in response.json()["detail"]
    assert (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()["total"] == 0


async def test_a_sheet_past_60_columns_is_refused_naming_the_limit(vendors_client: AsyncTestClient[Litestar],
                                                                   minter: AssertionMinter) -> None:
    api = VendorsApi(vendors_client, minter, random.Random(29))
    header = [*VENDOR_COLUMNS.values(), *(f"备注{index}" for index in range(MAX_COLUMNS))]
    for format, sheet in (("csv", csv_sheet), ("xlsx", xlsx_sheet)):
        content = sheet(header, [[api.new_uscc(), "某公司", *[""] * (len(header) - 2)]])
        response = await vendors_client.post("/api/v1/vendors/import", files={"file": (f"v.{format}", content)},
                                             headers=api.admin)
        assert response.status_code == 422, response.text
        assert response.json()["limit"] == MAX_COLUMNS and "60 columns" in response.json()["detail"]


async def test_an_upload_past_the_size_limit_is_a_413_naming_it(vendors_client: AsyncTestClient[Litestar],
                                                                minter: AssertionMinter,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert import_max_bytes() == DEFAULT_IMPORT_MAX_BYTES == 10 * 1024 * 1024
    header = ",".join(VENDOR_COLUMNS.values()).encode()
    content = header + b"\r\n" + b"x" * DEFAULT_IMPORT_MAX_BYTES
    response = await vendors_client.post("/api/v1/vendors/import", files={"file": ("v.csv", content)},
                                         headers=minter.headers("vendors", "bureau_admin"))
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["limit"] == DEFAULT_IMPORT_MAX_BYTES
    monkeypatch.setenv("SORTES_IMPORT_MAX_BYTES", "2048")
    assert import_max_bytes() == 2048
