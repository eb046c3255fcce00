"""Panels (评审专家组) from request to cancellation: eligibility and avoidance, commit, reveal with the
supervisor's witness, supplementary draws, moving the meeting, answers and cancelling.

Random draws only, no designation (docs/architecture.md §6). The request freezes the eligible experts of each
field and stores everyone left out with a reason code; a panel the pool cannot fill is refused
before anything is committed, since a committed draw can only be cancelled, never re-rolled.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain import notices as notice_rules
from services.experts.domain import reroll
from services.experts.domain import seats as seat_rules
from services.experts.domain.draws import DrawLedger, NewDraw, draw_by_id
from services.experts.domain.eligibility import Eligibility, EligibilityQuery, find_eligible
from services.experts.domain.experts import load_expert
from services.experts.domain.personal_data import PersonalDataVault, contact_phone_context
from services.experts.domain.seats import SeatDesk
from services.experts.domain.statuses import VALID_DECLINE_CATEGORIES, CancelPhase, DeclineCategory
from services.experts.domain.suspension import ConductCounts, apply_suspension_rules
from services.experts.models import Draw, Expert, Field, Panel, PanelMember, Project
from services.experts.schemas import Answer, LinkInvitation, MeetingMove
from services.experts.settings import PanelRules, PoolRules
from shared.audit import AuditRecorder
from shared.clock import BEIJING, add_months, beijing_today, utc_now
from shared.contracts.panels import (
    BUREAU_ORGANISED,
    MeetingNotice,
    PanelRequest,
    Purpose,
    SeatRequest,
    SupplementaryRequest,
    UnitAvoidance,
)
from shared.contracts.statuses import HOLDING, DrawStatus, PanelStatus, SeatState
from shared.db import hold_lock
from shared.draw import capacity, max_primary_seats
from shared.errors import Conflict, FieldError, InvalidInput, NotFound, NotPermitted, field_error
from shared.identity import Identity
from shared.outbox import publish
from shared.permissions import LIFECYCLE_SYSTEM_AND_ADMIN
from shared.projects import MAJOR_PROJECT_THRESHOLD_FEN
from shared.roles import Role

# Answers close when the meeting starts (Beijing time) at its first half-day; the sealed list opens
# when its last half-day has ended.
HALF_DAY_STARTS = {"morning": dt.time(8, 30), "afternoon": dt.time(14, 0)}
HALF_DAY_ENDS = {"morning": dt.time(12, 0), "afternoon": dt.time(18, 0)}


@dataclass(frozen=True)
class PanelDesk:
    ledger: DrawLedger
    seats: SeatDesk
    rules: PoolRules
    panel_rules: PanelRules
    vault: PersonalDataVault

    @property
    def audit(self) -> AuditRecorder:
        return self.ledger.audit

    async def request(self, session: AsyncSession, actor: Identity, project_code: str,
                      data: PanelRequest) -> Draw:
        project = await project_of(session, project_code)
        self._may_organise_purpose(actor, project, data.purpose)
        self._check_request(actor, data)
        self._check_size(data.purpose, data.seats)
        reroll.check_avoidance_reasons(data.avoid_experts)
        quotas = _quotas(data.seats, "seats")
        await _check_fields(session, quotas, "seats")
        if data.replaces is not None:  # two requests naming one cancelled panel: the second sees the first
            await hold_lock(session, f"experts.replacing:{data.replaces}")
        replaced = await reroll.panel_replaced(session, project.code, data.purpose, data.replaces,
                                               self.rules.replacement_window_days)
        halves = _halves(data.halves)
        same_project = await self._same_project_experts(session, project.code)
        eligibility = await self._eligible(session, project.code, data.meeting_on, halves, quotas,
                                           avoid_units=[*data.avoid_units, *_participating(data)],
                                           avoid_experts=frozenset(a.code for a in data.avoid_experts),
                                           same_project=same_project)
        _refuse_unfillable(quotas, eligibility, "seats")
        now = utc_now()
        panel = Panel(id=_new_panel_id(), project_code=project.code, purpose=data.purpose,
                      meeting_on=data.meeting_on, halves=",".join(halves), reserves_per_field=data.reserves,
                      seats=json.dumps(quotas), avoidances=json.dumps({
                          "units": [{"unit_uscc": a.unit_uscc, "reason": a.reason}
                                    | ({"unit_name": a.unit_name} if a.unit_name else {}) for a in data.avoid_units],
                          "experts": reroll.stored_expert_avoidances(data.avoid_experts)},
                          # equivalent mutant: False → True — every reader parses it: either spelling, the same value
                          ensure_ascii=False),
                      organiser_subject=actor.subject, organiser_name=actor.name, organiser_unit=actor.unit,
                      supervisor_subject=data.supervisor.subject, supervisor_name=data.supervisor.name,
                      supervisor_unit=data.supervisor.unit, status=PanelStatus.OPEN, created_at=now, updated_at=now,
                      replaces=None if replaced is None else replaced.id,
                      participating_units=json.dumps([{"unit_uscc": unit.unit_uscc, "department": unit.department}
                                                      for unit in data.participating_units]),
                      organiser_unit_name=data.organiser_unit_name, supervisor_unit_name=data.supervisor.unit_name)
        self._set_notice(panel, data)
        session.add(panel)
        await session.flush()
        await self.audit.record(session, actor=actor, action="panel.requested", object_type="panel",
                                object_id=panel.id, after=_panel_facts(panel), details={
                                    "project_code": project.code, "purpose": data.purpose,
                                    "meeting_on": data.meeting_on.isoformat(), "halves": halves, "seats": quotas,
                                    "reserves_per_field": data.reserves, "supervisor": data.supervisor.subject,
                                    "avoid_units": len(data.avoid_units), "avoid_experts": len(data.avoid_experts),
                                    "avoid_expert_reasons": sorted(a.reason for a in data.avoid_experts),
                                    "participating_units": [unit.department for unit in data.participating_units],
                                    "replaces": panel.replaces})
        draw = await self.ledger.commit(session, actor, NewDraw(
            purpose=data.purpose, project_code=project.code, quotas=quotas, reserves_per_field=data.reserves,
            candidates=eligibility.eligible, excluded=[(e.code, [str(r) for r in e.reasons])
                                                       for e in eligibility.excluded],
            supervisor_subject=data.supervisor.subject, panel_id=panel.id))
        if replaced is not None:
            await publish(session, self.ledger.outbox, "panel.replaced", panel.id, {
                "panel_id": panel.id, "draw_id": draw.id, "project_code": panel.project_code,
                "purpose": panel.purpose, "replaces": replaced.id,
                "replaces_draw_id": await reroll.first_draw_id(session, replaced.id),
                "phase": replaced.cancel_phase, "reason": replaced.cancel_reason})
        return draw

    async def supplementary(self, session: AsyncSession, actor: Identity, draw: Draw,
                            data: SupplementaryRequest) -> Draw:
        panel = await panel_of(session, draw)
        _must_be_open(panel)
        project = await project_of(session, panel.project_code)
        may_organise(actor, project, panel)
        members = await seat_rules.members_of(session, panel.id)
        if any(d.status == DrawStatus.COMMITTED for d in await draws_of(session, panel.id)):
            raise Conflict("A draw of this panel is committed and not yet revealed; reveal or cancel it first.",
                           code="panel.draw_pending")
        quotas = (_quotas(data.seats, "seats") if data.seats
                  else seat_rules.open_seats(json.loads(panel.seats), members))
        await _check_fields(session, quotas, "seats")
        if not quotas:
            raise Conflict("Every seat of the panel is held; a supplementary draw needs open seats.",
                           code="panel.full")
        stored = json.loads(panel.avoidances)
        avoid_units = ([UnitAvoidance(**unit) for unit in stored["units"]] + list(data.avoid_units)
                       + participating_avoidances(panel))
        eligibility = await self._eligible(
            session, project.code, panel.meeting_on, seat_rules.halves_of(panel), quotas, avoid_units=avoid_units,
            avoid_experts=frozenset(expert["code"] for expert in stored["experts"]),
            same_project=await self._same_project_experts(session, project.code, except_panel=panel.id),
            placed=frozenset(member.expert_code for member in members), except_panel=panel.id)
        _refuse_unfillable(quotas, eligibility, "seats")
        reserves = panel.reserves_per_field if data.reserves is None else data.reserves
        original = draw.supplementary_of or draw.id
        return await self.ledger.commit(session, actor, NewDraw(
            purpose=panel.purpose, project_code=project.code, quotas=quotas, reserves_per_field=reserves,
            candidates=eligibility.eligible, excluded=[(e.code, [str(r) for r in e.reasons])
                                                       for e in eligibility.excluded],
            supervisor_subject=panel.supervisor_subject, panel_id=panel.id, supplementary_of=original))

    async def reveal(self, session: AsyncSession, actor: Identity, draw_id: str, witness: str,
                     confirmed_avoidances: Sequence[str]) -> Draw:
        """The named supervisor confirms the extra avoidances and types the witness; the result is
        placed on the panel at once."""
        draw = await draw_by_id(session, draw_id, for_update=True)
        # The panel's row too: a move, an answer or a cancel of the panel waits for the reveal, or the
        # reveal for it (and places its result on the day the move left). The seats come in place().
        panel = None if draw.panel_id is None else await panel_of(session, draw, for_update=True)
        if actor.subject != draw.supervisor_subject:
            raise NotPermitted("Only the supervisor named for this draw may reveal it.", code="draw.supervisor_only")
        if draw.status == "committed":
            avoided = await reroll.extra_avoidances(session, draw, panel)
            reroll.check_confirmation(avoided, confirmed_avoidances)
        record = await self.ledger.reveal(session, actor, draw, witness)
        if panel is not None:
            await self.seats.place(session, actor, panel, draw, record.result_map)
        details = {"panel_id": draw.panel_id, "project_code": draw.project_code, "seed": record.seed.hex(),
                   "witness_length": len(witness),
                   "result": {field: {"primaries": list(o.primaries), "reserves": list(o.reserves)}
                              for field, o in record.result}}
        await self.audit.record(session, actor=actor, action="draw.revealed", object_type="draw", object_id=draw.id,
                                after=record.to_json_dict(), details=details)
        # Webhooks go out before the meeting: how many were drawn, never who (a spot check's sample of
        # projects is no sealed list).
        result = details["result"] if draw.panel_id is None else {
            field: {kind: len(codes) for kind, codes in lists.items()} for field, lists in details["result"].items()}
        await publish(session, self.ledger.outbox, "draw.revealed", draw.id, {
            "draw_id": draw.id, "panel_id": draw.panel_id, "project_code": draw.project_code, "result": result})
        return draw

    async def move_meeting(self, session: AsyncSession, actor: Identity, draw: Draw, data: MeetingMove) -> Panel:
        panel = await panel_of(session, draw, for_update=True)
        _must_be_open(panel)
        may_organise(actor, await project_of(session, panel.project_code), panel)
        if data.meeting_on < beijing_today():
            raise InvalidInput.for_field("meeting_on", "panel.meeting_moved_to_past",
                                         "the meeting cannot move into the past")
        before = _panel_facts(panel)
        panel.meeting_on, panel.halves, panel.updated_at = data.meeting_on, ",".join(_halves(data.halves)), utc_now()
        # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
        await session.flush()
        await self.audit.record(session, actor=actor, action="panel.moved", object_type="panel", object_id=panel.id,
                                before=before, after={**_panel_facts(panel), "reason": data.reason},
                                details={"meeting_on": panel.meeting_on.isoformat(), "halves": panel.halves})
        await self.seats.rebook_after_move(session, actor, panel)
        return panel

    async def edit_notice(self, session: AsyncSession, actor: Identity, draw: Draw, data: MeetingNotice) -> Panel:
        """Venue, start times, contact and notice text, as given (a field left out keeps its value)."""
        panel = await panel_of(session, draw, for_update=True)
        _must_be_open(panel)
        may_organise(actor, await project_of(session, panel.project_code), panel)
        before = notice_facts(panel)
        self._set_notice(panel, data, keep=True)
        panel.updated_at = utc_now()
        # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
        await session.flush()
        await self.audit.record(session, actor=actor, action="panel.notice_changed", object_type="panel",
                                object_id=panel.id, before=before, after=notice_facts(panel),
                                details={"changed": sorted(name for name in MeetingNotice.__struct_fields__
                                                           if _given(data, name))})
        return panel

    # equivalent mutant: False → True — on a new panel an empty value kept is the column's empty default
    def _set_notice(self, panel: Panel, data: MeetingNotice | PanelRequest, keep: bool = False) -> None:
        errors = [field_error(f"starts_at.{half}", "panel.start_outside_half_day",
                              "the start time of the {half} lies outside that half-day", {"half": half})
                  for half, start in data.starts_at.items() if not _within_half(half, dt.time.fromisoformat(start))]
        if errors:
            raise InvalidInput(errors[0].message, code="input.invalid", errors=errors)
        for name in ("venue", "contact_name", "notice"):
            if not keep or _given(data, name):
                setattr(panel, name, getattr(data, name))
        if not keep or data.starts_at:
            panel.starts_at = json.dumps(dict(sorted(data.starts_at.items())))
        if not keep or _given(data, "contact_phone"):
            panel.contact_phone_token = (None if data.contact_phone is None else self.vault.keyring.encrypt(
                data.contact_phone, context=contact_phone_context(panel.id)))

    def contact_phone(self, panel: Panel) -> str | None:
        token = panel.contact_phone_token
        return None if token is None else self.vault.keyring.decrypt(token, context=contact_phone_context(panel.id))

    def _may_organise_purpose(self, actor: Identity, project: Project, purpose: Purpose) -> None:
        """For a major project, 专家论证 and 终验 are the bureau's to organise (Arts. 10 and 18): an
        organiser (or admin) of one of the bureau's units asks for them, whatever unit owns the project."""
        if is_major_project(project) and purpose in BUREAU_ORGANISED:
            if actor.unit not in self.panel_rules.bureau_units or not actor.has_any(
                    [Role.ORGANISER, Role.BUREAU_ADMIN]):
                raise NotPermitted("For a major project, the {purpose} is organised by the bureau.",
                                   code="panel.bureau_organises", params={"purpose": str(purpose)})
            return
        may_organise(actor, project)

    def _check_size(self, purpose: Purpose, seats: Sequence[SeatRequest]) -> None:
        rule = self.panel_rules.sizes.get(purpose)
        primaries = sum(seat.count for seat in seats)
        if rule is None:
            return
        if primaries < rule.minimum:
            raise InvalidInput.for_field("seats", "panel.too_few_primaries",
                                         "a panel for this purpose needs at least {minimum} primaries, "
                                         "{primaries} asked", {"minimum": rule.minimum, "primaries": primaries})
        if rule.odd and primaries % 2 == 0:
            raise InvalidInput.for_field("seats", "panel.even_primaries",
                                         "a panel for this purpose needs an odd number of primaries, "
                                         "{primaries} asked", {"primaries": primaries})

    async def cancel(self, session: AsyncSession, actor: Identity, draw: Draw, reason: str) -> None:
        """Cancelling a panel's first draw cancels the panel; a committed supplementary or spot-check
        draw is cancelled alone. The draw stays in the log and the statistics, with the reason."""
        draw = await draw_by_id(session, draw.id, for_update=True)  # as a reveal meanwhile left it
        if draw.panel_id is None:
            if draw.committed_by != actor.subject and not actor.has_any([Role.BUREAU_ADMIN]):
                raise NotPermitted("Only who committed the draw or a bureau admin may cancel it.",
                                   code="draw.cancel_not_permitted")
            # A revealed spot check can be cancelled too (with its reason, its record kept): the year's
            # next spot check may only be drawn once the standing one is cancelled.
            if draw.status == DrawStatus.CANCELLED or draw.cancelled_at is not None:
                raise Conflict("The draw is {status} and was cancelled already.",
                               code="draw.not_cancellable",
                               params={"status": draw.status})
            await self.ledger.cancel(session, actor, draw, reason)
            return
        panel = await panel_of(session, draw, for_update=True)
        _must_be_open(panel)
        may_organise(actor, await project_of(session, panel.project_code), panel)
        if draw.supplementary_of is not None:
            if draw.status != DrawStatus.COMMITTED:
                raise Conflict("A revealed supplementary draw has placed its experts; cancel the panel instead "
                               "(through its first draw).", code="draw.supplementary_placed")
            await self.ledger.cancel(session, actor, draw, reason)
            return
        draws = await draws_of(session, panel.id)
        phase = (CancelPhase.AFTER_REVEAL if any(each.status == DrawStatus.REVEALED for each in draws)
                 else CancelPhase.BEFORE_REVEAL)
        for each in draws:
            if each.status in (DrawStatus.COMMITTED, DrawStatus.REVEALED) and each.cancelled_at is None:
                await self.ledger.cancel(session, actor, each, reason)
        panel.status, panel.cancel_reason, panel.updated_at = PanelStatus.CANCELLED, reason, utc_now()
        panel.cancel_phase, panel.cancelled_at = phase, panel.updated_at
        # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
        await session.flush()
        await self.audit.record(session, actor=actor, action="panel.cancelled", object_type="panel",
                                object_id=panel.id, after={**_panel_facts(panel), "reason": reason},
                                details={"draw_id": draw.id, "phase": phase})
        await self.seats.release_all(session, actor, panel)
        await publish(session, self.ledger.outbox, "panel.cancelled", panel.id, {
            "panel_id": panel.id, "draw_id": draw.id, "draw_ids": [each.id for each in draws],
            "project_code": panel.project_code, "purpose": panel.purpose, "phase": phase, "reason": reason,
            "replaces": panel.replaces})

    async def answer(self, session: AsyncSession, actor: Identity, draw: Draw, expert_code: str, accepted: bool,
                     data: Answer) -> PanelMember:
        """A member accepts or declines: the expert for themself, or the organiser recording the channel."""
        panel = await panel_of(session, draw, for_update=True)
        _must_be_open(panel)
        member = await _member(session, panel, expert_code)
        expert = await load_expert(session, expert_code)
        by_the_expert = expert.account_subject is not None and expert.account_subject == actor.subject
        if not by_the_expert:
            try:
                may_organise(actor, await project_of(session, panel.project_code), panel)
            except NotPermitted:  # "not yours" answers as "not a member": a 403 would name the members
                raise not_a_member(expert_code) from None
            if data.channel is None:
                raise InvalidInput.for_field("channel", "member.channel_needed", "say how the expert answered: phone, "
                                                        "sms, in_person or unreachable")
        if utc_now() >= meeting_starts_at(panel):
            raise Conflict("The meeting has started; record attendance and evaluations instead.",
                           code="panel.meeting_started")
        channel = "self" if by_the_expert else data.channel
        if accepted and data.channel == "unreachable":
            raise InvalidInput.for_field("channel", "member.unreachable_accepts", "an unreachable expert cannot accept")
        return await self._record_answer(session, actor, panel, member, expert, accepted, channel, data.reason,
                                         data.reason_category)

    async def _record_answer(self, session: AsyncSession, actor: Identity, panel: Panel, member: PanelMember,
                             expert: Expert, accepted: bool, channel: str | None,
                             reason: str | None, category: str | None = None) -> PanelMember:
        if accepted:
            if member.state != SeatState.INVITED:
                raise Conflict("The member is {state}; only an invited member can accept.", code="member.not_invited",
                               params={"state": member.state})
            member.state, member.channel, member.answered_at, member.updated_at = (SeatState.ACCEPTED, channel,
                                                                                   utc_now(), utc_now())
            # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
            await session.flush()
            await self.seats.log(session, actor, panel, member, SeatState.ACCEPTED, channel=channel)
            return member
        if member.state not in HOLDING:
            raise Conflict("The member is {state}; only a seated member can decline.", code="member.not_seated",
                           params={"state": member.state})
        if reason is None:
            raise InvalidInput.for_field("reason", "member.decline_reason", "a decline needs a reason")
        await self.seats.vacate(session, actor, panel, member, SeatState.DECLINED, reason, channel,
                                category=category or DeclineCategory.OTHER)
        await self._apply_conduct_rules(session, expert)
        return member

    async def answer_by_link(self, session: AsyncSession, actor: Identity, token: str, accepted: bool,
                             reason: str | None, category: str | None = None) -> PanelMember:
        """The member answers through the one-time link of their invitation (the gateway's public page
        forwards it): once, while still invited, until the meeting starts. Nothing in a refusal names
        the member, the panel or the token."""
        link = await notice_rules.link_of(session, token)
        if link is None:
            raise _link_unknown()
        member = await session.get(PanelMember, link.member_id)
        link = await notice_rules.link_of(session, token, for_update=True)
        panel = (await session.execute(select(Panel).where(Panel.id == member.panel_id).with_for_update()
                                       .execution_options(populate_existing=True))).scalar_one()
        member = (await session.execute(select(PanelMember).where(PanelMember.id == link.member_id)
                                        .execution_options(populate_existing=True))).scalar_one()
        if link.used_at is not None:
            raise Conflict("This link has been used; it answers once.", code="invitation_link.used")
        if panel.status != PanelStatus.OPEN or member.state != SeatState.INVITED:
            raise Conflict("This invitation is no longer open to an answer.", code="invitation_link.closed")
        if utc_now() >= meeting_starts_at(panel):
            raise Conflict("The meeting has started; the link has expired.", code="invitation_link.expired")
        link.used_at = utc_now()
        expert = await load_expert(session, member.expert_code)
        return await self._record_answer(session, actor, panel, member, expert, accepted, "link", reason, category)

    async def link_invitation(self, session: AsyncSession, token: str) -> LinkInvitation:
        """What the link's page shows: its own member's invitation, and whether it can still be answered."""
        link = await notice_rules.link_of(session, token)
        if link is None:
            raise _link_unknown()
        member = await session.get(PanelMember, link.member_id)
        panel = await session.get(Panel, member.panel_id)
        project = await session.get(Project, panel.project_code)
        meeting = notice_rules.meeting_of(panel, project.name if project is not None else panel.project_code,
                                           self.vault.keyring)
        if member.state in (SeatState.ACCEPTED, SeatState.DECLINED) and member.channel == "link":
            state = member.state
        elif (link.used_at is None and panel.status == PanelStatus.OPEN and member.state == SeatState.INVITED
              and utc_now() < meeting_starts_at(panel)):
            state = "open"
        else:
            state = "closed"
        params = meeting.params(None)
        return LinkInvitation(project_name=meeting.project_name, purpose=panel.purpose, meeting_on=panel.meeting_on,
                              halves=list(meeting.halves), time_text=meeting.time_text(), state=state,
                              venue=meeting.venue, contact=params["contact"] if params["contact"] != "组织单位"
                              else None)

    async def _apply_conduct_rules(self, session: AsyncSession, expert: Expert) -> None:
        counts = await conduct_counts(session, expert.code, self.rules)
        await apply_suspension_rules(session, expert, self.audit, counts=counts, rules=self.rules)

    def _check_request(self, actor: Identity, data: PanelRequest) -> None:
        errors: list[FieldError] = []
        if data.supervisor.subject == actor.subject:
            errors.append(field_error("supervisor", "panel.supervisor_is_organiser",
                                      "the supervisor cannot be the organiser"))
        elif self.rules.supervisor_from_other_unit and data.supervisor.unit == actor.unit:
            errors.append(field_error("supervisor", "panel.supervisor_same_unit",
                                      "the supervisor must come from another unit than the organiser"))
        if data.meeting_on < beijing_today():
            errors.append(field_error("meeting_on", "panel.meeting_passed",
                                      "the meeting day has passed (Beijing date)"))
        if errors:
            raise InvalidInput(errors[0].message, code="input.invalid", errors=errors)

    async def _eligible(self, session: AsyncSession, project_code: str, meeting_on: dt.date, halves: list[str],
                        quotas: dict[str, int], *, avoid_units: list[UnitAvoidance], avoid_experts: frozenset[str],
                        same_project: frozenset[str], placed: frozenset[str] = frozenset(),
                        except_panel: str | None = None) -> Eligibility:
        query = EligibilityQuery(
            fields=list(quotas), meeting_on=meeting_on, halves=tuple(halves), project_code=project_code,
            avoid_units=frozenset(a.unit_uscc for a in avoid_units), avoid_experts=avoid_experts,
            busy_experts=frozenset(await seat_rules.busy_experts(session, meeting_on, halves, except_panel)),
            panels_this_year=await seat_rules.panels_in_year(session, meeting_on.year),
            same_project_experts=same_project, placed_experts=placed)
        return await find_eligible(session, query, self.rules)

    async def _same_project_experts(self, session: AsyncSession, project_code: str,
                                    except_panel: str | None = None) -> frozenset[str]:
        if not self.rules.avoid_same_project_experts:
            return frozenset()
        statement = (select(PanelMember.expert_code).join(Panel, Panel.id == PanelMember.panel_id)
                     .where(Panel.project_code == project_code, Panel.status == PanelStatus.OPEN,
                            PanelMember.state.in_(HOLDING)))
        if except_panel is not None:
            statement = statement.where(Panel.id != except_panel)
        return frozenset((await session.execute(statement)).scalars())


