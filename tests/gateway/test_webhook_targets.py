"""Webhooks reach public addresses only: loopback, link-local, private, multicast and unspecified
targets are refused at subscription (422 naming ``url``) and again at each delivery on the address the
name then resolves to, unless SORTES_WEBHOOK_ALLOW_PRIVATE=true; a delivery keeps the class of the
answer only, never its code or body."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from services.gateway.models import WebhookDelivery
from services.gateway.webhooks.deliveries import Dispatcher
from services.gateway.webhooks.targets import WebhookTargets
from shared.clock import utc_now
from shared.db import Database
from tests.conftest import ADMIN_API_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_API_KEY}"}
NAME = "lifecycle.sortes.test"  # .test never resolves; each test's resolver says where it points


@pytest.fixture
def gateway_overrides() -> dict[str, object]:
    """The app's own dispatcher sleeps an hour before its first round, so only the test's delivers,
    with the test's resolver (otherwise it could take the due delivery first and meet a name that
    resolves nowhere)."""
    return {"webhook_interval_seconds": 3600.0}


async def subscribe(client, url: str):  # type: ignore[no-untyped-def]
    return await client.post("/api/v1/webhooks", headers=ADMIN, json={
        "name": "项目全生命周期管理系统", "url": url, "event_types": ["draw.committed"]})


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/hooks", "http://10.0.0.1/hooks",
                                 "http://169.254.169.254/latest/meta-data/", "http://224.0.0.1/hooks",
                                 "http://[::1]:8000/hooks", "http://localhost:8000/hooks", "http://0.0.0.0/hooks",
                                 "https://[::ffff:192.168.1.1]/hooks"])
async def test_a_subscription_to_a_non_public_address_is_refused_naming_the_url(gateway_client, url: str) -> None:
    refused = await subscribe(gateway_client, url)
    assert refused.status_code == 422, refused.text
    assert [error["field"] for error in refused.json()["errors"]] == ["url"]
    assert (await gateway_client.get("/api/v1/webhooks", headers=ADMIN)).json() == []


async def test_a_public_address_or_a_name_not_yet_resolving_is_accepted(gateway_client) -> None:
    for url in ("https://93.184.216.34/hooks", f"https://{NAME}/hooks"):
        accepted = await subscribe(gateway_client, url)
        assert accepted.status_code == 201, accepted.text


class Receiver:
    """An endpoint on 127.0.0.1 that answers ``status`` with a body that must not be recorded."""

    def __init__(self, status: int) -> None:
        self.hosts: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                receiver.hosts.append(self.headers["host"])
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"internal admin page: db password hunter2")

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    receiver = Receiver(getattr(request, "param", 200))
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.fixture
async def database(gateway_client) -> AsyncIterator[Database]:  # type: ignore[no-untyped-def]
    """The gateway's database, opened on the test's own event loop (the app runs on another)."""
    database = Database.from_url(gateway_client.app.state.database.engine.url.render_as_string(hide_password=False))
    try:
        yield database
    finally:
        await database.dispose()


async def pending_delivery(client, database: Database, receiver: Receiver) -> str:  # type: ignore[no-untyped-def]
    """A subscription to a name that resolves nowhere yet, and one delivery due to it."""
    created = await subscribe(client, f"http://{NAME}:{receiver.port}/hooks")
    assert created.status_code == 201, created.text
    webhook_id = created.json()["webhook"]["id"]
    async with database.transaction() as session:
        session.add(WebhookDelivery(subscription_id=webhook_id, service="experts", event_seq=1,
                                    event_type="draw.committed", object_id="d1", body="{}", status="pending",
                                    attempts=0, next_attempt_at=utc_now(), created_at=utc_now()))
    return webhook_id


async def deliver(client, database: Database, *, allow_private: bool) -> None:  # type: ignore[no-untyped-def]
    async def resolver(host: str, port: int) -> list[str]:
        assert host == NAME
        return ["127.0.0.1"]  # re-pointed at loopback after subscribing

    dispatcher = Dispatcher(database, client.app.state.upstreams,
                            targets=WebhookTargets(allow_private=allow_private, resolver=resolver),
                            keys=client.app.state.data_keys)
    try:
        await dispatcher.deliver_due()
    finally:
        await dispatcher.close()


async def test_a_name_resolving_to_a_private_address_at_delivery_is_refused(gateway_client, database: Database,
                                                                            receiver: Receiver) -> None:
    webhook_id = await pending_delivery(gateway_client, database, receiver)
    await deliver(gateway_client, database, allow_private=False)
    assert receiver.hosts == []
    deliveries = (await gateway_client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=ADMIN)).json()
    assert [(d["status"], d["attempts"], d["last_result"]) for d in deliveries] == [("refused", 1, "refused")]
    refused = await gateway_client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=ADMIN,
                                       params={"status": "refused"})
    assert len(refused.json()) == 1


async def test_with_private_targets_allowed_the_delivery_goes_to_the_resolved_address(
        gateway_client, database: Database, receiver: Receiver) -> None:
    webhook_id = await pending_delivery(gateway_client, database, receiver)
    await deliver(gateway_client, database, allow_private=True)
    assert receiver.hosts == [f"{NAME}:{receiver.port}"]  # connected to the checked address, named as subscribed
    deliveries = (await gateway_client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=ADMIN)).json()
    assert [(d["status"], d["last_result"]) for d in deliveries] == [("delivered", "2xx")]


@pytest.mark.parametrize("receiver", [404], indirect=True)
async def test_a_delivery_records_the_class_of_the_answer_not_its_code_or_body(
        gateway_client, database: Database, receiver: Receiver) -> None:
    webhook_id = await pending_delivery(gateway_client, database, receiver)
    await deliver(gateway_client, database, allow_private=True)
    listing = await gateway_client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=ADMIN)
    assert [(d["status"], d["last_result"]) for d in listing.json()] == [("pending", "4xx")]
    assert "404" not in listing.text and "hunter2" not in listing.text
    async with database.reading() as session:
        row = (await session.execute(select(WebhookDelivery))).scalar_one()
    assert "hunter2" not in repr(vars(row))
