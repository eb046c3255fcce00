"""Calls from the gateway to the services over HTTP: pooled, timed out, and mapped to problems.

A service that cannot be reached answers 503, one that is too slow 504, one that answers with a
server error 502 (problem+json), so the caller always gets a clear, typed failure.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import httpx

from shared.errors import BadGateway, FieldError, GatewayTimeout, Problem, ServiceUnavailable
from shared.identity import Identity, IdentityIssuer
from shared.logs import request_id_var

_log = logging.getLogger("sortes.upstream")
SERVICE_NAMES = ("experts", "vendors")


class Upstreams:
    def __init__(self, urls: dict[str, list[str]], issuer: IdentityIssuer, *,
                 connect_timeout: float, read_timeout: float) -> None:
        for service, service_urls in urls.items():
            if not service_urls:
                raise ValueError(f"no upstream URL for the {service} service")
        self._urls = {service: [url.rstrip("/") for url in service_urls]
                      for service, service_urls in urls.items()}
        self._turns = {service: itertools.cycle(range(len(service_urls)))
                       for service, service_urls in self._urls.items()}
        self._issuer = issuer
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    def _next_url(self, service: str) -> str:
        return self._urls[service][next(self._turns[service])]

    async def request(self, service: str, method: str, path: str, *, identity: Identity | None,
                      params: Any = None, content: bytes | None = None, json: Any = None,
                      headers: dict[str, str] | None = None) -> httpx.Response:
        request_id = request_id_var.get()
        sent_headers = {"x-request-id": request_id, **(headers or {})}
        if identity is not None:
            sent_headers["x-sortes-identity"] = self._issuer.issue(identity, service, request_id)
        url = self._next_url(service) + path
        try:
            response = await self._client.request(method, url, params=params, content=content,
                                                  json=json, headers=sent_headers)
        except httpx.TimeoutException:
            _log.warning("upstream timeout", extra={"fields": {"service": service, "path": path}})
            raise GatewayTimeout(f"The {service} service did not answer in time.") from None
        except httpx.TransportError:
            _log.warning("upstream unreachable", extra={"fields": {"service": service, "path": path}})
            raise ServiceUnavailable(f"The {service} service is not reachable.") from None
        if response.status_code >= 500:
            raise upstream_failure(service, response)
        return response

    async def is_ready(self, service: str) -> bool:
        try:
            response = await self._client.get(self._next_url(service) + "/readyz")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

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