def _link_unknown() -> NotFound:
    return NotFound("This link is not valid.", code="invitation_link.unknown")


def may_organise(actor: Identity, project: Project, panel: Panel | None = None) -> None:
    """Bureau admins and the lifecycle system (service role) act on every panel; an organiser only on
    its own unit's projects (and, for a panel, on one its unit asked for)."""
    if actor.has_any(LIFECYCLE_SYSTEM_AND_ADMIN):
        return
    if (panel is not None and actor.has_any([Role.ORGANISER]) and panel.organiser_unit == actor.unit
            and panel.purpose in BUREAU_ORGANISED and is_major_project(project)):
        return  # the bureau organiser of a major project's 专家论证 or 终验
    if not actor.has_any([Role.ORGANISER]) or project.owner_unit != actor.unit:
        raise NotPermitted("An organiser acts only on its own unit's projects.", code="panel.own_unit_only")
    if panel is not None and panel.organiser_unit != actor.unit:
        raise NotPermitted("This panel was asked for by another unit.", code="panel.other_unit")


def meeting_starts_at(panel: Panel) -> dt.datetime:
    first_half = "morning" if "morning" in seat_rules.halves_of(panel) else "afternoon"
    return dt.datetime.combine(panel.meeting_on, half_day_start(panel, first_half), BEIJING).astimezone(dt.UTC)


