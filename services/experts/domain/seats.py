"""Seats of a panel: placing a draw's result, bookings, replacements from the reserves, answers.

A seated member (``invited`` or ``accepted``) holds a booking for each half-day of the meeting; the
bookings' primary key means no expert is ever seated on two panels meeting in the same half-day.
Draws committed before an overlapping panel was revealed can name the same expert: at reveal (or
after a move) a primary already seated elsewhere is ``unable`` and the next free reserve of the
field, in order, takes the seat; a reserve seated elsewhere is ``skipped``. Reserves book nobody.
Before these reads and writes the desk holds the seats they may fill — each expert it may seat, in each
half-day of the meeting (:func:`hold_seats`) — so they never interleave with another transaction, in
any process, that may seat one of those experts in one of those half-days; every other seat change
goes on beside them, on the same half-day too. Callers lock the panel's row first (a reveal its draw's
row, then the panel's), so a reveal, an answer, a move and a cancel of one panel take turns, and the
seats come after every row lock: a transaction never waits for a row while holding seats another
transaction that holds that row waits for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.eligibility import unavailable_experts
from services.experts.models import Booking, Draw, Panel, PanelMember
from shared.audit import AuditRecorder
from shared.clock import utc_now
from shared.contracts.statuses import HOLDING, MemberKind, PanelStatus, SeatState
from shared.db import hold_locks
from shared.draw import FieldSelection
from shared.identity import Identity
from shared.outbox import OutboxTables, publish

if TYPE_CHECKING:
    from services.experts.domain.notices import Notices

# Pool numbers in a seat change's details, and why a member declined, kept out of its event.
_WHO = ("expert_code", "replacing", "decline_category")


async def hold_seats(session: AsyncSession, experts: Iterable[str], day: dt.date, halves: Iterable[str]) -> None:
    """Wait for, then hold until the transaction ends, the seats of ``experts`` in these half-days of
    ``day``: only transactions that may seat one expert in one half-day wait for each other. All of a
    transaction's seats are taken by its first call (later calls ask for seats it already holds)."""
    halves = list(halves)
    await hold_locks(session, (f"experts.seat:{code}:{day.isoformat()}:{half}" for code in experts for half in halves))


def halves_of(panel: Panel) -> list[str]:
    return panel.halves.split(",")


