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
    birth_date_in,
    current_status,
    format_pool_number,
    next_pool_number,
    over_age_errors,
    personal_data_details,
    profile_errors,
)
from services.experts.domain.personal_data import PERSONAL_FIELDS, PersonalDataVault
from services.experts.domain.statuses import ExpertStatus
from services.experts.models import Expert, ExpertField, Field
from services.experts.schemas import ExpertFieldInput, ExpertImportReport, ExpertProfile
from services.experts.settings import PoolRules
from shared import spreadsheets
from shared.audit import AuditChange, AuditRecorder
from shared.audit.chain import Actor
from shared.clock import beijing_today, utc_now
from shared.crypto import normalise_id_number
from shared.errors import field_error, validation_code
from shared.identifiers import id_number_problem
from shared.identity import Identity
from shared.spreadsheets import RowError, SheetFormat, SpreadsheetError, parse_date, sheet_bytes

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
CODE_HEADER = "专家编号"
CODE_KEY = "code:"  # a row's key when it names its expert by pool number alone
# The export shows the birth year where the import takes the date: beside the ID number's last four a
# full birth date would leave a handful of possible numbers (docs/guarantees.md §7, masking).
EXPORT_COLUMNS = {"code": "专家编号", **COLUMNS, "birth_date": "出生年份", "status": "状态"}
# The export for re-import: the import's columns unmasked, the pool number and status beside them
# (an import reads neither).
REIMPORT_COLUMNS = {"code": CODE_HEADER, **COLUMNS, "status": "状态"}
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

CLEAR = "-"  # a single "-" in an optional cell clears the stored value; an empty cell keeps it
OPTIONAL = ("other_fields", "phone", "bank_account", "last_trained_on")
TEMPLATE_NOTE = ("已在库的专家（按身份证号识别）：可选列（出生日期、其他专业领域、手机号码、银行账号、最近培训日期）"
                 "留空则保留库中已有的值，填写单个“-”则清空该值。本列不导入。")
# The masked export's note column: a sheet that has it is refused whole by the import.
NOTE_HEADER = "说明"
MASKED_NOTE = "个人信息已遮蔽，本表不能重新导入；重新导入请使用“导出（可重新导入）”"


@dataclass
class _Row:
    number: int  # as the user sees it in the sheet: the header is row 1
    values: dict[str, Any]  # the profile values the row gives (an optional cell left empty is absent)
    id_index: str
    primary: str
    others: list[str] | None  # None: the other fields cell was empty, the stored ones are kept


def _field_codes(text: str, by_name: dict[str, str]) -> list[str]:
    return [by_name.get(item, item) for item in _LIST_SEPARATORS.split(text) if item]


