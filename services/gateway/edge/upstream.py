"""Calls from the gateway to the services over HTTP: pooled, timed out, and mapped to problems.

A service that cannot be reached answers 503, one that is too slow 504, one that answers with a
server error 502 (problem+json), so the caller always gets a clear, typed failure. Each service may
run as several instances; calls are balanced across them (balancer.py) and only idempotent calls
are retried on another instance.

The proxy's pass-through calls (``relay``) go over connections of the gateway's own
(relay_connections.py): a forwarded request needs none of httpx's URL, cookie, redirect, auth or
decoding machinery, which cost more CPU than the HTTP exchange itself. The gateway's own calls, which
read and compose answers, keep the httpx client.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import httpx

from services.gateway.edge.balancer import Balancer, Instance
from services.gateway.edge.gauges import INSTANCE_UP, UPSTREAM_REQUESTS, UPSTREAM_SECONDS, instance_label
from services.gateway.edge.relay_connections import RelayConnections, RelayTimeout, RelayUnreachable
from shared.errors import BadGateway, GatewayTimeout, Problem, ServiceUnavailable
from shared.identity import CachingIssuer, Identity, IdentityIssuer
from shared.logs import request_id_var
from shared.metrics import ROUTE_HEADER
from shared.roles import Role

_log = logging.getLogger("sortes.upstream")
SERVICE_NAMES = ("experts", "vendors")
# Who the gateway names when it fetches, on anyone's behalf, what a service publishes: its OpenAPI
# document, the draw key set, the public ratings. A service answers only /healthz and /readyz without
# an assertion, so that nothing but the gateway reads it.
GATEWAY = Identity(subject="gateway", name="gateway", roles=(Role.SERVICE,), unit="")


IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


# An idle connection to a service is dropped well before the service's uvicorn closes it (after 5 s
# by default): a request sent on a connection the server is closing at that moment gets no answer,
# and a POST cannot be sent again, so the caller would see a 503 under a steady load.
KEEPALIVE_SECONDS = 2.0
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class _Retryable(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _Answer(Protocol):
    @property
    def status_code(self) -> int: ...


_A = TypeVar("_A", bound=_Answer)


class Relayed:
    """A service's answer as the proxy passes it on: status, headers (names in lower case) and body."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content


