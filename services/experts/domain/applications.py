"""Joining the pool by application (入库申请与审核), and experts' own changes under review.

A person applies through the public page (the gateway forwards it as itself), or a signed-in unit
user recommends them; both are checked as the pool's profiles are (:func:`experts.profile_errors`),
and a person already in the pool, or with an application still open, is refused by the blind index
of the ID number. A bureau admin approves — the expert enters the pool with the next pool number,
active, training pending — or rejects with a reason. The applicant reads the status with the number
and the receipt code given once at submission; only the code's digest is kept.

An expert proposes changes to their contact, employer, title and fields; a bureau admin approves or
rejects each request with a reason. An approved change of employer keeps the old one among the
former employers, left on the approval's day or the day given, so the 3-year avoidance holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.experts.domain.availability import expert_of_account
from services.experts.domain.experts import (
    DETAIL_LOADS,
    apply_profile,
    audited_content,
    flush_refusing_duplicates,
    keep_former_employer,
    next_pool_number,
    profile_errors,
    unassignable_field_errors,
)
from services.experts.domain.personal_data import PersonalData, PersonalDataVault
from services.experts.domain.statuses import ApplicationKind, ApplicationStatus, ExpertStatus
from services.experts.models import Expert, ExpertApplication, ExpertChangeRequest
from services.experts.schemas import (
    ApplicationReceipt,
    ApplicationStatusQuery,
    ApplicationStatusView,
    ApprovalInput,
    CertificateView,
    ChangeRequestInput,
    ChangeRequestView,
    ExpertApplicationInput,
    ExpertApplicationView,
    ExpertFieldInput,
    ExpertFieldView,
    Page,
    ProposedChanges,
    RejectionInput,
)
from shared.audit import AuditRecorder
from shared.clock import BEIJING, as_utc, beijing_today, utc_now
from shared.crypto import mask_id_number, mask_phone, normalise_id_number
from shared.db import hold_lock
from shared.errors import Conflict, FieldError, InvalidInput, NotFound, field_error
from shared.identity import Identity

PUBLIC_SUBJECT = "gateway"  # the gateway forwards the public page's applications as itself


def _context(field: str, number: str) -> str:
    return f"experts.application.{field}:{number}"


# Typed back by a person: no letters or digits that look alike (0/O, 1/I/L), in groups of four.
_RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _new_receipt_code() -> str:
    """16 characters of a 31-letter alphabet (79 bits), as ``XXXX-XXXX-XXXX-XXXX``."""
    characters = "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(16))
    return "-".join(characters[index:index + 4] for index in range(0, 16, 4))


def _digest(receipt_code: str) -> str:
    """The digest kept of a receipt code, as typed back: case, spaces and hyphens do not matter."""
    typed = "".join(character for character in receipt_code.upper() if character.isalnum())
    return hashlib.sha256(typed.encode()).hexdigest()


def _decided_on(moment: dt.datetime | None) -> dt.date | None:
    return None if moment is None else as_utc(moment).astimezone(BEIJING).date()


# Applications

async def _next_number(session: AsyncSession, column: Any, prefix: str, lock: str) -> str:
    await hold_lock(session, lock)
    last = (await session.execute(select(column).order_by(func.length(column).desc(), column.desc())
                                  .limit(1))).scalar_one_or_none()
    return f"{prefix}{(int(last[2:]) + 1) if last else 1:06d}"


async def submit_application(session: AsyncSession, audit: AuditRecorder, actor: Identity,
                             vault: PersonalDataVault, data: ExpertApplicationInput) -> ApplicationReceipt:
    public = actor.subject == PUBLIC_SUBJECT
    values = msgspec.structs.asdict(data)
    errors = profile_errors(values, beijing_today()) + await unassignable_field_errors(session, data.fields)
    if errors:
        raise InvalidInput("The application has invalid fields.", code="expert.profile_invalid", errors=errors)
    id_number = normalise_id_number(data.id_number)
    index = vault.id_number_index(id_number)
    await hold_lock(session, "experts.application_number")  # two submissions of one person: one waits
    await _refuse_duplicates(session, index, name_them=not public)
    number = await _next_number(session, ExpertApplication.number, "SQ", "experts.application_number")
    receipt_code = _new_receipt_code()
    now = utc_now()
    application = ExpertApplication(
        number=number, kind=ApplicationKind.SELF if public else ApplicationKind.RECOMMENDED,
        recommended_by_unit=None if public else actor.unit, submitted_by=None if public else actor.subject,
        receipt_digest=_digest(receipt_code), status=ApplicationStatus.PENDING, name=data.name,
        birth_date=data.birth_date, unit_uscc=data.unit_uscc, unit_name=data.unit_name, title=data.title,
        years_in_field=data.years_in_field,
        fields=json.dumps([{"code": f.code, "primary": f.primary} for f in data.fields]),
        certificates=msgspec.json.encode(data.certificates).decode(),
        phone_token=vault.keyring.encrypt("".join(data.phone.split()), context=_context("phone", number)),
        id_number_token=vault.keyring.encrypt(id_number, context=_context("id_number", number)),
        id_number_index=index, submitted_at=now)
    session.add(application)
    await session.flush()
    await audit.record(session, actor=actor, action="expert_application.submitted",
                       object_type="expert_application", object_id=number,
                       after=_audited(application), details={"kind": application.kind,
                                                             "personal_data_changed": ["phone", "id_number"]})
    return ApplicationReceipt(number=number, receipt_code=receipt_code, status=application.status, submitted_at=now)


async def _refuse_duplicates(session: AsyncSession, index: str, *, name_them: bool,
                             except_number: str | None = None) -> None:
    """409 naming the ID number when the person is in the pool or has an open application; the pool
    number or application number is named to signed-in callers only (not to the public page)."""
    expert = (await session.execute(select(Expert.code).where(Expert.id_number_index == index))).scalar_one_or_none()
    if expert is not None and name_them:
        raise Conflict("This person is already in the pool as {expert}.", code="application.duplicate_expert",
                       params={"expert": expert},
                       errors=[field_error("id_number", "application.duplicate_expert",
                                           "already in the pool as {expert}", {"expert": expert})])
    if expert is not None:
        raise Conflict("This person is already in the pool.", code="application.already_in_pool",
                       errors=[field_error("id_number", "application.already_in_pool", "already in the pool")])
    pending = select(ExpertApplication.number).where(ExpertApplication.id_number_index == index,
                                                     ExpertApplication.status == ApplicationStatus.PENDING)
    if except_number is not None:
        pending = pending.where(ExpertApplication.number != except_number)
    open_number = (await session.execute(pending.limit(1))).scalar_one_or_none()
    if open_number is not None and name_them:
        raise Conflict("An application {application} for this person is already under review.",
                       code="application.duplicate_pending", params={"application": open_number},
                       errors=[field_error("id_number", "application.duplicate_pending",
                                           "application {application} is already under review",
                                           {"application": open_number})])
    if open_number is not None:
        raise Conflict("An application for this person is already under review.", code="application.already_pending",
                       errors=[field_error("id_number", "application.already_pending",
                                           "an application is already under review")])


async def application_status(session: AsyncSession, query: ApplicationStatusQuery) -> ApplicationStatusView:
    """The applicant's view; an unknown number and a wrong code are refused alike."""
    application = (await session.execute(select(ExpertApplication).where(
        ExpertApplication.number == query.number))).scalar_one_or_none()
    stored = application.receipt_digest if application is not None else _digest("")
    if application is None or not hmac.compare_digest(stored, _digest(query.receipt_code)):
        raise NotFound("No application with this number and receipt code.", code="application.unknown",
                       errors=[field_error("receipt_code", "application.unknown",
                                           "no application with this number and receipt code")])
    return ApplicationStatusView(
        number=application.number, name=application.name, status=application.status,
        submitted_at=as_utc(application.submitted_at), decided_on=_decided_on(application.decided_at),
        reason=application.decision_reason if application.status == ApplicationStatus.REJECTED else None,
        expert_code=application.expert_code)


