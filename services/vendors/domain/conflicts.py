"""Conflict checks (county measures Art. 29, read both ways; Implementing Regulations Art. 18(1) and (2)) and a
project's barred list. The rules cited come from the register (rules.py); reasons are codes with
parameters, which the console says in the reader's language.

Loading is separate from judging: :func:`judge_bidders` is a pure function of what was loaded, so
every verdict can be explained from the stored inputs alone.
"""

from __future__ import annotations

import datetime as dt
import json
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
from services.vendors.schemas import BarredEntry, BarredList
from shared.audit import AuditRecorder
from shared.clock import beijing_today, utc_now
from shared.contracts.projects import ProcurementMethod
from shared.contracts.statuses import VendorStatus
from shared.contracts.vendors import (
    BidderVerdict,
    ConflictCheckRequest,
    ConflictCheckView,
    RuleCitation,
    VerdictReason,
)
from shared.errors import FieldError, NotFound, field_error
from shared.identity import Identity
from shared.outbox import OutboxTables, publish

# The names a printout of the barred list (CSV) uses; the console has its own words in both languages.
ROLE_NAMES = {"overall_design": "总体设计", "specification": "规范编制", "project_management": "项目管理",
              "supervision": "监理", "testing": "检测", "construction": "建设/集成", "software": "软件开发",
              "operations": "运维", "consulting": "咨询"}
# Reasons that explain an allowed verdict rather than flag it.
EXPLAINING = frozenset({"single_source_excepted"})


@dataclass
class Evidence:
    """What a check judges by, loaded for the bidders of one lot (plain rows: no ORM bookkeeping)."""

    vendors: dict[str, Row[Any]]  # id, uscc, name, status, legal_representative_id_index
    engagements: list[Row[Any]]  # the bidders' engagements on the project, in any role
    exclusions: list[Exclusion]  # in force on the check's day
    relations: list[Row[Any]]  # between bidders, in force on the check's day
    bids: dict[str, list[str]] = field(default_factory=dict)  # uscc -> other lots it was checked as a bidder for
    vendor_uscc_by_id: dict[int, str] = field(init=False)

    def __post_init__(self) -> None:
        self.vendor_uscc_by_id = {vendor.id: uscc for uscc, vendor in self.vendors.items()}


def _lot(project: Project, lot_code: str) -> Lot:
    for lot in project.lots:
        if lot.code == lot_code:
            return lot
    raise NotFound("Project {project} has no lot {lot}.", code="project.no_lot",
                   params={"project": project.code, "lot": lot_code})


async def _bids(session: AsyncSession, project: Project, bidders: list[str] | None = None) -> dict[str, list[str]]:
    """Who bid for which lot of ``project``, in lot order: named as a bidder in a stored check of the lot
    and not barred by it (a barred bidder was kept out of that procurement). Only the lots whose bidders
    take part in the project's other procurement in Art. 29's sense are read: neither service lots nor
    single-source ones."""
    wanted = set(bidders) if bidders is not None else None
    found: dict[str, set[str]] = defaultdict(set)
    # equivalent mutant: and → or — a pre-filter: both readers of the bids drop those lots again
    counted = [lot.code for lot in project.lots if lot.role not in rules.SERVICE_ROLES
               and lot.procurement_method != ProcurementMethod.SINGLE_SOURCE]
    if not counted:
        return {}
    for lot_code, answer in await session.execute(
            select(ConflictCheck.lot_code, ConflictCheck.answer).where(ConflictCheck.project_code == project.code,
                                                                       ConflictCheck.lot_code.in_(counted))):
        for verdict in json.loads(answer)["verdicts"]:
            if verdict["verdict"] != "barred" and (wanted is None or verdict["uscc"] in wanted):
                found[verdict["uscc"]].add(lot_code)
    order = {lot.code: index for index, lot in enumerate(project.lots)}
    return {uscc: sorted(lots, key=lambda code: (order.get(code, len(order)), code)) for uscc, lots in found.items()}


