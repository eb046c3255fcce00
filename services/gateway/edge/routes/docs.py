"""``/api/openapi.json`` (the merged document) and ``/api/docs`` (a page generated from it, served
entirely by the gateway: no script or style from elsewhere)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.response import Template

from services.gateway.edge.openapi import MergedOpenAPI
from shared.openapi import declare_problems

_METHODS = ("get", "post", "put", "patch", "delete")
_GATEWAY_REFUSALS = {"429": "Beyond the caller's quota (Retry-After says when to try again)"}


async def _merged(request: Request, state: State) -> dict[str, Any]:
    openapi: MergedOpenAPI = state.openapi
    return await openapi.document(declare_problems(request.app.openapi_schema.to_schema(), _GATEWAY_REFUSALS))


@get("/api/openapi.json", include_in_schema=False, media_type="application/vnd.oai.openapi+json")
async def openapi_json(request: Request, state: State) -> dict[str, Any]:
    return await _merged(request, state)


@get("/api/docs", include_in_schema=False)
async def api_docs(request: Request, state: State) -> Template:
    document = await _merged(request, state)
    operations = [
        {"method": method.upper(), "path": path, "summary": operation.get("summary", ""),
         "description": operation.get("description", ""), "tags": operation.get("tags", []),
         "parameters": [p.get("name") for p in operation.get("parameters", [])],
         "responses": sorted(operation.get("responses", {}).keys())}
        for path, item in document["paths"].items() for method, operation in item.items() if method in _METHODS
    ]
    return Template(template_name="api_docs.html", context={"info": document.get("info", {}),
                                                             "operations": operations})