class _Origin:
    """An instance URL taken apart once: where to connect, the Host header, the path prefix."""

    __slots__ = ("address", "host_header", "prefix")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.address = (parts.scheme, parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        self.host_header = parts.netloc.encode("ascii")
        self.prefix = parts.path.rstrip("/").encode("ascii")


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
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50,
                                keepalive_expiry=KEEPALIVE_SECONDS),
        )
        # The proxy's connections: the same limit and keep-alive expiry as the httpx client's.
        self._pool = RelayConnections(200, KEEPALIVE_SECONDS)
        self._connect_timeout, self._read_timeout = connect_timeout, read_timeout
        self._origins: dict[str, _Origin] = {}

    async def request(self, service: str, method: str, path: str, *, identity: Identity | None,
                      params: Any = None, content: bytes | None = None, json: Any = None,
                      headers: dict[str, str] | None = None) -> httpx.Response:
        """Send to one instance; an idempotent call that fails to get an answer tries one more."""
        sent_headers = self._headers(service, identity, headers)

        def send(instance: Instance) -> Awaitable[httpx.Response]:
            return self._send(service, instance, method, path, params=params, content=content, json=json,
                              headers=sent_headers)

        return await self._balanced(service, method, send)

    async def relay(self, service: str, method: str, path: str, *, identity: Identity | None,
                    params: Sequence[tuple[str, str]] = (), content: bytes = b"",
                    headers: dict[str, str] | None = None) -> Relayed:
        """What the proxy forwards: like :meth:`request` (the same balancing, retries, circuit breaker
        and problems) with the body read whole and nothing decoded or kept (no cookies, no redirects)."""
        sent = [(name.encode("latin-1"), value.encode("latin-1"))
                for name, value in self._headers(service, identity, headers).items()]
        # The path arrives decoded (as routed): encode it again, '%' included, for the request line.
        target = quote(path, safe=_PATH_SAFE) + ("?" + urlencode(params, quote_via=quote) if params else "")

        def send(instance: Instance) -> Awaitable[Relayed]:
            return self._relay_once(service, instance, method, target, sent, content)

        return await self._balanced(service, method, send)

    def _headers(self, service: str, identity: Identity | None, headers: dict[str, str] | None) -> dict[str, str]:
        sent_headers = {"x-request-id": request_id_var.get(), **(headers or {})}
        if identity is not None:
            sent_headers["x-sortes-identity"] = self._issuer.issue(identity, service)
        return sent_headers

    async def _balanced(self, service: str, method: str, send: Callable[[Instance], Awaitable[_A]]) -> _A:
        balancer = self.balancers[service]
        candidates = balancer.candidates()
        if not candidates:
            raise ServiceUnavailable("The {service} service is failing; the gateway is giving it a moment.",
                                     code="upstream.resting", params={"service": service},
                                     headers={"Retry-After": "5"})
        attempts = candidates[:2] if method.upper() in IDEMPOTENT_METHODS else candidates[:1]
        last_problem: Problem | None = None
        for instance in attempts:
            started = time.perf_counter()
            try:
                response = await send(instance)
            except _Retryable as retryable:
                balancer.failed(instance)
                last_problem = retryable.problem
                _measure(service, instance, "", retryable.problem.code or str(retryable.problem.status), started)
                continue
            balancer.succeeded(instance)
            _measure(service, instance, response.headers.get(ROUTE_HEADER, ""), str(response.status_code), started)
            if response.status_code >= 500:
                raise upstream_failure(service, response)
            return response
        assert last_problem is not None
        raise last_problem

    async def _relay_once(self, service: str, instance: Instance, method: str, target: str,
                          headers: list[tuple[bytes, bytes]], content: bytes) -> Relayed:
        origin = self._origins.get(instance.url)
        if origin is None:
            origin = self._origins[instance.url] = _Origin(instance.url)
        try:
            status, answer_headers, body = await self._pool.request(
                origin.address, method.upper(), origin.prefix + target.encode("ascii"),
                [(b"host", origin.host_header), *headers], content, connect_seconds=self._connect_timeout,
                read_seconds=self._read_timeout, pool_seconds=self._read_timeout)
        except RelayTimeout:
            _log.warning("upstream timeout", extra={"fields": {"upstream": service, "instance": instance.url,
                                                               "path": target.partition("?")[0]}})
            raise _Retryable(GatewayTimeout("The {service} service did not answer in time.", code="upstream.timeout",
                                            params={"service": service})) from None
        except RelayUnreachable:
            _log.warning("upstream unreachable", extra={"fields": {"upstream": service, "instance": instance.url,
                                                                   "path": target.partition("?")[0]}})
            raise _Retryable(ServiceUnavailable("The {service} service is not reachable.", code="upstream.unreachable",
                                                params={"service": service})) from None
        response = Relayed(status, {name.decode("latin-1").lower(): value.decode("latin-1")
                                    for name, value in answer_headers}, body)
        if response.status_code == 503:
            raise _Retryable(upstream_failure(service, response))
        return response

    async def _send(self, service: str, instance: Instance, method: str, path: str,
                    **options: Any) -> httpx.Response:
        fields = {"upstream": service, "instance": instance.url, "path": path}
        try:
            response = await self._client.request(method, instance.url + path, **options)
        except httpx.TimeoutException:
            _log.warning("upstream timeout", extra={"fields": fields})
            raise _Retryable(GatewayTimeout("The {service} service did not answer in time.", code="upstream.timeout",
                                            params={"service": service})) from None
        except httpx.TransportError:
            _log.warning("upstream unreachable", extra={"fields": fields})
            raise _Retryable(ServiceUnavailable("The {service} service is not reachable.", code="upstream.unreachable",
                                                params={"service": service})) from None
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
        return any((await self.instances_ready(service)).values())

    async def instances_ready(self, service: str) -> dict[str, bool]:
        """Each instance of the service (``host:port``), asked now whether it is ready."""
        instances = self.balancers[service].instances
        results = await asyncio.gather(*(self._instance_ready(instance) for instance in instances))
        return {instance_label(instance.url): ready for instance, ready in zip(instances, results, strict=True)}

    def instances_seen(self) -> dict[str, bool]:
        """Every instance (``service@host:port``) as the health checker last found it: no call made."""
        return {f"{service}@{instance_label(instance.url)}": instance.healthy
                for service, balancer in self.balancers.items() for instance in balancer.instances}

    async def instance_get(self, service: str, instance: Instance, path: str, identity: Identity) -> httpx.Response:
        """A GET of ``path`` at this one instance (not balanced), with ``identity``'s assertion."""
        try:
            return await self._client.get(instance.url + path, headers=self._headers(service, identity, None))
        except httpx.TransportError:
            raise ServiceUnavailable("The {service} service is not reachable.", code="upstream.unreachable",
                                     params={"service": service}) from None

    async def check_health_forever(self) -> None:
        """Mark instances up or down every few seconds, so traffic avoids a sick one and returns to it."""
        while True:
            for service, balancer in self.balancers.items():
                results = await asyncio.gather(*(self._instance_ready(i) for i in balancer.instances))
                for instance, ready in zip(balancer.instances, results, strict=True):
                    if ready != instance.healthy:
                        _log.log(logging.INFO if ready else logging.WARNING, "instance %s", "up" if ready else "down",
                                 extra={"fields": {"instance": instance.url}})
                    balancer.mark_health(instance, ready)
                    INSTANCE_UP.labels(service=service,
                                       instance=instance_label(instance.url)).set(1 if ready else 0)
            await asyncio.sleep(self._health_interval)

    async def close(self) -> None:
        await self._client.aclose()
        await self._pool.aclose()


