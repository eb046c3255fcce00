"""Refusals as the OpenAPI documents declare them.

Litestar documents a handler's 400 with the body of its own ``ValidationException``; every service
answers errors with the RFC 9457 problem document of :mod:`shared.errors` instead (and 422, not
400, on invalid input). :func:`declare_problems` puts the real answers in the document: each API
operation's refusals as ``application/problem+json`` with one ``Problem`` schema, so clients and
schema-driven tests (tests/reliability/test_api_fuzzing.py) check the bodies they actually get.
"""

from __future__ import annotations

import copy
from typing import Any

from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin

from shared.errors import PROBLEM_MEDIA_TYPE

_CODE = {"type": "string", "pattern": r"^[a-z_]+(\.[a-z_0-9]+)*$",
         "description": "Stable name of the refusal (e.g. project.no_lot, field.too_long); clients and the "
                        "console key their own texts on it, never on the English sentence."}
_PARAMS = {"type": "object", "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
           "description": "The values the refusal is about, by the names its code's texts use "
                          "(e.g. {\"project\": \"PY-2026-001\", \"lot\": \"9\"} for project.no_lot)."}
FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["field", "code", "message", "params", "source"],
    "properties": {"field": {"type": "string", "description": "Dotted path into the body, or a parameter's name"},
                   "code": _CODE, "message": {"type": "string", "description": "English, for people"},
                   "params": _PARAMS,
                   "source": {"type": "string", "description": "body, query, path, header or cookie"}},
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["type", "title", "status", "detail", "code", "params"],
    "description": "RFC 9457 problem document; a refusal may add members of its own (e.g. fillable_seats).",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string", "description": "English, for people: the code's text with the params"},
        "code": _CODE, "params": _PARAMS, "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
    },
}
# Every API operation may be refused for these; the ones with a body also for a conflict or its size.
ANY_OPERATION = {"400": "Malformed request", "401": "No valid identity", "403": "Not permitted",
                 "404": "Not found", "422": "Invalid input, per field"}
WITH_BODY = {"409": "Conflict with the current state", "413": "Request body too large"}
_WRITES = {"post", "put", "patch", "delete"}


def declare_problems(document: dict[str, Any], extra: dict[str, str] | None = None) -> dict[str, Any]:
    """A copy of ``document`` whose ``/api/`` operations declare their refusals as problem documents
    (``extra``: further statuses for every such operation, e.g. the gateway's 429)."""
    document = copy.deepcopy(document)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"], schemas["FieldError"] = PROBLEM_SCHEMA, FIELD_ERROR_SCHEMA
    problem = {"content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for path, item in document.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses = {**ANY_OPERATION, **(WITH_BODY if method in _WRITES else {}), **(extra or {})}
            for status, description in statuses.items():
                operation["responses"][status] = {"description": description, **problem}
    return document


class ProblemDeclaringJsonPlugin(JsonRenderPlugin):
    """``/schema/openapi.json`` with the refusals declared as they are answered."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, declare_problems(openapi_schema))
