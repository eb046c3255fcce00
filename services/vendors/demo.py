"""Demo registry for ``make run``: about 50 vendors, who was engaged on the demo projects, a few related
parties, one debarment and some ratings. Deterministic: the same seed gives the same county."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.domain.personal_data import IdNumberVault
from services.vendors.models import (
    Engagement,
    Exclusion,
    Lot,
    Project,
    Rating,
    RatingComment,
    RatingReview,
    Vendor,
    VendorRelation,
)
from shared.audit import AuditRecorder, system_actor
from shared.clock import utc_now
from shared.contracts.projects import EngagementRole
from shared.contracts.statuses import VendorStatus
from shared.demo import PINGYANG_DIVISION, bureau_unit, demo_projects, demo_vendors
from shared.identifiers import id_number_check_character
from shared.projects import upsert_project

SYSTEM = system_actor("vendors")
_SURNAMES = "陈林王张李黄吴郑周蔡杨徐"
_GIVEN = ["建国", "海燕", "志强", "丽娟", "明辉", "晓东", "秀英", "国华", "永康", "春梅"]


def _demo_id_number(rng: random.Random) -> str:
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randint(0, 25 * 365))
    first17 = f"{PINGYANG_DIVISION}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return first17 + id_number_check_character(first17)


def _with_legal_representatives(vendors: list[Vendor], vault: IdNumberVault, rng: random.Random) -> None:
    for vendor in vendors:
        sealed = vault.seal(vendor.uscc, _demo_id_number(rng))
        vendor.legal_representative_name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        vendor.legal_representative_id_token, vendor.legal_representative_id_index = sealed.token, sealed.index
    # One person heads two companies: the conflict check finds them through the blind index alone.
    first, second = vendors[3], vendors[17]
    second.legal_representative_name = first.legal_representative_name
    sealed = vault.seal(second.uscc, vault.open(first.uscc, first.legal_representative_id_token or ""))
    second.legal_representative_id_token, second.legal_representative_id_index = sealed.token, sealed.index


async def load_demo_data(session: AsyncSession, audit: AuditRecorder, *, vault: IdNumberVault) -> bool:
    """Fill an empty registry; a registry that already has vendors is left alone."""
    if (await session.execute(select(func.count()).select_from(Vendor))).scalar_one():
        return False
    rng = random.Random(2021_29)
    now = utc_now()
    vendors = [Vendor(uscc=v.uscc, name=v.name, status=VendorStatus.ACTIVE, created_at=now, updated_at=now)
               for v in demo_vendors()]
    _with_legal_representatives(vendors, vault, random.Random(2021_18))
    session.add_all(vendors)
    await session.flush()
    for project in demo_projects():
        await upsert_project(session, Project, Lot, project.code, project.reference, audit, SYSTEM)
        # The author of the construction plan has an engagement with no lot (Art. 10).
        plan_author = rng.choice(vendors)
        session.add(Engagement(vendor_id=plan_author.id, project_code=project.code, lot_code=None,
                               role=EngagementRole.OVERALL_DESIGN.value, started_on=dt.date(2026, 1, 5),
                               ended_on=dt.date(2026, 3, 31), amount_fen=rng.randint(20, 90) * 1_000_000,
                               created_at=now))
        for lot in project.reference.lots[: rng.randint(1, len(project.reference.lots))]:
            session.add(Engagement(
                vendor_id=rng.choice(vendors).id, project_code=project.code, lot_code=lot.code,
                role=lot.role.value, started_on=dt.date(2026, rng.randint(4, 9), 1), ended_on=None,
                amount_fen=rng.randint(50, 900) * 1_000_000, created_at=now))
    for controlling, controlled, kind in ((0, 1, "controlling"), (5, 6, "controlling"), (10, 11, "management")):
        session.add(VendorRelation(vendor_id=vendors[controlling].id, related_vendor_id=vendors[controlled].id,
                                   kind=kind, source="国家企业信用信息公示系统", valid_from=dt.date(2023, 6, 1),
                                   valid_until=None, recorded_at=now, recorded_by=SYSTEM.subject))
    debarred = vendors[-1]
    session.add(Exclusion(uscc=debarred.uscc, vendor_name=debarred.name, issuing_body="平阳县财政局",
                          decision_number="平财采〔2026〕7号", scope="全国范围内的政府采购活动",
                          reason="提供虚假材料谋取中标（政府采购法第七十七条第一款第一项）",
                          starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2027, 2, 28), recorded_at=now,
                          recorded_by=SYSTEM.subject))
    await _add_ratings(session, vendors, now)
    await audit.record(session, actor=SYSTEM, action="demo.loaded", object_type="registry", object_id="demo",
                       details={"vendors": len(vendors)})
    return True


_DEMO_RATINGS = [  # vendor index, lot and role of the engagement rated, overall, visibility, narrative
    (2, "L2", EngagementRole.CONSTRUCTION, "excellent", "public", "平台按期上线，性能测试全部达标，文档齐全。"),
    (4, "L2", EngagementRole.SOFTWARE, "good", "government", "功能完整，个别接口响应偏慢，已优化。"),
    (8, "L2", EngagementRole.CONSTRUCTION, "basically_qualified", "public", "上线延期三周，运维手册缺失。"),
    (12, "L3", EngagementRole.SUPERVISION, "qualified", "bureau", "监理日志完整，但周报偶有延迟。"),
]


async def _add_ratings(session: AsyncSession, vendors: list[Vendor], now: dt.datetime) -> None:
    """The bureau's ratings on PY-2026-001, each of the engagement it rates (Art. 28: standing)."""
    rated_on = dt.date(2026, 6, 15)
    for index, lot, role, overall, visibility, narrative in _DEMO_RATINGS:
        engagement = Engagement(vendor_id=vendors[index].id, project_code="PY-2026-001", lot_code=lot, role=role.value,
                                started_on=dt.date(2026, 2, 1), ended_on=None, amount_fen=(index + 3) * 10_000_000,
                                created_at=now)
        session.add(engagement)
        await session.flush()
        session.add(Rating(
            vendor_id=vendors[index].id, project_code="PY-2026-001", engagement_id=engagement.id, stage="初步验收",
            quality=overall,
            schedule=overall, service_responsiveness=overall, security_compliance=overall, documentation=overall,
            overall=overall, narrative=narrative, visibility=visibility, rated_on=rated_on,
            comment_until=rated_on + dt.timedelta(days=14), rater=SYSTEM.subject, rater_unit=bureau_unit().uscc,
            created_at=now, finalised_at=now,  # every demo rating's window has lapsed, or its dispute was reviewed
            # The third rating was disputed and revised on review, so the demo shows the whole path.
            comment=RatingComment(text="延期系需求变更所致，已提交会议纪要。", disputes=True, commented_at=now,
                                  commented_by=SYSTEM.subject) if index == 8 else None,
            review=RatingReview(outcome="revised", revised_level="qualified", narrative="需求变更有据，调整为合格。",
                                reviewed_at=now, reviewed_by=SYSTEM.subject, reviewer_unit="11330326MB1234567E")
            if index == 8 else None))