async def list_applications(session: AsyncSession, vault: PersonalDataVault, *, status: str | None,
                            unit: str | None = None, page: int = 1, page_size: int = 50) -> Page[ExpertApplicationView]:
    query = select(ExpertApplication)
    if status:
        query = query.where(ExpertApplication.status == status)
    if unit is not None:
        query = query.where(ExpertApplication.recommended_by_unit == unit)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await session.execute(query.order_by(ExpertApplication.submitted_at, ExpertApplication.number)
                                  .offset((page - 1) * page_size).limit(page_size))).scalars().all()
    duplicates = dict((await session.execute(select(Expert.id_number_index, Expert.code).where(
        Expert.id_number_index.in_([row.id_number_index for row in rows])))).all()) if rows else {}
    return Page(items=[_application_view(row, vault, duplicates.get(row.id_number_index)) for row in rows],
                total=total, page=page, page_size=page_size)


async def load_application(session: AsyncSession, number: str, *, lock: bool = False) -> ExpertApplication:
    """One application; ``lock`` (to decide it) holds its row, so two admins deciding at once take turns."""
    statement = select(ExpertApplication).where(ExpertApplication.number == number)
    application = (await session.execute(statement.with_for_update() if lock else statement)).scalar_one_or_none()
    if application is None:
        raise NotFound("No application {application}.", code="application.not_found",
                       params={"application": number})
    return application