async def load_evidence(session: AsyncSession, project: Project, bidders: list[str], day: dt.date,
                        lot: Lot | None = None) -> Evidence:
    vendors = {row.uscc: row for row in await session.execute(
        select(Vendor.id, Vendor.uscc, Vendor.name, Vendor.status, Vendor.legal_representative_id_index)
        .where(Vendor.uscc.in_(bidders)))}
    ids = [vendor.id for vendor in vendors.values()]
    engagements = list(await session.execute(
        select(Engagement.id, Engagement.vendor_id, Engagement.lot_code, Engagement.role).where(
            Engagement.project_code == project.code, Engagement.vendor_id.in_(ids),
            Engagement.voided_at.is_(None)).order_by(Engagement.id)))
    relations = [relation for relation in await session.execute(
        select(VendorRelation.vendor_id, VendorRelation.related_vendor_id, VendorRelation.kind, VendorRelation.source,
               VendorRelation.valid_from, VendorRelation.valid_until)
        .where(VendorRelation.vendor_id.in_(ids), VendorRelation.related_vendor_id.in_(ids))
        .order_by(VendorRelation.id))
        if active_on(day, relation.valid_from, relation.valid_until)]
    return Evidence(vendors=vendors, engagements=engagements, exclusions=await active_exclusions(session, day, bidders),
                    relations=relations, bids=await _bids(session, project, bidders)
                    # equivalent mutant: is → is not — bids count only against a service lot; a lot is always given
                    if lot is None or lot.role in rules.SERVICE_ROLES else {})  # bids matter for service lots only


def _cite(rules_cited: tuple[rules.Rule, ...]) -> list[RuleCitation]:
    return [rule.cited() for rule in rules_cited]


def _art_29_reasons(project: Project, lot: Lot, uscc: str, evidence: Evidence,
                    policy: rules.Policy) -> list[tuple[VerdictReason, bool]]:
    """Art. 29 both ways for one bidder, each reason with whether it bars (else it flags), as if the lot
    were not single-source: the caller turns them into the exception when it is."""
    found: list[tuple[VerdictReason, bool]] = []
    vendor = evidence.vendors.get(uscc)
    engagements = [e for e in evidence.engagements if vendor is not None and e.vendor_id == vendor.id]
    for engagement in engagements:
        if rules.service_role_reaches_lot(engagement.role, engagement.lot_code, lot.code, lot.role, policy):
            found.append((VerdictReason(code="service_role_elsewhere", engagement_id=engagement.id,
                                        params={"role": engagement.role, "lot_code": engagement.lot_code},
                                        rules=_cite(rules.ART_29)), True))
    engaged_lots = {e.lot_code for e in engagements}
    single_source = _single_source_lots(project)  # taking part there is outside Art. 29 too
    for engagement in engagements:
        if engagement.lot_code not in single_source and rules.other_procurement_reaches_lot(
                engagement.role, engagement.lot_code, lot.code, lot.role):
            found.append((VerdictReason(
                code="other_procurement", engagement_id=engagement.id, rules=_cite(rules.ART_29),
                params={"via": "engagement", "role": engagement.role, "lot_code": engagement.lot_code,
                        "service_role": lot.role}), policy == "strict"))
    roles_of_lots = {other.code: other.role for other in project.lots}
    for bid_lot in evidence.bids.get(uscc, []):
        role = roles_of_lots.get(bid_lot)
        if role is not None and bid_lot not in engaged_lots | single_source and rules.other_procurement_reaches_lot(
                role, bid_lot, lot.code, lot.role):
            found.append((VerdictReason(
                code="other_procurement", rules=_cite(rules.ART_29),
                params={"via": "bid", "role": role, "lot_code": bid_lot, "service_role": lot.role}),
                policy == "strict"))
    return found


def _single_source_lots(project: Project) -> set[str | None]:
    return {lot.code for lot in project.lots if lot.procurement_method == ProcurementMethod.SINGLE_SOURCE}


def judge_bidders(project: Project, lot: Lot, bidders: list[str], evidence: Evidence,
                  policy: rules.Policy) -> list[BidderVerdict]:
    reasons: dict[str, list[VerdictReason]] = defaultdict(list)
    barred: set[str] = set()
    single_source = lot.procurement_method == ProcurementMethod.SINGLE_SOURCE
    for uscc in bidders:
        for reason, bars in _art_29_reasons(project, lot, uscc, evidence, policy):
            if single_source:  # Art. 29 and Art. 18(2) both except single-source procurement
                reasons[uscc].append(VerdictReason(code="single_source_excepted", rules=reason.rules,
                                                   engagement_id=reason.engagement_id,
                                                   params={"excepts": reason.code, **reason.params}))
                continue
            reasons[uscc].append(reason)
            if bars:
                barred.add(uscc)
    for exclusion in evidence.exclusions:
        reasons[exclusion.uscc].append(VerdictReason(
            code="excluded", rules=_cite(rules.EXCLUSION), exclusion_id=exclusion.id,
            params={"issuing_body": exclusion.issuing_body, "decision_number": exclusion.decision_number,
                    "starts_on": exclusion.starts_on.isoformat(),
                    "ends_on": exclusion.ends_on.isoformat() if exclusion.ends_on else None,
                    "scope": exclusion.scope}))
        barred.add(exclusion.uscc)
    for first, second, params in _related_pairs(evidence):
        for uscc, other in ((first, second), (second, first)):
            reasons[uscc].append(VerdictReason(code="related_bidder", rules=_cite(rules.RELATED), related_uscc=other,
                                               params=params))
    verdicts = []
    for uscc in bidders:
        vendor = evidence.vendors.get(uscc)
        if vendor is None:
            reasons[uscc].append(VerdictReason(code="not_registered"))
        elif vendor.status != VendorStatus.ACTIVE:
            reasons[uscc].append(VerdictReason(code="vendor_status", params={"status": vendor.status}))
        flags = any(reason.code not in EXPLAINING for reason in reasons[uscc])
        verdict = "barred" if uscc in barred else "flagged" if flags else "allowed"
        verdicts.append(BidderVerdict(uscc=uscc, name=vendor.name if vendor else None, registered=vendor is not None,
                                      verdict=verdict, reasons=reasons[uscc]))
    return verdicts


