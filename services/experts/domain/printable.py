"""抽取记录表: the draw record as a printable page in Chinese, with signature lines.

Pool numbers only, as in the protocol record: the page can be filed and shown without opening
the sealed list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.experts.domain.seats import halves_of
from services.experts.domain.statuses import CancelPhase
from services.experts.models import Draw, Panel, PanelMember
from shared.clock import BEIJING, as_utc
from shared.contracts.statuses import DrawStatus, SeatState

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
                         autoescape=select_autoescape(["html"]))

PURPOSES = {"technical_review": "技术评审", "expert_review": "专家论证", "acceptance": "验收",
            "research": "调研", "spot_check": "自评报告抽查"}
HALVES = {"morning": "上午", "afternoon": "下午"}
STATES = {SeatState.INVITED: "已通知", SeatState.ACCEPTED: "已接受", SeatState.DECLINED: "谢绝",
          SeatState.UNABLE: "无法出席（时间冲突）", SeatState.RESERVE: "候补",
          SeatState.SKIPPED: "候补（已在其他评审组）", SeatState.RELEASED: "已释放（评审取消）"}
CHANNELS = {"phone": "电话", "sms": "短信", "in_person": "当面", "unreachable": "联系不上", "self": "本人答复"}
DRAW_STATES = {DrawStatus.COMMITTED: "已承诺，待揭示", DrawStatus.REVEALED: "已揭示", DrawStatus.CANCELLED: "已取消"}
CANCEL_PHASES = {CancelPhase.BEFORE_REVEAL: "揭示前取消", CancelPhase.AFTER_REVEAL: "揭示后取消"}
# Seats that changed hands, listed under the record's changes.
CHANGED = (SeatState.DECLINED, SeatState.UNABLE, SeatState.SKIPPED)
REASONS = {"STATUS": "状态", "AGE": "年龄", "TRAINING": "培训过期", "BAD_CONDUCT": "不良行为",
           "UNAVAILABLE": "不可出席", "BUSY": "时间冲突", "YEARLY_CAP": "年度上限", "AVOID_EMPLOYER": "回避（现单位）",
           "AVOID_FORMER_EMPLOYER": "回避（原单位）", "DECLARED_CONFLICT": "申报回避", "EXTRA_AVOIDANCE": "指定回避",
           "SAME_PROJECT": "同项目", "ALREADY_PLACED": "已抽中"}


def render_draw_record(draw: Draw, panel: Panel | None, members: Sequence[PanelMember],
                       excluded: Sequence[tuple[str, str]], sealed: bool = False,
                       chain: dict[str, str | None] | None = None) -> str:
    """``sealed``: the panel's list is sealed to the reader, who gets the commitment and the counts only
    (no result, seed or secret: with the receipt either would name the members). ``chain``: the first
    draws of the panel this one replaces and of the one that replaced it."""
    receipt = json.loads(draw.receipt)
    record = json.loads(draw.record) if draw.record and not sealed else None
    by_id = {member.id: member.expert_code for member in members}
    changes = [m for m in members if m.state in CHANGED or m.replaces is not None]
    return _TEMPLATES.get_template("draw_record.html").render(
        draw=draw, receipt=receipt, record=record, panel=panel,
        halves=[HALVES[h] for h in halves_of(panel)] if panel else [],
        purpose=PURPOSES.get(draw.purpose, draw.purpose), draw_state=DRAW_STATES.get(draw.status, draw.status),
        committed_at=_beijing(draw.committed_at), revealed_at=_beijing(draw.revealed_at),
        exclusion_counts=json.loads(draw.exclusion_counts), excluded_total=len(excluded),
        members=members, changes=changes, by_id=by_id, states=STATES, channels=CHANNELS,
        reasons=REASONS, sealed=sealed and draw.status == DrawStatus.REVEALED,
        cancel_phase=CANCEL_PHASES.get(draw.cancel_phase or "", ""),
        cancelled_at=_beijing(draw.cancelled_at), chain=chain or {})


def _beijing(moment: object) -> str:
    if moment is None:
        return ""
    return as_utc(moment).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[union-attr]