def _measure(service: str, instance: Instance, route: str, status: str, started: float) -> None:
    """One call to an instance, by the route template the service named in its answer."""
    route = route or "(no answer)"
    UPSTREAM_REQUESTS.labels(service=service, instance=instance_label(instance.url), route=route,
                             status=status).inc()
    UPSTREAM_SECONDS.labels(service=service, route=route).observe(time.perf_counter() - started)


def upstream_failure(service: str, response: _Answer) -> Problem:
    if response.status_code == 503:
        return ServiceUnavailable("The {service} service is not ready.", code="upstream.not_ready",
                                  params={"service": service})
    if response.status_code == 504:
        return GatewayTimeout("The {service} service timed out.", code="upstream.timeout", params={"service": service})
    return BadGateway("The {service} service failed ({status}).", code="upstream.failed",
                      params={"service": service, "status": response.status_code})


def passed_on_problem(response: httpx.Response, kind: type[Problem] = Problem) -> Problem:
    """A service's own 4xx problem, handed to the caller unchanged (its code and params too); ``kind``
    is the class the console's pages catch it as (a 404 as :class:`NotFound`)."""
    try:
        document = response.json()
    except ValueError:
        document = {}
    return kind.from_document(response.status_code, document if isinstance(document, dict) else {},
                              response.reason_phrase)


def relayed_media_type(content_type: str) -> str:
    """The upstream's content type without its UTF-8 charset, which Litestar adds back to text types
    (passing it on whole would repeat it)."""
    media_type, _, parameters = content_type.partition(";")
    return media_type.strip() if parameters.strip().lower() in ("", "charset=utf-8") else content_type
