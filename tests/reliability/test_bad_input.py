"""A catalogue of bad input: malformed codes, wrong types, injection strings, Unicode edge cases,
oversized bodies and duplicate imports. Each is answered with a 4xx problem document naming the field
(a path segment that names nothing is a 404), and no table gains or loses a row.

Field-by-field refusals of each resource live beside it (tests/experts/test_experts.py,
tests/vendors/test_conflict_checks.py, …); this file walks the same kinds of bad input across both
services so that one place shows the whole list.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from shared.errors import MAX_BODY_BYTES
from tests.conftest import ADMIN_API_KEY
from tests.experts.helpers import OTHER_UNIT, admin, direct_database, profile, valid_id_number
from tests.experts.test_panels import ask_panel, build_pool, register_project, reveal, supervisor
from tests.support.identity import AssertionMinter

SQL_INJECTION = "'; DROP TABLE experts; --"
INJECTIONS = [SQL_INJECTION, "{{7*7}}", "${7*7}", "' OR '1'='1", "<script>alert(1)</script>", "%s%s%n"]
PROBLEM = "application/problem+json"
GOOD_USCC = "91330326MA2CT8U6X4"


async def row_counts(client: Any) -> dict[str, int]:
    """Rows in every table of the service's database."""
    for attempt in range(5):
        try:
            async with direct_database(client) as database, database.reading() as session:
                connection = await session.connection()
                tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
                return {table: (await session.execute(text(f'SELECT count(*) FROM "{table}"'))).scalar_one()
                        for table in tables if table != "alembic_version"}
        except OperationalError as error:
            # Seen once on SQLite while the service's start-up job was writing: the count is the
            # test's own read, so it tries again rather than fail the check it only prepares.
            if "locked" not in str(error) or attempt == 4:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


def assert_refused(response: Any, field: str, status: int = 422) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    assert field in [error["field"] for error in problem.get("errors", [])], problem


# --- malformed identifiers and wrong types -------------------------------------------------------

FIRST17 = "33032619800101001"
BAD_EXPERT_PROFILES = {
    "USCC with a wrong check character": ({"unit_uscc": "91330326MA2CT8U6X5"}, "unit_uscc"),
    "USCC in lower case": ({"unit_uscc": GOOD_USCC.lower()}, "unit_uscc"),
    "USCC with a letter GB 32100 leaves out (O)": ({"unit_uscc": "91330326MA2CT8U6O4"}, "unit_uscc"),
    "USCC of 17 characters": ({"unit_uscc": GOOD_USCC[:17]}, "unit_uscc"),
    "USCC of full-width characters": ({"unit_uscc": "９１３３０３２６ＭＡ２ＣＴ８Ｕ６Ｘ４"}, "unit_uscc"),
    "ID number with a wrong check digit": ({"id_number": FIRST17 + "0"}, "id_number"),
    "ID number of the old 15-digit form": ({"id_number": "330326800101001"}, "id_number"),
    "ID number with 30 February": ({"id_number": "33032619800230001" + "X"}, "id_number"),
    "ID number with letters": ({"id_number": "3303261980ABCD0010"}, "id_number"),
    "years in field as text": ({"years_in_field": "fifteen"}, "years_in_field"),
    "years in field as a float": ({"years_in_field": 1.5}, "years_in_field"),
    "fields as a string": ({"fields": "APP"}, "fields"),
    "birth date as a number": ({"birth_date": 19800101}, "birth_date"),
    "birth date that does not exist": ({"birth_date": "1980-02-30"}, "birth_date"),
    "name as a list": ({"name": ["王建国"]}, "name"),
    "name null": ({"name": None}, "name"),
    "name empty": ({"name": ""}, "name"),
    "name too long": ({"name": "王" * 51}, "name"),
}


async def test_bad_expert_profiles_are_refused_naming_the_field(experts_client, minter: AssertionMinter,
                                                                subtests: Any) -> None:
    before = await row_counts(experts_client)
    for case, (changes, field) in BAD_EXPERT_PROFILES.items():
        with subtests.test(case):
            response = await experts_client.post("/api/v1/experts", json=profile(**changes), headers=admin(minter))
            assert_refused(response, field)
            assert FIRST17 not in response.text  # an ID number is never echoed, not even a wrong one
    assert await row_counts(experts_client) == before


