"""The annual assessment (年度考核): for a year, each expert's invitations and answers, no-shows,
evaluation scores and training; a grade proposed by the thresholds in the settings (合格, 基本合格,
不合格); an admin confirms it, and a confirmed 不合格 suspends or removes the expert, with the reason
in Chinese, in the same transaction.

The figures count the panels meeting in the year (Beijing dates). A decline for a valid reason
(illness, a clash with a meeting already accepted, declared unavailability) is counted apart and
weighs nothing against the expert. Once confirmed, an assessment keeps the figures it was confirmed
on; before, they are read afresh on every call.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import and_, extract, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.experts import change_status, current_status, load_expert
from services.experts.domain.statuses import (
    VALID_DECLINE_CATEGORIES,
    AssessmentGrade,
    AssessmentOutcome,
    ExpertStatus,
)
from services.experts.domain.training import trained_until
from services.experts.models import Assessment, Expert, Panel, PanelMember, TrainingAttendance, TrainingSession
from services.experts.schemas import (
    AssessmentConfirmation,
    AssessmentDecision,
    AssessmentFigures,
    AssessmentRow,
    AssessmentSheet,
    StatusChange,
)
from services.experts.settings import PoolRules
from shared.audit import AuditRecorder
from shared.clock import as_utc, beijing_today, utc_now
from shared.contracts.statuses import SeatState
from shared.errors import Conflict, FieldError, InvalidInput, field_error
from shared.identity import Identity

GRADE_NAMES = {AssessmentGrade.PASS: "合格", AssessmentGrade.BASIC: "基本合格", AssessmentGrade.FAIL: "不合格"}
OUTCOME_NAMES = {AssessmentOutcome.NONE: "", AssessmentOutcome.SUSPENDED: "暂停", AssessmentOutcome.RETIRED: "清退"}
TRAINING_NAMES = {"valid": "有效", "lapsed": "已过期", "never": "未培训"}
_OFFERED = (SeatState.INVITED, SeatState.ACCEPTED, SeatState.DECLINED)


def propose(figures: AssessmentFigures, rules: PoolRules) -> tuple[AssessmentGrade, list[str]]:
    """The grade the thresholds give, and why (in Chinese: the console and the printed sheet show it)."""
    fail: list[str] = []
    if figures.declined_unexcused >= rules.assessment_fail_declines:
        fail.append(f"无正当理由谢绝{figures.declined_unexcused}次（达到{rules.assessment_fail_declines}次为不合格）")
    if figures.no_shows >= rules.assessment_fail_no_shows:
        fail.append(f"接受邀请后缺席{figures.no_shows}次（达到{rules.assessment_fail_no_shows}次为不合格）")
    if figures.average_score is not None and figures.average_score < rules.assessment_fail_score_below:
        fail.append(f"评价平均分{figures.average_score:g}分（低于{rules.assessment_fail_score_below}分为不合格）")
    if fail:
        return AssessmentGrade.FAIL, fail
    basic: list[str] = []
    if figures.declined_unexcused:
        basic.append(f"无正当理由谢绝{figures.declined_unexcused}次")
    if figures.no_shows:
        basic.append(f"接受邀请后缺席{figures.no_shows}次")
    if figures.average_score is not None and figures.average_score < rules.assessment_pass_score:
        basic.append(f"评价平均分{figures.average_score:g}分（低于{rules.assessment_pass_score}分）")
    if figures.training != "valid":
        basic.append(f"年末培训{TRAINING_NAMES[figures.training]}")
    return (AssessmentGrade.BASIC, basic) if basic else (AssessmentGrade.PASS, [])


async def year_figures(session: AsyncSession, year: int, rules: PoolRules,
                       experts: Iterable[Expert]) -> dict[str, AssessmentFigures]:
    """Each expert's figures for ``year``, by pool number."""
    experts = list(experts)
    codes = [expert.code for expert in experts]
    members = (await session.execute(
        select(PanelMember.expert_code, PanelMember.state, PanelMember.decline_category, PanelMember.attended,
               PanelMember.score)
        .join(Panel, Panel.id == PanelMember.panel_id)
        .where(PanelMember.expert_code.in_(codes), extract("year", Panel.meeting_on) == year))).all()
    by_expert: dict[str, list[Any]] = defaultdict(list)
    for row in members:
        by_expert[row.expert_code].append(row)
    trained_in_year = set((await session.execute(
        select(Expert.code).join(TrainingAttendance, TrainingAttendance.expert_id == Expert.id)
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(Expert.code.in_(codes), TrainingAttendance.passed.is_(True),
               extract("year", TrainingSession.held_on) == year))).scalars())
    year_end = dt.date(year, 12, 31)
    figures: dict[str, AssessmentFigures] = {}
    for expert in experts:
        rows = by_expert.get(expert.code, [])
        scores = [row.score for row in rows if row.score is not None]
        declined = [row for row in rows if row.state == SeatState.DECLINED]
        valid_until = trained_until(expert.last_trained_on, rules.training_valid_months)
        training = ("never" if expert.last_trained_on is None else
                    "valid" if valid_until is not None and valid_until >= min(year_end, beijing_today())
                    else "lapsed")
        figures[expert.code] = AssessmentFigures(
            invitations=sum(row.state in _OFFERED for row in rows),
            accepted=sum(row.state == SeatState.ACCEPTED for row in rows),
            declined_valid=sum(row.decline_category in VALID_DECLINE_CATEGORIES for row in declined),
            declined_unexcused=sum(row.decline_category not in VALID_DECLINE_CATEGORIES for row in declined),
            attended=sum(row.attended is True for row in rows),
            no_shows=sum(row.attended is False for row in rows),
            scores=scores, average_score=round(sum(scores) / len(scores), 1) if scores else None,
            training=training, trained_until=valid_until, trained_in_year=expert.code in trained_in_year)
    return figures


