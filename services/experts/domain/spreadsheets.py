"""Experts in and out of spreadsheets (xlsx or csv) with the column headers a bureau sheet has.

An import checks every row, imports all valid ones in one transaction and reports the others row by
row; a dry run only reports. A person already in the pool (the same ID number, found through the
blind index) is updated, never added twice. Exports show personal data masked, like every answer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec
import openpyxl
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.experts.domain.experts import (
    apply_profile,
    format_pool_number,
    next_pool_number,
    profile_errors,
)
from services.experts.domain.personal_data import PersonalDataVault
from services.experts.models import Expert, ExpertField, Field
from services.experts.schemas import ExpertProfile, ImportReport, RowError
from shared.audit import AuditRecorder
from shared.audit.chain import Actor
from shared.clock import beijing_today, utc_now
from shared.crypto import normalise_id_number
from shared.errors import FieldError, InvalidInput
from shared.identifiers import id_number_problem
from shared.identity import Identity

# Profile attribute → column header, in sheet order.
COLUMNS = {
    "name": "姓名",
    "id_number": "身份证号",
    "birth_date": "出生日期",
    "unit_name": "工作单位",
    "unit_uscc": "统一社会信用代码",
    "title": "职称",
    "years_in_field": "从业年限",
    "primary_field": "主专业领域",
    "other_fields": "其他专业领域",
    "phone": "手机号码",
    "bank_account": "银行账号",
    "last_trained_on": "最近培训日期",
}
REQUIRED = ("name", "id_number", "unit_name", "unit_uscc", "title", "years_in_field", "primary_field")
EXPORT_COLUMNS = {"code": "专家编号", **COLUMNS, "status": "状态"}
STATUS_NAMES = {"active": "在库", "suspended": "暂停", "retired": "退出"}
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")
_MSGSPEC_PATH = re.compile(r"at `\$\.(\w+)")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SpreadsheetError(InvalidInput):
    """The file as a whole cannot be read (not xlsx/csv, or required columns missing)."""


# Reading files

def read_rows(content: bytes, filename: str = "") -> list[dict[str, str]]:
    """The sheet's rows as header → text; xlsx when the file is a zip (or named .xlsx), else csv."""
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        table = _xlsx_table(content)
    else:
        table = _csv_table(content)
    if not table:
        raise SpreadsheetError("The file has no header row.", errors=[FieldError("file", "empty")])
    headers = [header.strip() for header in table[0]]
    missing = [COLUMNS[name] for name in REQUIRED if COLUMNS[name] not in headers]
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
    # Excel in China saves CSV as GB18030 (GBK) unless told otherwise; UTF-8 (with or without BOM) first.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return list(csv.reader(io.StringIO(text)))
    raise SpreadsheetError("The csv file is neither UTF-8 nor GB18030.",
                           errors=[FieldError("file", "unknown encoding")])


# Checking rows

@dataclass
class _Row:
    number: int  # as the user sees it in the sheet: the header is row 1
    values: dict[str, Any]
    id_index: str


def _parse_date(text: str) -> dt.date | None:
    if not text:
        return None
    parts = [int(part) for part in re.split(r"[-/.年月日]", text) if part.isdigit()]
    if len(parts) != 3:
        raise ValueError
    return dt.date(*parts)


def _field_codes(text: str, by_name: dict[str, str]) -> list[str]:
    return [by_name.get(item, item) for item in _LIST_SEPARATORS.split(text) if item]