def half_day_start(panel: Panel, half: str) -> dt.time:
    """When the panel's ``half`` starts, Beijing time: as the organiser set it, else the default."""
    stored = json.loads(panel.starts_at or "{}").get(half)
    return dt.time.fromisoformat(stored) if stored else HALF_DAY_STARTS[half]


def _within_half(half: str, start: dt.time) -> bool:
    return (dt.time(6, 0) if half == "morning" else dt.time(12, 0)) <= start < HALF_DAY_ENDS[half]


def _given(data: object, name: str) -> bool:
    return getattr(data, name, None) not in (None, {})


def notice_facts(panel: Panel) -> dict[str, object]:
    """What the audit keeps of a notice change: never the phone itself, only whether one is set."""
    return {"venue": panel.venue, "starts_at": json.loads(panel.starts_at or "{}"), "contact_name": panel.contact_name,
            "contact_phone_set": panel.contact_phone_token is not None, "notice": panel.notice}


def is_major_project(project: Project) -> bool:
    """A construction project of at least 2,000,000 CNY (shared.projects.is_major, from the stored row)."""
    return project.kind == "construction" and project.investment_fen >= MAJOR_PROJECT_THRESHOLD_FEN


def _participating(data: PanelRequest) -> list[UnitAvoidance]:
    return [UnitAvoidance(unit_uscc=unit.unit_uscc, reason=f"participating:{unit.department}")
            for unit in data.participating_units]


