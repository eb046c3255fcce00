"""Liveness and readiness of the gateway, and what it sees of the services behind it.

``/healthz``: the process answers (liveness). ``/readyz``: the gateway can serve, that is its own
database answers; what the health checker last saw of each service instance is reported beside it
(``degraded`` when one is down) without asking them, so that an orchestrator's readiness of the
gateway does not follow another service's outage. ``/readyz?deep=true`` asks every instance now:
``ready`` when all are, ``degraded`` (still 200) when some instance is down but every service has
one, ``unavailable`` (503) when the gateway's database or a whole service is down.
"""

from __future__ import annotations

import asyncio

from litestar import Response, get
from litestar.datastructures import State
from litestar.params import Parameter

from services.gateway.edge.upstream import SERVICE_NAMES, Upstreams
from services.gateway.schemas import Readiness
from shared.db import Database


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", tags=["health"])
async def readyz(state: State, deep: bool = Parameter(default=False, description="ask every service instance now"),
                 ) -> Response[Readiness]:
    """Ready when the gateway's own database answers; with ``deep=true`` every service instance is asked."""
    database: Database = state.database
    upstreams: Upstreams = state.upstreams
    if not deep:
        reachable = await database.is_reachable()
        instances = upstreams.instances_seen()
        status = "unavailable" if not reachable else "ready" if all(instances.values()) else "degraded"
        return Response(Readiness(status=status, checks={"gateway_database": reachable}, instances=instances),
                        status_code=200 if reachable else 503)
    reachable, *per_service = await asyncio.gather(
        database.is_reachable(), *(upstreams.instances_ready(service) for service in SERVICE_NAMES))
    instances = {f"{service}@{name}": ready for service, found in zip(SERVICE_NAMES, per_service, strict=True)
                 for name, ready in found.items()}
    checks = {"gateway_database": reachable,
              **{service: any(found.values()) for service, found in zip(SERVICE_NAMES, per_service, strict=True)}}
    status = ("unavailable" if not all(checks.values()) else "ready" if all(instances.values()) else "degraded")
    return Response(Readiness(status=status, checks=checks, instances=instances),
                    status_code=503 if status == "unavailable" else 200)
