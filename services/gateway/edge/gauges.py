"""The gateway's own measures of what it sees (served at ``/metrics`` with the request metrics,
services/gateway/edge/metrics.py): apart from it so that the upstream calls, the health checker and
the webhook dispatcher can update them without importing the routes."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RATE_LIMITED = Counter("sortes_gateway_rate_limited_total", "Requests refused for a quota (429), by route template",
                       ["route"])
UPSTREAM_REQUESTS = Counter("sortes_gateway_upstream_requests_total",
                            "Calls to a service instance, by route template and answer (or the failure)",
                            ["service", "instance", "route", "status"])
UPSTREAM_SECONDS = Histogram("sortes_gateway_upstream_request_seconds", "Time a service instance took to answer",
                             ["service", "route"])
INSTANCE_UP = Gauge("sortes_gateway_instance_up", "1 when the instance answered its last readiness check",
                    ["service", "instance"])
WEBHOOK_DELIVERIES = Gauge("sortes_gateway_webhook_deliveries",
                           "Webhook deliveries by state: pending (not yet acknowledged), failing (pending after "
                           "a failed attempt), refused (target refused for good)", ["state"])
WEBHOOK_OLDEST_PENDING = Gauge("sortes_gateway_webhook_oldest_pending_seconds",
                               "Age of the oldest delivery still pending (0 when none)")
OUTBOX_WAITING = Gauge("sortes_gateway_outbox_waiting_events",
                       "Events in a service's outbox after the webhook cursor not yet turned into deliveries "
                       "(read 500 at a time: 500 means at least 500)", ["service"])
OUTBOX_BEHIND_CURSOR = Gauge("sortes_gateway_outbox_behind_cursor",
                             "1 when a service's outbox no longer holds the event the webhook cursor stands on "
                             "(a restore): run sortes webhooks resync", ["service"])


def instance_label(url: str) -> str:
    """``host:port`` of an instance URL: the ``instance`` label."""
    return url.split("://", 1)[-1].rstrip("/")
