"""One error hierarchy for every service, rendered as RFC 9457 ``application/problem+json``.

Domain code raises a :class:`Problem` subclass; the handlers below turn it, Litestar's own
validation and HTTP errors, and anything unexpected into a problem document. An unexpected
exception is logged with its traceback but the response never carries its text, so no secret or
personal value can leak through an error message.
"""

from __future__ import annotations

import logging
import re
from typing import Any, NamedTuple

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

PROBLEM_MEDIA_TYPE = "application/problem+json"
MAX_BODY_BYTES = 32 * 1024 * 1024  # a spreadsheet of a whole pool fits; anything larger gets 413
_log = logging.getLogger("sortes.errors")


Params = dict[str, str | int]


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    """One invalid input: ``field`` is a dotted path into the body (``lots[0].code``) or a parameter.

    ``code`` names the refusal stably and ``params`` holds its values, so a reader renders it in its
    own language; ``message`` is the English sentence for API clients. Built by :func:`field_error`.
    """

    field: str
    code: str
    message: str
    params: Params = {}
    source: str = "body"


class Refusal(NamedTuple):
    """What is wrong with a value before it is known which field holds it (an identifier check)."""

    code: str
    message: str
    params: Params = {}

    def at(self, field: str, source: str = "body") -> FieldError:
        return field_error(field, self.code, self.message, self.params, source)


def field_error(field: str, code: str, message: str, params: Params | None = None,
                source: str = "body") -> FieldError:
    """A field's refusal: ``message`` is an English template whose ``{names}`` are ``params``."""
    params = params or {}
    return FieldError(field=field, code=code, message=_filled(message, params), params=params, source=source)


def _filled(template: str, params: Params) -> str:
    return template.format_map(params) if params else template


class Problem(Exception):
    """Base of every error a service answers with on purpose.

    Raised as ``NotFound("Project {project} has no lot {lot}.", code="project.no_lot",
    params={"project": ..., "lot": ...})``: the code names the refusal for good and the console
    renders it from its catalogues (tests/shared/test_problem_codes.py keeps them complete); the
    English ``detail`` is the template filled in, for API clients.
    """

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"
    code: str = "internal"

    def __init__(self, detail: str | None = None, *, code: str | None = None, params: Params | None = None,
                 errors: list[FieldError] | None = None, headers: dict[str, str] | None = None,
                 **extensions: Any) -> None:
        self.params = params or {}
        self.detail = _filled(detail, self.params) if detail else self.title
        super().__init__(self.detail)
        self.code = code or type(self).code
        self.errors = errors or []
        self.headers = headers or {}
        self.extensions = extensions

    @classmethod
    def from_document(cls, status: int, document: dict[str, Any], reason: str) -> Problem:
        """A problem another service answered with, to be handed on unchanged."""
        problem = cls(str(document.get("detail") or reason), code=str(document.get("code") or "http.error"),
                      errors=[_decoded_field_error(item) for item in document.get("errors") or []
                              if isinstance(item, dict)])
        params = document.get("params")
        problem.params = params if isinstance(params, dict) else {}
        problem.status = status
        problem.slug = str(document.get("type", "/problems/http-error")).rsplit("/", 1)[-1]
        problem.title = str(document.get("title") or reason)
        problem.extensions = {key: value for key, value in document.items() if key not in _STANDARD_MEMBERS}
        return problem

    def to_document(self, instance: str | None = None) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": f"/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            "params": self.params,
        }
        if instance:
            document["instance"] = instance
        if self.errors:
            document["errors"] = [msgspec.structs.asdict(error) for error in self.errors]
        document.update(self.extensions)
        return document


_STANDARD_MEMBERS = {"type", "title", "status", "detail", "instance", "errors", "code", "params"}


def _decoded_field_error(item: dict[str, Any]) -> FieldError:
    params = item.get("params")
    return FieldError(field=str(item.get("field", "")), code=str(item.get("code") or "field.invalid"),
                      message=str(item.get("message", "")), params=params if isinstance(params, dict) else {},
                      source=str(item.get("source", "body")))


