"""A typed Python client for the project lifecycle system (and scripts) to call sortes.

    from shared.client import SortesClient
    from shared.projects import ProjectReference, LotReference

    with SortesClient("https://sortes.example.gov.cn", api_key="sortes_…") as sortes:
        registration = sortes.register_project("PY-2026-101", ProjectReference(...))

Every answer is decoded into the same msgspec Structs the services use. Failures raise
:class:`SortesError` carrying the RFC 9457 problem document. Calls that are safe to repeat (GET,
PUT, and every POST, which is sent with a fresh ``Idempotency-Key``) are retried with backoff on
502/503/504 and connection failures.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, TypeVar

import httpx
import msgspec

from shared.audit.store import AuditPage
from shared.draw import KeySet, VerificationResult, verify_record
from shared.projects import ProjectReference, ProjectRegistration

T = TypeVar("T")
RETRIED_STATUSES = {502, 503, 504}


class SortesError(Exception):
    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")
        self.status, self.problem = status, problem

    @property
    def field_errors(self) -> dict[str, str]:
        return {error["field"]: error["message"] for error in self.problem.get("errors", [])}


class WebhookSubscription(msgspec.Struct, frozen=True):
    id: str
    name: str
    url: str
    event_types: list[str]
    disabled: bool


class WebhookCreated(msgspec.Struct, frozen=True):
    webhook: WebhookSubscription
    secret: str


class Delivery(msgspec.Struct, frozen=True):
    id: int
    event_type: str
    object_id: str
    status: str
    attempts: int
    last_status_code: int | None


class SortesClient:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0, retries: int = 3,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport,
                                  headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"})
        self._retries = retries

    def __enter__(self) -> SortesClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, answer: type[T], *, body: Any = None,
              params: dict[str, Any] | None = None) -> T:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex  # one key for every retry of this call
        content = msgspec.json.encode(body) if body is not None else None
        for attempt in range(self._retries + 1):
            try:
                response = self._http.request(method, path, content=content, params=params, headers=headers)
            except httpx.TransportError:
                if attempt == self._retries:
                    raise
            else:
                if response.status_code not in RETRIED_STATUSES or attempt == self._retries:
                    break
            time.sleep(min(0.5 * 2**attempt, 8.0))
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "detail": response.text[:200]}
            raise SortesError(response.status_code, problem)
        return msgspec.json.decode(response.content, type=answer)

    def register_project(self, code: str, reference: ProjectReference) -> ProjectRegistration:
        """Register or update a project with its lots in both services (idempotent)."""
        return self._call("PUT", f"/api/v1/projects/{code}", ProjectRegistration, body=reference)

    def key_set(self) -> KeySet:
        return KeySet.from_json(self._call("GET", "/.well-known/sortes-keys", dict))

    def verify_draw_record(self, record: dict[str, Any]) -> VerificationResult:
        """Check a draw record against the published keys, entirely on this side."""
        return verify_record(record, self.key_set())

    def subscribe(self, name: str, url: str, event_types: list[str]) -> WebhookCreated:
        """Subscribe ``url`` to events; keep the returned secret to check X-Sortes-Signature."""
        return self._call("POST", "/api/v1/webhooks", WebhookCreated,
                          body={"name": name, "url": url, "event_types": event_types})

    def deliveries(self, webhook_id: str, status: str | None = None) -> list[Delivery]:
        params = {"status": status} if status else None
        return self._call("GET", f"/api/v1/webhooks/{webhook_id}/deliveries", list[Delivery], params=params)

    def audit(self, **filters: Any) -> AuditPage:
        return self._call("GET", "/api/v1/audit", AuditPage, params=filters or None)
