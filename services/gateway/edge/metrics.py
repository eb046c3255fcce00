"""Prometheus metrics at ``/metrics``: requests and latencies by route, plus what an operator watches —
each service instance up or down, the calls to each instance by route template, requests refused for
a quota (429), webhook deliveries pending and failing and the oldest one's age, events waiting in the
outboxes, the database pool in use, and the business events: draws committed and revealed, conflict
checks made. ``/metrics/<service>/<n>`` passes on instance n's own ``/metrics`` (shared/metrics.py)."""

from __future__ import annotations

import re
import time
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController, PrometheusMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter

from services.gateway.edge.gauges import RATE_LIMITED
from services.gateway.edge.upstream import Upstreams
from shared.errors import NotFound
from shared.identity import requires_role
from shared.permissions import LIFECYCLE_SYSTEM_ADMIN_AND_AUDITOR


class RoutePrometheusMiddleware(PrometheusMiddleware):
    """Litestar's Prometheus middleware, the same metrics with the same labels, made cheaper per request:
    no Request object or URL is built, and the labelled series are looked up once per method, route
    and status instead of four times a request. (Configurations with extra labels or exemplars, which
    the gateway does not use, take Litestar's own path.)"""

    def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
        super().__init__(app, config)
        self._lean = bool(config.group_path and not config.labels and not config.exemplars
                          and not config.excluded_http_methods)
        self._series: dict[tuple[str, str, int], Any] = {}

    def _labels(self, method: str, path: str, status: int) -> dict[str, str | int | float]:
        return {"method": method, "path": path, "status_code": status, "app_name": self._config.app_name}

    def _in_progress(self, method: str, path: str) -> Any:
        key = (method, path, -1)
        series = self._series.get(key)
        if series is None:
            labels = self._labels(method, path, 200)  # as Litestar's: labelled before the status is known
            series = self._series[key] = self.requests_in_progress(labels).labels(*labels.values())
        return series

    def _finished(self, method: str, path: str, status: int) -> Any:
        key = (method, path, status)
        series = self._series.get(key)
        if series is None:
            labels = self._labels(method, path, status)
            values = [*labels.values()]
            series = self._series[key] = (
                self.request_count(labels).labels(*values), self.request_time(labels).labels(*values),
                self.requests_error_count(labels).labels(*values) if status >= 500 else None)
        return series

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._lean:
            await super().__call__(scope, receive, send)
            return
        method = scope["method"] if scope["type"] == "http" else scope["type"]
        path = scope["path_template"]
        started = time.perf_counter()
        span: list[Any] = [200, 0]  # status, duration until the last body message

        async def wrapped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                span[0] = message["status"]
            elif message["type"] == "http.response.body":
                span[1] = time.perf_counter() - started
            await send(message)

        in_progress = self._in_progress(method, path)
        in_progress.inc()
        try:
            await self.app(scope, receive, wrapped_send)
        finally:
            in_progress.dec()
            count, duration, errors = self._finished(method, path, span[0])
            if span[0] == 429:
                RATE_LIMITED.labels(route=path).inc()
            if errors is not None:
                errors.inc()
            count.inc()
            duration.observe(span[1])


PROMETHEUS = PrometheusConfig(app_name="sortes_gateway", prefix="sortes_gateway", group_path=True,
                              exclude=["^/metrics", "^/healthz"], middleware_class=RoutePrometheusMiddleware)

DRAWS = Counter("sortes_draws_total", "Panel draws passed through the gateway, by step", ["step"])
CONFLICT_CHECKS = Counter("sortes_conflict_checks_total", "Bidder conflict checks made through the gateway")

_EVENTS = [
    (re.compile(r"^/projects/[^/]+/panels$"), lambda: DRAWS.labels(step="committed").inc()),
    (re.compile(r"^/spot-checks$"), lambda: DRAWS.labels(step="committed").inc()),
    (re.compile(r"^/draws/[^/]+/supplementary$"), lambda: DRAWS.labels(step="committed").inc()),
    (re.compile(r"^/draws/[^/]+/reveal$"), lambda: DRAWS.labels(step="revealed").inc()),
    (re.compile(r"^/projects/[^/]+/lots/[^/]+/conflict-checks$"), CONFLICT_CHECKS.inc),
]


def count_business_event(method: str, path: str, status_code: int) -> None:
    """Count a successful POST that commits or reveals a draw or makes a conflict check."""
    if method != "POST" or not 200 <= status_code < 300:
        return
    for pattern, count in _EVENTS:
        if pattern.match(path):
            count()
            return


class MetricsController(PrometheusController):
    """For the monitoring system's API key (service role), bureau admins and auditors."""

    path = "/metrics"
    guards = [requires_role(*LIFECYCLE_SYSTEM_ADMIN_AND_AUDITOR)]


@get("/metrics/{service:str}/{number:int}", guards=[requires_role(*LIFECYCLE_SYSTEM_ADMIN_AND_AUDITOR)],
     include_in_schema=False)
async def instance_metrics(request: Request, state: State, service: FromPath[str],
                           number: FromPath[int]) -> Response[bytes]:
    """Instance ``number`` (1, 2, …, in the order of SORTES_GATEWAY_<SERVICE>_URLS) of experts or vendors:
    its own ``/metrics``, asked with the caller's identity assertion."""
    upstreams: Upstreams = state.upstreams
    balancer = upstreams.balancers.get(service)
    if balancer is None or not 1 <= number <= len(balancer.instances):
        raise NotFound("No instance {number} of {service}.", code="metrics.no_instance",
                       params={"service": service, "number": number})
    answer = await upstreams.instance_get(service, balancer.instances[number - 1], "/metrics", request.user)
    return Response(content=answer.content, status_code=answer.status_code,
                    media_type=answer.headers.get("content-type", "text/plain"))