class InvalidInput(Problem):
    status, slug, title, code = 422, "validation-error", "Invalid input", "input.invalid"

    @classmethod
    def of(cls, errors: list[FieldError]) -> InvalidInput:
        """The refusal of a body or query with these field errors (at least one)."""
        return cls("; ".join(f"{error.field}: {error.message}" for error in errors), errors=errors)

    @classmethod
    def for_field(cls, field: str, code: str, message: str, params: Params | None = None,
                  source: str = "body") -> InvalidInput:
        return cls.of([field_error(field, code, message, params, source)])


class MalformedRequest(Problem):
    status, slug, title, code = 400, "malformed-request", "Malformed request", "request.malformed"


class NotAuthenticated(Problem):
    status, slug, title, code = 401, "not-authenticated", "Not authenticated", "auth.required"


class NotPermitted(Problem):
    status, slug, title, code = 403, "forbidden", "Not permitted", "forbidden"


class NotFound(Problem):
    status, slug, title, code = 404, "not-found", "Not found", "not_found"


class Conflict(Problem):
    status, slug, title, code = 409, "conflict", "Conflict", "conflict"


class PayloadTooLarge(Problem):
    status, slug, title, code = 413, "payload-too-large", "Request body too large", "request.too_large"


class BadGateway(Problem):
    status, slug, title, code = 502, "bad-gateway", "Upstream service answered badly", "upstream.failed"


class ServiceUnavailable(Problem):
    status, slug, title, code = 503, "service-unavailable", "Service unavailable", "service.unavailable"


class GatewayTimeout(Problem):
    status, slug, title, code = 504, "gateway-timeout", "Upstream service timed out", "upstream.timeout"


def problem_response(problem: Problem, request: Request | None = None) -> Response[Any]:
    instance = request.url.path if request is not None else None
    return Response(
        content=problem.to_document(instance),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


_QUOTED_FIELD = re.compile(r"field `([^`]+)`")

# msgspec's and Litestar's validation messages, as codes with their parameters: the one place that
# reads a library's English, so nothing downstream has to.
_VALIDATION_CODES: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    (re.compile(r"^Object missing required field"), "field.required", ()),
    (re.compile(r"^Missing required"), "field.required", ()),
    (re.compile(r"^Object contains unknown field"), "field.unknown", ()),
    (re.compile(r"^Expected `date`, got `null`"), "field.date_required", ()),
    (re.compile(r"^Expected `[^`]+`, got `null`"), "field.required", ()),
    (re.compile(r"^Expected `str` of length >= 1$"), "field.required", ()),  # an empty text for a required one
    (re.compile(r"^Expected `str` of length >= (\d+)"), "field.too_short", ("min",)),
    (re.compile(r"^Expected `str` of length <= (\d+)"), "field.too_long", ("max",)),
    (re.compile(r"^Expected `array` of length >= 1$"), "field.none_chosen", ()),
    (re.compile(r"^Expected `(?:array|object)` of length >= (\d+)"), "field.too_few", ("min",)),
    (re.compile(r"^Expected `(?:array|object)` of length <= (\d+)"), "field.too_many", ("max",)),
    (re.compile(r"^Expected `(?:int|float|number)` >= (-?\d+)"), "field.too_small", ("min",)),
    (re.compile(r"^Expected `(?:int|float|number)` <= (-?\d+)"), "field.too_large", ("max",)),
    (re.compile(r"^Expected `str` matching regex"), "field.pattern", ()),
    (re.compile(r"^Invalid enum value"), "field.choice", ()),
    (re.compile(r"^Invalid RFC3339 encoded date$"), "field.date", ()),
    (re.compile(r"^Invalid RFC3339 encoded datetime"), "field.datetime", ()),
    (re.compile(r"^Expected `(\w+)`"), "field.type", ("expected",)),
]


def validation_code(message: str) -> tuple[str, Params]:
    """The code and params of a msgspec validation message (``field.invalid`` when it is not known)."""
    for pattern, code, names in _VALIDATION_CODES:
        if match := pattern.match(message):
            values = match.groups()
            return code, {name: int(value) if value.lstrip("-").isdigit() else value
                          for name, value in zip(names, values, strict=True)}
    return "field.invalid", {}


