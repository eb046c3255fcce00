"""A JSON body nested deeper than ``SORTES_MAX_JSON_DEPTH`` levels (default 64), or not well-formed, is
refused with a 400 problem before anything else reads it, on every route of every service: the same
answer whoever calls, before authentication, so that no route's own reading of the body can fail on it.

msgspec decodes recursively: ``[`` × 1,000 already raised RecursionError, which no route expects, so the
caller got a 500 and the log a traceback (on the anonymous sign-in too). No document of this system
nests beyond a handful of levels. The depth is counted on the raw bytes first, without recursion: strings
are cut out with one regular expression (in C), then only the brackets left are walked. Only a body
within the limit is decoded, once, to check it is well-formed.
"""

from __future__ import annotations

import re

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import MAX_BODY_BYTES, MalformedRequest
from shared.settings import env_int

DEFAULT_MAX_DEPTH = 64
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OPENING = frozenset(b"[{")
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_WHITESPACE = b" \t\r\n"


def max_json_depth() -> int:
    return env_int("SORTES_MAX_JSON_DEPTH", DEFAULT_MAX_DEPTH)


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest more than ``limit`` deep (an unclosed string leaves its
    tail counted: such a body is malformed anyway)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        if byte in _OPENING:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _check(body: bytes, limit: int) -> None:
    if nested_deeper_than(body, limit):
        raise MalformedRequest("The JSON body is nested deeper than {limit} levels.", code="request.too_deep",
                               params={"limit": limit})
    try:
        msgspec.json.decode(body)
    except msgspec.DecodeError as error:  # its message gives a position, never the content
        raise MalformedRequest("The body is not well-formed JSON: {error}", code="request.not_json",
                               params={"error": str(error)}) from None


def refuse_malformed_json(app: ASGIApp) -> ASGIApp:
    """Read a body that starts like JSON (``[`` or ``{``), refuse it when nested too deep or malformed, else
    hand it on unchanged. Other bodies (forms, spreadsheets) and bodies over the size limit, which Litestar answers
    with 413, pass unread beyond their first bytes."""
    limit = max_json_depth()

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        read: list[Message] = []
        size, start, more = 0, b"", True
        while more and size <= MAX_BODY_BYTES:
            message = await receive()
            read.append(message)
            chunk = message.get("body", b"") if message["type"] == "http.request" else b""
            size += len(chunk)
            more = message["type"] == "http.request" and bool(message.get("more_body"))
            start = start or chunk.lstrip(_WHITESPACE)[:1]
            if start and start not in (b"[", b"{"):
                break
        if not more and start in (b"[", b"{"):
            _check(b"".join(message.get("body", b"") for message in read), limit)

        async def replay() -> Message:
            return read.pop(0) if read else await receive()

        await app(scope, replay, send)

    return middleware
