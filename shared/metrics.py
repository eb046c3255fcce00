"""Metrics every service has: its database pool, and the route template of each answer.

The services (experts, vendors) answer ``/metrics`` only to a caller whose identity assertion carries
the monitoring roles (the gateway passes ``/metrics/<service>/<n>`` on to instance n with one); the
gateway answers its own ``/metrics`` (services/gateway/edge/metrics.py). Each answer of a service
carries its route template in ``x-sortes-route``, which the gateway reads to label its upstream calls
by route (``/api/v1/experts/{code}``, not one label for every path) and never passes on.
"""

from __future__ import annotations

from typing import Any

from litestar.types import Message, Scope
from prometheus_client import Gauge

from shared.db import Database

ROUTE_HEADER = "x-sortes-route"
_ROUTE_HEADER_BYTES = ROUTE_HEADER.encode()

DB_POOL_IN_USE = Gauge("sortes_db_pool_connections_in_use", "Database connections checked out of the pool now",
                       ["service"])
DB_POOL_SIZE = Gauge("sortes_db_pool_connections_open", "Database connections the pool holds open now",
                     ["service"])


def watch_pool(service: str, database: Database) -> None:
    """Report ``database``'s pool as the service's (the last one given wins, as in one process one app runs)."""
    pool: Any = database.engine.pool
    if hasattr(pool, "checkedout"):
        DB_POOL_IN_USE.labels(service).set_function(lambda: float(pool.checkedout()))
    if hasattr(pool, "checkedin") and hasattr(pool, "checkedout"):
        DB_POOL_SIZE.labels(service).set_function(lambda: float(pool.checkedin() + pool.checkedout()))


async def add_route_header(message: Message, scope: Scope) -> None:
    """A before-send hook: the matched route's template on the answer, for the gateway's metrics."""
    if message["type"] != "http.response.start":
        return
    template = scope.get("path_template")
    if isinstance(template, str) and template.isascii():
        message["headers"] = [*message.get("headers", []), (_ROUTE_HEADER_BYTES, template.encode("ascii"))]
