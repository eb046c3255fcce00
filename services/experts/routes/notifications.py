"""The one-time answer links, as the gateway's public page forwards them, and the notification
outbox as the bureau admin's 消息发件箱 reads it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers import BaseRouteHandler
from litestar.params import JSONBody, Parameter

from services.experts.domain import notices
from services.experts.domain.panels import PanelDesk
from services.experts.schemas import LinkAnswer, LinkInvitation, LinkLookup, OutboxMessage, Page
from shared.db import MAX_PAGE, Database
from shared.errors import NotPermitted
from shared.identity import Identity, requires_role
from shared.roles import Role

GATEWAY_SUBJECT = "gateway"  # the gateway's own identity (services/gateway/edge/upstream.py GATEWAY)


def only_the_gateway(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """The link page is the gateway's: no person signs in to it, and no other caller may try tokens."""
    user: Identity = connection.user
    if user.subject != GATEWAY_SUBJECT or Role.SERVICE.value not in user.roles:
        raise NotPermitted("Only the gateway's answer page reads invitation links.",
                           code="invitation_link.gateway_only")


class InvitationLinksController(Controller):
    """The token travels in the body, never in a path or a query string the logs could keep."""

    path = "/api/v1/invitation-links"
    tags = ["draws"]
    guards = [only_the_gateway]
    include_in_schema = False

    @post("/lookup", status_code=200)
    async def lookup(self, state: State, data: JSONBody[LinkLookup]) -> LinkInvitation:
        """The invitation the link belongs to, and whether it can still be answered."""
        database: Database = state.database
        desk: PanelDesk = state.panels
        async with database.reading() as session:
            return await desk.link_invitation(session, data.token)

    @post("/answer", status_code=200)
    async def answer(self, request: Request[Identity, Any, State], state: State,
                     data: JSONBody[LinkAnswer]) -> LinkInvitation:
        """Accept or decline through the link: once, while invited, until the meeting starts."""
        database: Database = state.database
        desk: PanelDesk = state.panels
        async with database.transaction() as session:
            await desk.answer_by_link(session, request.user, data.token, data.accept, data.reason,
                                          data.reason_category)
        async with database.reading() as session:
            return await desk.link_invitation(session, data.token)


@get("/api/v1/notifications", guards=[requires_role(Role.BUREAU_ADMIN)], tags=["draws"])
async def list_outbox(state: State, page: int = Parameter(default=1, ge=1, le=MAX_PAGE),
                      page_size: int = Parameter(default=50, ge=1, le=200)) -> Page[OutboxMessage]:
    """The SMS and voice messages to panel members, newest first, a page at a time with the total; the
    recipient masked; the text only of the local outbox (``SORTES_EXPERTS_NOTIFY_PROVIDER=local``),
    whose messages never left."""
    database: Database = state.database
    async with database.reading() as session:
        rows, total = await notices.recent_messages(session, state.vault.keyring, page, page_size)
    return Page(items=[OutboxMessage(**row) for row in rows], total=total, page=page, page_size=page_size)