def participating_avoidances(panel: Panel) -> list[UnitAvoidance]:
    return [UnitAvoidance(unit_uscc=unit["unit_uscc"], reason=f"participating:{unit['department']}")
            for unit in json.loads(panel.participating_units or "[]")]


def meeting_ends_at(panel: Panel) -> dt.datetime:
    last_half = "afternoon" if "afternoon" in seat_rules.halves_of(panel) else "morning"
    return dt.datetime.combine(panel.meeting_on, HALF_DAY_ENDS[last_half], BEIJING).astimezone(dt.UTC)


def is_sealed(panel: Panel, now: dt.datetime | None = None) -> bool:
    """Sealed until the meeting's last half-day has ended, a cancelled panel's list too: who was drawn
    for a cancelled meeting says as much as who sits on a held one."""
    return (now or utc_now()) < meeting_ends_at(panel)


def sees_sealed_list(actor: Identity, panel: Panel) -> bool:
    """Bureau admins, and the panel's organiser and supervisor in person: the service role (the
    lifecycle system) reads counts even for a panel it asked for, as its webhooks do."""
    if actor.has_any([Role.BUREAU_ADMIN]):
        return True
    return not actor.has_any([Role.SERVICE]) and actor.subject in (panel.organiser_subject, panel.supervisor_subject)


