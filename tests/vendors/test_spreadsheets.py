"""Import and export of the registry as xlsx or csv, with the column headers of a bureau's register."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest

from services.vendors.domain.spreadsheets import COLUMNS, EXPORT_COLUMNS, MASKED_ID_HEADER
from shared.clock import beijing_today
from tests.support.sheets import csv_sheet, xlsx_sheet
from tests.vendors.conftest import VendorsApi, valid_id_number
from tests.vendors.test_exclusions import exclusion

HEADERS = list(COLUMNS.values())


def row(uscc: str, name: str, **changes: str) -> list[str]:
    cells = dict.fromkeys(HEADERS, "") | {"统一社会信用代码": uscc, "供应商名称": name}
    cells.update(changes)
    return [cells[header] for header in HEADERS]


def csv_file(rows: list[list[str]], headers: list[str] = HEADERS, encoding: str = "utf-8-sig") -> bytes:
    return csv_sheet(headers, rows, encoding)


def xlsx_file(rows: list[list[Any]]) -> bytes:
    return xlsx_sheet(HEADERS, rows)


async def upload(api: VendorsApi, content: bytes, filename: str, dry_run: bool = False,
                 headers: dict[str, str] | None = None):
    return await api.client.post("/api/v1/vendors/import", params={"dry_run": str(dry_run).lower()},
                                 files={"file": (filename, content)}, headers=headers or api.admin)


async def listed(api: VendorsApi) -> dict[str, Any]:
    return (await api.client.get("/api/v1/vendors", headers=api.admin)).json()


async def import_entries(api: VendorsApi) -> list[dict[str, Any]]:
    response = await api.client.get("/api/v1/audit", params={"object_type": "import"}, headers=api.headers("auditor"))
    return response.json()["items"]


@pytest.mark.parametrize("format", ["xlsx", "csv"])
async def test_the_template_imports_as_it_is(api: VendorsApi, format: str) -> None:
    response = await api.client.get("/api/v1/vendors/import-template", params={"format": format},
                                    headers=api.admin)
    assert response.status_code == 200, response.text
    assert f"vendors-template.{format}" in response.headers["content-disposition"]
    if format == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert [cell.value for cell in sheet[1]] == HEADERS
    else:
        assert next(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))) == HEADERS
    dry = (await upload(api, response.content, f"t.{format}", dry_run=True)).json()
    assert (dry["created"], dry["errors"]) == (1, [])
    imported = (await upload(api, response.content, f"t.{format}")).json()
    assert (imported["created"], imported["dry_run"]) == (1, False)
    vendor = (await listed(api))["items"][0]
    assert (vendor["name"], vendor["legal_representative"]["name"]) == ("平阳县示例信息技术有限公司", "陈建国")
    assert [(q["name"], q["valid_until"]) for q in vendor["qualifications"]] == [
        ("信息系统建设和服务能力等级证书", "2027-12-31"), ("ISO/IEC 27001", None)]


async def test_valid_rows_are_imported_and_the_others_reported_row_by_row(api: VendorsApi) -> None:
    good, other = api.new_uscc(), api.new_uscc()
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    id_number = valid_id_number(11)
    bad_id = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    content = csv_file([
        row(good, "浙江甲科技有限公司", 状态="正常", 法定代表人="陈建国", 法定代表人身份证号=id_number,
            资质名称="ISO 9001；CS2", 资质证书编号="Q-1；CS2-9", 资质有效期至="2028/1/31"),  # row 2
        row(bad_check, "乙公司"),  # 3
        row(api.new_uscc(), ""),  # 4
        row(api.new_uscc(), "丙公司", 法定代表人="李四", 法定代表人身份证号=bad_id),  # 5
        row(api.new_uscc(), "丁公司", 法定代表人身份证号=valid_id_number(12)),  # 6
        row(api.new_uscc(), "戊公司", 状态="良好"),  # 7
        row(api.new_uscc(), "己公司", 资质名称="ISO 9001；CS2", 资质证书编号="Q-1"),  # 8
        row(api.new_uscc(), "庚公司", 资质名称="ISO 9001", 资质证书编号="Q-1", 资质有效期至="明年"),  # 9
        row(good, "甲公司重复"),  # 10: the same vendor as row 2
        row(api.new_uscc(), "名" * 201),  # 11
        row(api.new_uscc(), "辛公司", 资质名称="ISO 9001；ISO 9001", 资质证书编号="Q-1；Q-1"),  # 12
        row(other.lower(), "壬公司", 状态="suspended"),  # 13: a lower-case USCC is read as upper case
        row(api.new_uscc(), "癸公司", 法定代表人="赵六"),  # 14: a new representative needs the ID number
    ])
    response = await upload(api, content, "供应商.csv")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["created"], report["updated"], report["unchanged"], report["rejected"]) == (
        13, 2, 0, 0, 11)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [
        (3, "统一社会信用代码"), (4, "供应商名称"), (5, "法定代表人身份证号"), (6, "法定代表人"), (7, "状态"),
        (8, "资质证书编号"), (9, "资质有效期至"), (10, "统一社会信用代码"), (11, "供应商名称"), (12, "资质名称"),
        (14, "法定代表人身份证号")]
    assert "row 2" in report["errors"][7]["message"]
    assert (report["errors"][8]["code"], report["errors"][8]["params"]) == ("field.too_long", {"max": 200})  # row 11
    assert id_number not in response.text and bad_id not in response.text  # personal data is never echoed

    vendors = {v["uscc"]: v for v in (await listed(api))["items"]}
    assert sorted(vendors) == sorted([good, other])
    assert vendors[other]["status"] == "suspended"
    assert [(q["certificate_number"], q["valid_until"]) for q in vendors[good]["qualifications"]] == [
        ("Q-1", "2028-01-31"), ("CS2-9", None)]
    detail = (await api.client.get(f"/api/v1/vendors/{good}", headers=api.admin)).json()
    assert detail["legal_representative"]["id_number"] == id_number
    assert [(e["action"], e["details"]) for e in await import_entries(api)] == [
        ("vendors.imported", {"created": [good, other], "updated": {}})]


async def test_a_dry_run_only_reports(api: VendorsApi) -> None:
    existing = await api.vendor(name="浙江旧名有限公司")
    content = csv_file([row(api.new_uscc(), "新公司"), row(existing, "浙江新名有限公司")])
    before = await api.audit_actions()
    response = await upload(api, content, "a.csv", dry_run=True)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["created"], report["updated"], report["errors"]) == (True, 1, 1, [])
    vendors = (await listed(api))["items"]
    assert [(v["uscc"], v["name"], v["aliases"]) for v in vendors] == [(existing, "浙江旧名有限公司", [])]
    assert await api.audit_actions() == before


async def test_a_reimport_updates_the_same_vendor_and_keeps_the_former_name(api: VendorsApi) -> None:
    id_number = valid_id_number(21)
    uscc = await api.vendor(name="浙江旧名有限公司", legal_representative={"name": "陈建国", "id_number": id_number},
                            qualifications=[{"name": "ISO 9001", "certificate_number": "Q-1"}])
    sheet = xlsx_file([row(uscc, "浙江新名有限公司", 状态="暂停"), row(api.new_uscc(), "另一家有限公司")])
    first = (await upload(api, sheet, "registry.xlsx")).json()
    assert (first["created"], first["updated"], first["unchanged"], first["errors"]) == (1, 1, 0, [])
    vendor = (await api.client.get(f"/api/v1/vendors/{uscc}", headers=api.admin)).json()
    assert (vendor["name"], vendor["status"]) == ("浙江新名有限公司", "suspended")
    assert [alias["name"] for alias in vendor["aliases"]] == ["浙江旧名有限公司"]
    # Empty cells keep what is stored: the legal representative and the qualifications.
    assert vendor["legal_representative"]["id_number"] == id_number
    assert [q["certificate_number"] for q in vendor["qualifications"]] == ["Q-1"]
    entry = (await import_entries(api))[0]
    assert entry["details"]["updated"] == {uscc: ["name", "status"]}

    again = (await upload(api, sheet, "registry.xlsx")).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert (await listed(api))["total"] == 2
    assert len(await import_entries(api)) == 1  # nothing changed, so nothing is recorded
    replaced = (await upload(api, csv_file([row(uscc, "浙江新名有限公司", 法定代表人="林海燕",
                                                 法定代表人身份证号=valid_id_number(22))]), "a.csv")).json()
    assert replaced["updated"] == 1
    vendor = (await api.client.get(f"/api/v1/vendors/{uscc}", headers=api.admin)).json()
    assert vendor["legal_representative"] == {"name": "林海燕", "id_number": valid_id_number(22),
                                              "id_number_masked": False}


async def test_exports_stream_the_registry_masked_and_import_back_unchanged(api: VendorsApi) -> None:
    id_number = valid_id_number(31)
    uscc = await api.vendor(name="浙江旧名有限公司", legal_representative={"name": "陈建国", "id_number": id_number},
                            qualifications=[{"name": "ISO 9001", "certificate_number": "Q-1",
                                             "valid_until": "2027-06-30"},
                                            {"name": "CS2", "certificate_number": "CS2-9"}])
    await api.client.patch(f"/api/v1/vendors/{uscc}", json={"name": "浙江新名有限公司"}, headers=api.admin)
    plain = await api.vendor(name="浙江简单有限公司")
    until = beijing_today() + dt.timedelta(days=100)
    debarred = await api.client.post("/api/v1/exclusions", headers=api.admin,
                                     json=exclusion(plain, beijing_today() - dt.timedelta(days=1), until))
    assert debarred.status_code == 201, debarred.text

    as_csv = await api.client.get("/api/v1/vendors/export", params={"format": "csv"}, headers=api.admin)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0] == EXPORT_COLUMNS and MASKED_ID_HEADER in rows[0]
    by_uscc = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert sorted(by_uscc) == sorted([uscc, plain])
    exported = by_uscc[uscc]
    assert (exported["供应商名称"], exported["状态"], exported["法定代表人"], exported[MASKED_ID_HEADER]) == (
        "浙江新名有限公司", "正常", "陈建国", "*" * 14 + id_number[-4:])
    assert (exported["资质名称"], exported["资质证书编号"], exported["资质有效期至"], exported["曾用名"]) == (
        "ISO 9001；CS2", "Q-1；CS2-9", "2027-06-30；", "浙江旧名有限公司")
    assert id_number not in as_csv.text
    # A vendor under an active exclusion shows as such here too, as in every listing.
    assert (exported["禁止参加政府采购"], by_uscc[plain]["禁止参加政府采购"]) == ("否", f"是（至 {until.isoformat()}）")

    as_xlsx = await api.client.get("/api/v1/vendors/export", headers=api.admin)
    assert as_xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active
    values = [[cell.value or "" for cell in line] for line in sheet.iter_rows()]
    assert values[0] == EXPORT_COLUMNS
    assert sorted(line[:2] for line in values[1:]) == sorted([[uscc, "浙江新名有限公司"], [plain, "浙江简单有限公司"]])

    for content, filename in ((as_csv.content, "export.csv"), (as_xlsx.content, "export.xlsx")):
        back = (await upload(api, content, filename)).json()
        assert (back["created"], back["updated"], back["unchanged"], back["errors"]) == (0, 0, 2, [])
    detail = (await api.client.get(f"/api/v1/vendors/{uscc}", headers=api.admin)).json()
    assert detail["legal_representative"]["id_number"] == id_number


async def test_unreadable_files_and_missing_columns_are_refused_whole(api: VendorsApi) -> None:
    missing = await upload(api, "供应商名称,电话\n甲公司,1\n".encode(), "a.csv")
    assert missing.status_code == 422
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["code"] == "sheet.columns_missing"
    assert missing.json()["errors"] == [{"field": "file", "code": "sheet.column_missing",
                                         "message": "missing column 统一社会信用代码",
                                         "params": {"column": "统一社会信用代码"}, "source": "body"}]
    for content, filename in ((b"PK\x03\x04 not really a zip", "a.xlsx"),
                              (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "logo.png"), (b"", "empty.csv")):
        refused = await upload(api, content, filename)
        assert refused.status_code == 422, (filename, refused.text)
        assert refused.json()["errors"][0]["field"] == "file"
    no_file = await api.client.post("/api/v1/vendors/import", files={"other": ("a", b"")}, headers=api.admin)
    assert no_file.status_code in {400, 422}, no_file.text
    assert no_file.headers["content-type"].startswith("application/problem+json")
    assert (await listed(api))["total"] == 0


@pytest.mark.parametrize("role", ["rater", "procurement_officer", "auditor", "vendor"])
async def test_only_bureau_admins_import_and_export(api: VendorsApi, role: str) -> None:
    headers = api.headers(role)
    assert (await upload(api, csv_file([row(api.new_uscc(), "甲公司")]), "a.csv", headers=headers)).status_code == 403
    assert (await api.client.get("/api/v1/vendors/export", headers=headers)).status_code == 403
    assert (await api.client.get("/api/v1/vendors/import-template", headers=headers)).status_code == 403


async def test_a_sheet_of_more_than_a_thousand_new_vendors_imports_every_one(api: VendorsApi) -> None:
    # The new vendors are inserted a thousand at a time: the 1,001st starts the second statement.
    usccs = [api.new_uscc() for _ in range(1001)]
    response = await upload(api, csv_file([row(uscc, f"供应商{index:04d}") for index, uscc in enumerate(usccs)]),
                            "vendors.csv")
    assert response.status_code == 200, response.text
    assert (await listed(api))["total"] == 1001
    last = await api.client.get(f"/api/v1/vendors/{usccs[-1]}", headers=api.admin)
    assert (last.status_code, last.json()["name"]) == (200, "供应商1000")
