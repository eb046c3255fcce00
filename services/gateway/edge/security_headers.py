"""Security headers on every gateway answer: no sniffing, no framing, no referrer leaks, and a
content policy that allows only the gateway's own scripts, styles and images (no inline script or
style: the console's pages load theirs from /static)."""

from __future__ import annotations

from litestar.types import Message, Scope

HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A before-send hook rather than a middleware: it also sees the answers made from an exception
    raised inside a middleware (a refused sign-in cookie, a rate limit), which do not travel back out
    through the middleware stack. A header the answer sets itself is kept."""
    if message["type"] != "http.response.start":
        return
    extra = [*HEADERS, HSTS] if scope.get("scheme") == "https" else HEADERS
    present = {name.lower() for name, _ in message.get("headers", [])}
    message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in present)]
