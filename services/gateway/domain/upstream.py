"""Calls from the gateway to the services over HTTP: pooled, timed out, and mapped to problems.

A service that cannot be reached answers 503, one that is too slow 504, one that answers with a
server error 502 (problem+json), so the caller always gets a clear, typed failure. Each service may
run as several instances; calls are balanced across them (balancer.py) and only idempotent calls
are retried on another instance.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from services.gateway.domain.balancer import Balancer, Instance
from shared.errors import BadGateway, FieldError, GatewayTimeout, Problem, ServiceUnavailable
from shared.identity import CachingIssuer, Identity, IdentityIssuer
from shared.logs import request_id_var

_log = logging.getLogger("sortes.upstream")
SERVICE_NAMES = ("experts", "vendors")


IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class _Retryable(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class Upstreams:
    """The services' instances behind one pooled client; see balancer.py for how one is chosen."""

    def __init__(self, urls: dict[str, list[str]], issuer: IdentityIssuer, *, connect_timeout: float,
                 read_timeout: float, failure_threshold: int = 3, cooldown: float = 5.0,
                 health_interval: float = 2.0) -> None:
        self.balancers = {service: Balancer(service_urls, failure_threshold=failure_threshold, cooldown=cooldown)
                          for service, service_urls in urls.items()}
        self._issuer = CachingIssuer(issuer)
        self._health_interval = health_interval
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )

    async def request(self, service: str, method: str, path: str, *, identity: Identity | None,
                      params: Any = None, content: bytes | None = None, json: Any = None,
                      headers: dict[str, str] | None = None) -> httpx.Response:
        """Send to one instance; an idempotent call that fails to get an answer tries one more."""
        balancer = self.balancers[service]
        candidates = balancer.candidates()
        if not candidates:
            raise ServiceUnavailable(f"The {service} service is failing; the gateway is giving it a moment.",
                                     headers={"Retry-After": "5"})
        request_id = request_id_var.get()
        sent_headers = {"x-request-id": request_id, **(headers or {})}
        if identity is not None:
            sent_headers["x-sortes-identity"] = self._issuer.issue(identity, service)
        attempts = candidates[:2] if method.upper() in IDEMPOTENT_METHODS else candidates[:1]
        last_problem: Problem | None = None
        for instance in attempts:
            try:
                response = await self._send(service, instance, method, path, params=params, content=content,
                                            json=json, headers=sent_headers)
            except _Retryable as retryable:
                balancer.failed(instance)
                last_problem = retryable.problem
                continue
            balancer.succeeded(instance)
            if response.status_code >= 500:
                raise upstream_failure(service, response)
            return response
        assert last_problem is not None
        raise last_problem

    async def _send(self, service: str, instance: Instance, method: str, path: str,
                    **options: Any) -> httpx.Response:
        fields = {"upstream": service, "instance": instance.url, "path": path}
        try:
            response = await self._client.request(method, instance.url + path, **options)
        except httpx.TimeoutException:
            _log.warning("upstream timeout", extra={"fields": fields})
            raise _Retryable(GatewayTimeout(f"The {service} service did not answer in time.")) from None
        except httpx.TransportError:
            _log.warning("upstream unreachable", extra={"fields": fields})
            raise _Retryable(ServiceUnavailable(f"The {service} service is not reachable.")) from None
        if response.status_code == 503:
            raise _Retryable(upstream_failure(service, response))
        return response

    async def _instance_ready(self, instance: Instance) -> bool:
        try:
            response = await self._client.get(instance.url + "/readyz", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def is_ready(self, service: str) -> bool:
        """Ready when at least one instance of the service says it is."""
        instances = self.balancers[service].instances
        return any(await asyncio.gather(*(self._instance_ready(instance) for instance in instances)))

    async def check_health_forever(self) -> None:
        """Mark instances up or down every few seconds, so traffic avoids a sick one and returns to it."""
        while True:
            for balancer in self.balancers.values():
                results = await asyncio.gather(*(self._instance_ready(i) for i in balancer.instances))
                for instance, ready in zip(balancer.instances, results, strict=True):
                    if ready != instance.healthy:
                        _log.info("instance %s", "up" if ready else "down",
                                  extra={"fields": {"instance": instance.url}})
                    balancer.mark_health(instance, ready)
            await asyncio.sleep(self._health_interval)

    async def close(self) -> None:
        await self._client.aclose()


def upstream_failure(service: str, response: httpx.Response) -> Problem:
    if response.status_code == 503:
        return ServiceUnavailable(f"The {service} service is not ready.")
    if response.status_code == 504:
        return GatewayTimeout(f"The {service} service timed out.")
    return BadGateway(f"The {service} service failed ({response.status_code}).")


def passed_on_problem(response: httpx.Response) -> Problem:
    """A service's own 4xx problem, handed to the caller unchanged."""
    try:
        document = response.json()
    except ValueError:
        document = {}
    problem = Problem(str(document.get("detail") or response.reason_phrase))
    problem.status = response.status_code
    problem.slug = str(document.get("type", "/problems/http-error")).rsplit("/", 1)[-1]
    problem.title = str(document.get("title") or response.reason_phrase)
    problem.extensions = {key: value for key, value in document.items()
                          if key not in {"type", "title", "status", "detail", "instance", "errors"}}
    problem.errors = _field_errors(document.get("errors"))
    return problem


def _field_errors(raw: Any) -> list[FieldError]:
    if not isinstance(raw, list):
        return []
    return [FieldError(str(item.get("field", "")), str(item.get("message", "")),
                       str(item.get("source", "body"))) for item in raw if isinstance(item, dict)]
