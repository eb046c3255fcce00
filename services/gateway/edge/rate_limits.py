"""Request quotas: per API key or user on the API, per client address on sign-in (429 + Retry-After).

The API's quota is a fixed window per caller, as Litestar's rate-limit middleware counts it (the
window opens at the caller's first request and lasts a minute), counted in the gateway's database:
every gateway process in front of it counts against the same window, so running two or more does
not multiply a caller's quota. One upsert (``INSERT … ON CONFLICT … RETURNING``, on SQLite and
PostgreSQL alike) opens or advances the window atomically. A process does not write on every request:
it reserves a lease of requests in the caller's window at once, a hundredth of what the window still
has left (at most ``MAX_LEASE``, at least one, so a small quota is counted one request at a time), and
serves the lease from memory. The database's count therefore never falls behind what the processes
granted, and a caller never gets more than its quota; near the end of a quota a caller may be refused
by one process while another still holds a few requests of its lease (at most a hundredth each).
Sign-in keeps Litestar's middleware, counted per process (its store is shared with the console's);
the lockout after failed sign-ins (users.failed_sign_ins) is in the database and holds across
processes.
"""

from __future__ import annotations

import time

from litestar import Request
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.types import ASGIApp, Message, Middleware, Receive, Scope, Send
from sqlalchemy import Executable, Integer, bindparam, case, delete
from sqlalchemy.dialects import postgresql, sqlite

from services.gateway.models import RateLimitWindow
from shared.db import Database

WINDOW_SECONDS = 60
_PURGE_EVERY_SECONDS = 300
# The most requests a process reserves at once in a caller's window, and the share of what is left.
MAX_LEASE = 50
_LEASE_SHARE = 100


def _sign_in_address(request: Request) -> str:
    return f"sign-in:{get_remote_address(request)}"


class FixedWindows:
    """Requests counted per caller in windows of ``WINDOW_SECONDS``, in the gateway's database."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._next_purge = 0.0
        self._upserts: dict[str, Executable] = {}  # per dialect, built once: it runs on every lease
        # Per caller: [window end, requests of the lease not yet served, the window's count in the database].
        self._leases: dict[str, list[int]] = {}

    def _upsert(self, dialect: str) -> Executable:
        """Open the caller's window, or count ``size`` more in it (a new one when it has lapsed)."""
        if dialect not in self._upserts:
            table = RateLimitWindow.__table__
            insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
            now, new_end, size = bindparam("now"), bindparam("new_end"), bindparam("size", type_=Integer)
            lapsed = table.c.window_end <= now
            self._upserts[dialect] = insert.values(
                caller=bindparam("caller"), window_end=new_end, requests=size).on_conflict_do_update(
                index_elements=[table.c.caller],
                set_={"window_end": case((lapsed, new_end), else_=table.c.window_end),
                      "requests": case((lapsed, size), else_=table.c.requests + size)},
            ).returning(table.c.window_end, table.c.requests)
        return self._upserts[dialect]

    async def count(self, database: Database, caller: str) -> tuple[int, int]:
        """Count a request: the requests left in the caller's window (below 0 when over the quota) and
        the window's end (epoch seconds)."""
        now = int(time.time())
        lease = self._leases.get(caller)
        if lease is not None and lease[0] > now and lease[1] > 0:
            # Served from this process's lease: the database already counts it.
            lease[1] -= 1
            return self.limit - lease[2] + lease[1], lease[0]
        size = 1 if lease is None or lease[0] <= now else \
            max(1, min(MAX_LEASE, (self.limit - lease[2]) // _LEASE_SHARE))
        statement = self._upsert(database.engine.dialect.name)
        async with database.transaction() as session:
            if time.monotonic() >= self._next_purge:
                self._next_purge = time.monotonic() + _PURGE_EVERY_SECONDS
                await session.execute(delete(RateLimitWindow).where(RateLimitWindow.window_end <= now))
                # equivalent mutant: > → >= — a lease ending now is never served again: count() asks lease[0] > now
                self._leases = {held: kept for held, kept in self._leases.items() if kept[0] > now}
            window_end, requests = (await session.execute(
                statement, {"caller": caller, "now": now, "new_end": now + WINDOW_SECONDS, "size": size})).one()
        # Of the reserved requests, those within the quota are this one and the lease kept for later.
        granted = min(size, self.limit - (requests - size))
        if granted <= 0:
            return self.limit - requests, window_end
        held = self._leases.get(caller)
        if held is not None and held[0] == window_end:  # another request of this caller reserved too
            held[1], held[2] = held[1] + granted - 1, max(held[2], requests)
        else:
            self._leases[caller] = [window_end, granted - 1, requests]
        kept = self._leases[caller]
        return self.limit - kept[2] + kept[1], window_end

    def headers(self, remaining: int, window_end: int) -> dict[str, str]:
        """The IETF draft's RateLimit headers, named and valued as Litestar's middleware sends them."""
        return {"RateLimit-Policy": f"{self.limit}; w={WINDOW_SECONDS}", "RateLimit-Limit": str(self.limit),
                "RateLimit-Remaining": str(max(remaining, 0)),
                "RateLimit-Reset": str(window_end - int(time.time()))}


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
        counted = await self.windows.count(scope["app"].state.database, caller)
        if counted[0] < 0:
            raise TooManyRequestsException(headers=self.windows.headers(*counted))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      *((name.lower().encode("latin-1"), value.encode("latin-1"))
                                        for name, value in self.windows.headers(*counted).items())]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def api_rate_limit(per_minute: int) -> Middleware:
    """One set of windows per app, shared by all the API router's routes (and, through the database,
    by every gateway process)."""
    return DefineMiddleware(CallerRateLimitMiddleware, windows=FixedWindows(per_minute))


def _is_attempt(request: Request) -> bool:
    # The console's sign-in form shares the route; showing it is not an attempt.
    return request.method == "POST"


def _answer_address(request: Request) -> str:
    return f"answer-link:{get_remote_address(request)}"


def answer_link_rate_limit(per_minute: int) -> Middleware:
    """The experts' one-time answer page (/answer): every request counts, per address, so that nobody
    tries tokens faster than a person answers an invitation."""
    return RateLimitConfig(rate_limit=("minute", per_minute), identifier_for_request=_answer_address,
                           store="answer_link_rate_limit").middleware


def sign_in_rate_limit(per_minute: int) -> Middleware:
    """One count per address for the API's and the console's sign-in together (the same store)."""
    return RateLimitConfig(rate_limit=("minute", per_minute), identifier_for_request=_sign_in_address,
                           store="sign_in_rate_limit", check_throttle_handler=_is_attempt).middleware


def _application_address(request: Request) -> str:
    return f"application:{get_remote_address(request)}"


def application_rate_limit(per_minute: int) -> Middleware:
    """The public application page's calls (submit, status), counted per client address."""
    return RateLimitConfig(rate_limit=("minute", per_minute), identifier_for_request=_application_address,
                           store="application_rate_limit").middleware
