"""The vendor registry: vendors by USCC, former names, legal representative, qualifications, related parties."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.vendors.domain.exclusions import active_exclusions
from services.vendors.domain.inputs import check_period, check_uscc, raise_if_any
from services.vendors.domain.personal_data import IdNumberVault, record_unmasking
from services.vendors.models import Qualification, Vendor, VendorAlias, VendorRelation
from services.vendors.schemas import (
    AliasView,
    LegalRepresentativeInput,
    LegalRepresentativeView,
    Page,
    QualificationInput,
    QualificationView,
    RelationCreate,
    RelationView,
    VendorCreate,
    VendorDetail,
    VendorPatch,
    VendorView,
)
from shared.audit import AuditRecorder
from shared.clock import as_utc, beijing_today, utc_now
from shared.crypto import normalise_id_number
from shared.errors import Conflict, FieldError, InvalidInput, NotFound, field_error
from shared.identifiers import id_number_problem
from shared.identity import Identity


def _with_details(statement: Any) -> Any:
    return statement.options(selectinload(Vendor.aliases), selectinload(Vendor.qualifications))


async def find_vendor(session: AsyncSession, uscc: str) -> Vendor:
    vendor = (await session.execute(_with_details(select(Vendor).where(Vendor.uscc == uscc)))).scalar_one_or_none()
    if vendor is None:
        raise NotFound("No vendor with USCC {uscc} is registered.", code="vendor.unknown", params={"uscc": uscc})
    return vendor


# Excluded today and until when (none: until lifted); a vendor not on the exclusion register is not excluded.
Excluded = tuple[bool, dt.date | None]
NOT_EXCLUDED: Excluded = (False, None)


async def exclusion_states(session: AsyncSession, usccs: Sequence[str]) -> dict[str, Excluded]:
    """Who of ``usccs`` is under an active exclusion today (Beijing date), from the exclusion register."""
    states: dict[str, Excluded] = {}
    for exclusion in await active_exclusions(session, beijing_today(), usccs):
        # equivalent mutant: True → False — the first value is thrown away (_)
        _, until = states.get(exclusion.uscc, (True, exclusion.ends_on))
        lifted = None if until is None or exclusion.ends_on is None else max(until, exclusion.ends_on)
        states[exclusion.uscc] = (True, lifted)
    return states


async def vendor_view(session: AsyncSession, vendor: Vendor, vault: IdNumberVault, *,
                      unmasked: bool = False) -> VendorView:
    excluded = (await exclusion_states(session, [vendor.uscc])).get(vendor.uscc, NOT_EXCLUDED)
    return VendorView(**_view_fields(vendor, vault, unmasked=unmasked, excluded=excluded))


def _view_fields(vendor: Vendor, vault: IdNumberVault, *, unmasked: bool, excluded: Excluded) -> dict[str, Any]:
    today = beijing_today()
    representative = None
    # equivalent mutant: or → and — name and sealed ID number are written and cleared together
    if vendor.legal_representative_name or vendor.legal_representative_id_token:
        token = vendor.legal_representative_id_token
        id_number = None
        if token is not None:
            id_number = vault.open(vendor.uscc, token) if unmasked else vault.masked(vendor.uscc, token)
        representative = LegalRepresentativeView(name=vendor.legal_representative_name, id_number=id_number,
                                                 id_number_masked=not unmasked)
    return {
        "uscc": vendor.uscc, "name": vendor.name, "status": vendor.status,
        "aliases": [AliasView(name=a.name, used_until=a.used_until) for a in vendor.aliases],
        "legal_representative": representative,
        "qualifications": [QualificationView(name=q.name, certificate_number=q.certificate_number,
                                             valid_until=q.valid_until,
                                             expired=q.valid_until is not None and q.valid_until < today)
                           for q in vendor.qualifications],
        "created_at": as_utc(vendor.created_at), "updated_at": as_utc(vendor.updated_at),
        "excluded": excluded[0], "excluded_until": excluded[1],
    }


def vendor_content(vendor: Vendor) -> dict[str, Any]:
    """What the audit digests cover: the registry fields, with the ID number only as its blind index."""
    return {"uscc": vendor.uscc, "name": vendor.name, "status": vendor.status,
            "aliases": [[a.name, a.used_until.isoformat()] for a in vendor.aliases],
            "legal_representative": [vendor.legal_representative_name, vendor.legal_representative_id_index],
            "qualifications": _qualifications_content(vendor.qualifications)}


def _qualifications_content(qualifications: Sequence[Qualification | QualificationInput]) -> list[list[Any]]:
    return [[q.name, q.certificate_number, q.valid_until and q.valid_until.isoformat()] for q in qualifications]


def _representative_content(vault: IdNumberVault, representative: LegalRepresentativeInput | None) -> list[Any]:
    if representative is None:
        return [None, None]
    return [representative.name, vault.index(normalise_id_number(representative.id_number))]


SORTS = {"uscc": Vendor.uscc, "name": Vendor.name, "status": Vendor.status, "created_at": Vendor.created_at}


async def list_vendors(session: AsyncSession, vault: IdNumberVault, *, page: int, page_size: int,
                       query: str | None = None, status: str | None = None, sort: str = "uscc") -> Page[VendorView]:
    """Always masked: a list is no place to reveal personal data in bulk. ``sort`` is one of
    ``SORTS`` (a leading "-": descending); ties by USCC."""
    statement = select(Vendor)
    if query:
        pattern = f"%{query}%"
        former = select(VendorAlias.vendor_id).where(VendorAlias.name.like(pattern))
        statement = statement.where(or_(Vendor.name.like(pattern), Vendor.uscc == query.upper(),
                                        Vendor.id.in_(former)))
    if status:
        statement = statement.where(Vendor.status == status)
    total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
    column = SORTS[sort.removeprefix("-")]
    order = [column.desc() if sort.startswith("-") else column.asc(), Vendor.uscc.asc()]
    rows = await session.execute(_with_details(statement.order_by(*order)
                                               .offset((page - 1) * page_size).limit(page_size)))
    found = list(rows.scalars())
    excluded = await exclusion_states(session, [vendor.uscc for vendor in found])
    items = [VendorView(**_view_fields(v, vault, unmasked=False, excluded=excluded.get(v.uscc, NOT_EXCLUDED)))
             for v in found]
    return Page(items=items, total=total, page=page, page_size=page_size)


async def vendor_detail(session: AsyncSession, vault: IdNumberVault, audit: AuditRecorder, actor: Identity,
                        uscc: str, *, unmasked: bool) -> VendorDetail:
    """One vendor with its related parties; an unmasked answer is recorded in the audit log."""
    vendor = await find_vendor(session, uscc)
    relations = (await session.execute(
        select(VendorRelation).where(or_(VendorRelation.vendor_id == vendor.id,
                                         VendorRelation.related_vendor_id == vendor.id))
        .options(selectinload(VendorRelation.vendor), selectinload(VendorRelation.related))
        .order_by(VendorRelation.id))).scalars().all()
    same_person: list[str] = []
    if vendor.legal_representative_id_index:
        same_person = list((await session.execute(
            select(Vendor.uscc).where(Vendor.legal_representative_id_index == vendor.legal_representative_id_index,
                                      Vendor.id != vendor.id).order_by(Vendor.uscc))).scalars())
    unmasked = unmasked and vendor.legal_representative_id_token is not None
    if unmasked:
        await record_unmasking(session, audit, actor, uscc)
    excluded = (await exclusion_states(session, [vendor.uscc])).get(vendor.uscc, NOT_EXCLUDED)
    return VendorDetail(**_view_fields(vendor, vault, unmasked=unmasked, excluded=excluded),
                        relations=[relation_view(r) for r in relations], same_legal_representative=same_person)


def relation_view(relation: VendorRelation) -> RelationView:
    return RelationView(id=relation.id, controlling_uscc=relation.vendor.uscc, controlled_uscc=relation.related.uscc,
                        kind=relation.kind, source=relation.source, valid_from=relation.valid_from,
                        valid_until=relation.valid_until, recorded_at=as_utc(relation.recorded_at))


def _check_representative(errors: list[FieldError], representative: LegalRepresentativeInput | None) -> None:
    if representative is None:
        return
    problem = id_number_problem(normalise_id_number(representative.id_number))
    if problem:
        errors.append(problem.at("legal_representative.id_number"))


def _check_qualifications(errors: list[FieldError], qualifications: list[QualificationInput]) -> None:
    seen: set[tuple[str, str]] = set()
    for index, qualification in enumerate(qualifications):
        key = (qualification.name, qualification.certificate_number)
        if key in seen:
            errors.append(field_error(f"qualifications[{index}]", "vendor.certificate_twice",
                                      "the same certificate is listed twice"))
        seen.add(key)


def _representative_columns(vault: IdNumberVault, uscc: str,
                            representative: LegalRepresentativeInput | None) -> dict[str, str | None]:
    if representative is None:
        return dict.fromkeys(("legal_representative_name", "legal_representative_id_token",
                              "legal_representative_id_index"))
    sealed = vault.seal(uscc, normalise_id_number(representative.id_number))
    return {"legal_representative_name": representative.name, "legal_representative_id_token": sealed.token,
            "legal_representative_id_index": sealed.index}


def _set_representative(vendor: Vendor, vault: IdNumberVault, representative: LegalRepresentativeInput | None) -> None:
    for column, value in _representative_columns(vault, vendor.uscc, representative).items():
        setattr(vendor, column, value)


def _set_qualifications(vendor: Vendor, qualifications: list[QualificationInput]) -> None:
    vendor.qualifications = [Qualification(name=q.name, certificate_number=q.certificate_number,
                                           valid_until=q.valid_until) for q in qualifications]


def check_vendor(data: VendorCreate, prefix: str = "") -> list[FieldError]:
    """Every field problem of a new vendor (used by the API and the spreadsheet import)."""
    errors: list[FieldError] = []
    check_uscc(errors, prefix + "uscc", data.uscc)
    _check_representative(errors, data.legal_representative)
    _check_qualifications(errors, data.qualifications)
    return errors


def new_vendor_columns(vault: IdNumberVault, data: VendorCreate) -> dict[str, Any]:
    """The registry row of a new vendor (``data`` already checked) as column values, the ID number sealed."""
    now = utc_now()
    return {"uscc": data.uscc, "name": data.name, "status": data.status, "created_at": now, "updated_at": now,
            **_representative_columns(vault, data.uscc, data.legal_representative)}


def new_vendor_content(columns: dict[str, Any], qualifications: list[QualificationInput]) -> dict[str, Any]:
    """``vendor_content`` of the vendor that ``columns`` and ``qualifications`` make, without building it."""
    return {"uscc": columns["uscc"], "name": columns["name"], "status": columns["status"], "aliases": [],
            "legal_representative": [columns["legal_representative_name"], columns["legal_representative_id_index"]],
            "qualifications": _qualifications_content(qualifications)}


async def create_vendor(session: AsyncSession, vault: IdNumberVault, audit: AuditRecorder, actor: Identity,
                        data: VendorCreate) -> VendorView:
    raise_if_any(check_vendor(data))
    if (await session.execute(select(Vendor.id).where(Vendor.uscc == data.uscc))).first():
        raise Conflict("A vendor with USCC {uscc} is already registered.", code="vendor.exists",
                       params={"uscc": data.uscc})
    vendor = Vendor(**new_vendor_columns(vault, data), aliases=[], qualifications=[])
    _set_qualifications(vendor, data.qualifications)
    session.add(vendor)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent create of the same USCC won the race
        raise Conflict("A vendor with USCC {uscc} is already registered.", code="vendor.exists",
                       params={"uscc": data.uscc}) from None
    await audit.record(session, actor=actor, action="vendor.created", object_type="vendor", object_id=data.uscc,
                       after=vendor_content(vendor), details={"qualifications": len(data.qualifications)})
    return await vendor_view(session, vendor, vault)


async def update_vendor(session: AsyncSession, vault: IdNumberVault, audit: AuditRecorder, actor: Identity,
                        uscc: str, patch: VendorPatch) -> VendorView:
    errors: list[FieldError] = []
    if patch.legal_representative is not msgspec.UNSET:
        _check_representative(errors, patch.legal_representative)
    if patch.qualifications is not msgspec.UNSET:
        _check_qualifications(errors, patch.qualifications)
    raise_if_any(errors)
    vendor = await find_vendor(session, uscc)
    before = vendor_content(vendor)
    changed = apply_patch(vendor, vault, patch)
    if not changed:
        return await vendor_view(session, vendor, vault)
    # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
    await session.flush()
    await audit.record(session, actor=actor, action="vendor.updated", object_type="vendor", object_id=uscc,
                       before=before, after=vendor_content(vendor), details={"changed": changed})
    return await vendor_view(session, vendor, vault)


def planned_changes(vendor: Vendor, vault: IdNumberVault, patch: VendorPatch) -> list[str]:
    """The parts of ``vendor`` that ``patch`` would change, in a fixed order; the vendor is left as it is."""
    changed: list[str] = []
    if patch.name is not msgspec.UNSET and patch.name != vendor.name:
        changed.append("name")
    if patch.status is not msgspec.UNSET and patch.status != vendor.status:
        changed.append("status")
    if patch.legal_representative is not msgspec.UNSET and _representative_content(
            vault, patch.legal_representative) != [vendor.legal_representative_name,
                                                    vendor.legal_representative_id_index]:
        changed.append("legal_representative")
    if patch.qualifications is not msgspec.UNSET and _qualifications_content(
            patch.qualifications) != _qualifications_content(vendor.qualifications):
        changed.append("qualifications")
    return changed


def apply_patch(vendor: Vendor, vault: IdNumberVault, patch: VendorPatch) -> list[str]:
    """Change what ``patch`` changes and nothing else (an equal ID number is not sealed again, equal
    qualifications are not rewritten); a new name keeps the old one as an alias. Returns the changed parts."""
    changed = planned_changes(vendor, vault, patch)
    if "name" in changed:
        vendor.aliases.append(VendorAlias(name=vendor.name, used_until=beijing_today()))
        vendor.name = patch.name  # type: ignore[assignment]
    if "status" in changed:
        vendor.status = patch.status  # type: ignore[assignment]
    if "legal_representative" in changed:
        _set_representative(vendor, vault, patch.legal_representative)  # type: ignore[arg-type]
    if "qualifications" in changed:
        _set_qualifications(vendor, patch.qualifications)  # type: ignore[arg-type]
    if changed:
        vendor.updated_at = utc_now()
    return changed


async def add_relation(session: AsyncSession, audit: AuditRecorder, actor: Identity, uscc: str,
                       data: RelationCreate) -> RelationView:
    errors: list[FieldError] = []
    check_uscc(errors, "related_uscc", data.related_uscc)
    check_period(errors, "valid_from", data.valid_from, "valid_until", data.valid_until)
    if data.related_uscc == uscc:
        errors.append(field_error("related_uscc", "vendor.related_to_itself", "a vendor cannot be related to itself"))
    raise_if_any(errors)
    vendor = await find_vendor(session, uscc)
    related = (await session.execute(select(Vendor).where(Vendor.uscc == data.related_uscc))).scalar_one_or_none()
    if related is None:
        raise InvalidInput.for_field("related_uscc", "vendor.no_such_uscc", "no vendor with this USCC is registered")
    relation = VendorRelation(vendor=vendor, related=related, kind=data.kind, source=data.source,
                              valid_from=data.valid_from, valid_until=data.valid_until, recorded_at=utc_now(),
                              recorded_by=actor.subject)
    session.add(relation)
    await session.flush()
    view = relation_view(relation)
    await audit.record(session, actor=actor, action="vendor.relation_added", object_type="vendor", object_id=uscc,
                       after=msgspec.to_builtins(view),
                       details={"related_uscc": related.uscc, "kind": data.kind, "relation_id": relation.id})
    return view


def active_on(day: dt.date, start: dt.date, end: dt.date | None) -> bool:
    return start <= day and (end is None or day <= end)