def reads_members(actor: Identity, panel: Panel) -> bool:
    """Whether ``actor`` may read the panel's pool numbers now: its organiser, supervisor and bureau
    admins always, every other reader of draws once the meeting is over."""
    return sees_sealed_list(actor, panel) or not is_sealed(panel)


async def conduct_counts(session: AsyncSession, expert_code: str, rules: PoolRules) -> ConductCounts:
    """Declines without a valid reason, no-shows and low scores over the look-back, as the suspension
    rules read them: a decline for illness, a clash with a meeting already accepted or declared
    unavailability counts toward no suspension."""
    since = dt.datetime.combine(add_months(beijing_today(), -rules.conduct_lookback_months), dt.time(), dt.UTC)
    rows = (await session.execute(
        select(PanelMember.state, PanelMember.decline_category, PanelMember.attended, PanelMember.score)
        .where(PanelMember.expert_code == expert_code, PanelMember.updated_at >= since))).all()
    return ConductCounts(declines=sum(state == SeatState.DECLINED and category not in VALID_DECLINE_CATEGORIES
                                      for state, category, _, _ in rows),
                         no_shows=sum(attended is False for _, _, attended, _ in rows),
                         low_scores=sum(score is not None and score < rules.low_score_below
                                        for _, _, _, score in rows))