@dataclass(frozen=True)
class SeatDesk:
    """Who records seat changes: every change is an audit entry on the panel and a ``seat.changed`` event."""

    audit: AuditRecorder
    outbox: OutboxTables
    notices: Notices | None = None  # tells each member invited (domain/notices.py)

    async def _invited(self, session: AsyncSession, panel: Panel, members: Sequence[PanelMember]) -> None:
        # equivalent mutant: and → or — the app's desk always has notices; inviting no one sends nothing
        if self.notices is not None and members:
            await self.notices.invite(session, panel, members)

    async def log(self, session: AsyncSession, actor: Identity, panel: Panel, member: PanelMember, change: str,
                  **details: Any) -> None:
        payload = {"panel_id": panel.id, "draw_id": member.draw_id, "expert_code": member.expert_code,
                   "field": member.field_code, "change": change, "state": member.state, **details}
        await self.audit.record(session, actor=actor, action=f"seat.{change}", object_type="panel",
                                object_id=panel.id, after={"member": member.id, "state": member.state,
                                                           "reason": member.reason}, details=payload)
        # The event goes out before the meeting, when the list is sealed: which seat changed, not who.
        event = {name: value for name, value in payload.items() if name not in _WHO}
        await publish(session, self.outbox, "seat.changed", panel.id, {**event, "project_code": panel.project_code})

    async def place(self, session: AsyncSession, actor: Identity, panel: Panel, draw: Draw,
                    result: Mapping[str, FieldSelection]) -> None:
        """Put a revealed draw's result on the panel: primaries take seats, reserves queue up.

        A supplementary draw's primaries take the seats left open; its reserves join the queue after
        the earlier ones.
        """
        members: list[PanelMember] = []
        now = utc_now()
        for field, outcome in sorted(result.items()):
            members += [PanelMember(panel_id=panel.id, draw_id=draw.id, expert_code=code, field_code=field,
                                    kind=MemberKind.PRIMARY, position=position, state=SeatState.INVITED, updated_at=now)
                        for position, code in enumerate(outcome.primaries, start=1)]
            members += [PanelMember(panel_id=panel.id, draw_id=draw.id, expert_code=code, field_code=field,
                                    kind=MemberKind.RESERVE, position=position, state=SeatState.RESERVE, updated_at=now)
                        for position, code in enumerate(outcome.reserves, start=1)]
        # Every expert this reveal may seat: its primaries, and the reserves that may move up for one
        # unable (a supplementary draw's queue holds earlier draws' reserves too).
        queued = [] if draw.supplementary_of is None else await queued_reserves(session, panel.id)
        await hold_seats(session, [member.expert_code for member in members] + queued, panel.meeting_on,
                         halves_of(panel))
        session.add_all(members)
        # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
        await session.flush()
        # Seated elsewhere: read once for all primaries (their seats are held until the commit, and the
        # bookings this loop adds are this panel's own, which the check leaves out).
        elsewhere = await busy_experts(session, panel.meeting_on, halves_of(panel), except_panel=panel.id)
        invited = []
        for member in members:
            if member.kind != MemberKind.PRIMARY:
                continue
            if member.expert_code in elsewhere:
                await self._unable(session, actor, panel, member,
                                   "seated on an overlapping panel revealed earlier")
            else:
                await _book(session, panel, member.expert_code)
                await self.log(session, actor, panel, member, "seated")
                invited.append(member)
        await self._invited(session, panel, invited)

    async def replace(self, session: AsyncSession, actor: Identity, panel: Panel,
                      vacated: PanelMember) -> PanelMember | None:
        """The next free reserve of ``vacated``'s field takes its seat; None when the reserves ran out."""
        reserves = (await session.execute(
            select(PanelMember).where(PanelMember.panel_id == panel.id, PanelMember.field_code == vacated.field_code,
                                      PanelMember.state == SeatState.RESERVE).order_by(PanelMember.id))).scalars().all()
        await hold_seats(session, [reserve.expert_code for reserve in reserves], panel.meeting_on, halves_of(panel))
        for reserve in reserves:
            skipped = ("seated on an overlapping panel"
                       if await self._seated_elsewhere(session, panel, reserve.expert_code)
                       else "unavailable on the meeting date"
                       if await unavailable_experts(session, [reserve.expert_code], panel.meeting_on,
                                                    halves_of(panel)) else None)
            if skipped is not None:
                reserve.state, reserve.reason, reserve.updated_at = SeatState.SKIPPED, skipped, utc_now()
                await self.log(session, actor, panel, reserve, "reserve_skipped", replacing=vacated.expert_code)
                continue
            reserve.state, reserve.replaces, reserve.updated_at = SeatState.INVITED, vacated.id, utc_now()
            await _book(session, panel, reserve.expert_code)
            await self.log(session, actor, panel, reserve, "reserve_moved_up", replacing=vacated.expert_code)
            await self._invited(session, panel, [reserve])
            return reserve
        await self.log(session, actor, panel, vacated, "seat_open")
        return None

    async def vacate(self, session: AsyncSession, actor: Identity, panel: Panel, member: PanelMember, state: str,
                     reason: str, channel: str | None = None, category: str | None = None) -> PanelMember | None:
        """``member`` gives up its seat (declined, unable); the next reserve moves up."""
        member.state, member.reason, member.channel = state, reason, channel
        member.decline_category = category
        member.answered_at = member.updated_at = utc_now()
        await _unbook(session, panel, member.expert_code)
        extra = {"decline_category": category} if category else {}
        await self.log(session, actor, panel, member, state, channel=channel, **extra)
        return await self.replace(session, actor, panel, member)

    async def rebook_after_move(self, session: AsyncSession, actor: Identity, panel: Panel) -> None:
        """After the meeting moved: every seat books the new half-days; a seat that now clashes, or whose
        expert declared themself unavailable on a new half-day, is replaced from the reserves — accepted
        or not: an acceptance was for the old date."""
        await session.execute(delete(Booking).where(Booking.panel_id == panel.id))
        members = await seated(session, panel.id)
        # The new half-days' seats of every member, and of the reserves that may move up for one unable.
        await hold_seats(session, [member.expert_code for member in members] + await queued_reserves(session, panel.id),
                         panel.meeting_on, halves_of(panel))
        away = await unavailable_experts(session, [m.expert_code for m in members], panel.meeting_on, halves_of(panel))
        for member in members:
            if member.expert_code in away:
                await self._unable(session, actor, panel, member, "unavailable on the new date")
            elif await self._seated_elsewhere(session, panel, member.expert_code):
                await self._unable(session, actor, panel, member, "seated on an overlapping panel after the move")
            else:
                await _book(session, panel, member.expert_code)

    async def release_all(self, session: AsyncSession, actor: Identity, panel: Panel) -> None:
        """The panel was cancelled: every seat and reserve is released and the bookings go."""
        await session.execute(delete(Booking).where(Booking.panel_id == panel.id))
        members = (await session.execute(select(PanelMember).where(
            PanelMember.panel_id == panel.id, PanelMember.state.in_((*HOLDING, SeatState.RESERVE))))).scalars().all()
        for member in members:
            member.state, member.updated_at = SeatState.RELEASED, utc_now()
        if members:
            await self.audit.record(session, actor=actor, action="seat.released", object_type="panel",
                                    object_id=panel.id, details={"experts": [m.expert_code for m in members]})
            await publish(session, self.outbox, "seat.changed", panel.id, {
                "panel_id": panel.id, "project_code": panel.project_code, "change": "released",
                "released": len(members)})

    async def _unable(self, session: AsyncSession, actor: Identity, panel: Panel, member: PanelMember,
                      reason: str) -> None:
        await self.vacate(session, actor, panel, member, SeatState.UNABLE, reason)

    async def _seated_elsewhere(self, session: AsyncSession, panel: Panel, code: str) -> bool:
        found = await session.execute(select(Booking.panel_id).where(
            Booking.expert_code == code, Booking.day == panel.meeting_on, Booking.half.in_(halves_of(panel)),
            # equivalent mutant: 1 → 2 — first() reads one row either way
            Booking.panel_id != panel.id).limit(1))
        return found.first() is not None