BAD_VENDORS = {
    "USCC with a wrong check character": ({"uscc": "91330326MA2CT8U6X5"}, "uscc"),
    "USCC in lower case": ({"uscc": GOOD_USCC.lower()}, "uscc"),
    "USCC with a letter GB 32100 leaves out (I)": ({"uscc": "91330326MA2CT8UIX4"}, "uscc"),
    "USCC of 19 characters": ({"uscc": GOOD_USCC + "1"}, "uscc"),
    "USCC as a number": ({"uscc": 913303261234567890}, "uscc"),
    "legal representative's ID number with a wrong check digit": (
        {"legal_representative": {"name": "张三", "id_number": FIRST17 + "0"}}, "legal_representative.id_number"),
    "legal representative as a string": ({"legal_representative": "张三"}, "legal_representative"),
    "status not in the list": ({"status": "bankrupt"}, "status"),
    "an unknown field": ({"owner": "nobody"}, "owner"),
}


async def test_bad_vendors_are_refused_naming_the_field(vendors_client, minter: AssertionMinter,
                                                        subtests: Any) -> None:
    before = await row_counts(vendors_client)
    for case, (changes, field) in BAD_VENDORS.items():
        with subtests.test(case):
            response = await vendors_client.post("/api/v1/vendors", headers=minter.headers("vendors", "bureau_admin"),
                                                 json={"uscc": GOOD_USCC, "name": "浙江某科技有限公司", **changes})
            assert_refused(response, field)
            assert FIRST17 not in response.text
    assert await row_counts(vendors_client) == before


BAD_QUERIES = [({"page": "abc"}, "page"), ({"page": 0}, "page"), ({"page": 10**30}, "page"),
               ({"page_size": 501}, "page_size"), ({"status": SQL_INJECTION}, "status"),
               ({"trained": "maybe"}, "trained"), ({"q": "x" * 101}, "q")]


async def test_bad_query_parameters_name_the_parameter(experts_client, minter: AssertionMinter, subtests: Any) -> None:
    for params, field in BAD_QUERIES:
        with subtests.test(str(params)[:40]):
            response = await experts_client.get("/api/v1/experts", params=params, headers=admin(minter))
            assert_refused(response, field)
            assert response.json()["errors"][0]["source"] == "query"


