"""The papers of a panel, printed on A4 for the file: the 抽取记录表 (draw record), the 专家签到表
(sign-in sheet) and the 评审劳务费发放表 (fee sheet), in Chinese, with signature lines.

Every page carries the record number and 第 x 页 共 y 页 (CSS paged media: ``@page`` margin boxes,
which Chromium prints), table headers repeat on each page and no section heading is left at a page
foot without its table. Members' names and units appear only for readers of the sealed list (its
organiser, supervisor and bureau admins); every other reader gets pool numbers, and only once the
meeting is over — as the draw itself answers (services/experts/domain/panel_views.py).

A unit the experts service knows only by its code is printed as ``<span data-uscc="…">`` so that the
console, which knows the units' names, can put the name in (services/gateway/console/pages/panels.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from services.experts.domain.panels import half_day_start
from services.experts.domain.seats import halves_of
from services.experts.domain.statuses import CancelPhase
from services.experts.models import Draw, Expert, Panel, PanelMember
from shared.clock import BEIJING, as_utc
from shared.contracts.statuses import HOLDING, DrawStatus, SeatState

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
                         autoescape=select_autoescape(["html"]))

# A draw committed before the purposes of Art. 18 were told apart keeps ``acceptance`` in its signed receipt.
PURPOSES = {"technical_review": "技术审查", "expert_review": "专家论证", "initial_acceptance": "初验",
            "final_acceptance": "终验", "research": "项目调研", "acceptance": "验收", "spot_check": "自评报告抽查"}
HALVES = {"morning": "上午", "afternoon": "下午"}
STATES = {SeatState.INVITED: "已通知", SeatState.ACCEPTED: "已接受", SeatState.DECLINED: "谢绝",
          SeatState.UNABLE: "无法出席（时间冲突）", SeatState.RESERVE: "备选专家",
          SeatState.SKIPPED: "备选专家（已在其他评审组）", SeatState.RELEASED: "已释放（评审取消）"}
CHANNELS = {"phone": "电话", "sms": "短信", "in_person": "当面", "unreachable": "联系不上", "self": "本人答复"}
DRAW_STATES = {DrawStatus.COMMITTED: "已承诺，待揭示", DrawStatus.REVEALED: "已揭示", DrawStatus.CANCELLED: "已取消"}
CANCEL_PHASES = {CancelPhase.BEFORE_REVEAL: "揭示前取消", CancelPhase.AFTER_REVEAL: "揭示后取消"}
# Seats that changed hands, listed under the record's replacements.
CHANGED = (SeatState.DECLINED, SeatState.UNABLE, SeatState.SKIPPED)
REASONS = {"STATUS": "不在库或暂停", "AGE": "年龄已满", "TRAINING": "培训过期", "BAD_CONDUCT": "有不良行为记录",
           "UNAVAILABLE": "不可出席", "BUSY": "时间冲突", "YEARLY_CAP": "达到年度评审次数上限",
           "AVOID_EMPLOYER": "回避：现工作单位为回避单位", "AVOID_FORMER_EMPLOYER": "回避：近三年曾在回避单位工作",
           "DECLARED_CONFLICT": "回避：本人申报与回避单位有利害关系", "EXTRA_AVOIDANCE": "回避：组织人指定回避",
           "SAME_PROJECT": "回避：已在本项目其他评审组", "ALREADY_PLACED": "已在本评审组"}
# The reasons that are avoidances (回避), listed one by one on the record; the rest are counted.
AVOIDANCE_REASONS = ("AVOID_EMPLOYER", "AVOID_FORMER_EMPLOYER", "DECLARED_CONFLICT", "EXTRA_AVOIDANCE", "SAME_PROJECT")
EXPERT_AVOIDANCE_REASONS = {"close_relative": "近亲属", "employer_within_3_years": "现或近三年工作单位",
                            "prior_project_work": "参与项目前期工作", "vendor_interest": "与供应商有利害关系",
                            "other": "其他"}
DEPARTMENTS = {"propaganda_cyberspace": "宣传部（网信办）", "development_reform": "发改局", "public_security": "公安局",
               "finance": "财政局"}
ROLES = {"overall_design": "总体设计", "specification": "需求/招标文件编制", "project_management": "项目管理",
         "supervision": "监理", "testing": "检测", "construction": "建设/集成", "software": "软件开发",
         "operations": "运维", "consulting": "咨询"}
_ENGAGED = re.compile(r"^engaged as (\w+)(?: on lot (\S+))?$")
_BIDDER = re.compile(r"^bidder on lot (\S+)$")


@dataclass(frozen=True)
class Reader:
    """What the reader of a paper may see: pool numbers (``numbers``), names and units (``names``)."""

    numbers: bool
    names: bool


@dataclass(frozen=True)
class RecordFacts:
    """What the record prints beside the draw and panel rows."""

    project_name: str | None = None
    project_owner: str | None = None
    field_names: Mapping[str, str] = field(default_factory=dict)
    experts: Mapping[str, Expert] = field(default_factory=dict)
    chain: Mapping[str, str | None] = field(default_factory=dict)


def unit(uscc: str | None, name: str | None = None) -> Markup:
    """A unit by name; by its code, marked for the console to name, when the service knows no name."""
    if name:
        return escape(name)
    if not uscc:
        return Markup("")
    return Markup('<span class="unit" data-uscc="{0}">{0}</span>').format(uscc)


def unit_reason(reason: str) -> str:
    """A unit avoidance's reason in Chinese: the gateway's vendor reasons and the joint departments
    have fixed forms; what an organiser typed is printed as typed."""
    if reason.startswith("participating:"):  # a joint department by its name; one not known, as typed
        department = reason.removeprefix("participating:")
        return "参与单位：" + DEPARTMENTS.get(department, department)
    if not reason.startswith("vendor: "):
        return reason
    parts = []
    for part in reason.removeprefix("vendor: ").split("; "):
        if engaged := _ENGAGED.match(part):
            role, lot = engaged.groups()
            parts.append(f"承担本项目{ROLES.get(role, role)}" + (f"（标段 {lot}）" if lot else ""))
        elif bidder := _BIDDER.match(part):
            parts.append(f"投标人（标段 {bidder.group(1)}）")
        else:
            parts.append(part)
    return "供应商：" + "；".join(parts)



def render_draw_record(draw: Draw, panel: Panel | None, members: Sequence[PanelMember],
                       excluded: Sequence[tuple[str, str]], reader: Reader, facts: RecordFacts) -> str:
    """The 抽取记录表. A reader to whom the list is sealed gets the commitment and the counts only (no
    result, seed or secret: with the receipt either would name the members)."""
    receipt = json.loads(draw.receipt)
    record = json.loads(draw.record) if draw.record and reader.numbers else None
    by_id = {member.id: member.expert_code for member in members}
    changes = [m for m in members if m.state in CHANGED or m.replaces is not None]
    avoidances = json.loads(panel.avoidances) if panel is not None else {"units": [], "experts": []}
    avoided_experts = [(code, [REASONS.get(r, r) for r in reasons.split(",") if r in AVOIDANCE_REASONS])
                       for code, reasons in excluded]
    avoided_experts = [(code, reasons) for code, reasons in avoided_experts if reasons]
    return _TEMPLATES.get_template("draw_record.html").render(
        draw=draw, receipt=receipt, record=record, panel=panel, facts=facts, reader=reader,
        halves=[HALVES[h] for h in halves_of(panel)] if panel else [], unit=unit,
        starts=_starts(panel), purpose=PURPOSES.get(draw.purpose, draw.purpose),
        draw_state=DRAW_STATES.get(draw.status, draw.status),
        committed_at=_beijing(draw.committed_at), revealed_at=_beijing(draw.revealed_at),
        exclusion_counts=json.loads(draw.exclusion_counts), excluded_total=len(excluded),
        members=members, changes=changes, by_id=by_id, states=STATES, channels=CHANNELS, reasons=REASONS,
        sealed=not reader.numbers and draw.status == DrawStatus.REVEALED,
        unit_avoidances=[(unit(a["unit_uscc"], a.get("unit_name")), unit_reason(a["reason"]))
                         for a in avoidances.get("units", [])],
        participating=[(p["unit_uscc"], DEPARTMENTS.get(p["department"], p["department"]))
                       for p in (json.loads(panel.participating_units or "[]") if panel else [])],
        named_experts=[(a["code"], EXPERT_AVOIDANCE_REASONS.get(a["reason"], a["reason"]), a.get("explanation"))
                       for a in avoidances.get("experts", [])],
        avoided_experts=avoided_experts,
        cancel_phase=CANCEL_PHASES.get(draw.cancel_phase or "", ""), cancelled_at=_beijing(draw.cancelled_at))


@dataclass(frozen=True)
class FeeLine:
    member: PanelMember
    expert: Expert | None
    bank_account: str | None
    half_days: int
    rate: int

    @property
    def amount(self) -> int:
        return self.half_days * self.rate


def render_sign_in_sheet(draw: Draw, panel: Panel, members: Sequence[PanelMember], facts: RecordFacts) -> str:
    """专家签到表: every seated member with name, unit and field, a sign-in time and a signature to fill in."""
    seated = [m for m in members if m.state in HOLDING]
    return _TEMPLATES.get_template("sign_in_sheet.html").render(
        draw=draw, panel=panel, members=seated, facts=facts, purpose=PURPOSES.get(panel.purpose, panel.purpose),
        halves=[HALVES[h] for h in halves_of(panel)], starts=_starts(panel), unit=unit)


def render_fee_sheet(draw: Draw, panel: Panel, lines: Sequence[FeeLine], facts: RecordFacts,
                     accounts_whole: bool) -> str:
    """评审劳务费发放表: each member recorded as attending, half-days × the purpose's rate."""
    return _TEMPLATES.get_template("fee_sheet.html").render(
        draw=draw, panel=panel, lines=lines, facts=facts, purpose=PURPOSES.get(panel.purpose, panel.purpose),
        halves=[HALVES[h] for h in halves_of(panel)], starts=_starts(panel), unit=unit,
        total=sum(line.amount for line in lines), accounts_whole=accounts_whole)


def _starts(panel: Panel | None) -> str:
    if panel is None:
        return ""
    return "、".join(f"{HALVES[h]} {half_day_start(panel, h).strftime('%H:%M')}" for h in halves_of(panel))


def _beijing(moment: Any) -> str:
    if moment is None:
        return ""
    return as_utc(moment).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
