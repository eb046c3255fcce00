"""Panels and draws: ask for a panel, reveal with the witness, the record, answers, replacements,
supplementary draws, moving the meeting, cancelling, evaluations, history and the printable record."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from services.experts.domain import evaluations, panel_views, reroll
from services.experts.domain.archive import draw_by_reference
from services.experts.domain.draws import draw_by_id, excluded_of, record_document
from services.experts.domain.panels import PanelDesk, panel_of, reads_members, sees_sealed_list
from services.experts.domain.printable import (
    FeeLine,
    Reader,
    RecordFacts,
    render_draw_record,
    render_fee_sheet,
    render_sign_in_sheet,
)
from services.experts.domain.seats import halves_of, members_of
from services.experts.models import Expert, Field, Panel, Project
from services.experts.schemas import (
    Answer,
    Cancellation,
    DrawView,
    Evaluation,
    ExclusionEntry,
    HistoryEntry,
    MeetingMove,
    MemberView,
    RevealRequest,
)
from shared.contracts.panels import MeetingNotice, PanelRequest, SupplementaryRequest
from shared.crypto import mask_bank_account
from shared.db import Database
from shared.errors import NotPermitted
from shared.identity import Identity, requires_role
from shared.permissions import DRAW_READERS_AND_LIFECYCLE_SYSTEM, PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM, SEAT_ANSWERERS
from shared.roles import Role

ORGANISERS_GUARD = requires_role(*PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM)
READERS_GUARD = requires_role(*DRAW_READERS_AND_LIFECYCLE_SYSTEM)


class DrawsController(Controller):
    path = "/api/v1"
    tags = ["draws"]

    @post("/projects/{code:str}/panels", guards=[ORGANISERS_GUARD], status_code=201)
    async def request_panel(self, request: Request[Identity, Any, State], state: State, code: FromPath[str],
                            data: JSONBody[PanelRequest]) -> DrawView:
        """Ask for a panel: eligibility and avoidance (回避) are applied, the candidate lists frozen,
        every left-out expert stored with a reason code, and the draw committed. The answer is the
        signed commit receipt with the exclusion summary; the supervisor reveals it with a witness."""
        desk: PanelDesk = state.panels
        async with _database(state).transaction() as session:
            draw = await desk.request(session, request.user, code, data)
            return await _view(session, state, request.user, draw)

    @get("/draws/{draw_id:str}", guards=[READERS_GUARD])
    async def get_draw(self, request: Request[Identity, Any, State], state: State,
                       draw_id: FromPath[str]) -> DrawView:
        """A draw with its panel, by its full number or a unique prefix of at least 8 characters (a
        shorter one is a 422, one several draws share a 409). Until the meeting's last half-day has
        ended only the organiser, the supervisor and bureau admins see the members (names and contacts
        too, each such read logged); others see counts and the commitment, and pool numbers once the
        meeting is over."""
        async with _database(state).transaction() as session:
            return await _view(session, state, request.user, await draw_by_reference(session, draw_id))

    @get("/draws/{draw_id:str}/record", guards=[READERS_GUARD])
    async def get_record(self, request: Request[Identity, Any, State], state: State,
                         draw_id: FromPath[str]) -> dict[str, Any]:
        """The sortes-draw/1 record once revealed (verify it with ``sortes verify``); before, the commit
        receipt. A panel's record is the commit receipt too, until its meeting is over, for every reader
        but its organiser, its supervisor and bureau admins."""
        async with _database(state).reading() as session:
            draw = await draw_by_reference(session, draw_id)
            if not await _reads_members(session, request.user, draw):
                return json.loads(draw.receipt)
            return record_document(draw)

    @get("/draws/{draw_id:str}/exclusions", guards=[READERS_GUARD])
    async def get_exclusions(self, request: Request[Identity, Any, State], state: State,
                             draw_id: FromPath[str]) -> list[ExclusionEntry]:
        """Every expert of the asked fields left out at commit, by pool number, with its reason codes;
        without the pool numbers while the panel's list is sealed to the reader."""
        async with _database(state).reading() as session:
            draw = await draw_by_reference(session, draw_id)
            shown = await _reads_members(session, request.user, draw)
            return [ExclusionEntry(expert_code=code if shown else None, reasons=reasons.split(","))
                    for code, reasons in await excluded_of(session, draw.id)]

    @post("/draws/{draw_id:str}/reveal", guards=[requires_role(Role.SUPERVISOR)], status_code=200)
    async def reveal(self, request: Request[Identity, Any, State], state: State, draw_id: FromPath[str],
                     data: JSONBody[RevealRequest]) -> DrawView:
        """The named supervisor confirms the extra avoidances (``confirmed_avoidances``: the pool numbers
        of the draw view's ``avoidances``, an empty list when there are none) and types the witness; the
        draw runs and its primaries take their seats. A confirmation that differs is a 422 and nothing
        is revealed."""
        desk: PanelDesk = state.panels
        async with _database(state).transaction() as session:
            draw = await desk.reveal(session, request.user, draw_id, data.witness, data.confirmed_avoidances)
            return await _view(session, state, request.user, draw)

    @post("/draws/{draw_id:str}/members/{expert_code:str}/accept",
          guards=[requires_role(*SEAT_ANSWERERS)], status_code=200)
    async def accept(self, request: Request[Identity, Any, State], state: State, draw_id: FromPath[str],
                     expert_code: FromPath[str], data: JSONBody[Answer]) -> MemberView:
        return await _answer(request, state, draw_id, expert_code, data, accepted=True)

    @post("/draws/{draw_id:str}/members/{expert_code:str}/decline",
          guards=[requires_role(*SEAT_ANSWERERS)], status_code=200)
    async def decline(self, request: Request[Identity, Any, State], state: State, draw_id: FromPath[str],
                      expert_code: FromPath[str], data: JSONBody[Answer]) -> MemberView:
        """A decline needs a reason; the organiser also says how the expert answered (phone, sms,
        in_person, unreachable). The next free reserve of the field moves up, in order."""
        return await _answer(request, state, draw_id, expert_code, data, accepted=False)

    @post("/draws/{draw_id:str}/members/{expert_code:str}/evaluation", guards=[ORGANISERS_GUARD],
          status_code=200)
    async def evaluate(self, request: Request[Identity, Any, State], state: State, draw_id: FromPath[str],
                       expert_code: FromPath[str], data: JSONBody[Evaluation]) -> MemberView:
        """Attendance and the organiser's score (0–100) after the meeting, due within the set working days."""
        desk: PanelDesk = state.panels
        async with _database(state).transaction() as session:
            member = await evaluations.evaluate(session, desk, request.user, await draw_by_id(session, draw_id),
                                                expert_code, data)
            return panel_views.member_view(member)

    @post("/draws/{draw_id:str}/supplementary", guards=[ORGANISERS_GUARD], status_code=201)
    async def supplementary(self, request: Request[Identity, Any, State], state: State, draw_id: FromPath[str],
                            data: JSONBody[SupplementaryRequest]) -> DrawView:
        """A new draw (new commitment) for the panel's open seats, naming the original and leaving
        out everyone the panel already placed."""
        desk: PanelDesk = state.panels
        async with _database(state).transaction() as session:
            draw = await desk.supplementary(session, request.user, await draw_by_id(session, draw_id), data)
            return await _view(session, state, request.user, draw)

    @post("/draws/{draw_id:str}/meeting", guards=[ORGANISERS_GUARD], status_code=200)
    async def move_meeting(self, request: Request[Identity, Any, State], state: State, draw_id: FromPath[str],
                           data: JSONBody[MeetingMove]) -> DrawView:
        """Move the meeting without a redraw; seats that now clash are replaced from the reserves."""
        desk: PanelDesk = state.panels
        async with _database(state).transaction() as session:
            draw = await draw_by_id(session, draw_id)
            await desk.move_meeting(session, request.user, draw, data)
            return await _view(session, state, request.user, draw)

    @post("/draws/{draw_id:str}/notice", guards=[ORGANISERS_GUARD], status_code=200)
    async def edit_notice(self, request: Request[Identity, Any, State], state: State, draw_id: FromPath[str],
                          data: JSONBody[MeetingNotice]) -> DrawView:
        """Set or change the venue (评审地点), the start time of each half-day, the contact person and
        phone and the notice text; a field left out keeps its value. The members read them in their
        invitations and on the call sheet."""
        desk: PanelDesk = state.panels
        async with _database(state).transaction() as session:
            draw = await draw_by_id(session, draw_id)
            await desk.edit_notice(session, request.user, draw, data)
            return await _view(session, state, request.user, draw)

    @post("/draws/{draw_id:str}/cancel", guards=[ORGANISERS_GUARD], status_code=200)
    async def cancel(self, request: Request[Identity, Any, State], state: State, draw_id: FromPath[str],
                     data: JSONBody[Cancellation]) -> DrawView:
        """Cancel with a reason: the panel's first draw cancels the panel; the draw stays in the log."""
        desk: PanelDesk = state.panels
        async with _database(state).transaction() as session:
            draw = await draw_by_id(session, draw_id, for_update=True)
            await desk.cancel(session, request.user, draw, data.reason)
            return await _view(session, state, request.user, draw)

    @get("/draws/{draw_id:str}/history", guards=[READERS_GUARD])
    async def history(self, request: Request[Identity, Any, State], state: State,
                      draw_id: FromPath[str]) -> list[HistoryEntry]:
        """The panel's history from the audit log: request, commits, reveals, every seat change (pool
        numbers redacted while the list is sealed to the reader)."""
        async with _database(state).reading() as session:
            return await panel_views.history(session, state.audit.tables, request.user,
                                             await draw_by_reference(session, draw_id))

    @get("/draws/{draw_id:str}/printable", guards=[READERS_GUARD], media_type="text/html")
    async def printable(self, request: Request[Identity, Any, State], state: State,
                        draw_id: FromPath[str]) -> Response[str]:
        """抽取记录表 to print on A4 and sign: project, purpose, venue and time, organiser and supervisor,
        the draw conditions, every avoidance with its reason, the commitment, witness and seed, the
        result and the replacements. Members' names and units for the panel's organiser, supervisor
        and bureau admins; pool numbers for other readers, once the meeting is over; before that, the
        commitment and the counts."""
        async with _database(state).reading() as session:
            draw = await draw_by_reference(session, draw_id)
            panel = await panel_of(session, draw) if draw.panel_id else None
            reader = Reader(numbers=panel is None or reads_members(request.user, panel),
                            names=panel is not None and sees_sealed_list(request.user, panel))
            members = await members_of(session, panel.id) if panel and reader.numbers else []
            excluded = await excluded_of(session, draw.id)
            facts = await _facts(session, draw.project_code, [m.expert_code for m in members] if reader.names else [],
                                 chain=await reroll.chain_of(session, panel) if panel else {})
            return Response(render_draw_record(draw, panel, members, excluded, reader, facts),
                            media_type="text/html")

    @get("/draws/{draw_id:str}/sign-in-sheet", guards=[READERS_GUARD], media_type="text/html")
    async def sign_in_sheet(self, request: Request[Identity, Any, State], state: State,
                            draw_id: FromPath[str]) -> Response[str]:
        """专家签到表 to print for the meeting: each seated member's name, unit and field, with a sign-in
        time and a signature to fill in. It names the members: only for the panel's organiser,
        supervisor and bureau admins."""
        async with _database(state).reading() as session:
            draw, panel = await _named_panel(session, request.user, draw_id)
            members = await members_of(session, panel.id)
            facts = await _facts(session, panel.project_code, [m.expert_code for m in members])
            return Response(render_sign_in_sheet(draw, panel, members, facts), media_type="text/html")

    @get("/draws/{draw_id:str}/fee-sheet", guards=[READERS_GUARD], media_type="text/html")
    async def fee_sheet(self, request: Request[Identity, Any, State], state: State,
                        draw_id: FromPath[str]) -> Response[str]:
        """评审劳务费发放表: each member recorded as attending, the meeting's half-days at the purpose's
        rate (``SORTES_EXPERTS_FEE_RATES``, yuan per half-day). Bank accounts whole for bureau admins
        (an audit entry names whose), masked for the organiser and supervisor."""
        async with _database(state).transaction() as session:
            draw, panel = await _named_panel(session, request.user, draw_id)
            attended = [m for m in await members_of(session, panel.id) if m.attended]
            facts = await _facts(session, panel.project_code, [m.expert_code for m in attended])
            whole = request.user.has_any([Role.BUREAU_ADMIN])
            rate = state.panel_rules.fee_rates.get(panel.purpose, 0)  # a former "acceptance" panel: no rate
            lines = []
            for member in attended:
                expert = facts.experts.get(member.expert_code)
                account = state.vault.open(expert).bank_account if expert is not None else None
                lines.append(FeeLine(member=member, expert=expert, half_days=len(halves_of(panel)), rate=rate,
                                     bank_account=account if whole or account is None else mask_bank_account(account)))
            shown = [line.member.expert_code for line in lines if whole and line.bank_account]
            if shown:
                await state.audit.record(session, actor=request.user, action="personal_data.unmasked",
                                         object_type="panel", object_id=panel.id,
                                         details={"fields": ["bank_account"], "experts": shown})
            return Response(render_fee_sheet(draw, panel, lines, facts, accounts_whole=whole),
                            media_type="text/html")