async def panel_of(session: AsyncSession, draw: Draw, *, for_update: bool = False) -> Panel:
    if draw.panel_id is None:
        raise NotFound("This draw is not a panel's (a spot check has no seats).", code="draw.not_a_panel")
    if not for_update:  # the session's own copy when it holds one (a SELECT would not refresh it either)
        panel = await session.get(Panel, draw.panel_id)
        assert panel is not None  # draws.panel_id references panels.id
        return kept(session, panel)
    # Read afresh under the lock: the session may hold the row as it was before the lock was had.
    statement = select(Panel).where(Panel.id == draw.panel_id).with_for_update()
    return kept(session, (await session.execute(statement.execution_options(populate_existing=True))).scalar_one())


_KEPT = "experts.kept_rows"
_Row = TypeVar("_Row")


def kept(session: AsyncSession, row: _Row) -> _Row:
    """``row`` kept by the session until it closes. SQLAlchemy's identity map holds a row only while
    something else refers to it, so the panel or project a request reads at its start would be read
    again (a SELECT) by each later step that asks the session for it."""
    # equivalent mutant: is not → is — keeping a row only saves a later SELECT of the same row
    if row is not None:
        # equivalent mutant: drop `session.info.setdefault(_KEPT, []).append(row)` — as above
        session.info.setdefault(_KEPT, []).append(row)
    return row