def _field_error(item: dict[str, Any]) -> FieldError:
    """Name the offending field even when msgspec reports it in the message (missing/unknown)."""
    key = str(item.get("key") or "")
    message = str(item.get("message") or "invalid value")
    source = item.get("source") or "body"
    source = str(getattr(source, "value", source))  # Litestar names a parameter's place with an enum
    named = _QUOTED_FIELD.search(message)
    if named and ("missing required" in message or "unknown field" in message):
        key = named.group(1) if key in {"", "data"} else f"{key}.{named.group(1)}"
    code, params = validation_code(message)
    return FieldError(field=key or "body", code=code, message=message, params=params, source=source)


def _handle_validation(request: Request, exc: ValidationException) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [_field_error(item) for item in extra if isinstance(item, dict)]
    if not errors:
        return problem_response(MalformedRequest(str(exc.detail)), request)
    return problem_response(InvalidInput.of(errors), request)


_HTTP_SLUGS = {
    400: ("malformed-request", "Malformed request", "request.malformed"),
    401: ("not-authenticated", "Not authenticated", "auth.required"),
    403: ("forbidden", "Not permitted", "forbidden"),
    404: ("not-found", "Not found", "http.not_found"),
    405: ("method-not-allowed", "Method not allowed", "http.method_not_allowed"),
    413: ("payload-too-large", "Request body too large", "request.too_large"),
    415: ("unsupported-media-type", "Unsupported media type", "http.unsupported_media_type"),
    429: ("too-many-requests", "Too many requests", "http.too_many_requests"),
}
_HTTP_OTHER = ("http-error", "HTTP error", "http.error")

# Codes that no raise site spells out: the handlers above give them, or a problem class by default.
SHARED_CODES = frozenset(
    [code for _, code, _ in _VALIDATION_CODES] + ["field.invalid", "internal", "request.not_utf8"]
    + [code for _, _, code in [*_HTTP_SLUGS.values(), _HTTP_OTHER]]
    + [cls.code for cls in (Problem, InvalidInput, MalformedRequest, NotAuthenticated, NotPermitted, NotFound,
                            Conflict, PayloadTooLarge, BadGateway, ServiceUnavailable, GatewayTimeout)])


def _handle_http(request: Request, exc: HTTPException) -> Response[Any]:
    if exc.status_code >= 500:
        return _handle_unexpected(request, exc)
    slug, title, code = _HTTP_SLUGS.get(exc.status_code, _HTTP_OTHER)
    headers = dict(exc.headers or {})
    if exc.status_code == 429 and "Retry-After" not in headers:
        # Litestar's rate limiter says when the window resets; clients look for Retry-After.
        headers["Retry-After"] = str(max(1, int(headers.get("RateLimit-Reset", "60"))))
    problem = Problem(str(exc.detail) if exc.detail else title, code=code, headers=headers)
    problem.status, problem.slug, problem.title = exc.status_code, slug, title
    return problem_response(problem, request)


def _handle_problem(request: Request, exc: Problem) -> Response[Any]:
    return problem_response(exc, request)


def _handle_undecodable(request: Request, exc: UnicodeDecodeError) -> Response[Any]:
    # Litestar's JSON decoding lets a body that is not UTF-8 through as this, not as a validation error.
    return problem_response(MalformedRequest("The request body is not valid UTF-8.", code="request.not_utf8"), request)


def _handle_unexpected(request: Request, exc: Exception) -> Response[Any]:
    # Only the exception type is logged at error level with the traceback; the message text of
    # driver errors can quote parameters, so it stays out of the problem document.
    _log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path,
               exc_info=exc)
    return problem_response(Problem("The service failed to handle the request.", code="internal"), request)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    Problem: _handle_problem,
    ValidationException: _handle_validation,
    HTTPException: _handle_http,
    UnicodeDecodeError: _handle_undecodable,
    Exception: _handle_unexpected,
}