def _check_row(number: int, cells: dict[str, str], field_names: dict[str, str], assignable: set[str],
               vault: PersonalDataVault, today: dt.date) -> _Row | list[RowError]:
    def error(attribute: str, message: str) -> list[RowError]:
        return [RowError(row=number, column=COLUMNS.get(attribute, attribute), message=message)]

    cell = {name: cells.get(header, "") for name, header in COLUMNS.items()}
    for name in REQUIRED:
        if not cell[name]:
            return error(name, "required")
    id_number = normalise_id_number(cell["id_number"])
    if problem := id_number_problem(id_number):
        return error("id_number", problem)
    dates: dict[str, dt.date | None] = {}
    for name in ("birth_date", "last_trained_on"):
        try:
            dates[name] = _parse_date(cell[name])
        except ValueError:
            return error(name, "not a date (use 2024-03-01)")
    birth_from_id = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    if dates["birth_date"] is not None and dates["birth_date"] != birth_from_id:
        return error("birth_date", "differs from the birth date in the ID number")
    if not cell["years_in_field"].isdigit():
        return error("years_in_field", "must be a whole number of years")
    primary, *_ = _field_codes(cell["primary_field"], field_names) or [""]
    others = [code for code in _field_codes(cell["other_fields"], field_names) if code != primary]
    for name, codes in (("primary_field", [primary]), ("other_fields", others)):
        if any(code not in assignable for code in codes):
            return error(name, "no such field, or the field is retired")
    raw = {
        "name": cell["name"], "birth_date": birth_from_id, "unit_uscc": cell["unit_uscc"],
        "unit_name": cell["unit_name"], "title": cell["title"], "years_in_field": int(cell["years_in_field"]),
        "fields": [{"code": primary, "primary": True}, *({"code": code} for code in others)],
        "phone": cell["phone"] or None, "id_number": id_number, "bank_account": cell["bank_account"] or None,
        "last_trained_on": dates["last_trained_on"],
    }
    if len(others) > 2:
        return error("other_fields", "an expert holds at most 3 fields")
    try:
        profile = msgspec.convert(raw, ExpertProfile)
    except msgspec.ValidationError as invalid:
        # The same limits as the API (lengths, ranges); msgspec names the first attribute it refuses.
        found = _MSGSPEC_PATH.search(str(invalid))
        return error(found.group(1) if found else "name", str(invalid).split(" - ")[0])
    values = msgspec.structs.asdict(profile)
    problems = profile_errors(values, today)
    if problems:
        return [RowError(row=number, column=COLUMNS.get(problem.field.split("[")[0], COLUMNS["other_fields"]),
                         message=problem.message) for problem in problems]
    return _Row(number=number, values=values, id_index=vault.id_number_index(id_number))


# Importing

async def import_experts(session: AsyncSession, audit: AuditRecorder, actor: Identity | Actor,
                         vault: PersonalDataVault, rows: list[dict[str, str]], *, dry_run: bool) -> ImportReport:
    """Check every row and, unless ``dry_run``, create or update the experts of all valid rows.

    The one entry point for the HTTP import and the ``sortes experts import`` command.
    """
    today = beijing_today()
    fields = (await session.execute(select(Field))).scalars().all()
    field_names = {field.name_zh: field.code for field in fields}
    assignable = {field.code for field in fields if field.retired_at is None}
    errors: list[RowError] = []
    valid: list[_Row] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows, start=2):
        checked = _check_row(number, cells, field_names, assignable, vault, today)
        if isinstance(checked, list):
            errors += checked
        elif checked.id_index in seen:
            errors.append(RowError(row=number, column=COLUMNS["id_number"],
                                   message=f"the same person as row {seen[checked.id_index]}"))
        else:
            seen[checked.id_index] = number
            valid.append(checked)
    existing = await _experts_by_id_index(session, [row.id_index for row in valid])
    updated = [row for row in valid if row.id_index in existing]
    created = [row for row in valid if row.id_index not in existing]
    if not dry_run:
        await _write(session, audit, actor, vault, created, updated, existing)
    return ImportReport(dry_run=dry_run, rows=len(rows), created=len(created), updated=len(updated),
                        rejected=len({error.row for error in errors}), errors=errors)


async def _experts_by_id_index(session: AsyncSession, indexes: list[str]) -> dict[str, Expert]:
    found: dict[str, Expert] = {}
    for start in range(0, len(indexes), 5000):  # under every driver's limit on bound parameters
        chunk = indexes[start:start + 5000]
        rows = await session.execute(select(Expert).where(Expert.id_number_index.in_(chunk))
                                     .options(selectinload(Expert.fields)))
        found.update({expert.id_number_index: expert for expert in rows.scalars()})  # type: ignore[misc]
    return found


