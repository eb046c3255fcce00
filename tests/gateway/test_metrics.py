"""Prometheus metrics at /metrics: requests by route, and business events."""

from __future__ import annotations

from services.gateway.edge.metrics import CONFLICT_CHECKS, DRAWS, count_business_event
from tests.conftest import ADMIN_API_KEY


async def test_metrics_count_requests_by_route(gateway_client) -> None:
    await gateway_client.get("/api/v1/units", headers={"Authorization": f"Bearer {ADMIN_API_KEY}"})
    assert (await gateway_client.get("/metrics")).status_code == 401  # not for anonymous callers
    text = (await gateway_client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_API_KEY}"})).text
    assert "sortes_gateway_requests_total" in text
    assert 'path="/api/v1/units"' in text
    assert "sortes_gateway_request_duration_seconds_bucket" in text


def test_draws_and_conflict_checks_are_counted_when_they_succeed() -> None:
    committed, revealed = DRAWS.labels(step="committed"), DRAWS.labels(step="revealed")
    before = (committed._value.get(), revealed._value.get(), CONFLICT_CHECKS._value.get())
    count_business_event("POST", "/projects/PY-1/panels", 201)
    count_business_event("POST", "/draws/0b9e7f52/reveal", 200)
    count_business_event("POST", "/projects/PY-1/lots/L2/conflict-checks", 201)
    count_business_event("POST", "/projects/PY-1/lots/L2/conflict-checks", 422)  # refused: not counted
    count_business_event("GET", "/draws/0b9e7f52/reveal", 200)
    after = (committed._value.get(), revealed._value.get(), CONFLICT_CHECKS._value.get())
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
