"""Training (Art. 30): sessions and their attendance; a pass keeps an expert drawable for a year."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.models import Expert, TrainingAttendance, TrainingSession
from services.experts.schemas import (
    AttendanceInput,
    AttendanceResult,
    Attendee,
    Page,
    TrainedExpert,
    TrainingAttendanceView,
    TrainingCreate,
    TrainingView,
)
from shared.audit import AuditRecorder
from shared.clock import add_months, utc_now
from shared.db import hold_lock
from shared.errors import InvalidInput, NotFound, field_error
from shared.identity import Identity


def trained_until(last_trained_on: dt.date | None, valid_months: int) -> dt.date | None:
    """The day training stops counting: ``valid_months`` (the bureau's setting; Art. 30 sets no period) on."""
    return add_months(last_trained_on, valid_months) if last_trained_on else None


async def next_training_number(session: AsyncSession, year: int) -> str:
    """The session's own number, T<year>-<nnn> by the year it is held: what lists show, never the row id."""
    await hold_lock(session, "experts.training_number")  # two admins at once must not take the same number
    prefix = f"T{year}-"
    last = (await session.execute(select(func.max(TrainingSession.number)).where(
        TrainingSession.number.like(prefix + "%")))).scalar_one_or_none()
    return f"{prefix}{int(last[len(prefix):]) + 1 if last else 1:03d}"


async def create_training(session: AsyncSession, audit: AuditRecorder, actor: Identity,
                          new: TrainingCreate) -> TrainingView:
    training = TrainingSession(number=await next_training_number(session, new.held_on.year), title=new.title,
                               held_on=new.held_on, created_at=utc_now())
    session.add(training)
    await session.flush()
    view = _view(training, (0, 0))
    await audit.record(session, actor=actor, action="training.created", object_type="training",
                       object_id=str(training.id), after=msgspec.to_builtins(view))
    return view


async def list_trainings(session: AsyncSession, *, page: int, page_size: int) -> Page[TrainingView]:
    total = (await session.execute(select(func.count()).select_from(TrainingSession))).scalar_one()
    sessions = (await session.execute(select(TrainingSession).order_by(
        TrainingSession.held_on.desc(), TrainingSession.id.desc()).offset((page - 1) * page_size).limit(page_size)
    )).scalars().all()
    counts = await _attendance_counts(session, [training.id for training in sessions])
    return Page(items=[_view(training, counts.get(training.id, (0, 0))) for training in sessions],
                total=total, page=page, page_size=page_size)


async def record_attendance(session: AsyncSession, audit: AuditRecorder, actor: Identity, training_id: int,
                            attendance: AttendanceInput, valid_months: int) -> AttendanceResult:
    """Record who attended and who passed; a pass moves the expert's last training date forward.

    A second record for the same expert replaces the first (a corrected result): a pass corrected to
    a fail moves the last training date back to the expert's latest remaining pass.
    """
    training = await session.get(TrainingSession, training_id)
    if training is None:
        raise NotFound("No training session {training}.", code="training.unknown", params={"training": training_id})
    codes = [record.expert_code for record in attendance.records]
    experts = {expert.code: expert for expert in (await session.execute(
        select(Expert).where(Expert.code.in_(codes)))).scalars()}
    errors = [field_error(f"records[{index}].expert_code", "expert.unknown_code", "no expert with this pool number")
              for index, code in enumerate(codes) if code not in experts]
    errors += [field_error(f"records[{index}].expert_code", "field.listed_twice", "listed twice")
               for index, code in enumerate(codes) if code in codes[:index]]
    if errors:
        raise InvalidInput("Some attendance records cannot be taken.", code="training.records_refused", errors=errors)
    existing = {row.expert_id: row for row in (await session.execute(select(TrainingAttendance).where(
        TrainingAttendance.session_id == training.id,
        TrainingAttendance.expert_id.in_([expert.id for expert in experts.values()])))).scalars()}
    withdrawn: list[Expert] = []
    for record in attendance.records:
        expert = experts[record.expert_code]
        row = existing.get(expert.id)
        if row is None:
            session.add(TrainingAttendance(session_id=training.id, expert_id=expert.id, passed=record.passed))
        elif row.passed and not record.passed and expert.last_trained_on == training.held_on:
            withdrawn.append(expert)
        if row is not None:
            row.passed = record.passed
        # equivalent mutant: > → >= — on an equal day the same date is set again
        if record.passed and (expert.last_trained_on is None or training.held_on > expert.last_trained_on):
            expert.last_trained_on = training.held_on
    await _fall_back_to_earlier_passes(session, withdrawn)
    trained = [TrainedExpert(code=record.expert_code, passed=record.passed,
                             trained_until=trained_until(experts[record.expert_code].last_trained_on, valid_months))
               for record in attendance.records]
    counts = await _attendance_counts(session, [training.id])
    view = _view(training, counts[training.id])  # at least one record (the schema's min_length)
    await audit.record(session, actor=actor, action="training.attendance_recorded", object_type="training",
                       object_id=str(training.id), after=msgspec.to_builtins(trained),
                       details={"experts": codes, "passed": sum(record.passed for record in attendance.records)})
    return AttendanceResult(training=view, experts=trained)


async def _fall_back_to_earlier_passes(session: AsyncSession, experts: list[Expert]) -> None:
    """A pass corrected to a fail: the last training date goes back to the latest remaining pass."""
    if not experts:
        return
    last_pass = dict((await session.execute(
        select(TrainingAttendance.expert_id, func.max(TrainingSession.held_on))
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(TrainingAttendance.passed.is_(True), TrainingAttendance.expert_id.in_([e.id for e in experts]))
        .group_by(TrainingAttendance.expert_id))).all())
    for expert in experts:
        expert.last_trained_on = last_pass.get(expert.id)


async def _attendance_counts(session: AsyncSession, training_ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = await session.execute(
        select(TrainingAttendance.session_id, func.count(),
               func.sum(case((TrainingAttendance.passed.is_(True), 1), else_=0)))
        .where(TrainingAttendance.session_id.in_(training_ids)).group_by(TrainingAttendance.session_id))
    return {session_id: (attended, int(passed or 0)) for session_id, attended, passed in rows}


def _view(training: TrainingSession, counts: tuple[int, int]) -> TrainingView:
    return TrainingView(id=training.id, number=training.number or "", title=training.title,
                        held_on=training.held_on, attended=counts[0], passed=counts[1])


async def training_attendance(session: AsyncSession, training_id: int, valid_months: int) -> TrainingAttendanceView:
    """One session with who attended and each one's result, by pool number."""
    training = await session.get(TrainingSession, training_id)
    if training is None:
        raise NotFound("No training session {training}.", code="training.unknown", params={"training": training_id})
    rows = (await session.execute(
        select(Expert.code, Expert.name, Expert.unit_name, Expert.last_trained_on, TrainingAttendance.passed)
        .join(TrainingAttendance, TrainingAttendance.expert_id == Expert.id)
        .where(TrainingAttendance.session_id == training.id).order_by(Expert.code))).all()
    attendees = [Attendee(code=code, name=name, unit_name=unit_name, passed=passed,
                          trained_until=trained_until(last, valid_months))
                 for code, name, unit_name, last, passed in rows]
    return TrainingAttendanceView(training=_view(training, (len(attendees), sum(a.passed for a in attendees))),
                                  attendees=attendees)

