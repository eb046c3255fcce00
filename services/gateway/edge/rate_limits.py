"""Request quotas: per API key or user on the API, per client address on sign-in (429 + Retry-After).

Counted in each gateway process's memory: with several gateway instances each enforces the quota
on the traffic it sees. The API's quota is a fixed window per caller, as Litestar's rate-limit
middleware counts it (the window opens at the caller's first request and lasts a minute), kept as a
plain counter: Litestar's keeps every request's time stamp in its store as JSON, re-read and
re-written under locks on each call, which cost more than the rest of the gateway's own work on a
forwarded request. Sign-in keeps Litestar's middleware (its store is shared with the console's).
"""

from __future__ import annotations

import time

from litestar import Request
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.types import ASGIApp, Message, Middleware, Receive, Scope, Send

WINDOW_SECONDS = 60


def _sign_in_address(request: Request) -> str:
    return f"sign-in:{get_remote_address(request)}"


class FixedWindows:
    """Requests counted per caller in windows of ``WINDOW_SECONDS``, for one app."""

    def __init__(self, limit: int, capacity: int = 10_000) -> None:
        self.limit, self._capacity = limit, capacity
        self._windows: dict[str, list[int]] = {}  # caller -> [window end (epoch seconds), requests]

    def count(self, caller: str) -> tuple[int, int] | None:
        """Count a request: the requests left and the window's end, or None when over the quota."""
        now = int(time.time())
        window = self._windows.get(caller)
        if window is None or window[0] <= now:
            if len(self._windows) >= self._capacity:
                self._windows = {key: value for key, value in self._windows.items() if value[0] > now}
            window = self._windows[caller] = [now + WINDOW_SECONDS, 0]
        if window[1] >= self.limit:
            return None
        window[1] += 1
        return self.limit - window[1], window[0]

    def headers(self, remaining: int, window_end: int) -> dict[str, str]:
        """The IETF draft's RateLimit headers, named and valued as Litestar's middleware sends them."""
        return {"RateLimit-Policy": f"{self.limit}; w={WINDOW_SECONDS}", "RateLimit-Limit": str(self.limit),
                "RateLimit-Remaining": str(remaining), "RateLimit-Reset": str(window_end - int(time.time()))}

    def window_end(self, caller: str) -> int:
        return self._windows[caller][0]


class CallerRateLimitMiddleware:
    """429 (with the RateLimit headers; the problem handler adds Retry-After) beyond the caller's quota;
    the RateLimit headers on every answer within it."""

    def __init__(self, app: ASGIApp, windows: FixedWindows) -> None:
        self.app, self.windows = app, windows

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Runs after authentication on the API router, so the caller is known (except on the open routes).
        user = scope.get("user")
        caller = f"caller:{user.subject}" if user is not None else \
            f"address:{get_remote_address(Request(scope))}"
        counted = self.windows.count(caller)
        if counted is None:
            raise TooManyRequestsException(headers=self.windows.headers(0, self.windows.window_end(caller)))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      *((name.lower().encode("latin-1"), value.encode("latin-1"))
                                        for name, value in self.windows.headers(*counted).items())]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def api_rate_limit(per_minute: int) -> Middleware:
    """Each call makes a new set of windows: one per app, shared by all the API router's routes."""
    return DefineMiddleware(CallerRateLimitMiddleware, windows=FixedWindows(per_minute))


def _is_attempt(request: Request) -> bool:
    # The console's sign-in form shares the route; showing it is not an attempt.
    return request.method == "POST"


def sign_in_rate_limit(per_minute: int) -> Middleware:
    """One count per address for the API's and the console's sign-in together (the same store)."""
    return RateLimitConfig(rate_limit=("minute", per_minute), identifier_for_request=_sign_in_address,
                           store="sign_in_rate_limit", check_throttle_handler=_is_attempt).middleware
