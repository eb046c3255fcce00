"""A typed Python client for the project lifecycle system (and scripts) to call sortes.

    from shared.client import SortesClient
    from shared.contracts.projects import ProjectReference, LotReference

    with SortesClient("https://sortes.example.gov.cn", api_key="sortes_…") as sortes:
        registration = sortes.register_project("PY-2026-101", ProjectReference(...))

Requests and answers are the same msgspec Structs the services use (``shared.contracts``).
Failures raise :class:`SortesError` carrying the RFC 9457 problem document. Calls that are safe to
repeat (GET, PUT, and every POST, which is sent with a fresh ``Idempotency-Key``) are retried with
backoff on 502/503/504 and connection failures.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any, TypeVar

import httpx
import msgspec

from shared.audit.store import AuditPage
from shared.contracts.events import DeliveryView, EventType, WebhookCreate, WebhookCreated
from shared.contracts.panels import Draw, PanelAsk, SelfEvaluation, SpotCheckAsk, SupplementaryAsk
from shared.contracts.projects import ProjectReference, ProjectRegistration
from shared.contracts.ratings import VendorRatings
from shared.contracts.vendors import ConflictCheckRequest, ConflictCheckView
from shared.draw import KeySet, VerificationResult, verify_record

T = TypeVar("T")
RETRIED_STATUSES = {502, 503, 504}


class SortesError(Exception):
    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")
        self.status, self.problem = status, problem

    @property
    def field_errors(self) -> dict[str, str]:
        return {error["field"]: error["message"] for error in self.problem.get("errors", [])}


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

    def subscribe(self, name: str, url: str, event_types: list[EventType]) -> WebhookCreated:
        """Subscribe ``url`` to events; keep the returned secret to check X-Sortes-Signature."""
        return self._call("POST", "/api/v1/webhooks", WebhookCreated,
                          body=WebhookCreate(name=name, url=url, event_types=event_types))

    def deliveries(self, webhook_id: str, status: str | None = None) -> list[DeliveryView]:
        params = {"status": status} if status else None
        return self._call("GET", f"/api/v1/webhooks/{webhook_id}/deliveries", list[DeliveryView], params=params)

    def request_panel(self, project_code: str, ask: PanelAsk) -> Draw:
        """Ask for a panel: the gateway avoids the project's owner and vendors and commits the draw.
        The answer is the commit receipt; the named supervisor reveals it with a witness."""
        return self._call("POST", f"/api/v1/projects/{project_code}/panels", Draw, body=ask)

    def draw(self, draw_id: str) -> Draw:
        return self._call("GET", f"/api/v1/draws/{draw_id}", Draw)

    def draw_record(self, draw_id: str) -> dict[str, Any]:
        """The sortes-draw/1 record (the receipt until the reveal, and for a panel until its meeting is
        over, unless the caller is its organiser or supervisor); check it with verify_draw_record."""
        return self._call("GET", f"/api/v1/draws/{draw_id}/record", dict)

    def supplementary_draw(self, draw_id: str, ask: SupplementaryAsk | None = None) -> Draw:
        return self._call("POST", f"/api/v1/draws/{draw_id}/supplementary", Draw, body=ask or SupplementaryAsk())

    def cancel_draw(self, draw_id: str, reason: str) -> Draw:
        return self._call("POST", f"/api/v1/draws/{draw_id}/cancel", Draw, body={"reason": reason})

    def self_evaluation(self, year: int, project_code: str, kind: str, submitted_on: dt.date,
                        unit_uscc: str) -> dict[str, Any]:
        """Enter a submitted self-evaluation (``application`` or ``performance``) in the register the
        year's spot check draws from (Art. 25)."""
        return self._call("POST", "/api/v1/self-evaluations", dict, body={
            "year": year, "project_code": project_code, "kind": kind, "submitted_on": submitted_on,
            "unit_uscc": unit_uscc})

    def spot_check(self, year: int, supervisor: str, submissions: list[SelfEvaluation] | None = None) -> Draw:
        """Commit the spot check of a year that has ended (Art. 25) under ``SPOT-<year>``: ceil(10%) of each
        kind in the year's register; ``submissions`` are entered in the register first."""
        return self._call("POST", "/api/v1/spot-checks", Draw,
                          body=SpotCheckAsk(year=year, submissions=submissions or [], supervisor=supervisor))

    def record_engagement(self, project_code: str, vendor_uscc: str, role: str, started_on: dt.date,
                          amount_fen: int, lot_code: str | None = None) -> dict[str, Any]:
        return self._call("POST", f"/api/v1/projects/{project_code}/engagements", dict, body={
            "vendor_uscc": vendor_uscc, "role": role, "started_on": started_on, "amount_fen": amount_fen,
            "lot_code": lot_code})

    def check_bidders(self, project_code: str, lot_code: str, bidders: list[str]) -> ConflictCheckView:
        """Art. 29 conflict check of a lot's bidders; stored, and re-readable with conflict_check()."""
        return self._call("POST", f"/api/v1/projects/{project_code}/lots/{lot_code}/conflict-checks",
                          ConflictCheckView, body=ConflictCheckRequest(bidders=bidders))

    def conflict_check(self, check_id: str) -> ConflictCheckView:
        return self._call("GET", f"/api/v1/conflict-checks/{check_id}", ConflictCheckView)

    def vendor_ratings(self, uscc: str) -> VendorRatings:
        """The vendor's ratings the caller may see (Art. 28), with their aggregate over three years."""
        return self._call("GET", f"/api/v1/vendors/{uscc}/ratings", VendorRatings)

    def audit(self, **filters: Any) -> AuditPage:
        return self._call("GET", "/api/v1/audit", AuditPage, params=filters or None)
