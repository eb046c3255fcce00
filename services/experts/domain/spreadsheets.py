"""Experts in and out of spreadsheets (xlsx or csv) with the column headers a bureau sheet has.

An import checks every row, imports all valid ones in one transaction and reports the others row by
row; a dry run only reports. A person already in the pool (the same ID number, found through the
blind index) is updated, never added twice. Each expert created or updated gets its own audit entry,
as an edit through the API would, naming the import. Exports show personal data masked, like every
answer.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.experts.domain.experts import (
    DETAIL_LOADS,
    apply_profile,
    audited_content,
    current_status,
    format_pool_number,
    next_pool_number,
    personal_data_details,
    profile_errors,
)
from services.experts.domain.personal_data import PersonalDataVault
from services.experts.domain.statuses import ExpertStatus
from services.experts.models import Expert, ExpertField, Field
from services.experts.schemas import ExpertProfile
from shared import spreadsheets
from shared.audit import AuditChange, AuditRecorder
from shared.audit.chain import Actor
from shared.clock import beijing_today, utc_now
from shared.crypto import normalise_id_number
from shared.errors import validation_code
from shared.identifiers import id_number_problem
from shared.identity import Identity
from shared.spreadsheets import ImportReport, RowError, SheetFormat, parse_date, sheet_bytes

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
REQUIRED_HEADERS = [COLUMNS[name] for name in REQUIRED]
# The export shows the birth year where the import takes the date: beside the ID number's last four a
# full birth date would leave a handful of possible numbers (docs/guarantees.md §7, masking).
EXPORT_COLUMNS = {"code": "专家编号", **COLUMNS, "birth_date": "出生年份", "status": "状态"}
STATUS_NAMES = {ExpertStatus.ACTIVE: "在库", ExpertStatus.SUSPENDED: "暂停", ExpertStatus.RETIRED: "退出"}
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")
_MSGSPEC_PATH = re.compile(r"at `\$\.(\w+)")
# How far an import has got: (stage, done, total), the stages being "checking" rows and "writing"
# experts.
ImportProgress = Callable[[str, int, int], None]


def read_rows(content: bytes, filename: str = "") -> list[dict[str, str]]:
    """The sheet's rows as header → text (see :func:`shared.spreadsheets.read_rows`)."""
    return spreadsheets.read_rows(content, filename, REQUIRED_HEADERS)


# Checking rows

@dataclass
class _Row:
    number: int  # as the user sees it in the sheet: the header is row 1
    values: dict[str, Any]
    id_index: str


def _field_codes(text: str, by_name: dict[str, str]) -> list[str]:
    return [by_name.get(item, item) for item in _LIST_SEPARATORS.split(text) if item]


def _check_row(number: int, cells: dict[str, str], field_names: dict[str, str], assignable: set[str],
               vault: PersonalDataVault, today: dt.date) -> _Row | list[RowError]:
    def error(attribute: str, code: str, message: str) -> list[RowError]:
        return [RowError(row=number, column=COLUMNS.get(attribute, attribute), message=message, code=code)]

    cell = {name: cells.get(header, "") for name, header in COLUMNS.items()}
    for name in REQUIRED:
        if not cell[name]:
            return error(name, "field.required", "required")
    id_number = normalise_id_number(cell["id_number"])
    if problem := id_number_problem(id_number):
        return [RowError(row=number, column=COLUMNS["id_number"], message=problem.message, code=problem.code,
                         params=problem.params)]
    dates: dict[str, dt.date | None] = {}
    for name in ("birth_date", "last_trained_on"):
        try:
            dates[name] = parse_date(cell[name])
        except ValueError:
            return error(name, "sheet.not_a_date", "not a date (use 2024-03-01)")
    birth_from_id = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    if dates["birth_date"] is not None and dates["birth_date"] != birth_from_id:
        return error("birth_date", "expert.birth_date_mismatch", "differs from the birth date in the ID number")
    if not cell["years_in_field"].isdigit():
        return error("years_in_field", "expert.whole_years", "must be a whole number of years")
    primary, *_ = _field_codes(cell["primary_field"], field_names) or [""]
    others = [code for code in _field_codes(cell["other_fields"], field_names) if code != primary]
    for name, codes in (("primary_field", [primary]), ("other_fields", others)):
        if any(code not in assignable for code in codes):
            return error(name, "expert.field_unassignable", "no such field, or the field is retired")
    raw = {
        "name": cell["name"], "birth_date": birth_from_id, "unit_uscc": cell["unit_uscc"],
        "unit_name": cell["unit_name"], "title": cell["title"], "years_in_field": int(cell["years_in_field"]),
        "fields": [{"code": primary, "primary": True}, *({"code": code} for code in others)],
        "phone": cell["phone"] or None, "id_number": id_number, "bank_account": cell["bank_account"] or None,
        "last_trained_on": dates["last_trained_on"],
    }
    if len(others) > 2:
        return error("other_fields", "expert.too_many_fields", "an expert holds at most 3 fields")
    try:
        profile = msgspec.convert(raw, ExpertProfile)
    except msgspec.ValidationError as invalid:
        # The same limits as the API (lengths, ranges); msgspec names the first attribute it refuses.
        found = _MSGSPEC_PATH.search(str(invalid))
        attribute, message = found.group(1) if found else "name", str(invalid).split(" - ")[0]
        code, params = validation_code(message)
        return [RowError(row=number, column=COLUMNS.get(attribute, attribute), message=message, code=code,
                         params=params)]
    values = msgspec.structs.asdict(profile)
    problems = profile_errors(values, today)
    if problems:
        return [RowError(row=number, column=COLUMNS.get(problem.field.split("[")[0], COLUMNS["other_fields"]),
                         message=problem.message, code=problem.code, params=problem.params) for problem in problems]
    return _Row(number=number, values=values, id_index=vault.id_number_index(id_number))