async def application_view(session: AsyncSession, vault: PersonalDataVault, number: str) -> ExpertApplicationView:
    application = await load_application(session, number)
    duplicate = (await session.execute(select(Expert.code).where(
        Expert.id_number_index == application.id_number_index))).scalar_one_or_none()
    return _application_view(application, vault, duplicate)


def _application_view(application: ExpertApplication, vault: PersonalDataVault,
                      duplicate_of: str | None) -> ExpertApplicationView:
    phone = _open(vault, application, "phone")
    id_number = _open(vault, application, "id_number")
    return ExpertApplicationView(
        number=application.number, kind=application.kind, recommended_by_unit=application.recommended_by_unit,
        status=application.status, name=application.name, birth_date=application.birth_date,
        unit_uscc=application.unit_uscc, unit_name=application.unit_name, title=application.title,
        years_in_field=application.years_in_field, fields=_fields(application.fields),
        certificates=msgspec.json.decode(application.certificates, type=list[CertificateView]),
        personal_data=PersonalData(phone=mask_phone(phone) if phone else None,
                                   id_number=mask_id_number(id_number) if id_number else None),
        submitted_at=as_utc(application.submitted_at),
        decided_at=as_utc(application.decided_at) if application.decided_at else None,
        decided_by=application.decided_by, decision_reason=application.decision_reason,
        expert_code=application.expert_code,
        duplicate_of=duplicate_of if application.status == ApplicationStatus.PENDING else None)


def _open(vault: PersonalDataVault, application: ExpertApplication, field: str) -> str | None:
    token = getattr(application, f"{field}_token")
    return None if token is None else vault.keyring.decrypt(token, context=_context(field, application.number))


def _fields(stored: str) -> list[ExpertFieldView]:
    return sorted((ExpertFieldView(code=f["code"], primary=f["primary"]) for f in json.loads(stored)),
                  key=lambda view: (not view.primary, view.code))


def _pending(decided: ExpertApplication | ExpertChangeRequest) -> None:
    if decided.status == ApplicationStatus.PENDING:
        return
    if isinstance(decided, ExpertApplication):
        raise Conflict("The application was already decided ({status}).", code="application.decided",
                       params={"status": decided.status})
    raise Conflict("The change request was already decided ({status}).", code="change_request.decided",
                   params={"status": decided.status})