async def draws_of(session: AsyncSession, panel_id: str) -> list[Draw]:
    return list((await session.execute(select(Draw).where(Draw.panel_id == panel_id)
                                       .order_by(Draw.committed_at, Draw.id))).scalars())


async def _member(session: AsyncSession, panel: Panel, expert_code: str) -> PanelMember:
    member = (await session.execute(select(PanelMember).where(
        PanelMember.panel_id == panel.id, PanelMember.expert_code == expert_code))).scalar_one_or_none()
    if member is None:
        raise not_a_member(expert_code)
    return member


def not_a_member(expert_code: str) -> NotFound:
    return NotFound("{expert} is not a member of this panel.", code="panel.not_member", params={"expert": expert_code})


async def project_of(session: AsyncSession, code: str) -> Project:
    project = await session.get(Project, code)
    if project is None:
        raise NotFound("No project {project} is registered.", code="project.unknown", params={"project": code})
    return kept(session, project)


def _must_be_open(panel: Panel) -> None:
    if panel.status != PanelStatus.OPEN:
        raise Conflict("The panel was cancelled.", code="panel.cancelled")


def _quotas(seats: list[Any], name: str) -> dict[str, int]:
    quotas: dict[str, int] = {}
    for index, seat in enumerate(seats):
        if seat.field in quotas:
            raise InvalidInput.for_field(f"{name}[{index}].field", "panel.field_twice", "each field is asked once")
        quotas[seat.field] = seat.count
    return quotas


