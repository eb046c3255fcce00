"""Webhook subscriptions of the lifecycle system, and their deliveries with status."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy import select

from services.gateway.models import WebhookDelivery, WebhookSubscription
from services.gateway.webhooks import deliveries as webhooks
from shared.contracts.events import DeliveryView, WebhookCreate, WebhookCreated, WebhookView
from shared.errors import NotFound
from shared.identity import requires_role
from shared.permissions import LIFECYCLE_SYSTEM_ADMIN_AND_AUDITOR, LIFECYCLE_SYSTEM_AND_ADMIN

MANAGERS = requires_role(*LIFECYCLE_SYSTEM_AND_ADMIN)
READERS = requires_role(*LIFECYCLE_SYSTEM_ADMIN_AND_AUDITOR)


class WebhooksController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]

    @post("/", guards=[MANAGERS])
    async def post_webhook(self, request: Request, state: State,
                           data: JSONBody[WebhookCreate]) -> Response[WebhookCreated]:
        """Subscribe a URL to event types; the signing secret is in this answer only. The URL must reach a
        public address (not loopback, link-local, private or multicast), checked again at each delivery."""
        async with state.database.transaction() as session:
            subscription, secret = await webhooks.create_subscription(session, state.audit, request.user, data,
                                                                      state.webhook_targets, state.data_keys)
            created = WebhookCreated(webhook=webhooks.webhook_view(subscription), secret=secret)
        return Response(created, status_code=201, headers={"Cache-Control": "no-store"})

    @get("/", guards=[READERS])
    async def get_webhooks(self, state: State) -> list[WebhookView]:
        async with state.database.reading() as session:
            rows = await session.execute(select(WebhookSubscription).order_by(WebhookSubscription.created_at))
            return [webhooks.webhook_view(subscription) for subscription in rows.scalars()]

    @post("/{webhook_id:str}/disable", guards=[MANAGERS], status_code=200)
    async def disable_webhook(self, request: Request, state: State, webhook_id: FromPath[str]) -> WebhookView:
        async with state.database.transaction() as session:
            return webhooks.webhook_view(
                await webhooks.disable_subscription(session, state.audit, request.user, webhook_id))

    @get("/{webhook_id:str}/deliveries", guards=[READERS])
    async def get_deliveries(self, state: State, webhook_id: FromPath[str],
                             status: str | None = Parameter(default=None, pattern="^(pending|delivered|refused)$"),
                             limit: int = Parameter(default=100, ge=1, le=1000)) -> list[DeliveryView]:
        """Each delivery with its status, attempts, the class of the last answer and the next attempt; newest first."""
        async with state.database.reading() as session:
            if await session.get(WebhookSubscription, webhook_id) is None:
                raise NotFound("No webhook {webhook}.", code="webhook.unknown", params={"webhook": webhook_id})
            query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook_id)
            if status:
                query = query.where(WebhookDelivery.status == status)
            rows = await session.execute(query.order_by(WebhookDelivery.id.desc()).limit(limit))
            return [webhooks.delivery_view(delivery) for delivery in rows.scalars()]
