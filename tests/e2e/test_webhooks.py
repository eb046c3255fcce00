"""Webhooks end to end: an event written to a service's outbox reaches the lifecycle system's URL,
signed, retried after a failure until acknowledged, with its status visible at the gateway."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.experts.models import OUTBOX
from shared.outbox import publish
from sortes_cli.local_system import LocalSystem
from sortes_cli.main import main

pytestmark = pytest.mark.e2e


class Receiver:
    """The lifecycle system's endpoint: refuses the first delivery it watches, accepts the rest."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        # The events the test watches. The system is shared by the whole run, so events of earlier tests
        # (and of earlier runs of this one) reach a new subscription too: those are acknowledged, unseen.
        self.watches: Callable[[dict], bool] = lambda event: True
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                if not receiver.watches(json.loads(body)):
                    self.send_response(200)
                    self.end_headers()
                    return
                status = 503 if not receiver.received else 200
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sortes"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


async def emit_event(system: LocalSystem, object_id: str) -> None:
    """What the experts service does when a draw commits: an outbox row in the same transaction."""
    engine = create_async_engine(system.environment()["SORTES_EXPERTS_DATABASE_URL"])
    async with AsyncSession(engine) as session, session.begin():
        await publish(session, OUTBOX, "draw.committed", object_id,
                      {"project_code": "PY-2026-001", "commitment": "c4267b6b"})
    await engine.dispose()