# Importing

async def import_experts(session: AsyncSession, audit: AuditRecorder, actor: Identity | Actor,
                         vault: PersonalDataVault, rows: list[dict[str, str]], *, dry_run: bool,
                         progress: ImportProgress | None = None) -> ImportReport:
    """Check every row and, unless ``dry_run``, create or update the experts of all valid rows.

    The one entry point for the HTTP import and the ``sortes experts import`` command.
    """
    progress = progress or _no_progress
    today = beijing_today()
    fields = (await session.execute(select(Field))).scalars().all()
    field_names = {field.name_zh: field.code for field in fields}
    assignable = {field.code for field in fields if field.retired_at is None}
    errors: list[RowError] = []
    valid: list[_Row] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows, start=2):
        progress("checking", number - 1, len(rows))
        checked = _check_row(number, cells, field_names, assignable, vault, today)
        if isinstance(checked, list):
            errors += checked
        elif checked.id_index in seen:
            errors.append(RowError(row=number, column=COLUMNS["id_number"],
                                   message=f"the same person as row {seen[checked.id_index]}", code="sheet.same_person",
                                   params={"row": seen[checked.id_index]}))
        else:
            seen[checked.id_index] = number
            valid.append(checked)
    existing = await _experts_by_id_index(session, [row.id_index for row in valid])
    updated = [row for row in valid if row.id_index in existing]
    created = [row for row in valid if row.id_index not in existing]
    if not dry_run:
        await _write(session, audit, actor, vault, created, updated, existing, progress)
    return ImportReport(dry_run=dry_run, rows=len(rows), created=len(created), updated=len(updated),
                        rejected=len({error.row for error in errors}), errors=errors)


async def _experts_by_id_index(session: AsyncSession, indexes: list[str]) -> dict[str, Expert]:
    found: dict[str, Expert] = {}
    for start in range(0, len(indexes), 5000):  # under every driver's limit on bound parameters
        chunk = indexes[start:start + 5000]
        rows = await session.execute(select(Expert).where(Expert.id_number_index.in_(chunk)).options(*DETAIL_LOADS))
        found.update({expert.id_number_index: expert for expert in rows.scalars()})  # type: ignore[misc]
    return found


