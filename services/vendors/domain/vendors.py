"""The vendor registry: vendors by USCC, former names, legal representative, qualifications, related parties."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

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
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.identifiers import id_number_problem
from shared.identity import Identity


def _with_details(statement: Any) -> Any:
    return statement.options(selectinload(Vendor.aliases), selectinload(Vendor.qualifications))


async def find_vendor(session: AsyncSession, uscc: str) -> Vendor:
    vendor = (await session.execute(_with_details(select(Vendor).where(Vendor.uscc == uscc)))).scalar_one_or_none()
    if vendor is None:
        raise NotFound(f"No vendor with USCC {uscc} is registered.")
    return vendor


def vendor_view(vendor: Vendor, vault: IdNumberVault, *, unmasked: bool = False) -> VendorView:
    return VendorView(**_view_fields(vendor, vault, unmasked=unmasked))


def _view_fields(vendor: Vendor, vault: IdNumberVault, *, unmasked: bool) -> dict[str, Any]:
    today = beijing_today()
    representative = None
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
    }


def _content(vendor: Vendor) -> dict[str, Any]:
    """What the audit digests cover: the registry fields, with the ID number only as its blind index."""
    return {"uscc": vendor.uscc, "name": vendor.name, "status": vendor.status,
            "aliases": [[a.name, a.used_until.isoformat()] for a in vendor.aliases],
            "legal_representative": [vendor.legal_representative_name, vendor.legal_representative_id_index],
            "qualifications": [[q.name, q.certificate_number, q.valid_until and q.valid_until.isoformat()]
                               for q in vendor.qualifications]}


async def list_vendors(session: AsyncSession, vault: IdNumberVault, *, page: int, page_size: int,
                       query: str | None = None, status: str | None = None) -> Page[VendorView]:
    """Always masked: a list is no place to reveal personal data in bulk."""
    statement = select(Vendor)
    if query:
        pattern = f"%{query}%"
        former = select(VendorAlias.vendor_id).where(VendorAlias.name.like(pattern))
        statement = statement.where(or_(Vendor.name.like(pattern), Vendor.uscc == query.upper(),
                                        Vendor.id.in_(former)))
    if status:
        statement = statement.where(Vendor.status == status)
    total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
    rows = await session.execute(_with_details(statement.order_by(Vendor.uscc)
                                               .offset((page - 1) * page_size).limit(page_size)))
    return Page(items=[vendor_view(v, vault) for v in rows.scalars()], total=total, page=page, page_size=page_size)


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
    return VendorDetail(**_view_fields(vendor, vault, unmasked=unmasked),
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
        errors.append(FieldError("legal_representative.id_number", problem))


def _check_qualifications(errors: list[FieldError], qualifications: list[QualificationInput]) -> None:
    seen: set[tuple[str, str]] = set()
    for index, qualification in enumerate(qualifications):
        key = (qualification.name, qualification.certificate_number)
        if key in seen:
            errors.append(FieldError(f"qualifications[{index}]", "the same certificate is listed twice"))
        seen.add(key)


def _set_representative(vendor: Vendor, vault: IdNumberVault, representative: LegalRepresentativeInput | None) -> None:
    if representative is None:
        vendor.legal_representative_name = None
        vendor.legal_representative_id_token = vendor.legal_representative_id_index = None
        return
    sealed = vault.seal(vendor.uscc, normalise_id_number(representative.id_number))
    vendor.legal_representative_name = representative.name
    vendor.legal_representative_id_token, vendor.legal_representative_id_index = sealed.token, sealed.index


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


async def create_vendor(session: AsyncSession, vault: IdNumberVault, audit: AuditRecorder, actor: Identity,
                        data: VendorCreate) -> VendorView:
    raise_if_any(check_vendor(data))
    if (await session.execute(select(Vendor.id).where(Vendor.uscc == data.uscc))).first():
        raise Conflict(f"A vendor with USCC {data.uscc} is already registered.")
    now = utc_now()
    vendor = Vendor(uscc=data.uscc, name=data.name, status=data.status, created_at=now, updated_at=now,
                    aliases=[], qualifications=[])
    _set_representative(vendor, vault, data.legal_representative)
    _set_qualifications(vendor, data.qualifications)
    session.add(vendor)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent create of the same USCC won the race
        raise Conflict(f"A vendor with USCC {data.uscc} is already registered.") from None
    await audit.record(session, actor=actor, action="vendor.created", object_type="vendor", object_id=data.uscc,
                       after=_content(vendor), details={"qualifications": len(data.qualifications)})
    return vendor_view(vendor, vault)


async def update_vendor(session: AsyncSession, vault: IdNumberVault, audit: AuditRecorder, actor: Identity,
                        uscc: str, patch: VendorPatch) -> VendorView:
    errors: list[FieldError] = []
    if patch.legal_representative is not msgspec.UNSET:
        _check_representative(errors, patch.legal_representative)
    if patch.qualifications is not msgspec.UNSET:
        _check_qualifications(errors, patch.qualifications)
    raise_if_any(errors)
    vendor = await find_vendor(session, uscc)
    before = _content(vendor)
    changed: list[str] = []
    if patch.name is not msgspec.UNSET and patch.name != vendor.name:
        vendor.aliases.append(VendorAlias(name=vendor.name, used_until=beijing_today()))
        vendor.name = patch.name
        changed.append("name")
    if patch.status is not msgspec.UNSET and patch.status != vendor.status:
        vendor.status = patch.status
        changed.append("status")
    if patch.legal_representative is not msgspec.UNSET:
        _set_representative(vendor, vault, patch.legal_representative)
    if patch.qualifications is not msgspec.UNSET:
        _set_qualifications(vendor, patch.qualifications)
    after = _content(vendor)
    for key in ("legal_representative", "qualifications"):
        if before[key] != after[key]:
            changed.append(key)
    if not changed:
        return vendor_view(vendor, vault)
    vendor.updated_at = utc_now()
    await session.flush()
    await audit.record(session, actor=actor, action="vendor.updated", object_type="vendor", object_id=uscc,
                       before=before, after=after, details={"changed": changed})
    return vendor_view(vendor, vault)


async def add_relation(session: AsyncSession, audit: AuditRecorder, actor: Identity, uscc: str,
                       data: RelationCreate) -> RelationView:
    errors: list[FieldError] = []
    check_uscc(errors, "related_uscc", data.related_uscc)
    check_period(errors, "valid_from", data.valid_from, "valid_until", data.valid_until)
    if data.related_uscc == uscc:
        errors.append(FieldError("related_uscc", "a vendor cannot be related to itself"))
    raise_if_any(errors)
    vendor = await find_vendor(session, uscc)
    related = (await session.execute(select(Vendor).where(Vendor.uscc == data.related_uscc))).scalar_one_or_none()
    if related is None:
        raise InvalidInput.for_field("related_uscc", "no vendor with this USCC is registered")
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
