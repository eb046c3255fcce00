"""One error hierarchy for every service, rendered as RFC 9457 ``application/problem+json``.

Domain code raises a :class:`Problem` subclass; the handlers below turn it, Litestar's own
validation and HTTP errors, and anything unexpected into a problem document. An unexpected
exception is logged with its traceback but the response never carries its text, so no secret or
personal value can leak through an error message.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

PROBLEM_MEDIA_TYPE = "application/problem+json"
MAX_BODY_BYTES = 32 * 1024 * 1024  # a spreadsheet of a whole pool fits; anything larger gets 413
_log = logging.getLogger("sortes.errors")


class FieldError(msgspec.Struct, frozen=True):
    """One invalid input: ``field`` is a dotted path into the body (``lots[0].code``) or a parameter."""

    field: str
    message: str
    source: str = "body"


class Problem(Exception):
    """Base of every error a service answers with on purpose."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"

    def __init__(self, detail: str | None = None, *, errors: list[FieldError] | None = None,
                 headers: dict[str, str] | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []
        self.headers = headers or {}
        self.extensions = extensions

    def to_document(self, instance: str | None = None) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": f"/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            document["instance"] = instance
        if self.errors:
            document["errors"] = [msgspec.structs.asdict(error) for error in self.errors]
        document.update(self.extensions)
        return document


class InvalidInput(Problem):
    status, slug, title = 422, "validation-error", "Invalid input"

    @classmethod
    def for_field(cls, field: str, message: str, source: str = "body") -> InvalidInput:
        return cls(f"{field}: {message}", errors=[FieldError(field, message, source)])


class MalformedRequest(Problem):
    status, slug, title = 400, "malformed-request", "Malformed request"


class NotAuthenticated(Problem):
    status, slug, title = 401, "not-authenticated", "Not authenticated"


class NotPermitted(Problem):
    status, slug, title = 403, "forbidden", "Not permitted"


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class BadGateway(Problem):
    status, slug, title = 502, "bad-gateway", "Upstream service answered badly"


class ServiceUnavailable(Problem):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


class GatewayTimeout(Problem):
    status, slug, title = 504, "gateway-timeout", "Upstream service timed out"


def problem_response(problem: Problem, request: Request | None = None) -> Response[Any]:
    instance = request.url.path if request is not None else None
    return Response(
        content=problem.to_document(instance),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


_QUOTED_FIELD = re.compile(r"field `([^`]+)`")


def _field_error(item: dict[str, Any]) -> FieldError:
    """Name the offending field even when msgspec reports it in the message (missing/unknown)."""
    key = str(item.get("key") or "")
    message = str(item.get("message") or "invalid value")
    source = item.get("source") or "body"
    source = str(getattr(source, "value", source))  # Litestar names a parameter's place with an enum
    named = _QUOTED_FIELD.search(message)
    if named and ("missing required" in message or "unknown field" in message):
        key = named.group(1) if key in {"", "data"} else f"{key}.{named.group(1)}"
    return FieldError(field=key or "body", message=message, source=source)


def _handle_validation(request: Request, exc: ValidationException) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [_field_error(item) for item in extra if isinstance(item, dict)]
    if not errors:
        return problem_response(MalformedRequest(str(exc.detail)), request)
    summary = "; ".join(f"{error.field}: {error.message}" for error in errors)
    return problem_response(InvalidInput(summary, errors=errors), request)


_HTTP_SLUGS = {
    400: ("malformed-request", "Malformed request"),
    401: ("not-authenticated", "Not authenticated"),
    403: ("forbidden", "Not permitted"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("too-many-requests", "Too many requests"),
}


def _handle_http(request: Request, exc: HTTPException) -> Response[Any]:
    if exc.status_code >= 500:
        return _handle_unexpected(request, exc)
    slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
    headers = dict(exc.headers or {})
    if exc.status_code == 429 and "Retry-After" not in headers:
        # Litestar's rate limiter says when the window resets; clients look for Retry-After.
        headers["Retry-After"] = str(max(1, int(headers.get("RateLimit-Reset", "60"))))
    problem = Problem(str(exc.detail) if exc.detail else title, headers=headers)
    problem.status, problem.slug, problem.title = exc.status_code, slug, title
    return problem_response(problem, request)


def _handle_problem(request: Request, exc: Problem) -> Response[Any]:
    return problem_response(exc, request)


def _handle_undecodable(request: Request, exc: UnicodeDecodeError) -> Response[Any]:
    # Litestar's JSON decoding lets a body that is not UTF-8 through as this, not as a validation error.
    return problem_response(MalformedRequest("The request body is not valid UTF-8."), request)


def _handle_unexpected(request: Request, exc: Exception) -> Response[Any]:
    # Only the exception type is logged at error level with the traceback; the message text of
    # driver errors can quote parameters, so it stays out of the problem document.
    _log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path,
               exc_info=exc)
    return problem_response(Problem("The service failed to handle the request."), request)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    Problem: _handle_problem,
    ValidationException: _handle_validation,
    HTTPException: _handle_http,
    UnicodeDecodeError: _handle_undecodable,
    Exception: _handle_unexpected,
}
