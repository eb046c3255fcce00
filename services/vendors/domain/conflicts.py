"""Conflict checks (Art. 29; Implementing Regulations Art. 18) and a project's barred list.

Loading is separate from judging: :func:`judge_bidders` is a pure function of what was loaded, so
every verdict can be explained from the stored inputs alone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.domain import rules
from services.vendors.domain.exclusions import active_exclusions
from services.vendors.domain.inputs import check_uscc, raise_if_any
from services.vendors.domain.vendors import active_on
from services.vendors.models import ConflictCheck, Engagement, Exclusion, Lot, Project, Vendor, VendorRelation
from services.vendors.schemas import (
    BarredEntry,
    BarredList,
    BidderVerdict,
    ConflictCheckRequest,
    ConflictCheckView,
    VerdictReason,
)
from shared.audit import AuditRecorder
from shared.clock import beijing_today, utc_now
from shared.errors import FieldError, NotFound
from shared.identity import Identity
from shared.outbox import OutboxTables, publish
from shared.projects import ProcurementMethod

ROLE_NAMES = {"overall_design": "总体设计", "specification": "规范编制", "project_management": "项目管理",
              "supervision": "监理", "testing": "检测"}
RELATION_NAMES = {"controlling": "直接控股", "management": "管理关系"}


@dataclass
class Evidence:
    """What a check judges by, loaded for the bidders of one lot (plain rows: no ORM bookkeeping)."""

    vendors: dict[str, Row[Any]]  # id, uscc, name, status, legal_representative_id_index
    engagements: list[Row[Any]]  # service-role engagements of the bidders on the project
    exclusions: list[Exclusion]  # in force on the check's day
    relations: list[Row[Any]]  # between bidders, in force on the check's day
    vendor_uscc_by_id: dict[int, str] = field(init=False)

    def __post_init__(self) -> None:
        self.vendor_uscc_by_id = {vendor.id: uscc for uscc, vendor in self.vendors.items()}


def _lot(project: Project, lot_code: str) -> Lot:
    for lot in project.lots:
        if lot.code == lot_code:
            return lot
    raise NotFound(f"Project {project.code} has no lot {lot_code}.")


async def load_evidence(session: AsyncSession, project: Project, bidders: list[str], day: dt.date) -> Evidence:
    vendors = {row.uscc: row for row in await session.execute(
        select(Vendor.id, Vendor.uscc, Vendor.name, Vendor.status, Vendor.legal_representative_id_index)
        .where(Vendor.uscc.in_(bidders)))}
    ids = [vendor.id for vendor in vendors.values()]
    engagements = list(await session.execute(
        select(Engagement.id, Engagement.vendor_id, Engagement.lot_code, Engagement.role).where(
            Engagement.project_code == project.code, Engagement.vendor_id.in_(ids),
            Engagement.role.in_([role.value for role in rules.SERVICE_ROLES]),
            Engagement.voided_at.is_(None)).order_by(Engagement.id)))
    relations = [relation for relation in await session.execute(
        select(VendorRelation.vendor_id, VendorRelation.related_vendor_id, VendorRelation.kind, VendorRelation.source,
               VendorRelation.valid_from, VendorRelation.valid_until)
        .where(VendorRelation.vendor_id.in_(ids), VendorRelation.related_vendor_id.in_(ids))
        .order_by(VendorRelation.id))
        if active_on(day, relation.valid_from, relation.valid_until)]
    return Evidence(vendors=vendors, engagements=engagements, exclusions=await active_exclusions(session, day, bidders),
                    relations=relations)


def judge_bidders(lot: Lot, bidders: list[str], evidence: Evidence, policy: rules.Policy) -> list[BidderVerdict]:
    reasons: dict[str, list[VerdictReason]] = defaultdict(list)
    barred: set[str] = set()
    single_source = lot.procurement_method == ProcurementMethod.SINGLE_SOURCE
    for engagement in evidence.engagements:
        if rules.service_role_bars_lot(engagement.role, engagement.lot_code, lot.code, lot.role, single_source,
                                       policy):
            uscc = evidence.vendor_uscc_by_id[engagement.vendor_id]
            where = f"标段 {engagement.lot_code}" if engagement.lot_code else "项目（不分标段）"
            reasons[uscc].append(VerdictReason(
                code="service_role_elsewhere", rules=[rules.COUNTY_ART_29, rules.NATIONAL_18_1],
                engagement_id=engagement.id,
                detail=f"已在本项目{where}承担{ROLE_NAMES[engagement.role]}服务 "
                       f"(holds a {engagement.role} engagement on this project)"))
            barred.add(uscc)
    for exclusion in evidence.exclusions:
        until = exclusion.ends_on.isoformat() if exclusion.ends_on else "解除前"
        reasons[exclusion.uscc].append(VerdictReason(
            code="excluded", rules=[rules.EXCLUSION_RULE], exclusion_id=exclusion.id,
            detail=f"{exclusion.issuing_body} {exclusion.decision_number}：{exclusion.starts_on.isoformat()} 至 "
                   f"{until} 禁止参加政府采购活动（{exclusion.scope}） (active exclusion)"))
        barred.add(exclusion.uscc)
    for first, second, detail in _related_pairs(evidence):
        for uscc, other in ((first, second), (second, first)):
            reasons[uscc].append(VerdictReason(code="related_bidder", rules=[rules.NATIONAL_18_2], related_uscc=other,
                                               detail=f"{detail}；同一标段只能有一家继续参加 (only one may continue)"))
    verdicts = []
    for uscc in bidders:
        vendor = evidence.vendors.get(uscc)
        if vendor is None:
            reasons[uscc].append(VerdictReason(
                code="not_registered",
                detail="未在供应商库登记，无法核查承担的服务与关联关系，请人工核实 "
                       "(not in the registry: engagements and related parties cannot be checked)"))
        elif vendor.status != "active":
            reasons[uscc].append(VerdictReason(code="vendor_status", detail=f"供应商库状态为 {vendor.status}"))
        verdict = "barred" if uscc in barred else "flagged" if reasons[uscc] else "allowed"
        verdicts.append(BidderVerdict(uscc=uscc, name=vendor.name if vendor else None, registered=vendor is not None,
                                      verdict=verdict, reasons=reasons[uscc]))
    return verdicts


def _related_pairs(evidence: Evidence) -> list[tuple[str, str, str]]:
    pairs: list[tuple[str, str, str]] = []
    by_person: dict[str, list[str]] = defaultdict(list)
    for uscc, vendor in sorted(evidence.vendors.items()):
        if vendor.legal_representative_id_index:
            by_person[vendor.legal_representative_id_index].append(uscc)
    for usccs in by_person.values():
        pairs += [(a, b, "法定代表人为同一人 (same legal representative)")
                  for index, a in enumerate(usccs) for b in usccs[index + 1:]]
    for relation in evidence.relations:
        controlling = evidence.vendor_uscc_by_id[relation.vendor_id]
        controlled = evidence.vendor_uscc_by_id[relation.related_vendor_id]
        pairs.append((controlling, controlled,
                      f"{controlling} 对 {controlled} 存在{RELATION_NAMES[relation.kind]}（来源：{relation.source}） "
                      f"({relation.kind} relationship)"))
    return pairs


def _check_bidders(bidders: list[str]) -> None:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, uscc in enumerate(bidders):
        check_uscc(errors, f"bidders[{index}]", uscc)
        if uscc in seen:
            errors.append(FieldError(f"bidders[{index}]", "listed twice"))
        seen.add(uscc)
    raise_if_any(errors)


async def run_conflict_check(session: AsyncSession, audit: AuditRecorder, outbox: OutboxTables, actor: Identity,
                             project: Project, lot_code: str, request: ConflictCheckRequest,
                             policy: rules.Policy) -> ConflictCheckView:
    lot = _lot(project, lot_code)
    _check_bidders(request.bidders)
    evidence = await load_evidence(session, project, request.bidders, beijing_today())
    check = ConflictCheckView(
        id=uuid.uuid4().hex, project_code=project.code, lot_code=lot.code, lot_name=lot.name,
        lot_procurement_method=lot.procurement_method, lot_role=lot.role, policy=policy,
        policy_text=rules.POLICY_TEXT[policy], rule_version=rules.RULE_VERSION, checked_at=utc_now(),
        checked_by=actor.subject, checked_by_unit=actor.unit, bidders=list(request.bidders),
        verdicts=judge_bidders(lot, request.bidders, evidence, policy))
    session.add(ConflictCheck(id=check.id, project_code=check.project_code, lot_code=check.lot_code,
                              rule_version=check.rule_version, policy=policy, checked_at=check.checked_at,
                              checked_by=check.checked_by, checked_by_unit=check.checked_by_unit,
                              answer=msgspec.json.encode(check).decode()))
    outcome = {verdict.uscc: verdict.verdict for verdict in check.verdicts}
    await audit.record(session, actor=actor, action="conflict_check.made", object_type="conflict_check",
                       object_id=check.id, after=msgspec.to_builtins(check),
                       details={"project_code": project.code, "lot_code": lot.code, "policy": policy,
                                "rule_version": rules.RULE_VERSION, "verdicts": outcome})
    await publish(session, outbox, "conflict_check.made", check.id,
                  {"check_id": check.id, "project_code": project.code, "lot_code": lot.code, "verdicts": outcome})
    return check


async def read_conflict_check(session: AsyncSession, check_id: str) -> ConflictCheckView:
    check = await session.get(ConflictCheck, check_id)
    if check is None:
        raise NotFound(f"No conflict check {check_id}.")
    return msgspec.json.decode(check.answer, type=ConflictCheckView)


async def barred_list(session: AsyncSession, project: Project, policy: rules.Policy) -> BarredList:
    """Who may not bid on which lot of ``project`` today, and why: service-role engagements and exclusions."""
    today = beijing_today()
    rows = (await session.execute(
        select(Engagement, Vendor).join(Vendor, Vendor.id == Engagement.vendor_id)
        .where(Engagement.project_code == project.code,
               Engagement.role.in_([role.value for role in rules.SERVICE_ROLES]),
               Engagement.voided_at.is_(None))
        .order_by(Vendor.uscc, Engagement.id))).all()
    entries: list[BarredEntry] = []
    for lot in project.lots:
        single_source = lot.procurement_method == ProcurementMethod.SINGLE_SOURCE
        holders: dict[str, tuple[Vendor, list[Engagement]]] = {}
        for engagement, vendor in rows:
            if rules.service_role_bars_lot(engagement.role, engagement.lot_code, lot.code, lot.role, single_source,
                                           policy):
                holders.setdefault(vendor.uscc, (vendor, []))[1].append(engagement)
        for uscc, (vendor, engagements) in holders.items():
            roles = "、".join(sorted({ROLE_NAMES[e.role] for e in engagements}))
            entries.append(BarredEntry(uscc=uscc, vendor_name=vendor.name, lot_code=lot.code, lot_name=lot.name,
                                       reason="service_role_elsewhere",
                                       rules=[rules.COUNTY_ART_29.rule, rules.NATIONAL_18_1.rule],
                                       detail=f"已在本项目承担{roles}服务"))
    for exclusion in await active_exclusions(session, today):
        until = exclusion.ends_on.isoformat() if exclusion.ends_on else "解除前"
        entries.append(BarredEntry(uscc=exclusion.uscc, vendor_name=exclusion.vendor_name, lot_code=None,
                                   lot_name="全部标段", reason="excluded", rules=[rules.EXCLUSION_RULE.rule],
                                   detail=f"{exclusion.issuing_body} {exclusion.decision_number}，至 {until}"))
    return BarredList(project_code=project.code, project_name=project.name, policy=policy,
                      rule_version=rules.RULE_VERSION, as_of=today, entries=entries)


BARRED_CSV_HEADERS = ("统一社会信用代码", "供应商名称", "标段", "标段名称", "原因", "依据", "说明")
REASON_NAMES = {"service_role_elsewhere": "已承担本项目服务类工作", "excluded": "禁止参加政府采购活动期间"}


def barred_list_rows(barred: BarredList) -> list[tuple[str, ...]]:
    return [(e.uscc, e.vendor_name, e.lot_code or "全部", e.lot_name, REASON_NAMES[e.reason], "；".join(e.rules),
             e.detail) for e in barred.entries]
