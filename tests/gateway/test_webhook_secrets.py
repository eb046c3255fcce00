"""A webhook's signing secret is stored sealed under the gateway's data key, like personal data: the
database (and so every backup of it) never holds it in clear, and migration 0010 seals those stored
in clear before it."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from services.gateway.models import WebhookSubscription
from services.gateway.webhooks.deliveries import secret_context
from shared.crypto import load_key_file
from shared.db import Database
from shared.migrations import upgrade
from tests.conftest import ADMIN_API_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_API_KEY}"}


@pytest.fixture
def gateway_overrides() -> dict[str, object]:
    return {"webhook_allow_private": True}


async def test_a_new_webhooks_secret_is_stored_sealed(gateway_client) -> None:
    created = await gateway_client.post("/api/v1/webhooks", headers=ADMIN, json={
        "name": "项目全生命周期管理系统", "url": "http://127.0.0.1:9/hooks", "event_types": ["draw.committed"]})
    assert created.status_code == 201, created.text
    secret, webhook_id = created.json()["secret"], created.json()["webhook"]["id"]
    state = gateway_client.app.state
    database = Database.from_url(state.database.engine.url.render_as_string(hide_password=False))
    try:
        async with database.reading() as session:
            stored = (await session.execute(select(WebhookSubscription.secret).where(
                WebhookSubscription.id == webhook_id))).scalar_one()
    finally:
        await database.dispose()
    assert secret not in stored
    assert state.data_keys.decrypt(stored, context=secret_context(webhook_id)) == secret
    with pytest.raises(ValueError):  # bound to its own subscription
        state.data_keys.decrypt(stored, context=secret_context("another"))


def test_migration_0010_seals_the_secrets_stored_in_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "gateway-data-keys"
    monkeypatch.setenv("SORTES_GATEWAY_DATA_KEY_FILE", str(key_file))
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    upgrade("gateway", url, "0009")
    clear = "W3bh00k-secret_in-clear-before-0010-0123456789ab"
    with sqlite3.connect(tmp_path / "gateway.db") as connection:
        connection.execute("INSERT INTO webhook_subscriptions (id, name, url, event_types, secret, owner_subject, "
                           "created_at) VALUES ('s1', 'n', 'https://example.org/h', 'draw.committed', ?, 'me', "
                           "'2026-12-01 00:00:00')", (clear,))
    upgrade("gateway", url)
    connection = sqlite3.connect(tmp_path / "gateway.db")
    try:
        [(stored,)] = connection.execute("SELECT secret FROM webhook_subscriptions").fetchall()
    finally:
        connection.close()
    assert clear not in stored
    assert load_key_file(key_file).decrypt(stored, context=secret_context("s1")) == clear


async def test_of_two_gateways_reading_the_same_due_delivery_one_claims_it(gateway_client) -> None:
    """Why two gateway pods do not send a delivery twice (deploy/kubernetes/gateway.yaml runs two)."""
    from services.gateway.models import WebhookDelivery
    from services.gateway.webhooks.deliveries import Dispatcher
    from shared.clock import utc_now

    created = await gateway_client.post("/api/v1/webhooks", headers=ADMIN, json={
        "name": "生命周期", "url": "http://127.0.0.1:9/hooks", "event_types": ["draw.committed"]})
    webhook_id = created.json()["webhook"]["id"]
    database = Database.from_url(gateway_client.app.state.database.engine.url.render_as_string(hide_password=False))
    try:
        async with database.transaction() as session:
            session.add(WebhookDelivery(subscription_id=webhook_id, service="experts", event_seq=7,
                                        event_type="draw.committed", object_id="d7", body="{}", status="pending",
                                        # not yet due: the app's own dispatcher leaves it to the two below
                                        attempts=0, next_attempt_at=utc_now() + dt.timedelta(hours=1),
                                        created_at=utc_now()))
        async with database.reading() as session:
            read_by_both = (await session.execute(select(WebhookDelivery).where(
                WebhookDelivery.subscription_id == webhook_id))).scalar_one()
        first, second = (Dispatcher(database, gateway_client.app.state.upstreams) for _ in range(2))
        try:
            assert await first._claim(read_by_both) is True
            assert await second._claim(read_by_both) is False
        finally:
            await first.close()
            await second.close()
    finally:
        await database.dispose()
