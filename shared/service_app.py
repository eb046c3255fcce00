"""Assembly common to the services behind the gateway (experts, vendors).

Each service's ``create_app`` passes its own routes and settings; this module adds what every such
service has: health and readiness, OpenAPI, problem+json errors, the request-id context, and the
identity-assertion check in front of every ``/api`` route.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Response, get
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.recorder import AuditRecorder, checkpoint_periodically, take_row_baseline
from shared.audit.routes import get_audit, get_audit_verification
from shared.db import Database
from shared.errors import EXCEPTION_HANDLERS, MAX_BODY_BYTES, ServiceUnavailable
from shared.identity import OPEN_PATHS, AssertionAuthenticationMiddleware, IdentityVerifier, requires_role
from shared.json_bodies import refuse_malformed_json
from shared.logs import answer_errors_here, configure_logging, request_context_middleware
from shared.metrics import add_route_header, watch_pool
from shared.nul_characters import refuse_nul_characters
from shared.openapi import ProblemDeclaringJsonPlugin
from shared.outbox import OutboxTables
from shared.outbox.reading import get_events
from shared.permissions import LIFECYCLE_SYSTEM_ADMIN_AND_AUDITOR
from shared.settings import data_dir, env_list
from shared.signing_keys import public_key_from_text
from shared.spreadsheets import import_max_bytes

DemoLoader = Callable[[AsyncSession, AuditRecorder], Awaitable[bool]]
BackgroundTask = Callable[[State], Awaitable[None]]  # runs for the app's life, cancelled on shutdown


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", include_in_schema=False)
async def readyz(state: State) -> Response[dict[str, str]]:
    database: Database = state.database
    if not await database.is_reachable():
        raise ServiceUnavailable("The database is not reachable.", code="database.unreachable")
    return Response({"status": "ready"})


class ServiceMetrics(PrometheusController):
    """``/metrics`` of an experts or vendors instance: behind the identity assertion like every route
    but health, for the monitoring system's key, bureau admins and auditors (through the gateway's
    ``/metrics/<service>/<n>``)."""

    path = "/metrics"
    guards = [requires_role(*LIFECYCLE_SYSTEM_ADMIN_AND_AUDITOR)]


def identity_public_keys() -> list[str]:
    """The gateway's assertion keys: ``SORTES_IDENTITY_PUBLIC_KEYS`` or ``<data>/keys/identity.pub``."""
    keys = env_list("SORTES_IDENTITY_PUBLIC_KEYS", [])
    if keys:
        return keys
    published = data_dir() / "keys" / "identity.pub"
    return [line for line in published.read_text().split() if line] if published.exists() else []


def service_app(*, name: str, title: str, database_url: str, public_keys: Sequence[str],
                audit: AuditRecorder, outbox: OutboxTables, route_handlers: Sequence[ControllerRouterHandler],
                log_level: str = "INFO", demo_loader: DemoLoader | None = None,
                state: dict[str, Any] | None = None, background: Sequence[BackgroundTask] = ()) -> Litestar:
    configure_logging(name, log_level)
    if not public_keys:
        raise RuntimeError(
            "No identity public key: set SORTES_IDENTITY_PUBLIC_KEYS (the gateway's key) "
            f"for the {name} service.")
    database = Database.from_url(database_url)
    database.session_info["audit_recorder"] = audit
    watch_pool(name, database)
    prometheus = PrometheusConfig(app_name=f"sortes_{name}", prefix=f"sortes_{name}", group_path=True,
                                  exclude=["^/metrics", "^/healthz", "^/readyz", "^/api/v1/internal/"])
    verifier = IdentityVerifier([public_key_from_text(key) for key in public_keys], audience=name)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await take_row_baseline(database, audit)
        if demo_loader is not None:
            async with database.transaction() as session:
                if await demo_loader(session, audit):
                    logging.getLogger("sortes.demo").info("demo data loaded")
        tasks = [asyncio.create_task(task(app.state)) for task in [checkpoint_periodically, *background]]
        try:
            yield
        finally:
            for running in tasks:
                running.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await database.dispose()

    auth = DefineMiddleware(AssertionAuthenticationMiddleware,
                            exclude=[f"^{re.escape(path)}" for path in sorted(OPEN_PATHS)])
    config = AppConfig(
        route_handlers=[healthz, readyz, ServiceMetrics, get_audit, get_audit_verification, get_events,
                        *route_handlers],
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=MAX_BODY_BYTES,
        before_request=refuse_nul_characters,
        middleware=[request_context_middleware, prometheus.middleware, answer_errors_here, refuse_malformed_json,
                    auth],
        before_send=[add_route_header],
        openapi_config=OpenAPIConfig(title=title, version="1", path="/schema",
                                     render_plugins=[SwaggerRenderPlugin(), ProblemDeclaringJsonPlugin()]),
        state=State({"database": database, "identity_verifier": verifier, "audit": audit, "outbox": outbox,
                     "import_max_bytes": import_max_bytes(), **(state or {})}),
        lifespan=[lifespan],
    )
    return Litestar.from_config(config)