async def test_a_body_that_is_not_json_is_a_400_problem(any_service, minter: AssertionMinter) -> None:
    service, client = any_service
    path = "/api/v1/experts" if service == "experts" else "/api/v1/vendors"
    before = await row_counts(client)
    for content in (b"{not json", b"\xff\xfe\x00", b"[]", b'"a string"', b"null"):
        response = await client.post(path, content=content, headers={
            **minter.headers(service, "bureau_admin"), "content-type": "application/json"})
        assert response.status_code in (400, 422), (content, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
    assert await row_counts(client) == before


# --- injection strings: stored and searched as text, never run ----------------------------------


async def test_injection_strings_in_names_are_kept_as_text(experts_client, minter: AssertionMinter,
                                                           subtests: Any) -> None:
    for value in INJECTIONS:
        with subtests.test(value):
            before = await row_counts(experts_client)
            created = await experts_client.post("/api/v1/experts", headers=admin(minter), json=profile(
                name=value[:50], unit_name=value, title=value[:50]))
            assert created.status_code == 201, created.text
            assert (created.json()["name"], created.json()["unit_name"]) == (value[:50], value)
            after = await row_counts(experts_client)
            assert after["experts"] == before["experts"] + 1 and set(after) == set(before)
            found = await experts_client.get("/api/v1/experts", params={"q": value[:50]}, headers=admin(minter))
            assert found.status_code == 200
            assert [item["code"] for item in found.json()["items"]] == [created.json()["code"]]
            assert "49" not in found.text.replace(created.json()["code"], "")  # no template was evaluated


async def test_injection_strings_in_search_terms_and_path_segments_find_nothing(
        any_service, minter: AssertionMinter, subtests: Any) -> None:
    service, client = any_service
    headers = minter.headers(service, "bureau_admin")
    before = await row_counts(client)
    listing = "/api/v1/experts" if service == "experts" else "/api/v1/vendors"
    resources = (["/api/v1/experts/{}", "/api/v1/draws/{}", "/api/v1/projects/{}", "/api/v1/fields/{}"]
                 if service == "experts" else
                 ["/api/v1/vendors/{}", "/api/v1/projects/{}", "/api/v1/conflict-checks/{}",
                  "/api/v1/vendors/{}/ratings"])
    for value in INJECTIONS:
        with subtests.test(value):
            searched = await client.get(listing, params={"q": value}, headers=headers)
            assert searched.status_code == 200 and searched.json()["items"] == []
            for resource in resources:
                response = await client.get(resource.format(value), headers=headers)
                assert response.status_code in (404, 405, 422), (resource, response.text)
                assert response.headers["content-type"].startswith(PROBLEM)
                if response.status_code == 422:
                    assert response.json()["errors"][0]["source"] == "path"
    assert await row_counts(client) == before


async def test_an_injection_string_as_a_project_code_is_refused_naming_the_code(any_service,
                                                                                minter: AssertionMinter) -> None:
    service, client = any_service
    before = await row_counts(client)
    response = await client.put(f"/api/v1/projects/{SQL_INJECTION}", headers=minter.headers(service, "service"), json={
        "name": "项目", "kind": "operations", "owner_unit": GOOD_USCC, "investment_fen": 1,
        "planned_completion": "2027-01-31", "lots": []})
    assert_refused(response, "code")
    assert await row_counts(client) == before


# --- the NUL character, which PostgreSQL text cannot hold ----------------------------------------------


async def test_a_nul_character_anywhere_is_refused_naming_where(any_service, minter: AssertionMinter) -> None:
    service, client = any_service
    headers = minter.headers(service, "bureau_admin")
    before = await row_counts(client)
    if service == "experts":
        body, field, listing, item = profile(name="王\x00建国"), "name", "/api/v1/experts", "/api/v1/experts/E%0001"
        nested = profile(fields=[{"code": "APP", "primary": True}, {"code": "S\x00EC"}]), "fields[1].code"
    else:
        body, field, listing, item = ({"uscc": GOOD_USCC, "name": "浙江\x00公司"}, "name", "/api/v1/vendors",
                                      f"/api/v1/vendors/{GOOD_USCC[:17]}%00")
        nested = ({"uscc": GOOD_USCC, "name": "浙江某公司", "legal_representative": {
            "name": "张\x00三", "id_number": valid_id_number()}}, "legal_representative.name")
    assert_refused(await client.post(listing, json=body, headers=headers), field)
    assert_refused(await client.post(listing, json=nested[0], headers=headers), nested[1])
    assert_refused(await client.get(listing, params={"q": "a\x00"}, headers=headers), "q")
    response = await client.get(item, headers=headers)  # percent-encoded: no client sends a raw NUL in a URL
    assert response.status_code in (404, 422) and response.headers["content-type"].startswith(PROBLEM)
    upload = experts_csv([{"姓名": "空\x00字符", "身份证号": valid_id_number()}]) if service == "experts" else \
        vendors_csv([{"统一社会信用代码": GOOD_USCC, "供应商名称": "空\x00字符"}])
    imported = await client.post(f"{listing}/import", files={"file": ("nul.csv", upload)}, headers=headers)
    assert imported.status_code in (200, 422), imported.text
    if imported.status_code == 200:
        assert imported.json()["created"] == 0 and imported.json()["errors"], imported.text
    assert domain_rows(await row_counts(client)) == domain_rows(before)


# --- Unicode edge cases in the witness --------------------------------------------------------------

BAD_WITNESSES = {
    "NUL": "见证\x00123", "bell": "见证\x07", "escape sequence": "\x1b[31m见证", "right-to-left override": "a\u202eb",
    "first strong isolate": "\u2068见证\u2069", "right-to-left mark": "见证\u200f", "byte order mark": "\ufeff见证",
    "zero width joiner": "见\u200d证", "private use": "见证\ue000", "line separator": "见证\u2028",
    "leading space": " 见证", "trailing ideographic space": "见证\u3000", "not NFC": "e\u0301",
    "empty": "", "801 code points": "证" * 801,
}


async def test_a_witness_with_control_or_bidirectional_characters_is_refused_and_reveals_nothing(
        experts_client, minter: AssertionMinter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    committed = await ask_panel(experts_client, minter)
    url = f"/api/v1/draws/{committed['id']}/reveal"
    before = await row_counts(experts_client)
    for name, witness in BAD_WITNESSES.items():
        response = await experts_client.post(url, json={"witness": witness, "confirmed_avoidances": []},
                                             headers=supervisor(minter))
        assert response.status_code == 422, (name, response.text)
        assert_refused(response, "witness")
    # Not JSON text at all: a lone surrogate escape and a string that is not UTF-8.
    for raw in (b'{"witness": "\\ud800"}', b'{"witness": "\xc3\x28"}'):
        response = await experts_client.post(url, content=raw, headers={
            **supervisor(minter), "content-type": "application/json"})
        assert response.status_code in (400, 422), response.text
        assert response.headers["content-type"].startswith(PROBLEM)
    assert await row_counts(experts_client) == before
    draw = (await experts_client.get(f"/api/v1/draws/{committed['id']}", headers=supervisor(minter))).json()
    assert draw["status"] == "committed" and draw["result"] is None
    revealed = await reveal(experts_client, minter, committed["id"], witness="现场见证 2026-11-29 上证 3401.25")
    assert revealed["status"] == "revealed"


# --- oversized bodies --------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_a_413_at_the_gateway(gateway_client) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_API_KEY}", "content-type": "application/json"}
    units = (await gateway_client.get("/api/v1/units", headers=headers)).json()
    oversized = b'{"uscc": "' + b"9" * MAX_BODY_BYTES + b'", "name": "x"}'
    for path in ("/api/v1/units", "/api/v1/experts"):  # the gateway's own route, and one it forwards
        response = await gateway_client.post(path, content=oversized, headers=headers)
        assert response.status_code == 413, (path, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["type"] == "/problems/payload-too-large"
    assert (await gateway_client.get("/api/v1/units", headers=headers)).json() == units


async def test_a_spreadsheet_over_the_limit_is_a_413_at_the_service(experts_client, minter: AssertionMinter) -> None:
    before = await row_counts(experts_client)
    response = await experts_client.post("/api/v1/experts/import", headers=admin(minter),
                                         files={"file": ("pool.csv", b"a" * (MAX_BODY_BYTES + 1))})
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert await row_counts(experts_client) == before


# --- duplicate imports -------------------------------------------------------------------------------


def experts_csv(rows: list[dict[str, str]]) -> bytes:
    from services.experts.domain.spreadsheets import COLUMNS

    headers = list(COLUMNS.values())
    base = {"姓名": "", "身份证号": "", "出生日期": "", "工作单位": "平阳县教育局", "统一社会信用代码": OTHER_UNIT,
            "职称": "高级工程师", "从业年限": "12", "主专业领域": "应用系统", "其他专业领域": "", "手机号码": "",
            "银行账号": "", "最近培训日期": "2026/3/1"}
    buffer = io.StringIO()
    csv.writer(buffer).writerows([headers, *([{**base, **row}[header] for header in headers] for row in rows)])
    return buffer.getvalue().encode("utf-8-sig")


def vendors_csv(rows: list[dict[str, str]]) -> bytes:
    from services.vendors.domain.spreadsheets import COLUMNS

    headers = list(COLUMNS.values())
    buffer = io.StringIO()
    csv.writer(buffer).writerows([headers, *([row.get(header, "") for header in headers] for row in rows)])
    return buffer.getvalue().encode("utf-8-sig")


def domain_rows(counts: dict[str, int]) -> dict[str, int]:
    """Row counts without the audit log and outbox, which rightly record each import."""
    return {table: count for table, count in counts.items() if not table.startswith(("audit", "outbox"))}


async def test_the_same_expert_file_imported_twice_adds_nobody_the_second_time(experts_client,
                                                                               minter: AssertionMinter) -> None:
    people = [{"姓名": f"导入专家{n}", "身份证号": valid_id_number()} for n in range(3)]
    content = experts_csv(people)
    first = await experts_client.post("/api/v1/experts/import", files={"file": ("pool.csv", content)},
                                      headers=admin(minter))
    assert first.status_code == 200 and (first.json()["created"], first.json()["errors"]) == (3, []), first.text
    after_first = await row_counts(experts_client)
    second = await experts_client.post("/api/v1/experts/import", files={"file": ("pool.csv", content)},
                                       headers=admin(minter))
    assert second.status_code == 200 and second.json()["created"] == 0, second.text
    assert domain_rows(await row_counts(experts_client)) == domain_rows(after_first)

    # One person twice in one file: the first row counts, the second is reported by row, not imported again.
    twice = experts_csv([{"姓名": "重复专家", "身份证号": (number := valid_id_number())},
                         {"姓名": "重复专家", "身份证号": number}])
    response = await experts_client.post("/api/v1/experts/import", files={"file": ("twice.csv", twice)},
                                         headers=admin(minter))
    report = response.json()
    assert response.status_code == 200 and report["created"] == 1, response.text
    assert [(error["row"], error["column"]) for error in report["errors"]] == [(3, "身份证号")]
    assert number not in response.text
    listed = (await experts_client.get("/api/v1/experts", params={"q": "重复专家"}, headers=admin(minter))).json()
    assert listed["total"] == 1


async def test_the_same_vendor_file_imported_twice_adds_nobody_the_second_time(vendors_client,
                                                                               minter: AssertionMinter) -> None:
    headers = minter.headers("vendors", "bureau_admin")
    content = vendors_csv([{"统一社会信用代码": GOOD_USCC, "供应商名称": "浙江导入科技有限公司"},
                           {"统一社会信用代码": "91330326MA2CT8U7X5", "供应商名称": "温州导入信息有限公司"}])
    first = await vendors_client.post("/api/v1/vendors/import", files={"file": ("r.csv", content)}, headers=headers)
    assert first.status_code == 200 and first.json()["created"] == 2, first.text
    after_first = await row_counts(vendors_client)
    second = await vendors_client.post("/api/v1/vendors/import", files={"file": ("r.csv", content)}, headers=headers)
    assert second.status_code == 200 and second.json()["created"] == 0, second.text
    assert domain_rows(await row_counts(vendors_client)) == domain_rows(after_first)

    twice = vendors_csv([{"统一社会信用代码": "91330326MA2CT8U8X6", "供应商名称": "甲公司"},
                         {"统一社会信用代码": "91330326MA2CT8U8X6", "供应商名称": "乙公司"}])
    response = await vendors_client.post("/api/v1/vendors/import", files={"file": ("t.csv", twice)},
                                         headers=headers)
    report = response.json()
    assert response.status_code == 200, response.text
    assert report["created"] == 1 and [error["row"] for error in report["errors"]] == [3], json.dumps(report)


# --- instants that leave years 1-9999 once put in UTC (found by the PostgreSQL fuzzing: were 500s) ------

OUT_OF_RANGE_INSTANTS = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00")


async def test_an_instant_outside_the_utc_range_is_a_422_naming_the_parameter(any_service,
                                                                            minter: AssertionMinter) -> None:
    service, client = any_service
    for name in ("since", "until"):
        for instant in OUT_OF_RANGE_INSTANTS:
            response = await client.get("/api/v1/audit", params={name: instant},
                                        headers=minter.headers(service, "auditor"))
            assert_refused(response, name)
            assert response.json()["errors"][0]["source"] == "query"


async def test_an_api_key_expiring_outside_the_utc_range_is_refused_and_not_created(gateway_client) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_API_KEY}"}
    keys = (await gateway_client.get("/api/v1/api-keys", headers=headers)).json()
    for instant in OUT_OF_RANGE_INSTANTS:
        response = await gateway_client.post("/api/v1/api-keys", headers=headers, json={
            "name": "越界", "roles": ["service"], "unit_uscc": "11330326862981311N", "expires_at": instant})
        assert_refused(response, "expires_at")
    assert (await gateway_client.get("/api/v1/api-keys", headers=headers)).json() == keys