async def _book(session: AsyncSession, panel: Panel, code: str) -> None:
    session.add_all(Booking(expert_code=code, day=panel.meeting_on, half=half, panel_id=panel.id)
                    for half in halves_of(panel))
    # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
    await session.flush()


async def _unbook(session: AsyncSession, panel: Panel, code: str) -> None:
    await session.execute(delete(Booking).where(Booking.panel_id == panel.id, Booking.expert_code == code))


async def seated(session: AsyncSession, panel_id: str) -> Sequence[PanelMember]:
    return (await session.execute(select(PanelMember).where(
        PanelMember.panel_id == panel_id, PanelMember.state.in_(HOLDING)).order_by(PanelMember.id))).scalars().all()


async def queued_reserves(session: AsyncSession, panel_id: str) -> list[str]:
    """Pool numbers of the panel's reserves still waiting to move up."""
    return list((await session.execute(select(PanelMember.expert_code).where(
        PanelMember.panel_id == panel_id, PanelMember.state == SeatState.RESERVE))).scalars())


async def members_of(session: AsyncSession, panel_id: str) -> Sequence[PanelMember]:
    return (await session.execute(select(PanelMember).where(PanelMember.panel_id == panel_id)
                                  .order_by(PanelMember.id))).scalars().all()


async def busy_experts(session: AsyncSession, day: dt.date, halves: Iterable[str],
                       except_panel: str | None = None) -> set[str]:
    """Pool numbers seated on a panel meeting in one of these half-days."""
    statement = select(Booking.expert_code).where(Booking.day == day, Booking.half.in_(list(halves)))
    if except_panel is not None:
        statement = statement.where(Booking.panel_id != except_panel)
    return set((await session.execute(statement)).scalars())


async def panels_in_year(session: AsyncSession, year: int) -> dict[str, int]:
    """How many panels of the year each expert holds a seat on (the yearly cap counts these)."""
    rows = await session.execute(
        select(PanelMember.expert_code, func.count(func.distinct(PanelMember.panel_id)))
        .join(Panel, Panel.id == PanelMember.panel_id)
        .where(PanelMember.state.in_(HOLDING), Panel.status == PanelStatus.OPEN,
               Panel.meeting_on >= dt.date(year, 1, 1), Panel.meeting_on <= dt.date(year, 12, 31))
        .group_by(PanelMember.expert_code))
    return dict(rows.all())


def open_seats(quotas: Mapping[str, int], members: Iterable[PanelMember]) -> dict[str, int]:
    """Seats per field that nobody holds now (after declines the reserves could not cover)."""
    held: dict[str, int] = {}
    for member in members:
        if member.state in HOLDING:
            held[member.field_code] = held.get(member.field_code, 0) + 1
    return {field: count - held.get(field, 0) for field, count in sorted(quotas.items())
            if count - held.get(field, 0) > 0}
