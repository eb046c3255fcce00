"""Retirement at the age limit: on the day an expert reaches ``max_age`` (70 by default) the status
changes to retired (退出), with the reason, in one audited change per expert.

Draws already leave out anyone at the limit on the meeting date (eligibility reads the birth date);
this check makes the pool say so too, so that nobody over the limit stays 在库. The experts service
runs it at start-up and then every hour (a background task, :func:`retire_periodically`); several
instances may run it at once: each expert's row is locked and read again before it is changed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.experts import age_on, change_status, retirement_reason
from services.experts.domain.statuses import ExpertStatus
from services.experts.models import Expert
from services.experts.schemas import StatusChange
from services.experts.settings import PoolRules
from shared.audit import AuditRecorder, system_actor
from shared.clock import beijing_today

_log = logging.getLogger("sortes.experts.retirement")


def _latest_birth_date(max_age: int, today: dt.date) -> dt.date:
    """Everyone born on or before this day is ``max_age`` or older on ``today`` (29 February aside,
    which :func:`age_on` settles)."""
    try:
        return today.replace(year=today.year - max_age)
    except ValueError:  # today is 29 February, the year max_age back has none
        return dt.date(today.year - max_age, 2, 28)


async def retire_at_age_limit(session: AsyncSession, audit: AuditRecorder, rules: PoolRules,
                              today: dt.date | None = None) -> list[str]:
    """Retire every expert not yet retired who is ``rules.max_age`` or older on ``today`` (a Beijing
    date); the pool numbers retired, each change audited as ``expert.status_changed`` by the system."""
    today = today or beijing_today()
    statement = (select(Expert).where(Expert.status != ExpertStatus.RETIRED,
                                      Expert.birth_date <= _latest_birth_date(rules.max_age, today))
                 .order_by(Expert.code).with_for_update().execution_options(populate_existing=True))
    retired: list[str] = []
    for expert in (await session.execute(statement)).scalars():
        if expert.status == ExpertStatus.RETIRED or age_on(expert.birth_date, today) < rules.max_age:
            continue
        await change_status(session, audit, system_actor("experts"), expert,
                            StatusChange(status=ExpertStatus.RETIRED, reason=retirement_reason(rules)), today)
        retired.append(expert.code)
    return retired


async def retire_periodically(state: Any) -> None:
    """The service's background task: the check at start-up, then every
    ``SORTES_EXPERTS_RETIREMENT_CHECK_SECONDS`` (3600 by default); a failure is logged, never fatal."""
    interval = getattr(state, "retirement_check_seconds", 3600)
    while True:
        try:
            async with state.database.transaction() as session:
                retired = await retire_at_age_limit(session, state.audit, state.rules)
            if retired:
                _log.info("retired at the age limit", extra={"fields": {"experts": len(retired)}})
        except Exception:
            _log.exception("the age-limit check failed")
        await asyncio.sleep(interval)
