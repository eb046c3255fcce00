"""Liveness and readiness of the gateway and the services behind it."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from litestar.datastructures import State

from services.gateway.edge.upstream import SERVICE_NAMES, Upstreams
from services.gateway.schemas import Readiness
from shared.db import Database


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", tags=["health"])
async def readyz(state: State) -> Response[Readiness]:
    """Ready when the gateway's database and every service answer their own readiness check."""
    database: Database = state.database
    upstreams: Upstreams = state.upstreams
    results = await asyncio.gather(database.is_reachable(),
                                   *(upstreams.is_ready(service) for service in SERVICE_NAMES))
    checks = dict(zip(("gateway_database", *SERVICE_NAMES), results, strict=True))
    ready = all(checks.values())
    return Response(Readiness(status="ready" if ready else "degraded", checks=checks),
                    status_code=200 if ready else 503)