async def approve_application(session: AsyncSession, audit: AuditRecorder, actor: Identity,
                              vault: PersonalDataVault, number: str, decision: ApprovalInput) -> ExpertApplicationView:
    """The applicant enters the pool: the next pool number, active, training pending (never trained)."""
    if decision.left_on is not None:
        raise InvalidInput.for_field("left_on", "application.left_on_unwanted",
                                     "only a change of employer has a day the old one was left")
    application = await load_application(session, number, lock=True)
    _pending(application)
    await _refuse_duplicates(session, application.id_number_index, name_them=True, except_number=number)
    fields = [ExpertFieldInput(code=f.code, primary=f.primary) for f in _fields(application.fields)]
    if errors := await unassignable_field_errors(session, fields):
        raise InvalidInput("A field of the application is retired now; reject it or ask for a new one.",
                           code="expert.profile_invalid", errors=errors)
    now = utc_now()
    expert = Expert(code=await next_pool_number(session), status=ExpertStatus.ACTIVE, created_at=now, updated_at=now,
                    fields=[], former_employers=[], certificates=[], bad_conduct_records=[])
    apply_profile(expert, vault, {
        "name": application.name, "birth_date": application.birth_date, "unit_uscc": application.unit_uscc,
        "unit_name": application.unit_name, "title": application.title,
        "years_in_field": application.years_in_field, "fields": fields,
        "certificates": msgspec.json.decode(application.certificates, type=list[CertificateView]),
        "phone": _open(vault, application, "phone"), "id_number": _open(vault, application, "id_number")})
    session.add(expert)
    await flush_refusing_duplicates(session)
    before = _audited(application)
    application.status, application.expert_code = ApplicationStatus.APPROVED, expert.code
    application.decided_at, application.decided_by, application.decision_reason = now, actor.subject, decision.reason
    await session.flush()
    await audit.record(session, actor=actor, action="expert_application.approved", object_type="expert_application",
                       object_id=number, before=before,
                       after={**_audited(application), "expert": audited_content(expert)},
                       details={"expert": expert.code, "personal_data_changed": ["phone", "id_number"]})
    return _application_view(application, vault, None)


async def reject_application(session: AsyncSession, audit: AuditRecorder, actor: Identity,
                             vault: PersonalDataVault, number: str, decision: RejectionInput) -> ExpertApplicationView:
    application = await load_application(session, number, lock=True)
    _pending(application)
    before = _audited(application)
    application.status = ApplicationStatus.REJECTED
    application.decided_at, application.decided_by, application.decision_reason = (
        utc_now(), actor.subject, decision.reason)
    await session.flush()
    await audit.record(session, actor=actor, action="expert_application.rejected", object_type="expert_application",
                       object_id=number, before=before, after=_audited(application),
                       details={"reason": decision.reason})
    return _application_view(application, vault, None)


def _audited(application: ExpertApplication) -> dict[str, Any]:
    """The application without its personal data."""
    return {"kind": application.kind, "status": application.status, "name": application.name,
            "birth_date": application.birth_date, "unit_uscc": application.unit_uscc,
            "unit_name": application.unit_name, "title": application.title,
            "years_in_field": application.years_in_field, "fields": application.fields,
            "certificates": application.certificates, "recommended_by_unit": application.recommended_by_unit,
            "decision_reason": application.decision_reason, "expert_code": application.expert_code}


# Change requests

def _proposed(changes: ChangeRequestInput) -> dict[str, Any]:
    return {name: value for name, value in msgspec.structs.asdict(changes).items() if value is not msgspec.UNSET}


