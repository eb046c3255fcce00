"""Edges of the pool's spreadsheet import and export: which row, column, code and params each refusal names.

Pins: an invalid ID number; other fields that cannot be given (unknown, retired, more than three in
all, stored ones counted when the cell is empty); values over the API's limits, each with its limit;
a pool-number row leaving a required cell empty; a refused cell setting off no follow-on problem; the
stored other fields kept when the primary field changes; the (configured) age limit for new experts;
pool numbers following the highest; the progress an import reports; sheets of more than 5000 rows;
every cell of both exports.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select, update

from services.experts.domain.spreadsheets import MASKED_NOTE, import_experts
from services.experts.models import Expert, ExpertField
from services.experts.settings import PoolRules
from shared.audit import operator_actor
from shared.identifiers import id_number_check_character
from tests.experts.helpers import admin, create_expert, direct_database, id_number_ending_in_x, valid_id_number
from tests.experts.test_spreadsheets import HEADERS, csv_file, row, upload
from tests.support.sheets import csv_sheet


def refusals(report: dict) -> list[tuple[int, str, str, dict]]:
    return [(e["row"], e["column"], e["code"], e["params"]) for e in report["errors"]]


async def pool_total(client, minter) -> int:
    return (await client.get("/api/v1/experts", headers=admin(minter))).json()["total"]


async def test_an_invalid_id_number_is_refused_in_its_row_with_the_reason(experts_client, minter) -> None:
    good = valid_id_number(dt.date(1975, 6, 1))
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    impossible = "330326" + "19801301" + "001"  # born in month 13
    impossible += id_number_check_character(impossible)
    numbers = [bad_check, good[:17], "33032619800101A01X", impossible]
    content = csv_file([row("周一", number) for number in numbers])
    response = await upload(experts_client, minter, content, "a.csv")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["created"], report["rejected"]) == (4, 0, 4)
    assert refusals(report) == [
        (2, "身份证号", "id_number.check_digit", {}), (3, "身份证号", "field.length_18", {}),
        (4, "身份证号", "id_number.digits", {}), (5, "身份证号", "id_number.birth_date", {})]
    assert [e["message"] for e in report["errors"]][:2] == [
        "check digit does not match (GB 11643)", "must be 18 characters"]
    assert not any(number in response.text for number in numbers)  # never the personal data itself
    assert await pool_total(experts_client, minter) == 0


async def test_other_fields_that_do_not_exist_or_are_retired_are_refused(experts_client, minter) -> None:
    retired = await experts_client.patch("/api/v1/fields/COST", json={"retired": True}, headers=admin(minter))
    assert retired.status_code == 200, retired.text
    content = csv_file([
        row("周一", valid_id_number(), 其他专业领域="信息安全、不存在的领域"),
        row("吴二", valid_id_number(), 其他专业领域="造价与财务"),
        row("郑三", valid_id_number(), 其他专业领域="NOPE"),
        row("王四", valid_id_number(), 其他专业领域="信息安全"),
    ])
    report = (await upload(experts_client, minter, content, "a.csv")).json()
    assert (report["created"], report["rejected"]) == (1, 3)
    assert refusals(report) == [(number, "其他专业领域", "expert.field_unassignable", {}) for number in (2, 3, 4)]
    listed = (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()
    assert [(e["name"], e["fields"]) for e in listed["items"]] == [
        ("王四", [{"code": "APP", "primary": True}, {"code": "SEC", "primary": False}])]


async def test_an_expert_holds_at_most_three_fields_the_primary_one_included(experts_client, minter) -> None:
    content = csv_file([
        row("周一", valid_id_number(), 其他专业领域="信息安全、数据资源、云平台"),
        # The primary field named again among the others is not counted twice.
        row("吴二", valid_id_number(), 其他专业领域="应用系统、信息安全、数据资源"),
    ])
    report = (await upload(experts_client, minter, content, "a.csv")).json()
    assert (report["created"], report["rejected"]) == (1, 1)
    assert refusals(report) == [(2, "其他专业领域", "expert.too_many_fields", {})]
    assert report["errors"][0]["message"] == "an expert holds at most 3 fields"
    listed = (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()
    assert [(e["name"], e["fields"]) for e in listed["items"]] == [("吴二", [
        {"code": "APP", "primary": True}, {"code": "DATA", "primary": False}, {"code": "SEC", "primary": False}])]


async def test_values_over_the_api_limits_are_each_reported_with_the_limit(experts_client, minter) -> None:
    content = csv_file([
        row("周" * 51, valid_id_number(), 职称="职" * 51, 工作单位="单" * 201, 从业年限="71", 手机号码="1" * 31,
            银行账号="6" * 41),
        row("吴" * 50, valid_id_number(), 职称="职" * 50, 工作单位="单" * 200, 从业年限="30"),  # at the limits
    ])
    report = (await upload(experts_client, minter, content, "a.csv")).json()
    assert (report["created"], report["rejected"]) == (1, 1)
    assert refusals(report) == [
        (2, "姓名", "field.too_long", {"max": 50}), (2, "工作单位", "field.too_long", {"max": 200}),
        (2, "职称", "field.too_long", {"max": 50}), (2, "从业年限", "field.too_large", {"max": 70}),
        (2, "手机号码", "field.too_long", {"max": 30}), (2, "银行账号", "field.too_long", {"max": 40})]
    assert report["errors"][0]["message"] == "Expected `str` of length <= 50"
    listed = (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()
    assert [e["name"] for e in listed["items"]] == ["吴" * 50]


async def test_a_row_named_by_pool_number_still_needs_its_other_required_cells(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter, name="无身份证号", id_number=None, birth_date="1975-06-01")
    header = ["专家编号", *HEADERS]
    unnamed = dict(zip(HEADERS, row("", "", 从业年限="15"), strict=True))
    content = csv_sheet(header, [[created["code"], *unnamed.values()],
                                 ["", *row("吴二", "", 从业年限="很多")]])  # no pool number: the ID number is needed
    report = (await upload(experts_client, minter, content, "a.csv")).json()
    assert (report["updated"], report["rejected"]) == (0, 2)
    assert refusals(report) == [(2, "姓名", "field.required", {}), (3, "身份证号", "field.required", {}),
                                (3, "从业年限", "expert.whole_years", {})]
    detail = (await experts_client.get(f"/api/v1/experts/{created['code']}", headers=admin(minter))).json()
    assert (detail["name"], detail["years_in_field"]) == ("无身份证号", created["years_in_field"])


async def test_a_refused_birth_date_cell_sets_off_no_check_against_it(experts_client, minter) -> None:
    # Born in 2000 by the ID number, 60 years in the field: the unreadable birth date is the one problem
    # named; the years are checked once the birth date is readable.
    young = valid_id_number(dt.date(2000, 5, 1))
    report = (await upload(experts_client, minter, csv_file([row("王四", young, 出生日期="昨天", 从业年限="60")]),
                           "a.csv")).json()
    assert refusals(report) == [(2, "出生日期", "sheet.not_a_date", {})]
    fixed = (await upload(experts_client, minter, csv_file([row("王四", young, 出生日期="2000-05-01", 从业年限="60")]),
                          "a.csv", dry_run=True)).json()
    assert [(e["column"], e["code"]) for e in fixed["errors"]] == [("从业年限", "expert.years_exceed_age")]


async def test_a_new_primary_field_with_the_other_fields_cell_empty_keeps_the_stored_others(
        experts_client, minter) -> None:
    id_number = valid_id_number()
    created = await create_expert(experts_client, minter, id_number=id_number, name="周一", fields=[
        {"code": "APP", "primary": True}, {"code": "SEC", "primary": False}])
    content = csv_file([row("周一", id_number, 主专业领域="数据资源", 其他专业领域="")])
    report = (await upload(experts_client, minter, content, "a.csv")).json()
    assert (report["updated"], report["errors"]) == (1, [])
    detail = (await experts_client.get(f"/api/v1/experts/{created['code']}", headers=admin(minter))).json()
    assert detail["fields"] == [{"code": "DATA", "primary": True}, {"code": "SEC", "primary": False}]


async def test_a_new_expert_at_or_over_the_age_limit_is_refused(experts_client, minter) -> None:
    old = dt.date(dt.date.today().year - 75, 1, 1)
    content = csv_file([row("周一", valid_id_number(old)), row("吴二", valid_id_number())])
    report = (await upload(experts_client, minter, content, "a.csv")).json()
    assert (report["created"], report["rejected"]) == (1, 1)
    assert refusals(report) == [(2, "出生日期", "expert.over_age_limit", {"max_age": 70})]
    listed = (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()
    assert [e["name"] for e in listed["items"]] == ["吴二"]


async def test_an_empty_other_fields_cell_counts_the_stored_other_fields(experts_client, minter) -> None:
    three = [{"code": "APP", "primary": True}, {"code": "SEC", "primary": False}, {"code": "DATA", "primary": False}]
    legacy_id, moving_id = valid_id_number(), valid_id_number()
    legacy = await create_expert(experts_client, minter, id_number=legacy_id, name="周一", fields=three)
    moving = await create_expert(experts_client, minter, id_number=moving_id, name="吴二", fields=three)
    async with direct_database(experts_client) as database, database.transaction() as session:
        # A fourth field, from before the limit of three.
        expert_id = (await session.execute(select(Expert.id).where(Expert.code == legacy["code"]))).scalar_one()
        session.add(ExpertField(expert_id=expert_id, field_code="CLOUD", is_primary=False))
    content = csv_file([
        row("周一", legacy_id, 其他专业领域=""),
        # The old primary field goes, the two stored others stay beside the new primary: three in all.
        row("吴二", moving_id, 主专业领域="云平台", 其他专业领域=""),
        row("郑三", valid_id_number(), 其他专业领域=""),  # a new expert: only the primary field
    ])
    report = (await upload(experts_client, minter, content, "a.csv")).json()
    assert (report["created"], report["updated"], report["rejected"]) == (1, 1, 1)
    assert refusals(report) == [(2, "其他专业领域", "expert.too_many_fields", {})]
    detail = (await experts_client.get(f"/api/v1/experts/{moving['code']}", headers=admin(minter))).json()
    assert detail["fields"] == [
        {"code": "CLOUD", "primary": True}, {"code": "DATA", "primary": False}, {"code": "SEC", "primary": False}]
    listed = (await experts_client.get("/api/v1/experts", params={"q": "郑三"}, headers=admin(minter))).json()
    assert [e["fields"] for e in listed["items"]] == [[{"code": "APP", "primary": True}]]


async def test_imported_experts_take_the_pool_numbers_after_the_highest(experts_client, minter) -> None:
    first = await create_expert(experts_client, minter, name="周一")
    async with direct_database(experts_client) as database, database.transaction() as session:
        await session.execute(update(Expert).where(Expert.code == first["code"]).values(code="E12345"))
    content = csv_file([row("吴二", valid_id_number()), row("郑三", valid_id_number())])
    assert (await upload(experts_client, minter, content, "a.csv")).json()["created"] == 2
    listed = (await experts_client.get("/api/v1/experts", params={"sort": "code"}, headers=admin(minter))).json()
    assert [(e["code"], e["name"]) for e in listed["items"]] == [("E12345", "周一"), ("E12346", "吴二"),
                                                                   ("E12347", "郑三")]


async def run_import(client, rows: list[list[str]], *, rules: PoolRules | None = None,
                     dry_run: bool = False) -> tuple[dict, list[tuple[str, int, int]]]:
    """The import as the ``sortes experts import`` command runs it, with the progress it reports."""
    progress: list[tuple[str, int, int]] = []
    async with direct_database(client) as database, database.transaction() as session:
        report = await import_experts(session, client.app.state.audit, operator_actor(), client.app.state.vault,
                                      [dict(zip(HEADERS, cells, strict=True)) for cells in rows], dry_run=dry_run,
                                      rules=rules, progress=lambda *step: progress.append(step))
    return {"created": report.created, "errors": [(e.row, e.column, e.code, e.params) for e in report.errors]}, progress


async def test_an_import_reports_its_progress_row_by_row_then_expert_by_expert(experts_client, minter) -> None:
    known = valid_id_number()
    await create_expert(experts_client, minter, id_number=known, name="周一")
    report, progress = await run_import(experts_client, [
        row("周一", known, 职称="正高级工程师"), row("吴二", valid_id_number()), row("郑三", "1")])
    assert report["created"] == 1
    assert progress == [("checking", 1, 3), ("checking", 2, 3), ("checking", 3, 3),
                        ("writing", 1, 2), ("writing", 2, 2)]


async def test_the_age_limit_is_the_configured_one(experts_client, minter) -> None:
    sixty_five = valid_id_number(dt.date(dt.date.today().year - 66, 1, 1))
    report, _ = await run_import(experts_client, [row("周一", sixty_five)], rules=PoolRules(max_age=65), dry_run=True)
    assert (report["created"], report["errors"]) == (0, [(2, "出生日期", "expert.over_age_limit", {"max_age": 65})])
    report, _ = await run_import(experts_client, [row("周一", sixty_five)], dry_run=True)  # the default: 70
    assert (report["created"], report["errors"]) == (1, [])


async def test_a_sheet_of_more_than_5000_rows_finds_every_stored_expert(experts_client, minter) -> None:
    # The stored experts are looked up 5000 keys at a time: the one in row 5002 (key 5001) is found too.
    known = valid_id_number(dt.date(1979, 1, 1))
    stored = await create_expert(experts_client, minter, id_number=known, name="周一", birth_date="1979-01-01")
    new = [row(f"专家{n}", valid_id_number(dt.date(1980, 1, 1) + dt.timedelta(days=n // 900), n % 900 + 1))
           for n in range(5000)]
    report, _ = await run_import(experts_client, [*new, row("周一", known, 职称="正高级工程师")], dry_run=True)
    assert (report["created"], report["errors"]) == (5000, [])
    by_code = [{**dict(zip(HEADERS, cells, strict=True)), "专家编号": code} for cells, code in [
        *((row(f"专家{n}", "", 从业年限="15"), f"E9{n:05d}") for n in range(5000)),
        (row("周一", "", 职称="正高级工程师"), stored["code"])]]
    async with direct_database(experts_client) as database, database.transaction() as session:
        found = await import_experts(session, experts_client.app.state.audit, operator_actor(),
                                     experts_client.app.state.vault, by_code, dry_run=True)
    assert (found.updated, found.rejected, found.errors[-1].row) == (1, 5000, 5001)


async def test_both_exports_give_every_cell_of_an_expert(experts_client, minter) -> None:
    id_number = valid_id_number(dt.date(1980, 1, 1))
    created = await create_expert(experts_client, minter, id_number=id_number, name="周一",
                                  last_trained_on="2026-03-01",
                                  fields=[{"code": "APP", "primary": True}, {"code": "SEC", "primary": False}])
    masked = created["personal_data"]

    async def exported(**params: str) -> list[list[str]]:
        response = await experts_client.get("/api/v1/experts/export", params={"format": "csv", **params},
                                            headers=admin(minter))
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))

    [_, line] = await exported()
    unit = ["平阳县大数据发展管理局", "11330326862981311N", "高级工程师", "15", "应用系统", "信息安全"]
    assert line == [created["code"], "周一", masked["id_number"], "1980", *unit, masked["phone"],
                    masked["bank_account"], "2026-03-01", "在库", MASKED_NOTE]
    assert masked["phone"] != "13912345678" and masked["bank_account"]
    [_, line] = await exported(for_reimport="true")
    assert line == [created["code"], "周一", id_number, "1980-01-01", *unit, "13912345678", "6222021234567890123",
                    "2026-03-01", "在库"]


async def test_a_field_listed_twice_among_the_other_fields_is_refused_in_its_row_not_a_server_error(
        experts_client, minter) -> None:
    content = csv_file([row("周一", valid_id_number(), 其他专业领域="信息安全、信息安全"),
                        row("吴二", valid_id_number(), 其他专业领域="信息安全、SEC"),  # by name and by code
                        row("郑三", valid_id_number(), 其他专业领域="信息安全")])
    for dry_run in (True, False):
        response = await upload(experts_client, minter, content, "a.csv", dry_run=dry_run)
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["created"], report["rejected"]) == (1, 2)
        assert refusals(report) == [(2, "其他专业领域", "field.listed_twice", {}),
                                    (3, "其他专业领域", "field.listed_twice", {})]
    listed = (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()
    assert [e["name"] for e in listed["items"]] == ["郑三"]


async def test_a_unit_code_of_the_wrong_length_hides_none_of_the_rows_other_problems(experts_client, minter) -> None:
    content = csv_file([row("周" * 51, valid_id_number(), 统一社会信用代码="1133032686298131", 职称="职" * 51)])
    report = (await upload(experts_client, minter, content, "a.csv")).json()
    assert refusals(report) == [
        (2, "姓名", "field.too_long", {"max": 50}), (2, "统一社会信用代码", "field.too_short", {"min": 18}),
        (2, "职称", "field.too_long", {"max": 50})]


async def test_a_stored_id_number_given_with_a_small_x_is_no_change(experts_client, minter) -> None:
    with_x = id_number_ending_in_x()
    first = (await upload(experts_client, minter, csv_file([row("周一", with_x)]), "a.csv")).json()
    assert (first["created"], first["errors"]) == (1, [])
    again = (await upload(experts_client, minter, csv_file([row("周一", with_x.lower())]), "a.csv")).json()
    assert (again["created"], again["updated"], again["errors"]) == (0, 0, [])