def _related_pairs(evidence: Evidence) -> list[tuple[str, str, dict[str, Any]]]:
    pairs: list[tuple[str, str, dict[str, Any]]] = []
    by_person: dict[str, list[str]] = defaultdict(list)
    for uscc, vendor in sorted(evidence.vendors.items()):
        if vendor.legal_representative_id_index:
            by_person[vendor.legal_representative_id_index].append(uscc)
    for usccs in by_person.values():
        pairs += [(a, b, {"basis": "same_legal_representative"})
                  for index, a in enumerate(usccs) for b in usccs[index + 1:]]
    for relation in evidence.relations:
        controlling = evidence.vendor_uscc_by_id[relation.vendor_id]
        controlled = evidence.vendor_uscc_by_id[relation.related_vendor_id]
        pairs.append((controlling, controlled, {"basis": relation.kind, "controlling_uscc": controlling,
                                                "controlled_uscc": controlled, "source": relation.source}))
    return pairs


def _check_bidders(bidders: list[str]) -> None:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, uscc in enumerate(bidders):
        check_uscc(errors, f"bidders[{index}]", uscc)
        if uscc in seen:
            errors.append(field_error(f"bidders[{index}]", "field.listed_twice", "listed twice"))
        seen.add(uscc)
    raise_if_any(errors)


async def run_conflict_check(session: AsyncSession, audit: AuditRecorder, outbox: OutboxTables, actor: Identity,
                             project: Project, lot_code: str, request: ConflictCheckRequest,
                             policy: rules.Policy) -> ConflictCheckView:
    lot = _lot(project, lot_code)
    _check_bidders(request.bidders)
    evidence = await load_evidence(session, project, request.bidders, beijing_today(), lot)
    check = ConflictCheckView(
        id=uuid.uuid4().hex, project_code=project.code, lot_code=lot.code, lot_name=lot.name,
        lot_procurement_method=lot.procurement_method, lot_role=lot.role, policy=policy,
        policy_text=rules.POLICY_TEXT[policy], rule_version=rules.RULE_VERSION, checked_at=utc_now(),
        checked_by=actor.subject, checked_by_unit=actor.unit, bidders=list(request.bidders),
        verdicts=judge_bidders(project, lot, request.bidders, evidence, policy),
        policy_rules=_cite(rules.POLICY_RULES[policy]))
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
        raise NotFound("No conflict check {check}.", code="conflict_check.unknown", params={"check": check_id})
    return msgspec.convert(rules.upgrade_stored_check(json.loads(check.answer)), type=ConflictCheckView)