def _check_row(number: int, cells: dict[str, str], field_names: dict[str, str], assignable: set[str],
               vault: PersonalDataVault, today: dt.date) -> _Row | list[RowError]:
    """The row's profile values, or every problem it has (each with its column), never only the first."""
    errors: list[RowError] = []

    def error(attribute: str, code: str, message: str, params: dict[str, Any] | None = None) -> None:
        errors.append(RowError(row=number, column=COLUMNS.get(attribute, attribute), message=message, code=code,
                               params=params or {}))

    cell = {name: cells.get(header, "") for name, header in COLUMNS.items()}
    # A row of the export for re-import names its expert by pool number too: one entered without an ID
    # number is found by it (and keeps no ID number); a new expert needs the ID number.
    code = cells.get(CODE_HEADER, "").strip().upper()
    for name in REQUIRED:
        if not cell[name] and not (name == "id_number" and code):
            error(name, "field.required", "required")
    id_number = normalise_id_number(cell["id_number"]) if cell["id_number"] else ""
    if id_number and (problem := id_number_problem(id_number)):
        error("id_number", problem.code, problem.message, problem.params)
        id_number = ""
    dates: dict[str, dt.date | None] = {}
    for name in ("birth_date", "last_trained_on"):
        try:
            dates[name] = None if cell[name] == CLEAR else parse_date(cell[name])
        except ValueError:
            error(name, "sheet.not_a_date", "not a date (use 2024-03-01)")
            dates[name] = None
    years = cell["years_in_field"]
    if years and not years.isdigit():
        error("years_in_field", "expert.whole_years", "must be a whole number of years")
    primary = (_field_codes(cell["primary_field"], field_names) or [""])[0]
    others = None if not cell["other_fields"] else [] if cell["other_fields"] == CLEAR else [
        code for code in _field_codes(cell["other_fields"], field_names) if code != primary]
    if primary and primary not in assignable:
        error("primary_field", "expert.field_unassignable", "no such field, or the field is retired")
    if others and any(code not in assignable for code in others):
        error("other_fields", "expert.field_unassignable", "no such field, or the field is retired")
    if others and len(others) > 2:
        error("other_fields", "expert.too_many_fields", "an expert holds at most 3 fields")
    if others and len(set(others)) < len(others):  # by name and by code alike: as the API, not a duplicate row
        error("other_fields", "field.listed_twice", "a field is listed twice")
    raw: dict[str, Any] = {
        "name": cell["name"], "unit_uscc": cell["unit_uscc"], "unit_name": cell["unit_name"], "title": cell["title"],
        # equivalent mutant: 0 → 1 — a stand-in for the struct check: an empty or bad cell is refused
        "years_in_field": int(years) if years.isdigit() else 0,
        # equivalent mutant: True → False — a stand-in: the struct does not count primaries (checked above)
        "fields": [{"code": "X", "primary": True}],  # the fields are checked above, by name
    }
    birth_from_id = birth_date_in(id_number) if id_number else None
    # equivalent mutant: 1 → 2 — a stand-in for the struct check: with no date given, none is set
    # equivalent mutant: 1980 → 1981 — a stand-in for the struct check: with no date given, none is set
    raw["birth_date"] = dates["birth_date"] or birth_from_id or dt.date(1980, 1, 1)
    for name in ("phone", "bank_account"):
        if cell[name] and cell[name] != CLEAR:
            raw[name] = cell[name]
    for attribute, message, code, params in _struct_problems(raw):
        if cell.get(attribute, "x"):  # an empty required cell is reported once, as required
            error(attribute, code, message, params)
    values: dict[str, Any] = {name: raw[name] for name in ("name", "unit_uscc", "unit_name", "title",
                                                           "years_in_field")}
    if dates["birth_date"] or birth_from_id:  # a row named by pool number alone may leave it to what is stored
        values["birth_date"] = raw["birth_date"]
    if id_number:
        values["id_number"] = id_number
    values["fields"] = [ExpertFieldInput(code=primary, primary=True),
                        *(ExpertFieldInput(code=code) for code in others or [])]
    for name in ("phone", "bank_account"):
        if cell[name]:
            values[name] = None if cell[name] == CLEAR else raw[name]
    if cell["last_trained_on"]:
        values["last_trained_on"] = dates["last_trained_on"]
    # The API's checks of each value and of the values against each other, over the cells not refused yet.
    refused = {problem.column for problem in errors}
    checked = {name: value for name, value in values.items()
               if name != "fields" and COLUMNS.get(name) not in refused
               and (cell.get(name, "x") or (name == "birth_date" and id_number))}
    if not id_number:
        checked.pop("id_number", None)
    for problem in profile_errors(checked, today):
        column = COLUMNS.get(problem.field.split("[")[0], COLUMNS["other_fields"])
        if column not in refused:
            errors.append(RowError(row=number, column=column, message=problem.message, code=problem.code,
                                   params=problem.params))
    if errors:
        return errors
    return _Row(number=number, values=values,
                id_index=vault.id_number_index(id_number) if id_number else CODE_KEY + code, primary=primary,
                others=others)


