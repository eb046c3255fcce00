"""`sortes experts import`: the API's spreadsheet import from the server's shell, with progress and a report."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from services.experts.app import create_app
from services.experts.domain.spreadsheets import COLUMNS
from services.experts.settings import ExpertsSettings
from shared.audit import operator_actor
from sortes_cli.main import main
from tests.experts.helpers import admin, audit_entries, create_expert, valid_id_number
from tests.support.databases import TestDatabases
from tests.support.identity import AssertionMinter
from tests.support.sheets import csv_sheet, xlsx_sheet


@pytest.fixture
async def experts(test_databases: TestDatabases, backend: str, minter: AssertionMinter, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The experts service, and the command pointed at its database and key files."""
    url = await asyncio.to_thread(test_databases.fresh, "experts", backend)
    keys = {"data_key_file": tmp_path / "experts-data-keys", "blind_index_key_file": tmp_path / "experts-blind-index"}
    monkeypatch.setenv("SORTES_EXPERTS_DATABASE_URL", url)
    for name, path in keys.items():
        monkeypatch.setenv(f"SORTES_EXPERTS_{name.upper()}", str(path))
    settings = ExpertsSettings(database_url=url, identity_public_keys=[minter.public_key], **keys)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


def sheet_row(name: str, id_number: str, **changes: str) -> list[str]:
    cells = {"姓名": name, "身份证号": id_number, "出生日期": "", "工作单位": "平阳县教育局",
             "统一社会信用代码": "11330326862981311N", "职称": "高级工程师", "从业年限": "12",
             "主专业领域": "应用系统", "其他专业领域": "信息安全", "手机号码": "13900001111",
             "银行账号": "6222020000000000001", "最近培训日期": "2026-03-01", **changes}
    return [cells[header] for header in COLUMNS.values()]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_bytes(csv_sheet(list(COLUMNS.values()), rows))
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    path.write_bytes(xlsx_sheet(list(COLUMNS.values()), rows))
    return path


def sortes(*arguments: str) -> int:
    return main(list(arguments))


async def test_a_csv_is_imported_with_progress_a_row_report_and_a_failing_status(
        experts: AsyncTestClient[Litestar], minter: AssertionMinter, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    known = valid_id_number()
    existing = await create_expert(experts, minter, id_number=known, name="周一")
    sheet = write_csv(tmp_path / "专家.csv", [
        sheet_row("周一", known, 职称="正高级工程师"), sheet_row("吴二", valid_id_number()),
        sheet_row("郑三", valid_id_number(), 主专业领域="不存在的领域"), sheet_row("王四", valid_id_number()),
        sheet_row("冯五", valid_id_number(), 从业年限="很多"), sheet_row("陈六", valid_id_number())])

    assert await asyncio.to_thread(sortes, "experts", "import", str(sheet), "--dry-run") == 1
    dry = capsys.readouterr()
    assert "6 rows checked, nothing written (dry run): 3 new, 1 updated, 0 unchanged, 2 rejected" in dry.out
    assert (await experts.get("/api/v1/experts", headers=admin(minter))).json()["total"] == 1

    assert await asyncio.to_thread(sortes, "experts", "import", str(sheet)) == 1
    done = capsys.readouterr()
    assert done.out.splitlines() == [
        "row 4, 主专业领域: no such field, or the field is retired",
        "row 6, 从业年限: must be a whole number of years",
        "专家.csv: 6 rows imported: 3 new, 1 updated, 0 unchanged, 2 rejected"]
    assert "\r检查 6/6" in done.err and "\r导入 4/4" in done.err
    assert known not in done.out + done.err

    listed = (await experts.get("/api/v1/experts", params={"sort": "code"}, headers=admin(minter))).json()
    assert [item["name"] for item in listed["items"]] == ["周一", "吴二", "王四", "陈六"]
    assert listed["items"][0]["title"] == "正高级工程师"
    new = (await experts.get(f"/api/v1/experts/{listed['items'][1]['code']}", headers=admin(minter))).json()
    assert new["personal_data"]["phone"] == "13900001111"  # sealed with the service's own keys

    by_operator = await audit_entries(experts, minter, actor=operator_actor().subject)
    assert sorted((e["action"], e["object_id"]) for e in by_operator if e["object_type"] == "expert") == [
        ("expert.created", item["code"]) for item in listed["items"][1:]] + [("expert.updated", existing["code"])]


async def test_an_xlsx_without_errors_exits_zero(experts: AsyncTestClient[Litestar], minter: AssertionMinter,
                                                 tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheet = write_xlsx(tmp_path / "pool.xlsx", [sheet_row(f"专家{n}", valid_id_number()) for n in range(25)])
    assert await asyncio.to_thread(sortes, "experts", "import", str(sheet)) == 0
    assert capsys.readouterr().out == "pool.xlsx: 25 rows imported: 25 new, 0 updated, 0 unchanged, 0 rejected\n"
    assert (await experts.get("/api/v1/experts", headers=admin(minter))).json()["total"] == 25


async def test_a_file_that_cannot_be_imported_exits_2(experts: AsyncTestClient[Litestar], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    no_columns = tmp_path / "other.csv"
    no_columns.write_text("姓名,电话\n张三,139\n", encoding="utf-8")
    assert await asyncio.to_thread(sortes, "experts", "import", str(no_columns)) == 2
    assert "missing column 身份证号" in capsys.readouterr().err
    assert await asyncio.to_thread(sortes, "experts", "import", str(tmp_path / "absent.csv")) == 2
    assert "cannot read" in capsys.readouterr().err

    monkeypatch.setenv("SORTES_EXPERTS_BLIND_INDEX_KEY_FILE", str(tmp_path / "no-such-key"))
    sheet = write_csv(tmp_path / "one.csv", [sheet_row("周一", valid_id_number())])
    assert await asyncio.to_thread(sortes, "experts", "import", str(sheet)) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "no-such-key").exists()
