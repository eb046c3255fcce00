"""Vendors in and out of spreadsheets (xlsx or csv) with the column headers of a bureau's register.

An import checks every row as the create endpoint would, imports all valid ones in one transaction
and reports the others row by row; a dry run only reports. A vendor already registered (the same
USCC) is updated, never added twice, and a new name keeps the old one as a former name (曾用名).
An empty optional cell means "not given": a re-import keeps what is stored. Exports mask the legal
representative's ID number under a header of its own, so an exported sheet imports back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.vendors.domain.personal_data import IdNumberVault
from services.vendors.domain.vendors import (
    NOT_EXCLUDED,
    Excluded,
    apply_patch,
    check_vendor,
    exclusion_states,
    new_vendor_columns,
    new_vendor_content,
    planned_changes,
    vendor_content,
)
from services.vendors.models import Qualification, Vendor
from services.vendors.schemas import QualificationInput, VendorCreate, VendorImportReport, VendorPatch
from shared.audit import AuditRecorder
from shared.audit.chain import Actor
from shared.clock import as_utc, utc_now
from shared.contracts.statuses import VendorStatus
from shared.errors import Conflict, Params, validation_code
from shared.identifiers import uscc_problem
from shared.identity import Identity
from shared.spreadsheets import RowError, SheetFormat, parse_date, read_rows, sheet_bytes

# Attribute path (as in the create endpoint's body) → column header, in sheet order.
COLUMNS = {
    "uscc": "统一社会信用代码",
    "name": "供应商名称",
    "status": "状态",
    "legal_representative.name": "法定代表人",
    "legal_representative.id_number": "法定代表人身份证号",
    "qualifications.name": "资质名称",
    "qualifications.certificate_number": "资质证书编号",
    "qualifications.valid_until": "资质有效期至",
}
REQUIRED = ("uscc", "name")
REQUIRED_HEADERS = [COLUMNS[key] for key in REQUIRED]
STATUS_NAMES = {VendorStatus.ACTIVE: "正常", VendorStatus.SUSPENDED: "暂停", VendorStatus.DEREGISTERED: "注销"}
_STATUS_CODES = {**{name: code for code, name in STATUS_NAMES.items()}, **{code: code for code in STATUS_NAMES}}
# Not the import's ID-number header: a masked value must never be read back as a new ID number.
MASKED_ID_HEADER = "法定代表人身份证号（已脱敏）"
EXPORT_COLUMNS = [*(COLUMNS[key] if key != "legal_representative.id_number" else MASKED_ID_HEADER
                    for key in COLUMNS), "曾用名", "更新时间", "禁止参加政府采购"]
_ITEM_SEPARATORS = re.compile(r"[;；\n]")
_MSGSPEC_PATH = re.compile(r"at `\$\.([\w.\[\]]+)`")
_INDEX = re.compile(r"\[\d+\]")
_EXAMPLE = ["91330326MA2CKL7M0Q", "平阳县示例信息技术有限公司", "正常", "陈建国", "330326197805120033",
            "信息系统建设和服务能力等级证书；ISO/IEC 27001", "CS3-3300-2024-0001；ISMS-0001", "2027-12-31；"]


def read_vendor_rows(content: bytes, filename: str = "") -> list[dict[str, str]]:
    return read_rows(content, filename, REQUIRED_HEADERS)


def template(format: SheetFormat) -> bytes:
    """The import columns and one example row that imports as it is."""
    return sheet_bytes(format, "供应商", [list(COLUMNS.values()), _EXAMPLE])


# Checking rows

@dataclass(frozen=True)
class _Row:
    number: int  # as the user sees it in the sheet: the header is row 1
    vendor: VendorCreate  # what a create of this row would send
    given: frozenset[str]  # optional parts the row fills: status, legal_representative, qualifications
    representative_name: str | None  # a 法定代表人 given without the ID number (as an export has it)


def _column(field: str) -> str:
    key = _INDEX.sub("", field)
    return COLUMNS.get(key) or COLUMNS.get(f"{key}.name") or key


def _items(text: str) -> list[str]:
    return [item.strip() for item in _ITEM_SEPARATORS.split(text)] if text else []


def _qualifications(cell: dict[str, str], error: Callable[..., None]) -> list[dict[str, Any]]:
    names = [item for item in _items(cell["qualifications.name"]) if item]
    numbers = [item for item in _items(cell["qualifications.certificate_number"]) if item]
    expiries = _items(cell["qualifications.valid_until"])
    if len(numbers) != len(names):
        error("qualifications.certificate_number", "sheet.certificate_count",
              "lists {numbers} certificate numbers for {names} qualifications",
              {"numbers": len(numbers), "names": len(names)})
    if len(expiries) > len(names):
        error("qualifications.valid_until", "sheet.expiry_count", "lists {dates} dates for {names} qualifications",
              {"dates": len(expiries), "names": len(names)})
    dates = []
    for text in expiries:
        try:
            dates.append(parse_date(text))
        except ValueError:
            error("qualifications.valid_until", "sheet.not_a_date", "not a date (use 2027-12-31)")
            return []
    # equivalent mutant: - → + — zip stops at the names: a longer tail of None is never read
    dates += [None] * (len(names) - len(dates))
    return [{"name": name, "certificate_number": number, "valid_until": day}
            for name, number, day in zip(names, numbers, dates, strict=False)]


def _check_row(number: int, cells: dict[str, str]) -> _Row | list[RowError]:
    errors: list[RowError] = []

    def error(key: str, code: str, message: str, params: Params | None = None) -> None:
        params = params or {}
        errors.append(RowError(row=number, column=_column(key), message=message.format_map(params), code=code,
                               params=params))

    cell = {key: cells.get(header, "") for key, header in COLUMNS.items()}
    for key in REQUIRED:
        if not cell[key]:
            error(key, "field.required", "required")
    given: set[str] = set()
    raw: dict[str, Any] = {"uscc": cell["uscc"].upper(), "name": cell["name"]}
    uscc_refused = bool(raw["uscc"] and (problem := uscc_problem(raw["uscc"])))
    if uscc_refused:
        error("uscc", problem.code, problem.message, problem.params)
    if cell["status"]:
        given.add("status")
        raw["status"] = _STATUS_CODES.get(cell["status"])
        if raw["status"] is None:
            error("status", "sheet.vendor_status", "must be 正常, 暂停 or 注销")
    representative_name = None
    if cell["legal_representative.id_number"]:
        given.add("legal_representative")
        if not cell["legal_representative.name"]:
            error("legal_representative.name", "sheet.representative_name", "required with the ID number")
        raw["legal_representative"] = {"name": cell["legal_representative.name"],
                                       "id_number": cell["legal_representative.id_number"]}
    elif cell["legal_representative.name"]:
        representative_name = cell["legal_representative.name"]
    if any(cell[key] for key in COLUMNS if key.startswith("qualifications.")):
        given.add("qualifications")
        raw["qualifications"] = _qualifications(cell, error)
    if len(errors) > uscc_refused:
        return errors
    # A refused USCC hides none of the row's other problems (as the create endpoint reports them all): the
    # rest is checked with a stand-in code of the right length, whose own problems are not the row's.
    try:
        vendor = msgspec.convert({**raw, "uscc": "0" * 18} if uscc_refused else raw, VendorCreate)
    except msgspec.ValidationError as invalid:
        # The same limits as the API (lengths); msgspec names the first attribute it refuses, never its value.
        found = _MSGSPEC_PATH.search(str(invalid))
        message = str(invalid).split(" - ")[0]
        code, params = validation_code(message)
        error(found.group(1) if found else "name", code, message, params)
        return errors
    for problem in check_vendor(vendor):
        if not (uscc_refused and problem.field == "uscc"):
            error(problem.field, problem.code, problem.message, problem.params)
    if errors:
        return errors
    return _Row(number=number, vendor=vendor, given=frozenset(given), representative_name=representative_name)


def _patch(row: _Row) -> VendorPatch:
    data = row.vendor
    return VendorPatch(
        name=data.name,
        status=data.status if "status" in row.given else msgspec.UNSET,
        legal_representative=data.legal_representative if "legal_representative" in row.given else msgspec.UNSET,
        qualifications=data.qualifications if "qualifications" in row.given else msgspec.UNSET)


def _representative_error(row: _Row, vendor: Vendor | None) -> RowError | None:
    """A 法定代表人 without an ID number only restates the stored one; a new one needs the number."""
    if row.representative_name is None or (vendor is not None
                                           and vendor.legal_representative_name == row.representative_name):
        return None
    return RowError(row=row.number, column=COLUMNS["legal_representative.id_number"],
                    message="required with a new 法定代表人", code="sheet.representative_id_number")


# Importing

async def import_vendors(session: AsyncSession, vault: IdNumberVault, audit: AuditRecorder,
                         actor: Identity | Actor, rows: list[dict[str, str]], *, dry_run: bool
                         ) -> VendorImportReport:
    """Check every row and, unless ``dry_run``, create or update the vendors of all valid rows, with one
    audit entry for the import."""
    errors: list[RowError] = []
    valid: list[_Row] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows, start=2):
        checked = _check_row(number, cells)
        if isinstance(checked, list):
            errors += checked
        elif checked.vendor.uscc in seen:
            errors.append(RowError(row=number, column=COLUMNS["uscc"],
                                   message=f"the same vendor as row {seen[checked.vendor.uscc]}",
                                   code="sheet.same_vendor", params={"row": seen[checked.vendor.uscc]}))
        else:
            seen[checked.vendor.uscc] = number
            valid.append(checked)
    existing = await _vendors_by_uscc(session, [row.vendor.uscc for row in valid])
    created: list[_Row] = []
    updated: list[tuple[_Row, Vendor, VendorPatch]] = []
    unchanged = 0
    for row in valid:
        vendor = existing.get(row.vendor.uscc)
        if (problem := _representative_error(row, vendor)) is not None:
            errors.append(problem)
        elif vendor is None:
            created.append(row)
        elif planned_changes(vendor, vault, patch := _patch(row)):
            updated.append((row, vendor, patch))
        else:
            unchanged += 1
    errors.sort(key=lambda error: error.row)
    if not dry_run and (created or updated):
        await _write(session, vault, audit, actor, created, updated)
    return VendorImportReport(dry_run=dry_run, rows=len(rows), created=len(created), updated=len(updated),
                              unchanged=unchanged, rejected=len({error.row for error in errors}), errors=errors)


async def _vendors_by_uscc(session: AsyncSession, usccs: list[str]) -> dict[str, Vendor]:
    found: dict[str, Vendor] = {}
    for start in range(0, len(usccs), 5000):  # under every driver's limit on bound parameters
        # equivalent mutant: 5000 → 5001 — chunks overlapping by one look up the same rows
        rows = await session.execute(select(Vendor).where(Vendor.uscc.in_(usccs[start:start + 5000]))
                                     .options(selectinload(Vendor.aliases), selectinload(Vendor.qualifications)))
        found.update({vendor.uscc: vendor for vendor in rows.scalars()})
    return found


async def _write(session: AsyncSession, vault: IdNumberVault, audit: AuditRecorder, actor: Identity | Actor,
                 created: list[_Row], updated: list[tuple[_Row, Vendor, VendorPatch]]) -> None:
    new_vendors = [(new_vendor_columns(vault, row.vendor), row.vendor.qualifications) for row in created]
    before = [vendor_content(vendor) for _, vendor, _ in updated]
    changed = {vendor.uscc: apply_patch(vendor, vault, patch) for _, vendor, patch in updated}
    try:
        await _insert_in_bulk(session, new_vendors)
        await session.flush()
    except IntegrityError:  # another writer registered one of these USCCs since they were looked up
        raise Conflict("A vendor in the sheet was registered meanwhile; nothing was imported. "
                       "Import the sheet again.", code="vendor.import_raced") from None
    # One entry for the whole import, naming every vendor it created or updated and what changed: an
    # entry per vendor costs more than the import itself on a large sheet, past the gateway's timeout.
    await audit.record(session, actor=actor, action="vendors.imported", object_type="import",
                       object_id=utc_now().isoformat(), before=before,
                       after=[*(new_vendor_content(*vendor) for vendor in new_vendors),
                              *(vendor_content(vendor) for _, vendor, _ in updated)],
                       details={"created": [columns["uscc"] for columns, _ in new_vendors], "updated": changed})


async def _insert_in_bulk(session: AsyncSession,
                          vendors: list[tuple[dict[str, Any], list[QualificationInput]]]) -> None:
    """Insert new vendors (column values) and their qualifications with a few multi-row statements.

    ORM objects and the unit of work, which inserts vendors one by one to learn each new id, would
    make a 10,000-row sheet take longer than the gateway waits. The ids are read back by USCC instead.
    """
    for start in range(0, len(vendors), 1000):
        chunk = vendors[start:start + 1000]
        # Core inserts: the ORM's bulk insert would split the rows wherever a None stands in another column.
        await session.execute(insert(Vendor.__table__), [columns for columns, _ in chunk])
        ids = dict((await session.execute(select(Vendor.uscc, Vendor.id).where(
            Vendor.uscc.in_([columns["uscc"] for columns, _ in chunk])))).all())
        qualifications = [{"vendor_id": ids[columns["uscc"]], "name": q.name,
                           "certificate_number": q.certificate_number, "valid_until": q.valid_until}
                          for columns, listed in chunk for q in listed]
        if qualifications:
            await session.execute(insert(Qualification.__table__), qualifications)


# Exports

# equivalent mutant: 1000 → 1001 — the batch only splits the reading: the same rows in order
async def export_rows(session: AsyncSession, vault: IdNumberVault, batch: int = 1000) -> AsyncIterator[list[str]]:
    """Each vendor as a row of EXPORT_COLUMNS (the header first), by USCC, fetched in batches."""
    yield EXPORT_COLUMNS
    last = ""
    while True:
        vendors = (await session.execute(
            select(Vendor).where(Vendor.uscc > last).order_by(Vendor.uscc).limit(batch)
            .options(selectinload(Vendor.aliases), selectinload(Vendor.qualifications)))).scalars().all()
        if not vendors:
            return
        excluded = await exclusion_states(session, [vendor.uscc for vendor in vendors])
        for vendor in vendors:
            yield _export_row(vendor, vault, excluded.get(vendor.uscc, NOT_EXCLUDED))
        last = vendors[-1].uscc


def _exclusion_cell(excluded: Excluded) -> str:
    """Whether the exclusion register bars the vendor today (Beijing date), as every vendor listing says."""
    active, until = excluded
    if not active:
        return "否"
    return f"是（至 {until.isoformat()}）" if until is not None else "是（至解除）"


def _export_row(vendor: Vendor, vault: IdNumberVault, excluded: Excluded) -> list[str]:
    token = vendor.legal_representative_id_token
    qualifications = vendor.qualifications
    return [vendor.uscc, vendor.name, STATUS_NAMES[vendor.status], vendor.legal_representative_name or "",
            vault.masked(vendor.uscc, token) if token else "",
            "；".join(q.name for q in qualifications), "；".join(q.certificate_number for q in qualifications),
            "；".join(q.valid_until.isoformat() if q.valid_until else "" for q in qualifications)
            if any(q.valid_until for q in qualifications) else "",
            "；".join(alias.name for alias in vendor.aliases), as_utc(vendor.updated_at).isoformat(),
            _exclusion_cell(excluded)]