async def _named_panel(session: Any, actor: Identity, draw_id: str) -> tuple[Any, Panel]:
    draw = await draw_by_id(session, draw_id)
    panel = await panel_of(session, draw)
    if not sees_sealed_list(actor, panel):
        raise NotPermitted("This paper names the panel's members: only its organiser, its supervisor and bureau "
                           "admins print it.", code="panel.paper_names_members")
    return draw, panel


async def _facts(session: Any, project_code: str, expert_codes: list[str],
                 chain: dict[str, str | None] | None = None) -> RecordFacts:
    project = await session.get(Project, project_code)
    fields = dict((await session.execute(select(Field.code, Field.name_zh))).all())
    experts = {expert.code: expert for expert in (await session.execute(
        select(Expert).where(Expert.code.in_(expert_codes)))).scalars()} if expert_codes else {}
    return RecordFacts(project_name=None if project is None else project.name,
                       project_owner=None if project is None else project.owner_unit,
                       field_names={code: f"{name}（{code}）" for code, name in fields.items()},
                       experts=experts, chain=chain or {})


async def _answer(request: Request[Identity, Any, State], state: State, draw_id: str, expert_code: str,
                  data: Answer, *, accepted: bool) -> MemberView:
    desk: PanelDesk = state.panels
    async with _database(state).transaction() as session:
        member = await desk.answer(session, request.user, await draw_by_id(session, draw_id), expert_code,
                                   accepted, data)
        return panel_views.member_view(member)


async def _reads_members(session: Any, actor: Identity, draw: Any) -> bool:
    return draw.panel_id is None or reads_members(actor, await panel_of(session, draw))


async def _view(session: Any, state: State, actor: Identity, draw: Any) -> DrawView:
    return await panel_views.draw_view(session, state.audit, state.vault, actor, draw,
                                       state.rules.evaluation_working_days)


def _database(state: State) -> Database:
    return state.database
