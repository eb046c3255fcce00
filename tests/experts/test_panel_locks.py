"""Changes of one panel take turns on its row, and each sees the one before it (PostgreSQL, where
transactions run side by side; SQLite lets one writer in at a time anyway): a move, a notice change, an
answer, an evaluation or a cancel asked while the panel is being cancelled waits, then finds it
cancelled — never acts on the panel as it was read before the wait. A replacement of a cancelled panel
waits for another replacement of the same panel under way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain import evaluations
from services.experts.domain.statuses import CancelPhase
from services.experts.models import Draw, Panel, PanelMember
from shared.clock import utc_now
from shared.contracts.statuses import DrawStatus, PanelStatus, SeatState
from shared.db import hold_lock
from tests.experts.test_notifications import _gateway, _outbox, _token_of
from tests.experts.test_panels import (
    MEETING,
    ask_panel,
    build_pool,
    count_rows,
    move_meeting,
    organiser,
    panel_body,
    register_project,
    reveal,
    seated,
    supervisor,
)
from tests.experts.test_reroll import cancel
from tests.support.databases import url_of
from tests.support.held import holding, waited

pytestmark = pytest.mark.postgres
CHANGES: dict[str, Callable[[Any, Any, dict[str, Any]], Awaitable[Any]]] = {
    "move": lambda client, minter, draw: move_meeting(client, minter, draw["id"], MEETING + dt.timedelta(days=1)),
    "notice": lambda client, minter, draw: client.post(f"/api/v1/draws/{draw['id']}/notice", headers=organiser(minter),
                                                       json={"starts_at": {"morning": "09:15"}}),
    "answer": lambda client, minter, draw: client.post(
        f"/api/v1/draws/{draw['id']}/members/{seated(draw)[0]}/accept", headers=organiser(minter),
        json={"channel": "phone"}),
    "cancel": lambda client, minter, draw: client.post(f"/api/v1/draws/{draw['id']}/cancel",
                                                       headers=organiser(minter), json={"reason": "项目暂停"}),
    "link": lambda client, minter, draw: answer_by_link(client, minter),
    "evaluate": lambda client, minter, draw: client.post(  # after the meeting (the test moves the clock there)
        f"/api/v1/draws/{draw['id']}/members/{seated(draw)[0]}/evaluation", headers=organiser(minter),
        json={"attended": True, "score": 85}),
}
REFUSED = {"link": "invitation_link.closed"}  # the others: panel.cancelled


async def answer_by_link(client, minter) -> Any:
    """The first invited member accepts through the link of their invitation, as the gateway's page forwards it."""
    token = _token_of((await _outbox(client, minter))[0])
    return await client.post("/api/v1/invitation-links/answer", json={"token": token, "accept": True},
                             headers=_gateway(minter))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize("change", list(CHANGES))
async def test_a_change_of_a_panel_being_cancelled_waits_and_finds_it_cancelled(experts_client, minter, monkeypatch,
                                                                               change: str) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    drawn = await reveal(experts_client, minter, (await ask_panel(
        experts_client, minter, panel_body(count=1, reserves=1)))["id"])
    panel_id = drawn["panel"]["id"]
    if change == "evaluate":
        started = dt.datetime.fromisoformat(drawn["panel"]["meeting_starts_at"])
        monkeypatch.setattr(evaluations, "utc_now", lambda: started)

    async def cancelling(session: AsyncSession) -> None:  # as a cancel does: the panel's row locked, then closed
        await session.execute(select(Panel.id).where(Panel.id == panel_id).with_for_update())
        await session.execute(update(Panel).where(Panel.id == panel_id).values(
            status=PanelStatus.CANCELLED, cancel_reason="项目暂停", cancelled_at=utc_now(),
            cancel_phase=CancelPhase.AFTER_REVEAL))

    holding(url_of(experts_client), cancelling)
    late, answered = await waited(CHANGES[change](experts_client, minter, drawn))
    assert late, f"the {change} went ahead while the panel was being cancelled"
    assert answered.status_code == 409 and answered.json()["code"] == REFUSED.get(change, "panel.cancelled"), \
        answered.text


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_replacement_waits_for_another_replacement_of_the_same_panel(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 10)
    first = await reveal(experts_client, minter, (await ask_panel(experts_client, minter))["id"])
    await cancel(experts_client, minter, first["id"])
    replaced = first["panel"]["id"]

    async def replacing(session: AsyncSession) -> None:
        await hold_lock(session, f"experts.replacing:{replaced}")

    holding(url_of(experts_client), replacing)
    late, second = await waited(ask_panel(experts_client, minter, panel_body(replaces=replaced)))
    assert late, "a replacement went ahead while another replacement of the same panel was under way"
    assert second["panel"]["replaces"] == replaced


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_an_answer_by_link_while_the_organiser_records_the_members_answer_sees_that_answer(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    drawn = await reveal(experts_client, minter, (await ask_panel(
        experts_client, minter, panel_body(count=1, reserves=1)))["id"])
    panel_id, [member] = drawn["panel"]["id"], seated(drawn)

    async def declining(session: AsyncSession) -> None:  # as the organiser's answer does: the panel's row first
        await session.execute(select(Panel.id).where(Panel.id == panel_id).with_for_update())
        await session.execute(update(PanelMember).where(PanelMember.panel_id == panel_id,
                                                        PanelMember.expert_code == member).values(
            state=SeatState.DECLINED))

    holding(url_of(experts_client), declining)
    late, answered = await waited(answer_by_link(experts_client, minter))
    assert late, "the link's answer went ahead while the organiser was recording the member's answer"
    assert answered.status_code == 409 and answered.json()["code"] == "invitation_link.closed", answered.text


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_reveal_while_its_draw_is_being_cancelled_waits_and_reveals_nothing(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    committed = await ask_panel(experts_client, minter, panel_body(count=1, reserves=1))

    async def cancelling(session: AsyncSession) -> None:  # as a cancel does: the draw's row locked, then cancelled
        await session.execute(select(Draw.id).where(Draw.id == committed["id"]).with_for_update())
        await session.execute(update(Draw).where(Draw.id == committed["id"]).values(
            status=DrawStatus.CANCELLED, cancelled_at=utc_now(), cancel_reason="项目暂停"))

    holding(url_of(experts_client), cancelling)
    late, answered = await waited(experts_client.post(
        f"/api/v1/draws/{committed['id']}/reveal", headers=supervisor(minter),
        json={"witness": "2026年11月29日 上证指数 3401.25", "confirmed_avoidances": []}))
    assert late, "the reveal went ahead while its draw was being cancelled"
    assert answered.status_code == 409, answered.text
    assert await count_rows(experts_client, "panel_bookings") == 0
