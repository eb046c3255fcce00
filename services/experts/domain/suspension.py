"""Automatic suspension: declines without a valid reason, no-shows and low evaluation scores beyond the set thresholds.

Panels and evaluations count these; :func:`suspension_reason` decides over the counts alone, and
:func:`apply_suspension_rules` is the hook they call after recording one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.experts import change_status
from services.experts.domain.statuses import ExpertStatus
from services.experts.models import Expert
from services.experts.schemas import StatusChange
from services.experts.settings import PoolRules
from shared.audit import AuditRecorder, system_actor
from shared.clock import add_months, beijing_today


@dataclass(frozen=True)
class ConductCounts:
    """An expert's record over the rules' look-back: invitations declined without a valid reason,
    absences, low scores."""

    declines: int = 0
    no_shows: int = 0
    low_scores: int = 0


def suspension_reason(counts: ConductCounts, rules: PoolRules) -> str | None:
    """Why ``counts`` call for a suspension, or None when they do not: in Chinese, as the console and
    the expert read it (the reason is stored with the status)."""
    months = rules.conduct_lookback_months
    thresholds = [
        (counts.declines, rules.suspension_max_declines, "无正当理由拒绝邀请"),
        (counts.no_shows, rules.suspension_max_no_shows, "接受邀请后缺席"),
        (counts.low_scores, rules.suspension_max_low_scores, f"评价得分低于{rules.low_score_below}分"),
    ]
    reached = [f"{what}{count}次（达到{threshold}次即暂停）" for count, threshold, what in thresholds
               if count >= threshold]
    return f"自动暂停：近{months}个月内" + "；".join(reached) if reached else None


async def apply_suspension_rules(session: AsyncSession, expert: Expert, audit: AuditRecorder, *,
                                 counts: ConductCounts, rules: PoolRules, today: dt.date | None = None) -> bool:
    """Suspend ``expert`` when ``counts`` reach a threshold; True when it did.

    A retired expert stays retired, and a suspension already running to a later date is not shortened.
    """
    reason = suspension_reason(counts, rules)
    if reason is None or expert.status == ExpertStatus.RETIRED:
        return False
    today = today or beijing_today()
    until = add_months(today, rules.suspension_months)
    running_until = expert.suspended_until
    if expert.status == ExpertStatus.SUSPENDED and running_until is not None and running_until >= until:
        return False
    await change_status(session, audit, system_actor("experts"), expert,
                        StatusChange(status=ExpertStatus.SUSPENDED, reason=reason, suspended_until=until), today)
    return True
