"""Monitoring tells an operator what is broken: readiness per instance (degraded when one is down) that
does not make the gateway's own readiness follow another service; metrics per service, instance and
route template, 429s, webhook deliveries and outbox depth, the database pool; the services' own
/metrics behind the identity assertion; health checks not logged at INFO."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.gateway.models import WebhookDelivery, WebhookSubscription
from services.gateway.webhooks.deliveries import Dispatcher
from shared.clock import utc_now
from shared.db import Database
from tests.conftest import ADMIN_API_KEY
from tests.support.ports import free_port

ADMIN = {"Authorization": f"Bearer {ADMIN_API_KEY}"}


class FakeInstance:
    """An experts instance that is ready, names its route template, and keeps the headers it was sent."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        instance = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                instance.seen.append({k.lower(): v for k, v in self.headers.items()})
                body = b"# fake\nsortes_experts_requests_total 1.0\n" if self.path == "/metrics" else b"[]"
                self.send_response(200)
                self.send_header("content-type", "text/plain" if self.path == "/metrics" else "application/json")
                self.send_header("x-sortes-route", "/api/v1/fields")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


_fake = FakeInstance()
_dead = f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def gateway_overrides() -> dict[str, object]:
    return {"experts_urls": [_fake.url, _dead], "vendors_urls": [_fake.url]}


@pytest.fixture(scope="module", autouse=True)
def _stop_fake() -> Iterator[None]:
    yield
    _fake.server.shutdown()


async def test_readiness_is_the_gateways_own_and_deep_readiness_names_each_instance(gateway_client) -> None:
    shallow = await gateway_client.get("/readyz")
    assert shallow.status_code == 200  # an experts instance down does not withdraw the gateway
    assert shallow.json()["checks"] == {"gateway_database": True}
    deep = await gateway_client.get("/readyz", params={"deep": "true"})
    assert deep.status_code == 200
    body = deep.json()
    assert body["status"] == "degraded"
    host = _fake.url.removeprefix("http://")
    assert body["instances"] == {f"experts@{host}": True, f"experts@{_dead.removeprefix('http://')}": False,
                                 f"vendors@{host}": True}
    assert body["checks"] == {"gateway_database": True, "experts": True, "vendors": True}


async def test_calls_are_counted_per_service_instance_and_route_template(gateway_client) -> None:
    for _ in range(3):
        assert (await gateway_client.get("/api/v1/fields", headers=ADMIN)).status_code == 200
    text = (await gateway_client.get("/metrics", headers=ADMIN)).text
    host = _fake.url.removeprefix("http://")
    assert (f'sortes_gateway_upstream_requests_total{{instance="{host}",route="/api/v1/fields",service="experts",'
            f'status="200"}}') in text
    assert "sortes_gateway_instance_up" in text
    assert 'sortes_db_pool_connections_in_use{service="gateway"}' in text


async def test_a_services_own_metrics_are_fetched_per_instance_with_an_assertion(gateway_client) -> None:
    answer = await gateway_client.get("/metrics/experts/1", headers=ADMIN)
    assert answer.status_code == 200 and "sortes_experts_requests_total" in answer.text
    assert "x-sortes-identity" in _fake.seen[-1]  # asked with the caller's identity assertion
    assert (await gateway_client.get("/metrics/experts/1")).status_code == 401
    missing = await gateway_client.get("/metrics/experts/9", headers=ADMIN)
    assert missing.status_code == 404 and missing.json()["code"] == "metrics.no_instance"


async def test_requests_refused_for_a_quota_are_counted(gateway_client) -> None:
    statuses = [(await gateway_client.get("/api/v1/units", headers=ADMIN)).status_code for _ in range(42)]
    assert 429 in statuses
    text = (await gateway_client.get("/metrics", headers=ADMIN)).text
    assert 'sortes_gateway_rate_limited_total{route="/api/v1/units"}' in text


async def test_webhook_deliveries_pending_failing_and_oldest_age_are_measured(gateway_client) -> None:
    state = gateway_client.app.state  # its database is used from the app's own loop: a second engine here
    database = Database.from_url(state.database.engine.url.render_as_string(hide_password=False))
    now = utc_now()
    async with database.transaction() as session:
        subscription = WebhookSubscription(id=uuid.uuid4().hex[:16], name="lifecycle", url="https://example.org/h",
                                           event_types="draw.committed", secret="s", owner_subject="t", created_at=now)
        session.add(subscription)
        await session.flush()
        for seq, attempts in ((1, 0), (2, 3)):
            session.add(WebhookDelivery(subscription_id=subscription.id, service="experts", event_seq=seq,
                                        event_type="draw.committed", object_id="d", body="{}", status="pending",
                                        attempts=attempts, next_attempt_at=now, created_at=now))
    dispatcher = Dispatcher(database, state.upstreams)
    try:
        await dispatcher.measure()
    finally:
        await dispatcher.close()
        await database.dispose()
    text = (await gateway_client.get("/metrics", headers=ADMIN)).text
    assert 'sortes_gateway_webhook_deliveries{state="pending"} 2.0' in text
    assert 'sortes_gateway_webhook_deliveries{state="failing"} 1.0' in text
    assert "sortes_gateway_webhook_oldest_pending_seconds" in text


async def test_the_services_answer_metrics_only_behind_the_assertion(experts_client, minter) -> None:
    assert (await experts_client.get("/metrics")).status_code == 401
    fields = await experts_client.get("/api/v1/fields", headers=minter.headers("experts", "bureau_admin"))
    assert fields.headers["x-sortes-route"] == "/api/v1/fields"
    text = (await experts_client.get("/metrics", headers=minter.headers("experts", "auditor"))).text
    assert "sortes_experts_requests_total" in text
    assert 'sortes_db_pool_connections_in_use{service="experts"}' in text


async def test_health_checks_and_outbox_polls_are_not_logged_at_info() -> None:
    from shared.logs import request_context_middleware

    async def answer(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        status = 404 if scope["path"] == "/api/v1/nowhere" else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def ignore(_message) -> None:  # type: ignore[no-untyped-def]
        pass

    kept: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = kept.append  # type: ignore[method-assign]
    access = logging.getLogger("sortes.access")
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        app = request_context_middleware(answer)
        for path in ("/healthz", "/readyz", "/api/v1/internal/events", "/healthz", "/api/v1/nowhere"):
            await app({"type": "http", "method": "GET", "path": path, "headers": []}, None, ignore)
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    logged = [record.fields["path"] for record in kept if record.levelno >= logging.INFO]  # type: ignore[attr-defined]
    assert logged == ["/api/v1/nowhere"]
