"""Demo pool for ``make run``: about 200 experts across the default fields, trained, with sessions.

Deterministic (a fixed seed): the same people every time, with sealed phone, ID and bank numbers
(ID numbers with valid GB 11643 check digits), former employers, a few declared conflicts and
unavailable days."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.experts import MIN_WORKING_AGE, age_on
from services.experts.domain.personal_data import PersonalDataVault
from services.experts.domain.statuses import ExpertStatus
from services.experts.models import (
    DeclaredConflict,
    Expert,
    ExpertField,
    Field,
    FormerEmployer,
    Lot,
    Project,
    TrainingAttendance,
    TrainingSession,
    Unavailability,
)
from shared.audit import AuditRecorder, system_actor
from shared.clock import beijing_today, utc_now
from shared.demo import PINGYANG_DIVISION, demo_projects, demo_units, demo_vendors, make_uscc
from shared.identifiers import id_number_check_character
from shared.projects import upsert_project

_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐"
             "许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈姚卢")
_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "强", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英",
          "华", "平", "刚", "建国", "志强", "海燕", "晓东", "文斌", "丽华", "国庆", "春生", "立新", "子豪",
          "思远", "雨晴", "浩然", "一鸣", "建华", "慧敏", "振宇"]
_TITLES = ["正高级工程师", "高级工程师", "高级工程师", "工程师", "教授", "副教授", "高级经济师", "注册会计师"]
_OTHER_EMPLOYERS = ["温州大学", "温州医科大学", "浙江工贸职业技术学院", "中国电信平阳分公司",
                    "中国移动温州分公司", "温州市大数据发展管理局", "浙江省测绘科学技术研究院"]
DEMO_EXPERT_COUNT = 200

SYSTEM = system_actor("experts")


async def load_demo_data(session: AsyncSession, audit: AuditRecorder, vault: PersonalDataVault) -> bool:
    """Fill an empty pool; a pool that already has experts is left alone. True when it loaded."""
    if (await session.execute(select(func.count()).select_from(Expert))).scalar_one():
        return False
    rng = random.Random(2021_10)
    for project in demo_projects():
        await upsert_project(session, Project, Lot, project.code, project.reference, audit, SYSTEM)
    leaf_fields = await _assignable_fields(session)
    sessions = await _training_sessions(session)
    employers = [*[(u.uscc, u.name) for u in demo_units()[1:]],
                 *[(u.uscc, u.name) for u in demo_vendors()[:20]],
                 *[(make_uscc(rng, "12"), name) for name in _OTHER_EMPLOYERS]]
    now = utc_now()
    for number in range(1, DEMO_EXPERT_COUNT + 1):
        expert = _demo_expert(rng, number, employers, leaf_fields, now)
        _add_personal_data(rng, number, expert, vault)
        _add_history_and_availability(rng, expert, employers, now)
        session.add(expert)
    await session.flush()
    experts = (await session.execute(select(Expert))).scalars().all()
    for expert in experts:
        for training in sessions:
            if expert.last_trained_on == training.held_on:
                session.add(TrainingAttendance(session_id=training.id, expert_id=expert.id, passed=True))
    await audit.record(session, actor=SYSTEM, action="demo.loaded", object_type="pool", object_id="demo",
                       details={"experts": len(experts), "training_sessions": len(sessions)})
    return True


def _demo_expert(rng: random.Random, number: int, employers: list[tuple[str, str]],
                 fields: list[str], now: dt.datetime) -> Expert:
    unit_uscc, unit_name = rng.choice(employers)
    chosen = rng.sample(fields, rng.choice([1, 1, 2, 2, 3]))
    status, reason = ExpertStatus.ACTIVE, None
    roll = rng.random()
    if roll < 0.03:
        status, reason = ExpertStatus.RETIRED, "本人申请退出专家库"
    elif roll < 0.06:
        status, reason = ExpertStatus.SUSPENDED, "连续两次无故缺席评审"
    today = beijing_today()
    trained = today - dt.timedelta(days=rng.choice([40, 40, 100, 100, 200, 300, 420]))
    expert = Expert(
        code=f"E{number:05d}", name=rng.choice(_SURNAMES) + rng.choice(_GIVEN),
        birth_date=dt.date(rng.randint(1957, 1992), rng.randint(1, 12), rng.randint(1, 28)),
        unit_uscc=unit_uscc, unit_name=unit_name, title=rng.choice(_TITLES),
        years_in_field=rng.randint(3, 35), status=status, status_reason=reason,
        suspended_until=today + dt.timedelta(days=90) if status == ExpertStatus.SUSPENDED else None,
        last_trained_on=_snap_to_session(trained), created_at=now, updated_at=now,
        fields=[ExpertField(field_code=code, is_primary=index == 0) for index, code in enumerate(chosen)],
    )
    # No more years in the field than since the age of 16, as the API and the import check.
    expert.years_in_field = min(expert.years_in_field, max(age_on(expert.birth_date, today) - MIN_WORKING_AGE, 0))
    return expert


def _add_personal_data(rng: random.Random, number: int, expert: Expert, vault: PersonalDataVault) -> None:
    # The sequence part of the ID number is the pool number, so no two demo experts share one.
    first17 = f"{PINGYANG_DIVISION}{expert.birth_date:%Y%m%d}{number % 1000:03d}"
    vault.seal(expert, "id_number", first17 + id_number_check_character(first17))
    vault.seal(expert, "phone", "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9)))
    vault.seal(expert, "bank_account", "6222" + "".join(rng.choice("0123456789") for _ in range(15)))


def _add_history_and_availability(rng: random.Random, expert: Expert, employers: list[tuple[str, str]],
                                  now: dt.datetime) -> None:
    today = beijing_today()
    if rng.random() < 0.4:
        unit_uscc, unit_name = rng.choice([e for e in employers if e[0] != expert.unit_uscc])
        ended = today - dt.timedelta(days=rng.randint(60, 2500))
        expert.former_employers = [FormerEmployer(unit_uscc=unit_uscc, unit_name=unit_name, ended_on=ended,
                                                  started_on=ended - dt.timedelta(days=rng.randint(400, 3000)))]
    if rng.random() < 0.05:
        expert.declared_conflicts = [DeclaredConflict(unit_uscc=rng.choice(employers)[0], reason="亲属在该单位任职",
                                                      until=today + dt.timedelta(days=365), declared_at=now)]
    if rng.random() < 0.08:
        starts = today + dt.timedelta(days=rng.randint(1, 40))
        expert.unavailability = [Unavailability(starts_on=starts, starts_half="morning",
                                                ends_on=starts + dt.timedelta(days=rng.randint(0, 6)),
                                                ends_half="afternoon", reason="出差", created_at=now)]


def _session_days() -> list[dt.date]:
    today = beijing_today()
    return [today - dt.timedelta(days=days) for days in (40, 100, 200, 300, 420)]


def _snap_to_session(day: dt.date) -> dt.date:
    return min(_session_days(), key=lambda held_on: abs((held_on - day).days))


async def _training_sessions(session: AsyncSession) -> list[TrainingSession]:
    created: list[TrainingSession] = []
    counters: dict[int, int] = {}
    for held_on in sorted(_session_days()):
        counters[held_on.year] = counters.get(held_on.year, 0) + 1
        created.append(TrainingSession(number=f"T{held_on.year}-{counters[held_on.year]:03d}",
                                       title=f"{held_on.year}年度评审专家业务培训（{held_on:%m月%d日}）",
                                       held_on=held_on, created_at=utc_now()))
    session.add_all(created)
    await session.flush()
    return created


async def _assignable_fields(session: AsyncSession) -> list[str]:
    rows = await session.execute(select(Field.code).where(Field.retired_at.is_(None)).order_by(Field.code))
    return list(rows.scalars())