def _struct_problems(raw: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every attribute the API's limits (lengths, ranges) refuse, not only the first: msgspec names one
    at a time, so each one named is taken out and the rest checked again."""
    problems: list[tuple[str, str, str, dict[str, Any]]] = []
    trial = dict(raw)
    for _ in range(len(raw)):
        try:
            msgspec.convert(trial, ExpertProfile)
            return problems
        except msgspec.ValidationError as invalid:
            found = _MSGSPEC_PATH.search(str(invalid))
            attribute, message = found.group(1) if found else "name", str(invalid).split(" - ")[0]
            code, params = validation_code(message)
            problems.append((attribute, message, code, params))
            if attribute not in trial or attribute in ("fields", "birth_date"):
                return problems
            trial[attribute] = _PLACEHOLDERS.get(attribute)
            if trial[attribute] is None:
                # equivalent mutant: drop `trial.pop(attribute)` — only optional ones lack a placeholder
                trial.pop(attribute)
    return problems


# Values within the API's limits, put in place of a refused one so the rest of the row is checked too.
_PLACEHOLDERS: dict[str, Any] = {"name": "x", "unit_uscc": "x" * 18, "unit_name": "x", "title": "x",
                                 # equivalent mutant: 0 → 1 — a placeholder in range: any serves
                                 "years_in_field": 0}


def _changes(expert: Expert | None, row: _Row, vault: PersonalDataVault) -> dict[str, Any]:
    """What the row changes: for a new expert every value given, for a stored one only the values that
    differ (an optional cell left empty keeps the stored value; a personal value is compared opened)."""
    values = dict(row.values)
    if expert is None:
        return {name: value for name, value in values.items() if value is not None}
    if row.others is None:  # the other fields kept as stored
        values["fields"] = [ExpertFieldInput(code=row.primary, primary=True), *(
            ExpertFieldInput(code=f.field_code) for f in expert.fields
            if not f.is_primary and f.field_code != row.primary)]
    changed: dict[str, Any] = {}
    for name in ("name", "birth_date", "unit_uscc", "unit_name", "title", "years_in_field", "last_trained_on"):
        if name in values and values[name] != getattr(expert, name):
            changed[name] = values[name]
    if {(f.code, f.primary) for f in values["fields"]} != {(f.field_code, f.is_primary) for f in expert.fields}:
        changed["fields"] = values["fields"]
    stored = vault.open(expert)
    for name in PERSONAL_FIELDS:
        if name in values:
            given = values[name]
            if given is not None:
                given = normalise_id_number(given) if name == "id_number" else "".join(given.split())
            if given != getattr(stored, name):
                changed[name] = values[name]
    return changed


def refuse_masked_export(rows: list[dict[str, str]]) -> None:
    """A masked export cannot come back: its ID numbers, phones and accounts are masked."""
    if rows and any(row.get(NOTE_HEADER) == MASKED_NOTE for row in rows):
        raise SpreadsheetError(
            "This is a masked export: its personal data is masked, so it cannot be imported back. "
            "Export the pool for re-import (bureau admins) instead.", code="sheet.masked_export",
            errors=[field_error("file", "sheet.masked_export", "a masked export cannot be imported back")])


# Importing

async def import_experts(session: AsyncSession, audit: AuditRecorder, actor: Identity | Actor,
                         vault: PersonalDataVault, rows: list[dict[str, str]], *, dry_run: bool,
                         progress: ImportProgress | None = None, rules: PoolRules | None = None) -> ExpertImportReport:
    """Check every row and, unless ``dry_run``, create or update the experts of all valid rows.

    Every problem of a row is reported (row and column); a row that changes nothing of a stored
    expert counts as unchanged and writes nothing. The one entry point for the HTTP import and the
    ``sortes experts import`` command.
    """
    refuse_masked_export(rows)
    rules = rules or PoolRules()
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
    created: list[tuple[_Row, dict[str, Any]]] = []
    updated: list[tuple[_Row, dict[str, Any]]] = []
    unchanged = 0
    for row in valid:
        expert = existing.get(row.id_index)
        if expert is None and row.id_index.startswith(CODE_KEY):
            errors.append(RowError(row=row.number, column=COLUMNS["id_number"], message="required",
                                   code="field.required"))  # a pool number not in the pool: a new expert
            continue
        if expert is None and (problems := over_age_errors(row.values, today, rules.max_age)):
            errors += [RowError(row=row.number, column=COLUMNS["birth_date"], message=p.message, code=p.code,
                                params=p.params) for p in problems]
            continue
        if expert is not None:
            errors += _stored_conflicts(row, expert, today)
        changes = _changes(expert, row, vault)
        if expert is None:
            created.append((row, changes))
        elif changes:
            updated.append((row, changes))
        else:
            unchanged += 1
    rejected_rows = {error.row for error in errors}
    created = [(row, changes) for row, changes in created if row.number not in rejected_rows]
    updated = [(row, changes) for row, changes in updated if row.number not in rejected_rows]
    if not dry_run:
        await _write(session, audit, actor, vault, created, updated, existing, progress)
    return ExpertImportReport(dry_run=dry_run, rows=len(rows), created=len(created), updated=len(updated),
                              rejected=len(rejected_rows), errors=sorted(errors, key=lambda e: e.row),
                              unchanged=unchanged)


def _stored_conflicts(row: _Row, expert: Expert, today: dt.date) -> list[RowError]:
    """The row against the stored expert: too many fields once the stored other fields are kept."""
    if row.others is None and 1 + len([f for f in expert.fields if not f.is_primary
                                       and f.field_code != row.primary]) > 3:
        return [RowError(row=row.number, column=COLUMNS["other_fields"], message="an expert holds at most 3 fields",
                         code="expert.too_many_fields")]
    return []


async def _experts_by_id_index(session: AsyncSession, indexes: list[str]) -> dict[str, Expert]:
    """The stored experts by the rows' keys: the ID number's blind index, or the pool number."""
    found: dict[str, Expert] = {}
    codes = [index.removeprefix(CODE_KEY) for index in indexes if index.startswith(CODE_KEY)]
    indexes = [index for index in indexes if not index.startswith(CODE_KEY)]
    for start in range(0, len(codes), 5000):
        # equivalent mutant: 5000 → 5001 — chunks overlapping by one look up the same rows
        rows = await session.execute(select(Expert).where(Expert.code.in_(codes[start:start + 5000]))
                                     .options(*DETAIL_LOADS))
        found.update({CODE_KEY + expert.code: expert for expert in rows.scalars()})
    for start in range(0, len(indexes), 5000):  # under every driver's limit on bound parameters
        # equivalent mutant: 5000 → 5001 — chunks overlapping by one look up the same rows
        chunk = indexes[start:start + 5000]
        rows = await session.execute(select(Expert).where(Expert.id_number_index.in_(chunk)).options(*DETAIL_LOADS))
        found.update({expert.id_number_index: expert for expert in rows.scalars()})  # type: ignore[misc]
    return found


async def _write(session: AsyncSession, audit: AuditRecorder, actor: Identity | Actor, vault: PersonalDataVault,
                 created: list[tuple[_Row, dict[str, Any]]], updated: list[tuple[_Row, dict[str, Any]]],
                 existing: dict[str, Expert], progress: ImportProgress) -> None:
    now, written = utc_now(), len(created) + len(updated)
    if not written:
        return
    first_number = int((await next_pool_number(session))[1:])
    changes: list[tuple[dict[str, Any], Expert, dict[str, Any] | None]] = []
    for offset, (_, values) in enumerate(created):
        expert = Expert(code=format_pool_number(first_number + offset), status=ExpertStatus.ACTIVE, created_at=now,
                        updated_at=now, fields=[], former_employers=[], certificates=[], bad_conduct_records=[])
        apply_profile(expert, vault, values)
        changes.append((values, expert, None))
        progress("writing", len(changes), written)
    await _insert_in_bulk(session, [expert for _, expert, _ in changes])
    for row, values in updated:
        expert = existing[row.id_index]
        before = audited_content(expert)
        apply_profile(expert, vault, values)
        expert.updated_at = now
        changes.append((values, expert, before))
        progress("writing", len(changes), written)
    await session.flush()
    # One entry for the import, then one for each expert, as a create or an edit through the API
    # writes it: an auditor following one expert finds the import among its entries, the digests
    # following on from the entry before.
    import_id = str(uuid.uuid4())
    entries = [AuditChange("experts.imported", "import", import_id,
                           details={"created": len(created), "updated": len(updated)})]
    for values, expert, before in changes:
        entries.append(AuditChange("expert.created" if before is None else "expert.updated", "expert", expert.code,
                                   before, audited_content(expert),
                                   {"import": import_id, **personal_data_details(values)}))
    await audit.record_many(session, actor=actor, changes=entries)


async def _insert_in_bulk(session: AsyncSession, experts: list[Expert]) -> None:
    """Insert the (session-less) ``experts`` and their fields with a few multi-row statements.

    The unit of work would insert experts one by one to learn each new id; a sheet of 10,000 rows
    takes seconds that way. The ids are read back by pool number instead.
    """
    if not experts:
        return
    columns = [column.key for column in Expert.__table__.columns if column.key != "id"]
    for chunk in _chunks(experts):
        await session.execute(insert(Expert), [{name: getattr(e, name) for name in columns} for e in chunk])
        ids = {code: expert_id for code, expert_id in await session.execute(select(Expert.code, Expert.id).where(
            Expert.code.in_([e.code for e in chunk])))}
        field_rows = [{"expert_id": ids[e.code], "field_code": f.field_code, "is_primary": f.is_primary}
                      for e in chunk for f in e.fields]
        await session.execute(insert(ExpertField), field_rows)


# equivalent mutant: 2000 → 2001 — the size only splits the inserts into statements
def _chunks(items: list[Expert], size: int = 2000) -> list[list[Expert]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    pass


# The template and exports

def template(format: SheetFormat) -> bytes:
    """The import columns and one example row that imports as it is."""
    return sheet_bytes(format, "专家", [[*COLUMNS.values(), NOTE_HEADER], [
        "张三", "33032619800101001X", "1980-01-01", "平阳县某某单位", "11330326862981311N", "高级工程师", "15",
        "应用系统", "信息安全、数据资源", "13900000000", "6222000000000000000", "2026-03-01", TEMPLATE_NOTE]])


# equivalent mutant: 1000 → 1001 — the batch only splits the reading: the same rows in order
async def export_rows(session: AsyncSession, vault: PersonalDataVault, batch: int = 1000, *,
                      # equivalent mutant: False → True — every caller says which export (the route, by name)
                      for_reimport: bool = False) -> AsyncIterator[list[str]]:
    """Each expert as a row (the header first), fetched in batches by pool number.

    Masked (EXPORT_COLUMNS), every row says in its 说明 column that the sheet cannot be imported back;
    ``for_reimport`` (bureau admins, audited by the route) gives the import's columns unmasked with
    the pool number and status beside them, so that it imports back with no change.
    """
    yield list(REIMPORT_COLUMNS.values()) if for_reimport else [*EXPORT_COLUMNS.values(), NOTE_HEADER]
    today = beijing_today()
    names = {code: name for code, name in await session.execute(select(Field.code, Field.name_zh))}
    last_id = 0
    while True:
        experts = (await session.execute(select(Expert).where(Expert.id > last_id).order_by(Expert.id)
                                         .limit(batch).options(selectinload(Expert.fields)))).scalars().all()
        if not experts:
            return
        for expert in experts:
            yield (_reimport_row(expert, vault, names, today) if for_reimport
                   else [*_export_row(expert, vault, names, today), MASKED_NOTE])
        last_id = experts[-1].id


def _field_cells(expert: Expert, field_names: dict[str, str]) -> tuple[str, str]:
    primary = [field_names[f.field_code] for f in expert.fields if f.is_primary]
    others = [field_names[f.field_code] for f in expert.fields if not f.is_primary]
    return "、".join(primary), "、".join(others)


def _export_row(expert: Expert, vault: PersonalDataVault, field_names: dict[str, str], today: dt.date) -> list[str]:
    masked = vault.masked(expert)
    primary, others = _field_cells(expert, field_names)
    return [expert.code, expert.name, masked.id_number or "", str(expert.birth_date.year), expert.unit_name,
            expert.unit_uscc, expert.title, str(expert.years_in_field), primary, others,
            masked.phone or "", masked.bank_account or "",
            expert.last_trained_on.isoformat() if expert.last_trained_on else "",
            STATUS_NAMES[current_status(expert, today)]]


def _reimport_row(expert: Expert, vault: PersonalDataVault, field_names: dict[str, str],
                  today: dt.date) -> list[str]:
    opened = vault.open(expert)
    primary, others = _field_cells(expert, field_names)
    # An empty optional cell would keep a stored value on import; here an empty one is written "-" so
    # that the sheet says what is stored (nothing), and an import of it clears nothing that is there.
    return [expert.code, expert.name, opened.id_number or "", expert.birth_date.isoformat(), expert.unit_name,
            expert.unit_uscc, expert.title, str(expert.years_in_field), primary, others or CLEAR,
            opened.phone or CLEAR, opened.bank_account or CLEAR,
            expert.last_trained_on.isoformat() if expert.last_trained_on else CLEAR,
            STATUS_NAMES[current_status(expert, today)]]