async def barred_list(session: AsyncSession, project: Project, policy: rules.Policy) -> BarredList:
    """Who may not bid on which lot of ``project`` today, and why, both ways of Art. 29: a service-role
    holder is barred from the project's other lots; a vendor that took part in the project's other
    procurement (engaged, or checked as a bidder) is barred from its service lots under the strict
    policy and flagged under the combinable one. Exclusions bar from every lot. Single-source lots
    are excepted."""
    today = beijing_today()
    rows = (await session.execute(
        select(Engagement, Vendor).join(Vendor, Vendor.id == Engagement.vendor_id)
        .where(Engagement.project_code == project.code, Engagement.voided_at.is_(None))
        .order_by(Vendor.uscc, Engagement.id))).all()
    bids = await _bids(session, project)
    names = {vendor.uscc: vendor.name for _, vendor in rows}
    unnamed = sorted(set(bids) - set(names))
    if unnamed:
        names.update((await session.execute(select(Vendor.uscc, Vendor.name).where(Vendor.uscc.in_(unnamed)))).all())
    roles_of_lots = {lot.code: lot.role for lot in project.lots}
    single_source = _single_source_lots(project)
    art_29 = [rule.code for rule in rules.ART_29]
    entries: list[BarredEntry] = []
    for lot in project.lots:
        if lot.procurement_method == ProcurementMethod.SINGLE_SOURCE:
            continue
        holders: dict[str, set[str]] = defaultdict(set)
        took_part: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"roles": set(), "bid_lots": set()})
        for engagement, vendor in rows:
            if rules.service_role_reaches_lot(engagement.role, engagement.lot_code, lot.code, lot.role, policy):
                holders[vendor.uscc].add(engagement.role)
            if engagement.lot_code not in single_source and rules.other_procurement_reaches_lot(
                    engagement.role, engagement.lot_code, lot.code, lot.role):
                took_part[vendor.uscc]["roles"].add(engagement.role)
        for uscc, lots in bids.items():
            for bid_lot in lots:
                role = roles_of_lots.get(bid_lot)
                if role is not None and bid_lot not in single_source and rules.other_procurement_reaches_lot(
                        role, bid_lot, lot.code, lot.role):
                    took_part[uscc]["bid_lots"].add(bid_lot)
        for uscc in sorted(holders):
            entries.append(BarredEntry(uscc=uscc, vendor_name=names.get(uscc) or "", lot_code=lot.code,
                                       lot_name=lot.name, reason="service_role_elsewhere", rules=art_29,
                                       params={"roles": _in_role_order(holders[uscc])}))
        for uscc in sorted(took_part):
            found = took_part[uscc]
            entries.append(BarredEntry(uscc=uscc, vendor_name=names.get(uscc) or "", lot_code=lot.code,
                                       lot_name=lot.name, reason="other_procurement", rules=art_29,
                                       params={"roles": _in_role_order(found["roles"]),
                                               "bid_lots": sorted(found["bid_lots"]), "service_role": lot.role},
                                       verdict="barred" if policy == "strict" else "flagged"))
    for exclusion in await active_exclusions(session, today):
        entries.append(BarredEntry(uscc=exclusion.uscc, vendor_name=exclusion.vendor_name, lot_code=None,
                                   lot_name="全部标段", reason="excluded",
                                   rules=[rule.code for rule in rules.EXCLUSION],
                                   params={"issuing_body": exclusion.issuing_body,
                                           "decision_number": exclusion.decision_number,
                                           "ends_on": exclusion.ends_on.isoformat() if exclusion.ends_on else None}))
    cited = {code for entry in entries for code in entry.rules}
    return BarredList(project_code=project.code, project_name=project.name, policy=policy,
                      rule_version=rules.RULE_VERSION, as_of=today, entries=entries,
                      rules=[rule.cited() for rule in rules.REGISTER if rule.code in cited])


def _in_role_order(roles: set[str]) -> list[str]:
    return [role for role in ROLE_NAMES if role in roles]


BARRED_CSV_HEADERS = ("统一社会信用代码", "供应商名称", "标段", "标段名称", "结论", "原因", "依据", "说明")
REASON_NAMES = {"service_role_elsewhere": "已为本项目提供整体设计等服务",
                "other_procurement": "已参加本项目其他采购活动", "excluded": "禁止参加政府采购活动期间"}
VERDICT_NAMES = {"barred": "禁止", "flagged": "关注"}


def barred_entry_text(entry: BarredEntry) -> str:
    """The entry's explanation in Chinese, from its reason's code and parameters."""
    params = entry.params
    if entry.reason == "service_role_elsewhere":
        return f"已在本项目承担{'、'.join(ROLE_NAMES[r] for r in params['roles'])}服务，不得再参加本项目其他采购活动"
    if entry.reason == "other_procurement":
        parts = [f"承担{'、'.join(ROLE_NAMES[r] for r in params['roles'])}"] if params["roles"] else []
        parts += [f"为标段 {'、'.join(params['bid_lots'])} 的投标人"] if params["bid_lots"] else []
        return (f"已参加本项目其他采购活动（{'；'.join(parts)}），"
                f"再提供{ROLE_NAMES[params['service_role']]}服务将监督自己的工作")
    until = params["ends_on"] or "解除前"
    return f"{params['issuing_body']} {params['decision_number']}，至 {until}"


def barred_list_rows(barred: BarredList) -> list[tuple[str, ...]]:
    citations = {rule.rule: rules.citation_of(rule.document, rule.number, rule.article, rule.paragraph)
                 for rule in barred.rules}
    return [(e.uscc, e.vendor_name, e.lot_code or "全部", e.lot_name, VERDICT_NAMES[e.verdict], REASON_NAMES[e.reason],
             "；".join(citations[code] for code in e.rules), barred_entry_text(e)) for e in barred.entries]