def _in_year(year: int) -> Any:
    """Experts in the pool during ``year``: entered by its end, and not retired before it began."""
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC) - dt.timedelta(hours=8)  # Beijing midnight
    return and_(Expert.created_at < end, or_(
        Expert.status != ExpertStatus.RETIRED, Expert.status_changed_on.is_(None),
        extract("year", Expert.status_changed_on) >= year))


async def assessment_sheet(session: AsyncSession, year: int, rules: PoolRules,
                           today: dt.date | None = None) -> AssessmentSheet:
    """The year's assessment of every expert in the pool during it, by pool number."""
    today = today or beijing_today()
    _check_year(year, today)
    experts = (await session.execute(select(Expert).where(_in_year(year)).order_by(Expert.code))).scalars().all()
    confirmed = {row.expert_code: row for row in (await session.execute(
        select(Assessment).where(Assessment.year == year))).scalars()}
    figures = await year_figures(session, year, rules, [e for e in experts if e.code not in confirmed])
    items: list[AssessmentRow] = []
    for expert in experts:
        stored = confirmed.get(expert.code)
        row_figures = (msgspec.json.decode(stored.figures, type=AssessmentFigures) if stored is not None
                       else figures[expert.code])
        proposed, reasons = propose(row_figures, rules)
        items.append(AssessmentRow(
            code=expert.code, name=expert.name, unit_name=expert.unit_name, status=current_status(expert, today),
            figures=row_figures, proposed_grade=AssessmentGrade(stored.proposed_grade) if stored else proposed,
            proposal_reasons=reasons, confirmation=_confirmation(stored) if stored else None))
    counts = {grade.value: sum((item.confirmation.grade if item.confirmation else item.proposed_grade) == grade
                               for item in items) for grade in AssessmentGrade}
    return AssessmentSheet(year=year, items=items, grade_counts=counts,
                           confirmed=sum(item.confirmation is not None for item in items),
                           thresholds={"fail_declines": rules.assessment_fail_declines,
                                       "fail_no_shows": rules.assessment_fail_no_shows,
                                       "fail_score_below": rules.assessment_fail_score_below,
                                       "pass_score": rules.assessment_pass_score})


def _confirmation(stored: Assessment) -> AssessmentConfirmation:
    return AssessmentConfirmation(grade=AssessmentGrade(stored.grade), outcome=AssessmentOutcome(stored.outcome),
                                  reason=stored.reason, confirmed_by=stored.confirmed_by,
                                  confirmed_at=as_utc(stored.confirmed_at))


def _check_year(year: int, today: dt.date) -> None:
    if not 2000 <= year <= today.year:
        raise InvalidInput.for_field("year", "assessment.year", "a year from 2000 to this year ({this_year})",
                                     params={"this_year": today.year}, source="path")