async def propose_changes(session: AsyncSession, audit: AuditRecorder, actor: Identity, vault: PersonalDataVault,
                          data: ChangeRequestInput) -> ChangeRequestView:
    expert = await expert_of_account(session, actor.subject)
    values = _proposed(data)
    errors: list[FieldError] = []
    if not set(values) - {"left_on"}:
        errors.append(field_error("changes", "change_request.empty", "propose at least one change"))
    if ("unit_uscc" in values) != ("unit_name" in values):
        missing = "unit_name" if "unit_uscc" in values else "unit_uscc"
        errors.append(field_error(missing, "change_request.employer_incomplete",
                                  "a new employer needs both its code and its name"))
    if "left_on" in values and "unit_uscc" not in values:
        errors.append(field_error("left_on", "application.left_on_unwanted",
                                  "only a change of employer has a day the old one was left"))
    errors += _left_on_errors(values.get("left_on"))
    errors += profile_errors(values, beijing_today())
    if "fields" in values:
        errors += await unassignable_field_errors(session, data.fields,  # type: ignore[arg-type]
                                                  [f.field_code for f in expert.fields])
    if errors:
        raise InvalidInput("The proposed changes have invalid fields.", code="expert.profile_invalid", errors=errors)
    number = await _next_number(session, ExpertChangeRequest.number, "BG", "experts.change_request_number")
    stored = {name: value for name, value in values.items() if name != "phone"}
    request = ExpertChangeRequest(
        number=number, expert_id=expert.id, submitted_by=actor.subject, status=ApplicationStatus.PENDING,
        changes=msgspec.json.encode(stored).decode(),
        phone_token=vault.keyring.encrypt("".join(values["phone"].split()), context=_context("change", number))
        if "phone" in values else None, submitted_at=utc_now())
    session.add(request)
    await session.flush()
    await audit.record(session, actor=actor, action="expert_change.proposed", object_type="expert",
                       object_id=expert.code, after={"request": number, "changes": stored},
                       details={"request": number, "personal_data_changed": ["phone"] if "phone" in values else []})
    return _change_view(request, expert, vault)


def _left_on_errors(left_on: dt.date | None) -> list[FieldError]:
    if left_on is not None and left_on > beijing_today():
        return [field_error("left_on", "date.in_future", "must not be in the future")]
    return []


async def list_change_requests(session: AsyncSession, vault: PersonalDataVault, *, status: str | None = None,
                               account: str | None = None, page: int = 1,
                               page_size: int = 50) -> Page[ChangeRequestView]:
    query = select(ExpertChangeRequest)
    if status:
        query = query.where(ExpertChangeRequest.status == status)
    if account is not None:
        expert = await expert_of_account(session, account)
        query = query.where(ExpertChangeRequest.expert_id == expert.id)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await session.execute(query.order_by(ExpertChangeRequest.submitted_at, ExpertChangeRequest.number)
                                  .offset((page - 1) * page_size).limit(page_size))).scalars().all()
    experts = {e.id: e for e in (await session.execute(select(Expert).where(
        Expert.id.in_({row.expert_id for row in rows})).options(selectinload(Expert.fields)))).scalars()}
    return Page(items=[_change_view(row, experts[row.expert_id], vault) for row in rows], total=total, page=page,
                page_size=page_size)


def _change_view(request: ExpertChangeRequest, expert: Expert, vault: PersonalDataVault) -> ChangeRequestView:
    stored = json.loads(request.changes)
    phone = None if request.phone_token is None else vault.keyring.decrypt(
        request.phone_token, context=_context("change", request.number))
    current_phone = vault.masked(expert).phone
    return ChangeRequestView(
        number=request.number, expert_code=expert.code, expert_name=expert.name, status=request.status,
        changes=ProposedChanges(
            phone=mask_phone(phone) if phone else None, unit_uscc=stored.get("unit_uscc"),
            unit_name=stored.get("unit_name"), title=stored.get("title"),
            fields=_fields(json.dumps(stored["fields"])) if "fields" in stored else None,
            left_on=dt.date.fromisoformat(stored["left_on"]) if stored.get("left_on") else None),
        current=ProposedChanges(
            phone=current_phone if phone else None,
            unit_uscc=expert.unit_uscc if "unit_uscc" in stored else None,
            unit_name=expert.unit_name if "unit_name" in stored else None,
            title=expert.title if "title" in stored else None,
            fields=sorted((ExpertFieldView(code=f.field_code, primary=f.is_primary) for f in expert.fields),
                          key=lambda view: (not view.primary, view.code)) if "fields" in stored else None),
        submitted_at=as_utc(request.submitted_at),
        decided_at=as_utc(request.decided_at) if request.decided_at else None,
        decided_by=request.decided_by, decision_reason=request.decision_reason)


