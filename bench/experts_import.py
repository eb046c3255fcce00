"""Benchmark: import a 10,000-row expert spreadsheet (target: under 20 s).

Writes a bureau-style sheet (csv, or xlsx with --xlsx) of N valid experts, then times what
``POST /api/v1/experts/import`` does with it on a fresh SQLite database (or the PostgreSQL URL
given): reading the file, checking every row, sealing personal data, writing experts and audit
entries. A second run of the same file (every row an update, found through the blind index) is
timed too.

    python -m bench.experts_import [--rows 10000] [--xlsx] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import io
import random
import tempfile
import time
from pathlib import Path

import openpyxl

from services.experts.domain.personal_data import PersonalDataVault
from services.experts.domain.spreadsheets import COLUMNS, import_experts, read_rows
from services.experts.models import AUDIT
from shared.audit import AuditSettings, system_actor
from shared.crypto import ensure_blind_index_key_file, ensure_key_file
from shared.db import Database
from shared.demo import demo_units
from shared.identifiers import id_number_check_character
from shared.migrations import upgrade

FIELD_NAMES = ["信息网络", "楼宇智能化", "机房工程", "数据中心", "云平台", "应用系统", "信息安全", "密码应用",
               "数据资源"]


def sheet_rows(count: int) -> list[list[str]]:
    rng = random.Random(10_000)
    units = demo_units()
    rows = [list(COLUMNS.values())]
    for number in range(count):
        # 7919 is prime to 12000: (birth date, sequence digits) differ for every row, so do the ID numbers.
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=number * 7919 % 12_000)
        first17 = f"330326{birth:%Y%m%d}{number % 1000:03d}"
        unit = rng.choice(units)
        primary, *others = rng.sample(FIELD_NAMES, rng.randint(1, 3))
        years = min(rng.randint(3, 30), 2026 - birth.year - 17)  # no more than the years since the age of 16
        rows.append([f"专家{number}", first17 + id_number_check_character(first17), birth.isoformat(), unit.name,
                     unit.uscc, "高级工程师", str(years), primary, "、".join(others),
                     f"139{rng.randint(0, 99_999_999):08d}", f"6222{rng.randint(0, 10**15 - 1):015d}",
                     "2026-03-01"])
    return rows


def as_file(rows: list[list[str]], xlsx: bool) -> bytes:
    if xlsx:
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet()
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode("utf-8-sig")


async def timed_import(database: Database, vault: PersonalDataVault, content: bytes, name: str) -> tuple[float, str]:
    audit = AuditSettings.from_env("experts").recorder("experts", AUDIT)
    began = time.perf_counter()
    rows = read_rows(content, name)
    async with database.transaction() as session:
        report = await import_experts(session, audit, system_actor("bench"), vault, rows, dry_run=False)
    elapsed = time.perf_counter() - began
    return elapsed, f"created={report.created} updated={report.updated} rejected={report.rejected}"


async def run(url: str, rows: int, xlsx: bool, keys: Path) -> None:
    vault = PersonalDataVault(ensure_key_file(keys / "data"), ensure_blind_index_key_file(keys / "index"))
    content = as_file(sheet_rows(rows), xlsx)
    name = "experts.xlsx" if xlsx else "experts.csv"
    print(f"sheet: {rows} rows, {name}, {len(content) / 1e6:.1f} MB")
    database = Database.from_url(url)
    try:
        for label in ("first import (all new)", "re-import (all updates)"):
            elapsed, outcome = await timed_import(database, vault, content, name)
            print(f"{label:26s} {elapsed:6.2f} s  {outcome}  ({rows / elapsed:,.0f} rows/s)")
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--xlsx", action="store_true")
    parser.add_argument("--database-url", help="an empty database; default: a fresh SQLite file")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'experts.db'}"
        upgrade("experts", url)
        asyncio.run(run(url, arguments.rows, arguments.xlsx, Path(folder)))


if __name__ == "__main__":
    main()
