"""Prometheus metrics at ``/metrics``: requests and latencies by route, plus the business events
an operator watches — draws committed and revealed, conflict checks made."""

from __future__ import annotations

import re

from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import Counter

from shared.identity import requires_role
from shared.roles import Role

PROMETHEUS = PrometheusConfig(app_name="sortes_gateway", prefix="sortes_gateway", group_path=True,
                              exclude=["^/metrics", "^/healthz"])

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
    guards = [requires_role(Role.SERVICE, Role.BUREAU_ADMIN, Role.AUDITOR)]