async def _write(session: AsyncSession, audit: AuditRecorder, actor: Identity | Actor, vault: PersonalDataVault,
                 created: list[_Row], updated: list[_Row], existing: dict[str, Expert],
                 progress: ImportProgress) -> None:
    now, written = utc_now(), len(created) + len(updated)
    first_number = int((await next_pool_number(session))[1:])
    changes: list[tuple[_Row, Expert, dict[str, Any] | None]] = []
    for offset, row in enumerate(created):
        expert = Expert(code=format_pool_number(first_number + offset), status=ExpertStatus.ACTIVE, created_at=now,
                        updated_at=now, fields=[], former_employers=[], certificates=[], bad_conduct_records=[])
        apply_profile(expert, vault, _sheet_values(row.values))
        changes.append((row, expert, None))
        progress("writing", len(changes), written)
    await _insert_in_bulk(session, [expert for _, expert, _ in changes])
    for row in updated:
        expert = existing[row.id_index]
        before = audited_content(expert)
        apply_profile(expert, vault, _sheet_values(row.values))
        expert.updated_at = now
        changes.append((row, expert, before))
        progress("writing", len(changes), written)
    await session.flush()
    # One entry for the import, then one for each expert, as a create or an edit through the API
    # writes it: an auditor following one expert finds the import among its entries, the digests
    # following on from the entry before.
    import_id = str(uuid.uuid4())
    entries = [AuditChange("experts.imported", "import", import_id,
                           details={"created": len(created), "updated": len(updated)})]
    for row, expert, before in changes:
        entries.append(AuditChange("expert.created" if before is None else "expert.updated", "expert", expert.code,
                                   before, audited_content(expert),
                                   {"import": import_id, **personal_data_details(_sheet_values(row.values))}))
    await audit.record_many(session, actor=actor, changes=entries)


async def _insert_in_bulk(session: AsyncSession, experts: list[Expert]) -> None:
    """Insert the (session-less) ``experts`` and their fields with a few multi-row statements.

    The unit of work would insert experts one by one to learn each new id; a sheet of 10,000 rows
    takes seconds that way. The ids are read back by pool number instead.
    """
    columns = [column.key for column in Expert.__table__.columns if column.key != "id"]
    for chunk in _chunks(experts):
        await session.execute(insert(Expert), [{name: getattr(e, name) for name in columns} for e in chunk])
        ids = {code: expert_id for code, expert_id in await session.execute(select(Expert.code, Expert.id).where(
            Expert.code.in_([e.code for e in chunk])))}
        field_rows = [{"expert_id": ids[e.code], "field_code": f.field_code, "is_primary": f.is_primary}
                      for e in chunk for f in e.fields]
        await session.execute(insert(ExpertField), field_rows)


def _chunks(items: list[Expert], size: int = 2000) -> list[list[Expert]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    pass


_SHEET_ATTRIBUTES = ("name", "birth_date", "unit_uscc", "unit_name", "title", "years_in_field", "fields", "id_number",
                     "phone", "bank_account", "last_trained_on")


def _sheet_values(values: dict[str, Any]) -> dict[str, Any]:
    # What the sheet holds, and of its optional cells only the filled ones: an empty cell means "not
    # given", so a re-import keeps the stored phone or training date rather than clearing it.
    return {name: values[name] for name in _SHEET_ATTRIBUTES if values[name] is not None}


# The template and exports

def template(format: SheetFormat) -> bytes:
    """The import columns and one example row that imports as it is."""
    return sheet_bytes(format, "专家", [list(COLUMNS.values()), [
        "张三", "33032619800101001X", "1980-01-01", "平阳县某某单位", "11330326862981311N", "高级工程师", "15",
        "应用系统", "信息安全、数据资源", "13900000000", "6222000000000000000", "2026-03-01"]])


async def export_rows(session: AsyncSession, vault: PersonalDataVault, batch: int = 1000
                      ) -> AsyncIterator[list[str]]:
    """Each expert as a row of EXPORT_COLUMNS (the header first), fetched in batches by pool number."""
    yield list(EXPORT_COLUMNS.values())
    today = beijing_today()
    names = {code: name for code, name in await session.execute(select(Field.code, Field.name_zh))}
    last_id = 0
    while True:
        experts = (await session.execute(select(Expert).where(Expert.id > last_id).order_by(Expert.id)
                                         .limit(batch).options(selectinload(Expert.fields)))).scalars().all()
        if not experts:
            return
        for expert in experts:
            yield _export_row(expert, vault, names, today)
        last_id = experts[-1].id


def _export_row(expert: Expert, vault: PersonalDataVault, field_names: dict[str, str], today: dt.date) -> list[str]:
    masked = vault.masked(expert)
    primary = [field_names[f.field_code] for f in expert.fields if f.is_primary]
    others = [field_names[f.field_code] for f in expert.fields if not f.is_primary]
    return [expert.code, expert.name, masked.id_number or "", str(expert.birth_date.year), expert.unit_name,
            expert.unit_uscc, expert.title, str(expert.years_in_field), "、".join(primary), "、".join(others),
            masked.phone or "", masked.bank_account or "",
            expert.last_trained_on.isoformat() if expert.last_trained_on else "",
            STATUS_NAMES[current_status(expert, today)]]