def test_an_event_is_delivered_signed_and_retried_until_acknowledged(local_system: LocalSystem,
                                                                     receiver: Receiver) -> None:
    admin = {"Authorization": f"Bearer {local_system.admin_api_key}"}
    object_id = str(uuid.uuid4())  # this run's own event, whatever ran before on the system
    receiver.watches = lambda event: event.get("object_id") == object_id
    created = httpx.post(local_system.url() + "/api/v1/webhooks", headers=admin, timeout=10, json={
        "name": "项目全生命周期管理系统", "url": receiver.url, "event_types": ["draw.committed", "draw.revealed"]})
    assert created.status_code == 201, created.text
    secret, webhook_id = created.json()["secret"], created.json()["webhook"]["id"]

    asyncio.run(emit_event(local_system, object_id))
    deadline = time.monotonic() + 40
    while len(receiver.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert [status for *_, status in receiver.received] == [503, 200]

    headers, body, _ = receiver.received[-1]
    assert headers["x-sortes-event"] == "draw.committed"
    timestamp, mac = (part.split("=", 1)[1] for part in headers["x-sortes-signature"].split(","))
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    event = json.loads(body)
    assert (event["event"], event["service"], event["object_id"]) == (
        "draw.committed", "experts", object_id)
    assert event["data"]["project_code"] == "PY-2026-001"

    deliveries = httpx.get(local_system.url() + f"/api/v1/webhooks/{webhook_id}/deliveries", headers=admin,
                           timeout=10).json()
    assert [(d["status"], d["attempts"], d["last_result"]) for d in deliveries
            if d["object_id"] == object_id] == [("delivered", 2, "2xx")]


def test_the_outbox_is_not_readable_by_callers(local_system: LocalSystem) -> None:
    admin = {"Authorization": f"Bearer {local_system.admin_api_key}"}
    response = httpx.get(local_system.url() + "/api/v1/internal/events", headers=admin, timeout=10)
    assert response.status_code == 404  # the gateway does not route it


def test_audit_checkpoints_reach_the_receiver_and_verify_the_chains_from_there(
        local_system: LocalSystem, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path) -> None:
    """Each service's checkpoints leave the host as `audit.checkpoint` webhooks (the gateway's through its own
    outbox); what the receiver kept is enough for `sortes audit verify --checkpoints`."""
    admin = {"Authorization": f"Bearer {local_system.admin_api_key}"}
    head = httpx.get(local_system.url() + "/api/v1/audit", params={"service": "gateway", "page_size": 1},
                     headers=admin, timeout=10).json()["items"][0]["seq"]
    # Only the gateway's checkpoints signed from now on: the other services sign theirs as they go.
    receiver.watches = lambda event: event.get("service") == "gateway" and event.get("data", {}).get("seq", 0) > head
    created = httpx.post(local_system.url() + "/api/v1/webhooks", headers=admin, timeout=10, json={
        "name": "审计存证", "url": receiver.url, "event_types": ["audit.checkpoint"]})
    assert created.status_code == 201, created.text
    for name, value in local_system.environment().items():
        if name.startswith("SORTES_"):
            monkeypatch.setenv(name, value)
    assert main(["audit", "checkpoint", "--service", "gateway"]) == 0  # the webhook's creation, signed
    deadline = time.monotonic() + 40
    while len(receiver.received) < 2 and time.monotonic() < deadline:  # the first attempt is refused
        time.sleep(0.3)
    bodies = [json.loads(body) for _, body, status in receiver.received if status == 200]
    assert bodies and {(body["event"], body["service"]) for body in bodies} == {("audit.checkpoint", "gateway")}
    kept = tmp_path / "received.jsonl"
    kept.write_text("".join(body.decode() + "\n" for _, body, status in receiver.received if status == 200))
    capsys.readouterr()
    assert main(["audit", "verify", "--service", "gateway", "--checkpoints", str(kept)]) == 0
    assert "gateway: OK" in capsys.readouterr().out


# A restore loses no webhook: restoring experts rewinds the gateway's cursor for it to the restored outbox,
# so the events written after the restore (under the numbers of the events lost with it) are delivered;
# and a restore refuses while the service still runs.

def delivered(receiver: Receiver, object_id: str, timeout: float = 40) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(json.loads(body).get("object_id") == object_id for _, body, status in receiver.received
               if status == 200):
            return True
        time.sleep(0.3)
    return False


def test_restoring_experts_rewinds_the_webhook_cursor_and_the_next_events_are_delivered(
        local_system: LocalSystem, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in local_system.environment().items():
        if name.startswith("SORTES_"):
            monkeypatch.setenv(name, value)
    run = uuid.uuid4().hex[:8]
    receiver.watches = lambda event: str(event.get("object_id", "")).startswith(run)
    receiver.received.append(({}, b"{}", 0))  # the receiver refuses its first watched delivery: not this one
    admin = {"Authorization": f"Bearer {local_system.admin_api_key}"}
    created = httpx.post(local_system.url() + "/api/v1/webhooks", headers=admin, timeout=10, json={
        "name": "恢复后的事件", "url": receiver.url, "event_types": ["draw.committed"]})
    assert created.status_code == 201, created.text

    asyncio.run(emit_event(local_system, f"{run}-before-backup"))
    assert delivered(receiver, f"{run}-before-backup")
    assert main(["backup", "--service", "experts", "--output", str(tmp_path / "backups")]) == 0
    [backup] = list((tmp_path / "backups").iterdir())
    for lost in ("lost-1", "lost-2"):  # written after the backup: gone with the restore
        asyncio.run(emit_event(local_system, f"{run}-{lost}"))
    assert delivered(receiver, f"{run}-lost-2")
    capsys.readouterr()

    refused = main(["restore", "--service", "experts", "--input", str(backup), "--force"])
    assert refused == 1
    assert "stop every experts instance" in capsys.readouterr().err

    local_system.stop_one("experts")
    try:
        assert main(["restore", "--service", "experts", "--input", str(backup), "--force"]) == 0
        output = capsys.readouterr().out
        assert "webhook cursor rewound" in output and "audit chain OK" in output
    finally:
        local_system.start_one("experts")
        local_system.wait_ready(("experts",))

    asyncio.run(emit_event(local_system, f"{run}-after-restore"))
    assert delivered(receiver, f"{run}-after-restore"), "the first event after the restore was never delivered"
