"""The gateway's typed clients: one per upstream service, speaking for one caller.

Each call goes through the balanced upstreams with the caller's identity, so the service authorises
it as it would the same call to /api/v1. What crosses is typed on both sides (``shared/contracts``):
requests are encoded from the contract Structs and answers decoded into them. The commits return the
experts service's answer as it came: the gateway relays it unchanged, a draw or the problem that
refused one. ``read`` gives the console's pages their JSON as the templates show it.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from services.gateway.edge.upstream import Upstreams, passed_on_problem
from shared.audit.routes import ChainVerification
from shared.audit.store import AuditPage
from shared.contracts.events import OutboxEvent
from shared.contracts.panels import Draw, PanelRequest, SpotCheckRequest, SupplementaryRequest
from shared.contracts.projects import ProjectReference, ProjectView, ProjectWrite
from shared.contracts.vendors import InvolvedVendor
from shared.errors import BadGateway, NotFound, NotPermitted
from shared.identity import Identity

API = "/api/v1"
T = TypeVar("T")
_JSON = {"content-type": "application/json"}


def segment(value: str) -> str:
    """A path value as one URL segment, whatever characters the caller put in it."""
    return quote(value, safe="")


class ServiceClient:
    service: ClassVar[str]

    def __init__(self, upstreams: Upstreams, identity: Identity) -> None:
        self._upstreams, self._identity = upstreams, identity

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return await self._upstreams.request(self.service, "GET", API + path, identity=self._identity, params=params)

    async def _send(self, method: str, path: str, body: msgspec.Struct) -> httpx.Response:
        return await self._upstreams.request(self.service, method, API + path, identity=self._identity,
                                             content=msgspec.json.encode(body), headers=_JSON)

    async def _decoded(self, path: str, answer: type[T], params: dict[str, Any] | None = None) -> T:
        return self._decode(await self._get(path, params), answer)

    def _decode(self, response: httpx.Response, answer: type[T]) -> T:
        """The answer as ``answer``; the service's refusal passed on unchanged."""
        if response.status_code >= 400:
            raise passed_on_problem(response)
        try:
            return msgspec.json.decode(response.content, type=answer)
        except msgspec.ValidationError:
            raise BadGateway("The {service} answered in an unexpected shape.", code="upstream.unexpected_answer",
                             params={"service": self.service}) from None

    async def register_project(self, code: str, reference: ProjectReference) -> ProjectWrite:
        """Store the project's reference (idempotent: the same reference again changes nothing)."""
        return self._decode(await self._send("PUT", f"/projects/{segment(code)}", reference), ProjectWrite)

    async def projects(self, query: str | None = None) -> list[ProjectView]:
        return await self._decoded("/projects/", list[ProjectView], {"q": query} if query else None)

    async def project(self, code: str) -> ProjectView:
        return await self._decoded(f"/projects/{segment(code)}", ProjectView)

    async def audit_page(self, params: dict[str, Any]) -> AuditPage:
        return await self._decoded("/audit", AuditPage, params)

    async def audit_verification(self) -> ChainVerification:
        """The service walks its own audit chain."""
        return await self._decoded("/audit/verification", ChainVerification)

    async def events_after(self, after: int, limit: int) -> list[OutboxEvent]:
        """The service's outbox events after ``after``, oldest first (the webhook dispatcher's poll)."""
        return await self._decoded("/internal/events", list[OutboxEvent], {"after": after, "limit": limit})

    async def read(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """``GET /api/v1<path>`` for a console page: the service's 403/404 as the console's own."""
        return _refused_or(await self._get(path, params)).json()

    async def read_text(self, path: str) -> str:
        return _refused_or(await self._get(path)).text


def _refused_or(response: httpx.Response) -> httpx.Response:
    """The answer, or the service's refusal with its code and params: a 403 or 404 as the console's own."""
    if response.status_code in (403, 404):
        raise passed_on_problem(response, NotFound if response.status_code == 404 else NotPermitted)
    if response.status_code >= 400:
        raise passed_on_problem(response)
    return response


class ExpertsClient(ServiceClient):
    """The experts service: draws, panels and their seats, the spot check."""

    service = "experts"

    async def draw(self, draw_id: str) -> Draw:
        return await self._decoded(f"/draws/{segment(draw_id)}", Draw)

    async def commit_panel(self, project_code: str, request: PanelRequest) -> httpx.Response:
        return await self._send("POST", f"/projects/{segment(project_code)}/panels", request)

    async def commit_supplementary(self, draw_id: str, request: SupplementaryRequest) -> httpx.Response:
        return await self._send("POST", f"/draws/{segment(draw_id)}/supplementary", request)

    async def commit_spot_check(self, request: SpotCheckRequest) -> httpx.Response:
        return await self._send("POST", "/spot-checks", request)

    async def post_json(self, path: str, body: dict[str, Any]) -> Any:
        """``POST /api/v1<path>`` with a JSON body (the answer page's link calls): the answer's JSON, or
        the service's refusal passed on with its status and code."""
        response = await self._upstreams.request(self.service, "POST", API + path, identity=self._identity,
                                                 content=msgspec.json.encode(body), headers=_JSON)
        if response.status_code >= 400:
            raise passed_on_problem(response)
        return response.json()


class VendorsClient(ServiceClient):
    """The vendors service: the registry, engagements, conflict checks and ratings."""

    service = "vendors"

    async def involved_vendors(self, project_code: str) -> list[InvolvedVendor]:
        """Every vendor engaged on the project or bidding for one of its lots."""
        return await self._decoded(f"/projects/{segment(project_code)}/involved-vendors", list[InvolvedVendor])


SERVICE_CLIENTS: dict[str, type[ServiceClient]] = {"experts": ExpertsClient, "vendors": VendorsClient}


def client_for(service: str, upstreams: Upstreams, identity: Identity) -> ServiceClient:
    """The client of ``service`` (one of SERVICE_NAMES), for calls every service answers alike."""
    return SERVICE_CLIENTS[service](upstreams, identity)
