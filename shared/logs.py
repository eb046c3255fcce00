"""Structured JSON logs, one object a line, carrying the request id of the request being served.

Request bodies, headers and query strings are never logged: they can hold personal data, API keys
or draw secrets. Only method, path, status and timing are.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from litestar.middleware._internal.exceptions.middleware import ExceptionHandlerMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_KEY = REQUEST_ID_HEADER.encode("latin-1")


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "request_id": request_id_var.get(),
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every URL at INFO; the gateway logs its own upstream calls instead.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(raw: str | None) -> str:
    """Keep a caller's request id when it is a sane token, so one id follows a call across services."""
    if raw and _VALID_REQUEST_ID.match(raw):
        return raw
    return new_request_id()


_access_log = logging.getLogger("sortes.access")
# Asked every second or two by the health checker, the webhook dispatcher and the monitoring system: a
# line each at INFO would be most of an idle system's log (about 23 MB a day). Logged at DEBUG when they
# succeed; a failure is logged like any other request.
QUIET_PATHS = ("/healthz", "/readyz", "/metrics", "/api/v1/internal/events")


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    """Bind the request id for the request's duration, echo it back, and write one access line."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        # ASGI servers give header names in lower case; only this one is wanted.
        raw = next((value for key, value in scope.get("headers", []) if key == _REQUEST_ID_KEY), None)
        request_id = accept_request_id(raw.decode("latin-1") if raw is not None else None)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            quiet = status_holder["status"] < 400 and scope.get("path", "").startswith(QUIET_PATHS)
            _access_log.log(
                logging.DEBUG if quiet else logging.INFO, "request",
                extra={"fields": {
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status_holder["status"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                }},
            )
            request_id_var.reset(token)

    return middleware


def answer_errors_here(app: ASGIApp) -> ASGIApp:
    """Turn an exception raised further in (an authentication, CSRF, rate-limit or idempotency middleware
    refusing the request) into its problem+json answer at this point of the stack.

    Litestar renders such an exception in the handler it wraps around the whole middleware stack, that
    is outside the access log and the metrics: both saw no answer and wrote 500 for what the client
    received as 401, 403 or 422. Placed right inside them, this renders it with the same exception
    handlers (the app's and the route's) before they record the status. Litestar exposes no public
    name for that handler; this is the one it wraps every route in.
    """
    return ExceptionHandlerMiddleware(app=app, debug=None)
