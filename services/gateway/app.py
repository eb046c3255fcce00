"""The gateway: authentication, routing to the services, composite operations, the console."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from services.gateway.audit.routes import get_audit, get_audit_verification
from services.gateway.composite.routes.panels import PanelsController
from services.gateway.composite.routes.projects import ProjectsController
from services.gateway.console.site import TEMPLATES as CONSOLE_TEMPLATES
from services.gateway.console.site import console_routes, unknown_address
from services.gateway.edge.idempotency import StoredAnswers, idempotency_middleware
from services.gateway.edge.metrics import PROMETHEUS, MetricsController, instance_metrics
from services.gateway.edge.openapi import MergedOpenAPI
from services.gateway.edge.proxies import trusted_networks, trusted_proxies
from services.gateway.edge.rate_limits import (
    answer_link_rate_limit,
    api_rate_limit,
    application_rate_limit,
    sign_in_rate_limit,
)
from services.gateway.edge.routes.docs import api_docs, openapi_json
from services.gateway.edge.routes.health import healthz, readyz
from services.gateway.edge.routes.proxy import (
    application_queue,
    bulletin,
    forward,
    public_application_routes,
    public_ratings,
)
from services.gateway.edge.security_headers import add_security_headers
from services.gateway.edge.upstream import Upstreams
from services.gateway.identity.api_keys import ApiKeyDigester, ensure_admin_key
from services.gateway.identity.authentication import BearerAuthenticationMiddleware
from services.gateway.identity.routes.accounts import AccountsController, sign_in_handler
from services.gateway.identity.routes.keys import get_key_set
from services.gateway.identity.users import SignInPolicy
from services.gateway.models import AUDIT, AUDITED_ROWS, OUTBOX
from services.gateway.settings import GatewaySettings
from services.gateway.webhooks.deliveries import Dispatcher
from services.gateway.webhooks.routes import WebhooksController
from services.gateway.webhooks.targets import WebhookTargets
from shared.audit import AuditRecorder
from shared.audit.recorder import checkpoint_periodically, take_row_baseline
from shared.crypto import ensure_key_file
from shared.db import Database
from shared.demo import bureau_unit
from shared.errors import EXCEPTION_HANDLERS, MAX_BODY_BYTES
from shared.identity import IdentityIssuer
from shared.json_bodies import refuse_malformed_json
from shared.logs import answer_errors_here, configure_logging, request_context_middleware
from shared.metrics import watch_pool
from shared.nul_characters import refuse_nul_characters
from shared.settings import load_env_file
from shared.signing_keys import ensure_private_key, ensure_secret_file

# The API docs page (edge/routes/docs.py); the console's templates are its own.
TEMPLATES = Path(__file__).parent / "edge" / "templates"
_log = logging.getLogger("sortes.gateway")


async def _ensure_admin_key_when_reachable(database: Database, digester: ApiKeyDigester, audit: AuditRecorder,
                                           admin_api_key: str | None, first_try: asyncio.Event,
                                           retry: float = 3.0) -> None:
    """``SORTES_ADMIN_API_KEY``'s key, made (or kept) as soon as the gateway's database answers;
    ``first_try`` is set once the first attempt has ended, whatever its outcome."""
    if not admin_api_key:
        first_try.set()
        return
    bureau = bureau_unit()
    while True:  # the first try runs before the gateway takes requests (see the lifespan)
        try:
            async with database.transaction() as session:
                await ensure_admin_key(session, digester, audit, admin_api_key, bureau.uscc, bureau.name)
            first_try.set()
            return
        except Exception:  # the database is not there yet: try again; never stop the gateway for it
            first_try.set()
            _log.warning("admin API key not ensured yet (database not reachable); trying again")
            await asyncio.sleep(retry)


def create_app(settings: GatewaySettings | None = None) -> Litestar:
    if settings is None:
        load_env_file()  # the deployment's settings file, as the operator commands read it
        settings = GatewaySettings.from_env()
    configure_logging("gateway", settings.log_level)
    database = Database.from_url(settings.database_url)
    audit = settings.audit.recorder("gateway", AUDIT, rows=AUDITED_ROWS, outbox=OUTBOX)
    database.session_info["audit_recorder"] = audit
    watch_pool("gateway", database)
    digester = ApiKeyDigester(ensure_secret_file(settings.api_key_secret_file))
    upstreams = Upstreams(
        {"experts": settings.experts_urls, "vendors": settings.vendors_urls},
        IdentityIssuer(ensure_private_key(settings.identity_key_file)),
        connect_timeout=settings.connect_timeout_seconds, read_timeout=settings.read_timeout_seconds,
    )
    webhook_targets = WebhookTargets(allow_private=settings.webhook_allow_private)
    # The gateway's data key seals the answers kept for Idempotency-Key and the webhooks' signing secrets.
    data_keys = ensure_key_file(settings.data_key_file)
    dispatcher = Dispatcher(database, upstreams, OUTBOX, targets=webhook_targets, keys=data_keys)
    proxies = trusted_networks(settings.trusted_proxies)
    stored_answers = StoredAnswers(data_keys, dt.timedelta(hours=settings.idempotency_hours))

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await take_row_baseline(database, audit)
        health = asyncio.create_task(upstreams.check_health_forever())
        checkpoints = asyncio.create_task(checkpoint_periodically(app.state))
        dispatching = asyncio.create_task(dispatcher.run_forever(settings.webhook_interval_seconds))
        # The admin key is made once the database answers: a gateway started while PostgreSQL is down
        # serves /healthz, says "not ready" at /readyz, and becomes ready when the database appears.
        first_try = asyncio.Event()
        admin_key = asyncio.create_task(_ensure_admin_key_when_reachable(database, digester, audit,
                                                                         settings.admin_api_key, first_try))
        await first_try.wait()  # with the database up, the key exists before the first request
        try:
            yield
        finally:
            health.cancel()
            dispatching.cancel()
            checkpoints.cancel()
            admin_key.cancel()
            # Let them finish unwinding before closing what they use: a task cancelled mid-query and left
            # behind meets a disposed pool and can hold up the event loop's shutdown.
            await asyncio.gather(health, dispatching, checkpoints, admin_key, return_exceptions=True)
            await dispatcher.close()
            await upstreams.close()
            await database.dispose()

    # Everything under /api/v1 needs a caller; health, docs and the console's public pages do not.
    sign_in = Router(path="/api/v1/auth/sign-in", route_handlers=[sign_in_handler],
                     middleware=[sign_in_rate_limit(settings.sign_in_rate_limit_per_minute)])
    api = Router(path="/api/v1", route_handlers=[ProjectsController, PanelsController, AccountsController,
                                                 WebhooksController, get_audit, get_audit_verification, public_ratings,
                                                 application_queue, bulletin, forward,
                                                 # open to anyone, with a quota per address
                                                 *public_application_routes(application_rate_limit(
                                                     settings.application_rate_limit_per_minute))],
                 middleware=[DefineMiddleware(BearerAuthenticationMiddleware),
                             api_rate_limit(settings.rate_limit_per_minute), idempotency_middleware])
    # Only health, the key set, public ratings, the bulletin and the console's sign-in pages are open
    # (docs/architecture.md §6).
    operator_pages = Router(path="/", route_handlers=[MetricsController, instance_metrics, openapi_json, api_docs],
                            middleware=[DefineMiddleware(BearerAuthenticationMiddleware)])
    return Litestar.from_config(AppConfig(
        route_handlers=[healthz, readyz, get_key_set,
                        *console_routes(sign_in_rate_limit(settings.sign_in_rate_limit_per_minute),
                                        answer_link_rate_limit(settings.answer_link_rate_limit_per_minute)),
                        operator_pages, sign_in, api],
        exception_handlers={**EXCEPTION_HANDLERS, NotFoundException: unknown_address},
        request_max_body_size=MAX_BODY_BYTES,
        before_request=refuse_nul_characters,
        # The client's own address first (edge/proxies.py), before anything reads or logs it.
        middleware=[trusted_proxies(proxies), request_context_middleware, PROMETHEUS.middleware, answer_errors_here,
                    refuse_malformed_json],
        before_send=[add_security_headers],
        # The gateway's own part; /api/openapi.json merges in the services' routes.
        openapi_config=OpenAPIConfig(title="sortes API", version="1", path="/api/schema",
                                     render_plugins=[JsonRenderPlugin()]),
        template_config=TemplateConfig(directory=[TEMPLATES, CONSOLE_TEMPLATES], engine=JinjaTemplateEngine),
        state=State({"database": database, "upstreams": upstreams, "api_key_digester": digester,
                     "openapi": MergedOpenAPI(upstreams), "webhook_targets": webhook_targets, "data_keys": data_keys,
                     "audit": audit, "stored_answers": stored_answers, "sign_in_policy": SignInPolicy(
                         max_failures=settings.sign_in_max_failures,
                         lockout=dt.timedelta(minutes=settings.sign_in_lockout_minutes),
                         token_lifetime=dt.timedelta(hours=settings.token_lifetime_hours))}),
        lifespan=[lifespan],
    ))