async def confirm_assessment(session: AsyncSession, audit: AuditRecorder, actor: Identity, rules: PoolRules,
                             year: int, code: str, decision: AssessmentDecision,
                             today: dt.date | None = None) -> AssessmentRow:
    """Confirm the expert's grade for ``year``; a 不合格 suspends (until a date) or removes the expert,
    with the reason in Chinese. The assessment, its audit entry and the status change are one transaction."""
    today = today or beijing_today()
    _check_year(year, today)
    expert = await load_expert(session, code)
    existing = (await session.execute(select(Assessment).where(
        Assessment.year == year, Assessment.expert_code == code).with_for_update())).scalar_one_or_none()
    if existing is not None:
        raise Conflict("The {year} assessment of {expert} is confirmed already.", code="assessment.confirmed",
                       params={"year": year, "expert": code})
    figures = (await year_figures(session, year, rules, [expert]))[code]
    proposed, reasons = propose(figures, rules)
    errors = _decision_errors(decision, proposed, expert, today)
    if errors:
        raise InvalidInput(errors[0].message, code="input.invalid", errors=errors)
    grade = AssessmentGrade(decision.grade)
    outcome = AssessmentOutcome(decision.outcome)
    now = utc_now()
    stored = Assessment(year=year, expert_code=code, figures=msgspec.json.encode(figures).decode(),
                        proposed_grade=proposed, grade=grade, outcome=outcome, reason=decision.reason,
                        confirmed_by=actor.subject, confirmed_at=now)
    session.add(stored)
    await session.flush()
    await audit.record(session, actor=actor, action="expert.assessed", object_type="expert", object_id=code,
                       after={"year": year, "grade": grade, "proposed_grade": proposed, "outcome": outcome,
                              "reason": decision.reason, "figures": json.loads(stored.figures)},
                       details={"year": year, "grade": grade, "proposed_grade": proposed, "outcome": outcome})
    if outcome != AssessmentOutcome.NONE:
        why = decision.reason or "；".join(reasons)
        status_reason = (f"{year}年度考核不合格，暂停：{why}" if outcome == AssessmentOutcome.SUSPENDED
                         else f"{year}年度考核不合格，清退出专家库：{why}")
        await change_status(session, audit, actor, expert, StatusChange(
            status=ExpertStatus.SUSPENDED if outcome == AssessmentOutcome.SUSPENDED else ExpertStatus.RETIRED,
            reason=status_reason[:500],
            suspended_until=decision.suspended_until if outcome == AssessmentOutcome.SUSPENDED else None), today)
    return AssessmentRow(code=code, name=expert.name, unit_name=expert.unit_name,
                         status=current_status(expert, today), figures=figures, proposed_grade=proposed,
                         proposal_reasons=reasons, confirmation=_confirmation(stored))


def _decision_errors(decision: AssessmentDecision, proposed: AssessmentGrade, expert: Expert,
                     today: dt.date) -> list[FieldError]:
    errors: list[FieldError] = []
    if decision.grade == AssessmentGrade.FAIL and decision.outcome == AssessmentOutcome.NONE:
        errors.append(field_error("outcome", "assessment.fail_needs_outcome",
                                  "a 不合格 grade suspends or removes the expert: choose suspended or retired"))
    if decision.grade != AssessmentGrade.FAIL and decision.outcome != AssessmentOutcome.NONE:
        errors.append(field_error("outcome", "assessment.outcome_unwanted",
                                  "only a 不合格 grade suspends or removes the expert"))
    if decision.outcome == AssessmentOutcome.SUSPENDED and (decision.suspended_until is None
                                                            or decision.suspended_until <= today):
        errors.append(field_error("suspended_until", "expert.suspension_end_needed",
                                  "a suspension needs an end date after today"))
    if decision.outcome != AssessmentOutcome.SUSPENDED and decision.suspended_until is not None:
        errors.append(field_error("suspended_until", "expert.suspension_end_unwanted",
                                  "only a suspension has an end date"))
    if decision.outcome != AssessmentOutcome.NONE and expert.status == ExpertStatus.RETIRED:
        errors.append(field_error("outcome", "assessment.already_retired", "the expert has left the pool already"))
    if decision.grade != proposed and not decision.reason:
        errors.append(field_error("reason", "assessment.reason_needed",
                                  "a grade other than the one proposed needs a reason"))
    return errors


def sheet_rows(sheet: AssessmentSheet) -> list[list[Any]]:
    """The sheet as rows for xlsx/csv (shared/spreadsheets.py writes them formula-safe)."""
    header = ["专家编号", "姓名", "工作单位", "邀请次数", "接受", "有正当理由谢绝", "无正当理由谢绝", "出席", "缺席",
              "评价得分", "平均分", "培训状态", "培训有效期至", "建议等次", "建议理由", "确认等次", "处理", "说明",
              "确认人", "确认时间"]
    rows: list[list[Any]] = [[f"{sheet.year}年度专家考核"], header]
    for item in sheet.items:
        f, c = item.figures, item.confirmation
        rows.append([item.code, item.name, item.unit_name, f.invitations, f.accepted, f.declined_valid,
                     f.declined_unexcused, f.attended, f.no_shows, "、".join(str(s) for s in f.scores),
                     "" if f.average_score is None else f.average_score, TRAINING_NAMES[f.training],
                     f.trained_until.isoformat() if f.trained_until else "", GRADE_NAMES[item.proposed_grade],
                     "；".join(item.proposal_reasons), GRADE_NAMES[c.grade] if c else "待确认",
                     OUTCOME_NAMES[c.outcome] if c else "", (c.reason or "") if c else "",
                     c.confirmed_by if c else "", c.confirmed_at.isoformat(timespec="seconds") if c else ""])
    return rows