async def _check_fields(session: AsyncSession, quotas: dict[str, int], name: str) -> None:
    """Seats are asked in known fields that are not retired."""
    retired = dict((await session.execute(select(Field.code, Field.retired_at.is_not(None))
                                          .where(Field.code.in_(list(quotas))))).all())
    errors = [field_error(f"{name}[{index}].field", "field_taxonomy.unknown", "no such field") if code not in retired
              else field_error(f"{name}[{index}].field", "field_taxonomy.retired", "the field is retired")
              for index, code in enumerate(quotas) if retired.get(code, True)]
    if errors:
        raise InvalidInput(errors[0].message, code="input.invalid", errors=errors)


def _halves(halves: list[str]) -> list[str]:
    return [half for half in ("morning", "afternoon") if half in halves]


def _refuse_unfillable(quotas: dict[str, int], eligibility: Eligibility, name: str) -> None:
    """Refuse before committing when no assignment of eligible experts fills every seat."""
    fillable = max_primary_seats(quotas, eligibility.eligible)
    wanted = sum(quotas.values())
    if fillable < wanted:
        per_field = {field: len(eligibility.eligible.get(field, [])) for field in sorted(quotas)}
        raise InvalidInput(
            "The pool can fill {fillable} of the {wanted} seats asked; nothing was committed.",
            code="draw.too_few_eligible", params={"fillable": fillable, "wanted": wanted},
            errors=[field_error(f"{name}[{index}].count", "draw.too_few_eligible_in_field",
                                "{count} seats asked in {field}, {eligible} eligible experts",
                                {"count": count, "field": field, "eligible": per_field[field]})
                    for index, (field, count) in enumerate(quotas.items())],
            fillable_seats=fillable, eligible_per_field=per_field)


def reserve_shortfall(quotas: dict[str, int], reserves: int, candidates: dict[str, Any]) -> dict[str, int]:
    """How many reserves the pool cannot supply (reported, not refused)."""
    if reserves == 0:
        return {}
    fillable = capacity({field: count + reserves for field, count in quotas.items()}, candidates)
    missing = sum(quotas.values()) + reserves * len(quotas) - fillable
    return {"total": missing} if missing > 0 else {}


def _panel_facts(panel: Panel) -> dict[str, Any]:
    return {"project_code": panel.project_code, "meeting_on": panel.meeting_on.isoformat(), "halves": panel.halves,
            "status": panel.status, "supervisor": panel.supervisor_subject}


def _new_panel_id() -> str:
    return str(uuid.uuid4())
