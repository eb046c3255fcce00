"""One OpenAPI document for the whole ``/api/v1``: the gateway's own routes and every service route the
gateway forwards, fetched from each service's ``/schema/openapi.json`` (kept for a minute)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from services.gateway.edge.routing import service_for
from services.gateway.edge.upstream import GATEWAY, SERVICE_NAMES, Upstreams
from shared.errors import Problem

API_PREFIX = "/api/v1"
_CACHE_SECONDS = 60.0


class MergedOpenAPI:
    def __init__(self, upstreams: Upstreams) -> None:
        self._upstreams = upstreams
        self._cached: tuple[float, dict[str, Any]] | None = None

    async def document(self, own: dict[str, Any]) -> dict[str, Any]:
        if self._cached and time.monotonic() - self._cached[0] < _CACHE_SECONDS:
            return self._cached[1]
        documents = await asyncio.gather(*(self._fetch(service) for service in SERVICE_NAMES))
        merged = merge(own, dict(zip(SERVICE_NAMES, documents, strict=True)))
        if all(documents):  # an incomplete document is served but not kept
            self._cached = (time.monotonic(), merged)
        return merged

    async def _fetch(self, service: str) -> dict[str, Any] | None:
        try:
            response = await self._upstreams.request(service, "GET", "/schema/openapi.json", identity=GATEWAY)
        except Problem:
            return None
        return response.json() if response.status_code == 200 else None


def merge(own: dict[str, Any], services: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    """The gateway's document plus each service path it forwards; the gateway's own routes win."""
    merged = {**own, "paths": {path: item for path, item in own.get("paths", {}).items()
                               if path.startswith(API_PREFIX) or path.startswith("/.well-known")}}
    schemas = merged.setdefault("components", {}).setdefault("schemas", {})
    own_shapes = {_shape(path) for path in merged["paths"]}
    for service, document in services.items():
        if document is None:
            continue
        document = _renamed_clashes(document, schemas, service)
        for path, item in document.get("paths", {}).items():
            forwarded = path.startswith(API_PREFIX) and service_for(path[len(API_PREFIX):]) == service
            if forwarded and _shape(path) not in own_shapes:
                merged["paths"][path] = {method: {**operation, "tags": operation.get("tags") or [service]}
                                         for method, operation in item.items()}
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            schemas.setdefault(name, schema)
    merged["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "An API key (systems) or the token from POST /api/v1/auth/sign-in (people)"}}
    merged["security"] = [{"bearer": []}]
    merged["paths"] = dict(sorted(merged["paths"].items()))
    return merged


def _renamed_clashes(document: dict[str, Any], schemas: dict[str, Any], service: str) -> dict[str, Any]:
    """``document`` with each schema whose name is already taken by a different one (the services'
    ``ExclusionView``s: an expert left out of a draw, a vendor's debarment) renamed ``<service>.<name>``."""
    clashes = {name for name, schema in document.get("components", {}).get("schemas", {}).items()
               if name in schemas and schemas[name] != schema}
    if not clashes:
        return document
    text = json.dumps(document)
    for name in clashes:
        text = text.replace(f'"#/components/schemas/{name}"', f'"#/components/schemas/{service}.{name}"')
    renamed = json.loads(text)
    found = renamed["components"]["schemas"]
    renamed["components"]["schemas"] = {f"{service}.{name}" if name in clashes else name: schema
                                        for name, schema in found.items()}
    return renamed


def _shape(path: str) -> str:
    """A path with its parameters unnamed: /projects/{code}/panels and /projects/{project_code}/panels
    are one operation, served by the gateway when it has a route of its own."""
    return re.sub(r"\{[^}]+\}", "{}", path)
