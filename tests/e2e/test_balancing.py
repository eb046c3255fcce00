"""Two instances of each service behind the gateway: traffic is shared, a dead one is avoided."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from sortes_cli.local_system import LocalSystem
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    data_dir = tmp_path_factory.mktemp("replicated")
    system = LocalSystem(data_dir=data_dir, log_dir=data_dir / "logs",
                         ports={name: free_port() for name in ("gateway", "experts", "vendors")},
                         replica_ports={"experts": [free_port()], "vendors": [free_port()]})
    system.prepare()
    try:
        system.start()
        yield system
    finally:
        system.stop()


def served(system: LocalSystem, instance: str) -> int:
    """How many /api/v1/fields requests an instance has answered, from its own access log."""
    assert system.log_dir is not None
    return (system.log_dir / f"{instance}.log").read_text().count('"path": "/api/v1/fields"')


def get_fields(system: LocalSystem, times: int) -> list[int]:
    headers = {"Authorization": f"Bearer {system.admin_api_key}"}
    with httpx.Client(base_url=system.url(), headers=headers, timeout=10) as client:
        return [client.get("/api/v1/fields").status_code for _ in range(times)]


def test_requests_are_shared_and_a_dead_instance_is_avoided_until_it_recovers(replicated: LocalSystem) -> None:
    # An instance the gateway's first health check found still starting gets traffic from the next
    # check on (every 2 s); then the two share it.
    deadline = time.monotonic() + 15
    while not (served(replicated, "experts") >= 3 and served(replicated, "experts-2") >= 3):
        assert time.monotonic() < deadline, "requests were not shared between the two instances"
        assert get_fields(replicated, 10) == [200] * 10

    replicated.stop_one("experts-2")
    assert get_fields(replicated, 20) == [200] * 20  # retried on the live instance, then routed around

    replicated.start_one("experts", instance="experts-2", port=replicated.replica_ports["experts"][0])
    replicated.wait_ready(("experts-2",))
    before = served(replicated, "experts-2")
    deadline = time.monotonic() + 20
    while served(replicated, "experts-2") == before and time.monotonic() < deadline:
        assert get_fields(replicated, 4) == [200] * 4
        time.sleep(0.5)
    assert served(replicated, "experts-2") > before


def test_with_every_instance_down_the_gateway_answers_503_at_once(replicated: LocalSystem) -> None:
    for instance in ("vendors", "vendors-2"):
        replicated.stop_one(instance)
    try:
        headers = {"Authorization": f"Bearer {replicated.admin_api_key}"}
        statuses = []
        started = time.monotonic()
        for _ in range(8):
            response = httpx.get(replicated.url() + "/api/v1/vendors", headers=headers, timeout=10)
            statuses.append(response.status_code)
        assert set(statuses) == {503}
        assert response.headers["content-type"].startswith("application/problem+json")
        assert time.monotonic() - started < 5
    finally:
        for instance, port in replicated.instances("vendors"):
            replicated.start_one("vendors", instance=instance, port=port)
        replicated.wait_ready(("vendors", "vendors-2"))