async def _load_change_request(session: AsyncSession, number: str) -> tuple[ExpertChangeRequest, Expert]:
    # The row held: two admins deciding at once take turns, and the second finds it decided.
    request = (await session.execute(select(ExpertChangeRequest).where(
        ExpertChangeRequest.number == number).with_for_update())).scalar_one_or_none()
    if request is None:
        raise NotFound("No change request {request}.", code="change_request.not_found", params={"request": number})
    expert = (await session.execute(select(Expert).where(Expert.id == request.expert_id)
                                    .options(*DETAIL_LOADS))).scalar_one()
    return request, expert


async def approve_change_request(session: AsyncSession, audit: AuditRecorder, actor: Identity,
                                 vault: PersonalDataVault, number: str, decision: ApprovalInput) -> ChangeRequestView:
    request, expert = await _load_change_request(session, number)
    _pending(request)
    stored = json.loads(request.changes)
    errors = _left_on_errors(decision.left_on)
    if decision.left_on is not None and "unit_uscc" not in stored:
        errors.append(field_error("left_on", "application.left_on_unwanted",
                                  "only a change of employer has a day the old one was left"))
    fields = [ExpertFieldInput(code=f["code"], primary=f["primary"]) for f in stored.get("fields", [])]
    if "fields" in stored:  # a field retired since the proposal
        errors += await unassignable_field_errors(session, fields, [f.field_code for f in expert.fields])
    if errors:
        raise InvalidInput("The change cannot be approved as it is.", code="expert.profile_invalid", errors=errors)
    today = beijing_today()
    before = audited_content(expert)
    values: dict[str, Any] = {name: stored[name] for name in ("unit_uscc", "unit_name", "title") if name in stored}
    if "fields" in stored:
        values["fields"] = fields
    if request.phone_token is not None:
        values["phone"] = vault.keyring.decrypt(request.phone_token, context=_context("change", number))
    if "unit_uscc" in stored:
        left_on = decision.left_on or (dt.date.fromisoformat(stored["left_on"]) if stored.get("left_on") else today)
        keep_former_employer(expert, stored["unit_uscc"], left_on)
    apply_profile(expert, vault, values)
    expert.updated_at = utc_now()
    request.status = ApplicationStatus.APPROVED
    request.decided_at, request.decided_by, request.decision_reason = utc_now(), actor.subject, decision.reason
    await session.flush()
    await audit.record(session, actor=actor, action="expert_change.approved", object_type="expert",
                       object_id=expert.code, before=before, after=audited_content(expert),
                       details={"request": number, "reason": decision.reason,
                                "personal_data_changed": ["phone"] if "phone" in values else []})
    return _change_view(request, expert, vault)


async def reject_change_request(session: AsyncSession, audit: AuditRecorder, actor: Identity,
                                vault: PersonalDataVault, number: str, decision: RejectionInput) -> ChangeRequestView:
    request, expert = await _load_change_request(session, number)
    _pending(request)
    request.status = ApplicationStatus.REJECTED
    request.decided_at, request.decided_by, request.decision_reason = utc_now(), actor.subject, decision.reason
    await session.flush()
    await audit.record(session, actor=actor, action="expert_change.rejected", object_type="expert",
                       object_id=expert.code, details={"request": number, "reason": decision.reason})
    return _change_view(request, expert, vault)