async def _write(session: AsyncSession, audit: AuditRecorder, actor: Identity | Actor, vault: PersonalDataVault,
                 created: list[_Row], updated: list[_Row], existing: dict[str, Expert]) -> None:
    now = utc_now()
    first_number = int((await next_pool_number(session))[1:])
    new_experts = []
    for offset, row in enumerate(created):
        expert = Expert(code=format_pool_number(first_number + offset), status="active", created_at=now,
                        updated_at=now, fields=[])
        apply_profile(expert, vault, _sheet_values(row.values))
        new_experts.append(expert)
    await _insert_in_bulk(session, new_experts)
    for row in updated:
        expert = existing[row.id_index]
        apply_profile(expert, vault, _sheet_values(row.values))
        expert.updated_at = now
    await session.flush()
    # One entry for the whole import, naming every pool number it created or updated: an entry per
    # expert would cost more than the import itself on a 10,000-row sheet.
    await audit.record(session, actor=actor, action="experts.imported", object_type="import",
                       object_id=utc_now().isoformat(),
                       after=[_audited_sheet_content(expert) for expert in [
                           *new_experts, *(existing[row.id_index] for row in updated)]],
                       details={"created": [expert.code for expert in new_experts],
                                "updated": [existing[row.id_index].code for row in updated]})


async def _insert_in_bulk(session: AsyncSession, experts: list[Expert]) -> None:
    """Insert the (session-less) ``experts`` and their fields with a few multi-row statements.

    The unit of work would insert experts one by one to learn each new id; a sheet of 10,000 rows
    takes seconds that way. The ids are read back by pool number instead.
    """
    columns = [column.key for column in Expert.__table__.columns if column.key != "id"]
    for chunk in _chunks(experts):
        await session.execute(insert(Expert), [{name: getattr(e, name) for name in columns} for e in chunk])
        ids = dict((await session.execute(select(Expert.code, Expert.id).where(
            Expert.code.in_([e.code for e in chunk])))).tuples().all())
        field_rows = [{"expert_id": ids[e.code], "field_code": f.field_code, "is_primary": f.is_primary}
                      for e in chunk for f in e.fields]
        await session.execute(insert(ExpertField), field_rows)


def _chunks(items: list[Expert], size: int = 2000) -> list[list[Expert]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def _audited_sheet_content(expert: Expert) -> list[Any]:
    """What the import wrote for ``expert``, personal data left out (it is sealed, and digests need none)."""
    return [expert.code, expert.name, expert.birth_date, expert.unit_uscc, expert.unit_name, expert.title,
            expert.years_in_field, [(f.field_code, f.is_primary) for f in expert.fields], expert.last_trained_on]


_SHEET_ATTRIBUTES = ("name", "birth_date", "unit_uscc", "unit_name", "title", "years_in_field", "fields", "id_number",
                     "phone", "bank_account", "last_trained_on")


def _sheet_values(values: dict[str, Any]) -> dict[str, Any]:
    # What the sheet holds, and of its optional cells only the filled ones: an empty cell means "not
    # given", so a re-import keeps the stored phone or training date rather than clearing it.
    return {name: values[name] for name in _SHEET_ATTRIBUTES if values[name] is not None}


# The template and exports

def template_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "专家"
    sheet.append(list(COLUMNS.values()))
    sheet.append(["张三", "33032619800101001X", "1980-01-01", "平阳县某某单位", "11330326862981311N", "高级工程师",
                  "15", "应用系统", "信息安全、数据资源", "13900000000", "6222000000000000000", "2026-03-01"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def export_rows(session: AsyncSession, vault: PersonalDataVault, batch: int = 1000
                      ) -> AsyncIterator[list[str]]:
    """Each expert as a row of EXPORT_COLUMNS (the header first), fetched in batches by pool number."""
    yield list(EXPORT_COLUMNS.values())
    names = dict((await session.execute(select(Field.code, Field.name_zh))).tuples().all())
    last_id = 0
    while True:
        experts = (await session.execute(select(Expert).where(Expert.id > last_id).order_by(Expert.id)
                                         .limit(batch).options(selectinload(Expert.fields)))).scalars().all()
        if not experts:
            return
        for expert in experts:
            yield _export_row(expert, vault, names)
        last_id = experts[-1].id


def _export_row(expert: Expert, vault: PersonalDataVault, field_names: dict[str, str]) -> list[str]:
    masked = vault.masked(expert)
    primary = [field_names[f.field_code] for f in expert.fields if f.is_primary]
    others = [field_names[f.field_code] for f in expert.fields if not f.is_primary]
    return [expert.code, expert.name, masked.id_number or "", expert.birth_date.isoformat(), expert.unit_name,
            expert.unit_uscc, expert.title, str(expert.years_in_field), "、".join(primary), "、".join(others),
            masked.phone or "", masked.bank_account or "",
            expert.last_trained_on.isoformat() if expert.last_trained_on else "", STATUS_NAMES[expert.status]]


def csv_lines(rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()
