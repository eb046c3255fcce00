"""What every service behind the gateway offers: health, readiness, OpenAPI, request ids."""

from __future__ import annotations

from tests.support.identity import AssertionMinter


async def test_health_and_readiness_need_no_assertion(any_service) -> None:
    _, client = any_service
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


async def test_openapi_describes_the_api_to_the_gateway_only(any_service, minter: AssertionMinter) -> None:
    service, client = any_service
    for path in ("/schema/openapi.json", "/schema", "/schema/swagger", "/schema/openapi.yaml"):
        anonymous = await client.get(path)
        assert anonymous.status_code == 401, (path, anonymous.text)
        assert anonymous.headers["content-type"].startswith("application/problem+json")
    schema = (await client.get("/schema/openapi.json", headers=minter.headers(service, "service"))).json()
    assert "/api/v1/projects/{code}" in schema["paths"]


async def test_a_callers_request_id_is_echoed_and_a_missing_one_is_made(any_service) -> None:
    _, client = any_service
    echoed = await client.get("/healthz", headers={"x-request-id": "trace-42"})
    assert echoed.headers["x-request-id"] == "trace-42"
    made = await client.get("/healthz", headers={"x-request-id": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


async def test_unknown_paths_and_methods_are_problems(any_service, minter: AssertionMinter) -> None:
    service, client = any_service
    headers = minter.headers(service, "bureau_admin")
    missing = await client.get("/api/v1/nothing-here", headers=headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    wrong_method = await client.delete("/api/v1/projects/P1", headers=headers)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["type"] == "/problems/method-not-allowed"


async def test_only_the_gateways_dispatcher_reads_the_outbox(any_service, minter: AssertionMinter) -> None:
    service, client = any_service
    for role in ("bureau_admin", "service", "auditor"):
        refused = await client.get("/api/v1/internal/events", headers=minter.headers(service, role))
        assert refused.status_code == 403
    allowed = await client.get("/api/v1/internal/events", headers=minter.headers(
        service, "service", subject="system:gateway-webhooks"))
    assert allowed.status_code == 200 and allowed.json() == []


async def test_readiness_fails_when_the_database_is_unreachable(minter: AssertionMinter) -> None:
    from litestar.testing import AsyncTestClient

    from tests.conftest import build_service_app

    app = build_service_app("experts", "postgresql+asyncpg://postgres@127.0.0.1:1/none", minter.public_key)
    async with AsyncTestClient(app) as client:
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["type"] == "/problems/service-unavailable"
