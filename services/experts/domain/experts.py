"""The expert pool (专家库): profiles, pool numbers, status changes, and the filtered list.

Nothing is ever deleted: an expert leaves the pool by being retired.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.experts.domain.fields import assignable_field_codes
from services.experts.domain.personal_data import PERSONAL_FIELDS, PersonalDataVault
from services.experts.domain.statuses import ExpertStatus
from services.experts.domain.training import trained_until
from services.experts.models import BadConductRecord, Certificate, Expert, ExpertField, FormerEmployer
from services.experts.schemas import (
    BadConductView,
    CertificateView,
    ExpertChanges,
    ExpertDetail,
    ExpertFieldInput,
    ExpertFieldView,
    ExpertProfile,
    ExpertView,
    FormerEmployerView,
    Page,
    StatusChange,
)
from services.experts.settings import PoolRules
from shared.audit import AuditRecorder, system_actor
from shared.audit.chain import Actor
from shared.clock import add_months, as_utc, beijing_today, utc_now
from shared.crypto import normalise_id_number
from shared.db import hold_lock
from shared.errors import Conflict, FieldError, InvalidInput, NotFound, field_error
from shared.identifiers import id_number_problem, uscc_problem
from shared.identity import Identity

PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,19}$")
BANK_ACCOUNT = re.compile(r"^[0-9]{12,30}$")
SORTS: dict[str, Any] = {
    "code": Expert.code, "name": Expert.name, "unit_name": Expert.unit_name,
    "years_in_field": Expert.years_in_field, "trained_until": Expert.last_trained_on,
}
DETAIL_LOADS = (selectinload(Expert.fields), selectinload(Expert.former_employers),
                 selectinload(Expert.certificates), selectinload(Expert.bad_conduct_records))


# Reading

def current_status(expert: Expert, today: dt.date) -> str:
    """The status on ``today`` (a Beijing date): a suspension ends by itself after ``suspended_until``.

    Worked out on reading, never written back: the end date was set, and audited, with the suspension,
    so its passing is no change of its own. Eligibility reads a suspension the same way.
    """
    suspended_until = expert.suspended_until
    if expert.status == ExpertStatus.SUSPENDED and suspended_until is not None and suspended_until < today:
        return ExpertStatus.ACTIVE
    return expert.status


def _status_condition(status: str, today: dt.date) -> ColumnElement[bool]:
    """Experts whose :func:`current_status` on ``today`` is ``status``."""
    suspended = Expert.status == ExpertStatus.SUSPENDED
    if status == ExpertStatus.ACTIVE:
        return or_(Expert.status == ExpertStatus.ACTIVE, and_(suspended, Expert.suspended_until < today))
    if status == ExpertStatus.SUSPENDED:
        return and_(suspended, or_(Expert.suspended_until.is_(None), Expert.suspended_until >= today))
    return Expert.status == status


def expert_view(expert: Expert, rules: PoolRules, today: dt.date | None = None) -> ExpertView:
    status = current_status(expert, today or beijing_today())
    return ExpertView(
        code=expert.code, name=expert.name, unit_uscc=expert.unit_uscc, unit_name=expert.unit_name,
        title=expert.title, years_in_field=expert.years_in_field, status=status,
        fields=_field_views(expert), trained_until=trained_until(expert.last_trained_on, rules.training_valid_months),
        suspended_until=expert.suspended_until if status == ExpertStatus.SUSPENDED else None,
    )


def expert_detail(expert: Expert, rules: PoolRules, vault: PersonalDataVault, *,
                  unmasked: bool = False, birth_date_shown: bool) -> ExpertDetail:
    """One expert in full; after a suspension's end ``status`` is active again, while ``status_reason``
    and ``suspended_until`` still tell of the last change made. The birth date only for bureau admins
    (``birth_date_shown``): beside the masked ID number it would leave a handful of possible numbers."""
    return ExpertDetail(
        code=expert.code, name=expert.name, birth_date=expert.birth_date if birth_date_shown else None,
        unit_uscc=expert.unit_uscc,
        unit_name=expert.unit_name, title=expert.title, years_in_field=expert.years_in_field,
        fields=_field_views(expert),
        former_employers=[FormerEmployerView(unit_uscc=f.unit_uscc, unit_name=f.unit_name, started_on=f.started_on,
                                             ended_on=f.ended_on) for f in expert.former_employers],
        certificates=[CertificateView(name=c.name, expires_on=c.expires_on) for c in expert.certificates],
        bad_conduct_records=[BadConductView(occurred_on=b.occurred_on, description=b.description)
                             for b in expert.bad_conduct_records],
        status=current_status(expert, beijing_today()), status_reason=expert.status_reason,
        status_changed_on=expert.status_changed_on,
        suspended_until=expert.suspended_until, last_trained_on=expert.last_trained_on,
        trained_until=trained_until(expert.last_trained_on, rules.training_valid_months),
        account_subject=expert.account_subject,
        personal_data=vault.open(expert) if unmasked else vault.masked(expert), personal_data_masked=not unmasked,
        created_at=as_utc(expert.created_at), updated_at=as_utc(expert.updated_at),
        birth_year=expert.birth_date.year,
    )


def _field_views(expert: Expert) -> list[ExpertFieldView]:
    return sorted((ExpertFieldView(code=f.field_code, primary=f.is_primary) for f in expert.fields),
                  key=lambda view: (not view.primary, view.code))


async def load_expert(session: AsyncSession, code: str) -> Expert:
    statement = select(Expert).where(Expert.code == code).options(*DETAIL_LOADS)
    expert = (await session.execute(statement)).scalar_one_or_none()
    if expert is None:
        raise NotFound("No expert with pool number {expert}.", code="expert.unknown", params={"expert": code})
    return expert


async def list_experts(session: AsyncSession, rules: PoolRules, *, page: int, page_size: int,
                       field_code: str | None = None, status: str | None = None, unit: str | None = None,
                       trained: bool | None = None, text_query: str | None = None,
                       sort: str = "code", today: dt.date | None = None) -> Page[ExpertView]:
    """A page of the pool: every expert that matches, whether seated on a panel or not (leaving one
    out would tell who sits on a sealed panel)."""
    today = today or beijing_today()
    query = select(Expert)
    if field_code:
        query = query.where(Expert.id.in_(select(ExpertField.expert_id).where(ExpertField.field_code == field_code)))
    if status:
        query = query.where(_status_condition(status, today))
    if unit:
        query = query.where(Expert.unit_uscc == unit)
    if trained is not None:
        query = query.where(_trained_condition(rules, today, trained))
    if text_query:
        pattern = "%" + text_query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in (
            Expert.code, Expert.name, Expert.unit_name, Expert.title))))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    column = SORTS[sort.removeprefix("-")]
    order = [column.desc() if sort.startswith("-") else column.asc(), Expert.code.asc()]
    rows = await session.execute(query.options(selectinload(Expert.fields)).order_by(*order)
                                 .offset((page - 1) * page_size).limit(page_size))
    return Page(items=[expert_view(e, rules, today) for e in rows.scalars()], total=total, page=page,
                page_size=page_size)


def _trained_condition(rules: PoolRules, today: dt.date, trained: bool) -> ColumnElement[bool]:
    earliest = add_months(today, -rules.training_valid_months)
    if trained:
        return Expert.last_trained_on >= earliest
    return or_(Expert.last_trained_on.is_(None), Expert.last_trained_on < earliest)


# Checking input

def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Full years on ``day`` (someone born on 29 February turns a year older on 1 March)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


MIN_WORKING_AGE = 16  # years in the field count from this age at the earliest


def birth_date_in(id_number: str) -> dt.date | None:
    """The birth date an 18-digit ID number encodes, or None when it encodes none."""
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def consistency_errors(values: dict[str, Any], today: dt.date, stored: Expert | None = None,
                       stored_id_number: str | None = None) -> list[FieldError]:
    """The ID number, the birth date and the years in the field checked against each other, in the API
    and the import alike: the birth date must be the one the ID number encodes, and the years in the
    field no more than the years since the age of 16. On an update the stored values stand in for
    those not given; only a change to one of them is checked (a stored profile is not refused anew).
    """
    errors: list[FieldError] = []
    birth = values.get("birth_date", stored.birth_date if stored is not None else None)
    given_id = values.get("id_number")
    id_number = normalise_id_number(given_id) if given_id is not None else stored_id_number
    if ("birth_date" in values or given_id is not None) and birth is not None and id_number \
            and id_number_problem(id_number) is None and birth_date_in(id_number) != birth:
        errors.append(field_error("birth_date" if "birth_date" in values else "id_number",
                                  "expert.birth_date_mismatch", "differs from the birth date in the ID number"))
    years = values.get("years_in_field", stored.years_in_field if stored is not None else None)
    if ("years_in_field" in values or "birth_date" in values) and birth is not None and years is not None:
        # equivalent mutant: 0 → 1 — an expert is 18 or older (checked when given): age − 16 is 2 at least
        most = max(age_on(birth, today) - MIN_WORKING_AGE, 0)
        if years > most:
            errors.append(field_error("years_in_field", "expert.years_exceed_age",
                                      "at most {most} years: the years since the age of {age}",
                                      {"most": most, "age": MIN_WORKING_AGE}))
    return errors


def retirement_reason(rules: PoolRules) -> str:
    """The reason an expert is retired at the age limit (domain/retirement.py)."""
    return f"年满{rules.max_age}周岁，达到专家年龄上限，自动退出专家库"


def over_age_errors(values: dict[str, Any], today: dt.date, max_age: int) -> list[FieldError]:
    """A new expert must be under the age limit: at it they would be retired the same day."""
    if "birth_date" in values and age_on(values["birth_date"], today) >= max_age:
        return [field_error("birth_date", "expert.over_age_limit", "at or over the age limit of {max_age}",
                            {"max_age": max_age})]
    return []


def profile_errors(values: dict[str, Any], today: dt.date, stored: Expert | None = None,
                   stored_id_number: str | None = None) -> list[FieldError]:
    """Field-level problems with the given profile values (only the keys present are checked, and
    checked against each other and, on an update, against the ``stored`` expert).

    Messages never repeat a value: several of them are personal data.
    """
    errors: list[FieldError] = []

    def refuse(field: str, code: str, message: str) -> None:
        errors.append(field_error(field, code, message))

    if "birth_date" in values and not 18 <= age_on(values["birth_date"], today) < 100:
        refuse("birth_date", "expert.age", "an expert is between 18 and 100 years old")
    if "unit_uscc" in values and (problem := uscc_problem(values["unit_uscc"])):
        errors.append(problem.at("unit_uscc"))
    for index, employer in enumerate(values.get("former_employers") or []):
        if problem := uscc_problem(employer.unit_uscc):
            errors.append(problem.at(f"former_employers[{index}].unit_uscc"))
        if employer.started_on and employer.started_on > employer.ended_on:
            refuse(f"former_employers[{index}].ended_on", "period.end_before_start", "must not be before started_on")
    if values.get("phone") is not None and not PHONE.match(values["phone"]):
        refuse("phone", "expert.phone", "must be a phone number: digits, optionally with +, spaces or hyphens")
    if values.get("id_number") is not None and (problem := id_number_problem(normalise_id_number(values["id_number"]))):
        errors.append(problem.at("id_number"))
    if values.get("bank_account") is not None and not BANK_ACCOUNT.match("".join(values["bank_account"].split())):
        refuse("bank_account", "expert.bank_account", "must be 12 to 30 digits")
    if values.get("last_trained_on") is not None and values["last_trained_on"] > today:
        refuse("last_trained_on", "date.in_future", "must not be in the future")
    if "fields" in values:
        errors += _field_list_errors(values["fields"])
    if not any(error.field in ("birth_date", "id_number") for error in errors):
        errors += consistency_errors(values, today, stored, stored_id_number)
    return errors


def _field_list_errors(fields: list[ExpertFieldInput]) -> list[FieldError]:
    errors = [field_error(f"fields[{index}].code", "field.listed_twice", "listed twice")
              for index, field in enumerate(fields) if field.code in [f.code for f in fields[:index]]]
    if sum(field.primary for field in fields) != 1:
        errors.append(field_error("fields", "expert.one_primary_field", "exactly one field must be primary"))
    return errors


async def unassignable_field_errors(session: AsyncSession, fields: list[ExpertFieldInput],
                                    already_held: Iterable[str] = ()) -> list[FieldError]:
    """A field is given anew only while it is not retired; an expert keeps a retired field already held."""
    assignable = await assignable_field_codes(session) | set(already_held)
    return [field_error(f"fields[{index}].code", "expert.field_unassignable", "no such field, or the field is retired")
            for index, field in enumerate(fields) if field.code not in assignable]


# Writing

async def next_pool_number(session: AsyncSession) -> str:
    await hold_lock(session, "experts.pool_number")  # two admins at once must not take the same number
    last = (await session.execute(select(Expert.code).order_by(
        func.length(Expert.code).desc(), Expert.code.desc()).limit(1))).scalar_one_or_none()
    return format_pool_number(int(last[1:]) + 1 if last else 1)


def format_pool_number(number: int) -> str:
    return f"E{number:05d}"


async def create_expert(session: AsyncSession, audit: AuditRecorder, actor: Identity, vault: PersonalDataVault,
                        rules: PoolRules, profile: ExpertProfile) -> ExpertDetail:
    values = msgspec.structs.asdict(profile)
    today = beijing_today()
    errors = (profile_errors(values, today) + over_age_errors(values, today, rules.max_age)
              + await unassignable_field_errors(session, profile.fields))
    if errors:
        raise InvalidInput("The profile has invalid fields.", code="expert.profile_invalid", errors=errors)
    now = utc_now()
    expert = Expert(code=await next_pool_number(session), status=ExpertStatus.ACTIVE, created_at=now, updated_at=now,
                    fields=[], former_employers=[], certificates=[], bad_conduct_records=[])
    apply_profile(expert, vault, values)
    session.add(expert)
    await flush_refusing_duplicates(session)
    await audit.record(session, actor=actor, action="expert.created", object_type="expert", object_id=expert.code,
                       after=audited_content(expert), details=personal_data_details(values))
    return expert_detail(expert, rules, vault, birth_date_shown=True)  # bureau admins only


async def update_expert(session: AsyncSession, audit: AuditRecorder, actor: Identity, vault: PersonalDataVault,
                        rules: PoolRules, code: str, changes: ExpertChanges) -> ExpertDetail:
    expert = await load_expert(session, code)
    values = {name: value for name, value in msgspec.structs.asdict(changes).items() if value is not msgspec.UNSET}
    today = beijing_today()
    stored_id = vault.open(expert).id_number if "birth_date" in values and "id_number" not in values else None
    errors = profile_errors(values, today, expert, stored_id)
    if "fields" in values:
        errors += await unassignable_field_errors(session, changes.fields,  # type: ignore[arg-type]
                                                  [f.field_code for f in expert.fields])
    if errors:
        raise InvalidInput("The changes have invalid fields.", code="expert.profile_invalid", errors=errors)
    before = audited_content(expert)
    if "unit_uscc" in values and "former_employers" not in values:
        keep_former_employer(expert, values["unit_uscc"], beijing_today())
    apply_profile(expert, vault, values)
    after = audited_content(expert)
    if after == before and not personal_data_details(values)["personal_data_changed"]:
        return expert_detail(expert, rules, vault, birth_date_shown=True)  # bureau admins only
    expert.updated_at = utc_now()
    await flush_refusing_duplicates(session)
    await audit.record(session, actor=actor, action="expert.updated", object_type="expert", object_id=code,
                       before=before, after=after, details=personal_data_details(values))
    if expert.status != ExpertStatus.RETIRED and age_on(expert.birth_date, today) >= rules.max_age:
        # A corrected birth date at or past the age limit retires the expert at once, as the daily check would.
        await change_status(session, audit, system_actor("experts"), expert, StatusChange(
            status=ExpertStatus.RETIRED, reason=retirement_reason(rules)), today)
    return expert_detail(expert, rules, vault, birth_date_shown=True)  # bureau admins only


def keep_former_employer(expert: Expert, new_uscc: str, left_on: dt.date) -> None:
    """Before ``expert`` moves to the employer ``new_uscc``: the one left goes among the former employers,
    ended on ``left_on``, so the 3-year former-employer avoidance holds without anyone typing it. A
    new name for the same employer is no move. (``expert.former_employers`` must be loaded.)"""
    if new_uscc == expert.unit_uscc:
        return
    expert.former_employers.append(FormerEmployer(unit_uscc=expert.unit_uscc, unit_name=expert.unit_name,
                                                  started_on=None, ended_on=left_on))


def apply_profile(expert: Expert, vault: PersonalDataVault, values: dict[str, Any]) -> None:
    """Copy the given (already checked) profile values onto ``expert``; absent keys stay as they are."""
    for name in ("name", "birth_date", "unit_uscc", "unit_name", "title", "years_in_field", "account_subject",
                 "last_trained_on"):
        if name in values:
            setattr(expert, name, values[name])
    if "fields" in values:
        _replace_fields(expert, values["fields"])
    if "former_employers" in values:
        expert.former_employers = [FormerEmployer(unit_uscc=f.unit_uscc, unit_name=f.unit_name,
                                                  started_on=f.started_on, ended_on=f.ended_on)
                                   for f in values["former_employers"]]
    if "certificates" in values:
        expert.certificates = [Certificate(name=c.name, expires_on=c.expires_on) for c in values["certificates"]]
    if "bad_conduct_records" in values:
        expert.bad_conduct_records = [BadConductRecord(occurred_on=b.occurred_on, description=b.description)
                                      for b in values["bad_conduct_records"]]
    for field in PERSONAL_FIELDS:
        if field in values:
            value = values[field]
            if value is not None:
                value = normalise_id_number(value) if field == "id_number" else "".join(value.split())
            vault.seal(expert, field, value)


def _replace_fields(expert: Expert, fields: list[ExpertFieldInput]) -> None:
    # Rows are updated in place by field code: deleting and re-adding the same key in one flush collides.
    existing = {row.field_code: row for row in expert.fields}
    kept = []
    for field in fields:
        row = existing.get(field.code) or ExpertField(field_code=field.code)
        row.is_primary = field.primary
        kept.append(row)
    expert.fields = kept


async def flush_refusing_duplicates(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as error:
        # The unique indexes on the ID number's blind index and on the account are the guard, even
        # against a concurrent insert; the driver's message is dropped because it quotes values.
        constraint = str(error.orig)
        if "account_subject" in constraint:
            raise Conflict("Another expert already has this sign-in account.", code="expert.account_taken",
                           errors=[field_error("account_subject", "expert.account_taken",
                                               "already linked to another expert")]) from None
        raise Conflict("An expert with this ID number is already in the pool.", code="expert.id_number_taken",
                       errors=[field_error("id_number", "expert.id_number_taken", "already in the pool")]) from None


async def add_bad_conduct(session: AsyncSession, audit: AuditRecorder, actor: Identity, vault: PersonalDataVault,
                          rules: PoolRules, code: str, record: BadConductView) -> ExpertDetail:
    """Bad-conduct records (不良行为) are only ever added: they are history."""
    expert = await load_expert(session, code)
    expert.bad_conduct_records.append(BadConductRecord(occurred_on=record.occurred_on, description=record.description))
    expert.updated_at = utc_now()
    await audit.record(session, actor=actor, action="expert.bad_conduct_recorded", object_type="expert",
                       object_id=code, after=msgspec.to_builtins(record),
                       details={"occurred_on": record.occurred_on.isoformat()})
    return expert_detail(expert, rules, vault, birth_date_shown=True)  # bureau admins only


async def change_status(session: AsyncSession, audit: AuditRecorder, actor: Identity | Actor,
                        expert: Expert, change: StatusChange, today: dt.date) -> None:
    if change.status == ExpertStatus.SUSPENDED and (change.suspended_until is None or change.suspended_until <= today):
        raise InvalidInput.for_field("suspended_until", "expert.suspension_end_needed",
                                     "a suspension needs an end date after today")
    if change.status != ExpertStatus.SUSPENDED and change.suspended_until is not None:
        raise InvalidInput.for_field("suspended_until", "expert.suspension_end_unwanted",
                                     "only a suspension has an end date")
    before = {"status": expert.status, "suspended_until": expert.suspended_until}
    expert.status, expert.status_reason = change.status, change.reason
    expert.suspended_until, expert.status_changed_on = change.suspended_until, today
    expert.updated_at = utc_now()
    await audit.record(session, actor=actor, action="expert.status_changed", object_type="expert",
                       object_id=expert.code, before=before,
                       after={"status": expert.status, "suspended_until": expert.suspended_until,
                              "reason": change.reason},
                       details={"from": before["status"], "to": change.status,
                                "suspended_until": change.suspended_until.isoformat()
                                if change.suspended_until else None})


def audited_content(expert: Expert) -> dict[str, Any]:
    """What the audit entry's digests cover: the profile without its personal data.

    Lists are sorted: held in memory they keep the order given, read back the order of the database,
    and the same profile must give the same digest either way, so one entry's 'after' is the next one's
    'before'.
    """
    return {
        "name": expert.name, "birth_date": expert.birth_date, "unit_uscc": expert.unit_uscc,
        "unit_name": expert.unit_name, "title": expert.title, "years_in_field": expert.years_in_field,
        "fields": sorted(((f.field_code, f.is_primary) for f in expert.fields), key=repr),
        "former_employers": sorted(((f.unit_uscc, f.started_on, f.ended_on) for f in expert.former_employers),
                                   key=repr),
        "certificates": sorted(((c.name, c.expires_on) for c in expert.certificates), key=repr),
        "bad_conduct": sorted(((b.occurred_on, b.description) for b in expert.bad_conduct_records), key=repr),
        "account_subject": expert.account_subject, "last_trained_on": expert.last_trained_on,
    }


def personal_data_details(values: dict[str, Any]) -> dict[str, list[str]]:
    """An audit entry's note of the personal fields given (their names, never their values)."""
    return {"personal_data_changed": [field for field in PERSONAL_FIELDS if field in values]}
