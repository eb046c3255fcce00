"""Import and export of the pool as xlsx or csv, with the column headers of a bureau spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from services.experts.domain.spreadsheets import COLUMNS
from tests.experts.helpers import admin, audit_entries, create_expert, valid_id_number
from tests.support.sheets import csv_sheet, xlsx_sheet

HEADERS = list(COLUMNS.values())


def row(name: str, id_number: str, **changes: str) -> list[str]:
    cells = {"姓名": name, "身份证号": id_number, "出生日期": "", "工作单位": "平阳县教育局",
             "统一社会信用代码": "11330326862981311N", "职称": "高级工程师", "从业年限": "12",
             "主专业领域": "应用系统", "其他专业领域": "信息安全、DATA", "手机号码": "13900001111",
             "银行账号": "6222020000000000001", "最近培训日期": "2026/3/1"}
    cells.update(changes)
    return [cells[header] for header in HEADERS]


def csv_file(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    return csv_sheet(HEADERS, rows, encoding)


def xlsx_file(rows: list[list[object]]) -> bytes:
    return xlsx_sheet(HEADERS, rows)


async def upload(client, minter, content: bytes, filename: str, dry_run: bool = False):
    return await client.post("/api/v1/experts/import", params={"dry_run": str(dry_run).lower()},
                             files={"file": (filename, content)}, headers=admin(minter))


async def test_valid_rows_are_imported_and_the_others_reported_row_by_row(experts_client, minter) -> None:
    good, bad_check = valid_id_number(dt.date(1975, 6, 1)), valid_id_number(dt.date(1975, 6, 2))
    bad_check = bad_check[:17] + ("0" if bad_check[17] != "0" else "1")
    content = csv_file([
        row("周一", good, 出生日期="1975-06-01"),
        row("吴二", bad_check),
        row("郑三", valid_id_number(), 主专业领域="不存在的领域"),
        row("王四", valid_id_number(), 从业年限="很多"),
        row("冯五", good),  # the same person as row 2
        row("陈六", valid_id_number(), 出生日期="1990-01-01"),
    ])
    response = await upload(experts_client, minter, content, "专家.csv")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["created"], report["updated"], report["rejected"]) == (6, 1, 0, 5)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [
        (3, "身份证号"), (4, "主专业领域"), (5, "从业年限"), (6, "身份证号"), (7, "出生日期")]
    assert bad_check not in response.text and good not in response.text
    listed = (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()
    assert [(e["name"], e["fields"]) for e in listed["items"]] == [("周一", [
        {"code": "APP", "primary": True}, {"code": "DATA", "primary": False}, {"code": "SEC", "primary": False}])]
    detail = (await experts_client.get(f"/api/v1/experts/{listed['items'][0]['code']}", headers=admin(minter))).json()
    assert (detail["birth_date"], detail["last_trained_on"]) == ("1975-06-01", "2026-03-01")
    assert detail["personal_data"] == {"phone": "13900001111", "id_number": good, "bank_account": "6222020000000000001"}
    [summary] = await audit_entries(experts_client, minter, object_type="import")
    assert (summary["action"], summary["actor"], summary["details"]) == (
        "experts.imported", "user:admin", {"created": 1, "updated": 0})
    [entry] = [e for e in await audit_entries(experts_client, minter, object_id=detail["code"])
               if e["action"] != "personal_data.unmasked"]
    assert (entry["action"], entry["actor"], entry["details"]) == ("expert.created", "user:admin", {
        "import": summary["object_id"], "personal_data_changed": ["phone", "id_number", "bank_account"]})


async def test_a_dry_run_only_reports(experts_client, minter) -> None:
    response = await upload(experts_client, minter, csv_file([row("周一", valid_id_number())]), "a.csv",
                            dry_run=True)
    assert response.json()["created"] == 1 and response.json()["dry_run"] is True
    assert (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()["total"] == 0


async def test_a_reimport_updates_the_same_people(experts_client, minter) -> None:
    id_number = valid_id_number()
    existing = await create_expert(experts_client, minter, id_number=id_number, name="周一")
    xlsx = xlsx_file([row("周一", id_number.lower(), 职称="正高级工程师", 最近培训日期=""),
                      row("吴二", valid_id_number())])
    first = (await upload(experts_client, minter, xlsx, "pool.xlsx")).json()
    assert (first["created"], first["updated"], first["errors"]) == (1, 1, [])
    again = (await upload(experts_client, minter, xlsx, "pool.xlsx")).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)  # nothing differs: nothing written
    listed = (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()
    assert listed["total"] == 2
    updated = (await experts_client.get(f"/api/v1/experts/{existing['code']}", headers=admin(minter))).json()
    assert updated["title"] == "正高级工程师"
    assert updated["last_trained_on"] == existing["last_trained_on"]  # an empty cell keeps the stored date

    # Each import is in the expert's own history, by whom and which import, the digests following on.
    history = [e for e in reversed(await audit_entries(experts_client, minter, object_id=existing["code"]))
               if e["action"] != "personal_data.unmasked"]
    imports = [e["object_id"] for e in reversed(await audit_entries(experts_client, minter, object_type="import"))]
    assert len(imports) == 1
    assert [(e["action"], e["actor"], e["details"].get("import")) for e in history] == [
        ("expert.created", "user:admin", None), ("expert.updated", "user:admin", imports[0])]
    assert history[1]["before_digest"] == history[0]["after_digest"] != history[1]["after_digest"]
    assert history[1]["details"]["personal_data_changed"] == ["phone", "bank_account"]


async def test_gbk_csv_from_excel_is_read(experts_client, minter) -> None:
    response = await upload(experts_client, minter, csv_file([row("周一", valid_id_number())], "gb18030"), "a.csv")
    assert response.json()["created"] == 1, response.text


async def test_a_file_without_the_required_columns_is_refused_whole(experts_client, minter) -> None:
    response = await upload(experts_client, minter, "姓名,电话\n张三,1\n".encode(), "a.csv")
    assert response.status_code == 422
    assert "missing column 身份证号" in [error["message"] for error in response.json()["errors"]]
    broken = await upload(experts_client, minter, b"PK\x03\x04 not really a zip", "a.xlsx")
    assert broken.status_code == 422


@pytest.mark.parametrize("format", ["xlsx", "csv"])
async def test_the_template_has_the_import_columns_and_imports_as_it_is(experts_client, minter, format) -> None:
    response = await experts_client.get("/api/v1/experts/import-template", params={"format": format},
                                        headers=admin(minter))
    assert response.status_code == 200
    assert f"experts-template.{format}" in response.headers["content-disposition"]
    if format == "xlsx":
        header = [cell.value for cell in openpyxl.load_workbook(io.BytesIO(response.content)).active[1]]
    else:
        header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == [*HEADERS, "说明"]  # the note says what an empty cell and a "-" do
    assert "留空则保留库中已有的值" in response.content.decode("utf-8-sig" if format == "csv" else "latin-1",
                                                  errors="ignore") or format == "xlsx"
    dry = (await upload(experts_client, minter, response.content, f"t.{format}", dry_run=True)).json()
    assert (dry["created"], dry["errors"]) == (1, [])  # the example row itself is valid
    imported = (await upload(experts_client, minter, response.content, f"t.{format}")).json()
    assert (imported["created"], imported["errors"]) == (1, [])
    listed = await experts_client.get("/api/v1/experts", params={"q": "张三"}, headers=admin(minter))
    assert [item["name"] for item in listed.json()["items"]] == ["张三"]


async def test_exports_stream_the_pool_with_personal_data_masked(experts_client, minter) -> None:
    id_number = valid_id_number()
    created = await create_expert(experts_client, minter, id_number=id_number, name="周一")
    as_csv = await experts_client.get("/api/v1/experts/export", params={"format": "csv"}, headers=admin(minter))
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["专家编号", "姓名", "身份证号"]
    assert rows[1][:3] == [created["code"], "周一", created["personal_data"]["id_number"]]
    assert id_number not in as_csv.text and "13912345678" not in as_csv.text
    as_xlsx = await experts_client.get("/api/v1/experts/export", headers=minter.headers("experts", "auditor"))
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active
    assert [cell.value for cell in sheet[2]][:2] == [created["code"], "周一"]
    refused = await experts_client.get("/api/v1/experts/export", headers=minter.headers("experts", "organiser"))
    assert refused.status_code == 403


async def test_an_import_without_a_file_or_by_another_role_is_refused(experts_client, minter) -> None:
    no_file = await experts_client.post("/api/v1/experts/import", data={"note": "x"}, files={"other": ("a", b"")},
                                        headers=admin(minter))
    assert no_file.status_code in {400, 422}, no_file.text
    assert no_file.headers["content-type"].startswith("application/problem+json")
    organiser = await experts_client.post("/api/v1/experts/import", files={"file": ("a.csv", csv_file([]))},
                                          headers=minter.headers("experts", "organiser"))
    assert organiser.status_code == 403


async def test_every_problem_of_a_row_is_reported_with_its_column(experts_client, minter) -> None:
    young = valid_id_number(dt.date(2000, 5, 1))
    content = csv_file([
        row("", young, 从业年限="60", 手机号码="abc", 主专业领域="不存在的领域", 最近培训日期="昨天"),
        # An ID number encoding 1965 with a birth date in 1966.
        row("郑三", valid_id_number(dt.date(1965, 3, 1)), 出生日期="1966-03-01"),
    ])
    report = (await upload(experts_client, minter, content, "a.csv")).json()
    assert (report["created"], report["rejected"]) == (0, 2)
    assert sorted((e["row"], e["column"], e["code"]) for e in report["errors"]) == sorted([
        (2, "主专业领域", "expert.field_unassignable"), (2, "姓名", "field.required"),
        (2, "手机号码", "expert.phone"), (2, "最近培训日期", "sheet.not_a_date"),
        (2, "从业年限", "expert.years_exceed_age"),
        (3, "出生日期", "expert.birth_date_mismatch")])
    assert young not in str(report)
    # 60 years in the field for someone born in 2000, alone in its row.
    alone = (await upload(experts_client, minter, csv_file([row("王四", young, 从业年限="60")]), "b.csv")).json()
    assert [(e["column"], e["code"], e["params"]) for e in alone["errors"]] == [
        ("从业年限", "expert.years_exceed_age", {"most": alone["errors"][0]["params"]["most"], "age": 16})]
    assert (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()["total"] == 0


async def test_an_empty_optional_cell_keeps_the_stored_value_and_a_dash_clears_it(experts_client, minter) -> None:
    id_number = valid_id_number()
    created = await create_expert(experts_client, minter, id_number=id_number, name="周一", fields=[
        {"code": "APP", "primary": True}, {"code": "SEC", "primary": False}])
    url = f"/api/v1/experts/{created['code']}"
    kept = row("周一", id_number, 职称="正高级工程师", 其他专业领域="", 手机号码="", 银行账号="", 最近培训日期="")
    report = (await upload(experts_client, minter, csv_file([kept]), "a.csv")).json()
    assert (report["updated"], report["errors"]) == (1, [])
    detail = (await experts_client.get(url, headers=admin(minter))).json()
    assert detail["title"] == "正高级工程师"
    assert detail["fields"] == [{"code": "APP", "primary": True}, {"code": "SEC", "primary": False}]
    assert (detail["personal_data"]["phone"], detail["last_trained_on"]) == ("13912345678",
                                                                             created["last_trained_on"])

    cleared = row("周一", id_number, 职称="正高级工程师", 其他专业领域="-", 手机号码="-", 银行账号="", 最近培训日期="-")
    report = (await upload(experts_client, minter, xlsx_file([cleared]), "a.xlsx")).json()
    assert (report["updated"], report["errors"]) == (1, [])
    detail = (await experts_client.get(url, headers=admin(minter))).json()
    assert detail["fields"] == [{"code": "APP", "primary": True}]
    assert (detail["personal_data"]["phone"], detail["last_trained_on"]) == (None, None)
    assert detail["personal_data"]["bank_account"] == "6222021234567890123"


@pytest.mark.parametrize("format", ["csv", "xlsx"])
async def test_an_export_for_reimport_imports_back_with_no_change(experts_client, minter, format) -> None:
    await create_expert(experts_client, minter, name="周一", fields=[
        {"code": "APP", "primary": True}, {"code": "SEC", "primary": False}, {"code": "DATA", "primary": False}])
    await create_expert(experts_client, minter, name="=吴二", phone=None, bank_account=None, last_trained_on=None)
    await create_expert(experts_client, minter, name="无身份证号", id_number=None)  # found by its pool number
    retired = await create_expert(experts_client, minter, name="郑三")
    await experts_client.put(f"/api/v1/experts/{retired['code']}/status", headers=admin(minter),
                             json={"status": "retired", "reason": "本人申请"})
    for role in ("auditor", "organiser"):
        refused = await experts_client.get("/api/v1/experts/export", params={"for_reimport": "true"},
                                           headers=minter.headers("experts", role))
        assert refused.status_code == 403
    exported = await experts_client.get("/api/v1/experts/export", params={"for_reimport": "true", "format": format},
                                        headers=admin(minter))
    assert exported.status_code == 200
    assert "experts-reimport" in exported.headers["content-disposition"]
    [entry] = [e for e in await audit_entries(experts_client, minter) if e["action"] == "experts.exported_for_reimport"]
    assert (entry["actor"], entry["details"]["format"]) == ("user:admin", format)
    before = await audit_entries(experts_client, minter)

    report = (await upload(experts_client, minter, exported.content, f"pool.{format}")).json()
    assert (report["rows"], report["created"], report["updated"], report["unchanged"], report["errors"]) == (
        4, 0, 0, 4, [])
    after = await audit_entries(experts_client, minter)
    assert [e["action"] for e in after[:len(after) - len(before)]] == []  # 0 changes: nothing written
    if format == "csv":
        assert "'=吴二" in exported.content.decode("utf-8-sig")  # formula-safe, read back as the name


@pytest.mark.parametrize("format", ["csv", "xlsx"])
async def test_a_masked_export_says_it_cannot_be_reimported_and_the_import_refuses_it(
        experts_client, minter, format) -> None:
    await create_expert(experts_client, minter, name="周一")
    exported = await experts_client.get("/api/v1/experts/export", params={"format": format}, headers=admin(minter))
    if format == "csv":
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    else:
        rows = [[cell.value for cell in line] for line in openpyxl.load_workbook(io.BytesIO(exported.content)).active]
    assert rows[0][-1] == "说明" and "不能重新导入" in rows[1][-1]
    response = await upload(experts_client, minter, exported.content, f"pool.{format}")
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "sheet.masked_export"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("file", "sheet.masked_export")]


async def test_a_row_named_by_pool_number_alone_keeps_what_it_leaves_empty(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter, name="无身份证号", id_number=None, birth_date="1975-06-01")
    header = ["专家编号", *HEADERS]
    cells = dict(zip(HEADERS, row("无身份证号", "", 职称="教授级高工", 从业年限="15", 其他专业领域="", 手机号码="",
                                  银行账号="", 最近培训日期=""), strict=True))
    content = csv_sheet(header, [[created["code"], *cells.values()], ["E99999", *cells.values()]])
    report = (await upload(experts_client, minter, content, "a.csv")).json()
    assert (report["updated"], [(e["row"], e["column"]) for e in report["errors"]]) == (1, [(3, "身份证号")])
    detail = (await experts_client.get(f"/api/v1/experts/{created['code']}", headers=admin(minter))).json()
    assert (detail["title"], detail["birth_date"], detail["personal_data"]["id_number"]) == (
        "教授级高工", "1975-06-01", None)
