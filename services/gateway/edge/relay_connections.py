"""The proxy's HTTP/1.1 connections to the service instances: kept alive, at most so many in use at once.

A forwarded request needs only this: write the request, read the whole answer, keep the connection for
the next one. httpcore did it through anyio streams and h11, a pure-Python parser, which under a steady
load cost more CPU than the forwarding itself. Here each connection is an asyncio protocol whose
answers are parsed by httptools (llhttp, the parser uvicorn itself serves with); a connection the
service closes is known to be closed when it happens (``connection_lost``), so taking an idle one costs
no system call.

Only the methods the proxy forwards are sent (GET, POST, PUT, PATCH, DELETE): the answer to a HEAD has
no body whatever its length says, which the parser cannot be told.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from typing import cast

import httptools

# Methods whose request always says how long its body is (as httpx does), and those the relay sends.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
RELAYED_METHODS = frozenset({"GET", "DELETE"}) | BODY_METHODS
_FORBIDDEN_IN_HEADERS = (b"\r", b"\n", b"\0")

Origin = tuple[str, str, int]  # scheme, host, port


class RelayTimeout(Exception):
    """No connection came free, none could be opened, or the service went quiet, within its timeout."""


class RelayUnreachable(Exception):
    """The service could not be reached, or closed the connection before its answer was whole."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one exchange at a time, its answer parsed as it arrives."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_until = 0.0
        self._answer: asyncio.Future[tuple[int, list[tuple[bytes, bytes]], bytes, bool]] | None = None
        self._parser: httptools.HttpResponseParser | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._quiet_limit: asyncio.Timeout | None = None
        self._read_seconds = 0.0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not its subclasses

    def data_received(self, data: bytes) -> None:
        if self._parser is None or self._answer is None or self._answer.done():
            self.close()  # nothing was asked: a service does not speak first
            return
        if self._quiet_limit is not None:
            self._quiet_limit.reschedule(asyncio.get_running_loop().time() + self._read_seconds)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(RelayUnreachable(f"the service's answer could not be read: {type(error).__name__}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(RelayUnreachable("the service closed the connection before its answer was whole"))

    # httptools' callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        parser, answer = self._parser, self._answer
        assert parser is not None and answer is not None
        if not answer.done():
            answer.set_result((parser.get_status_code(), self._headers, b"".join(self._body),
                               parser.should_keep_alive()))

    # The exchange
    async def exchange(self, head: bytes, content: bytes, read_seconds: float) -> tuple[
            int, list[tuple[bytes, bytes]], bytes, bool]:
        """Send one request; its answer: status, headers, body, and whether the connection may be kept.
        The service may stay quiet for at most ``read_seconds`` at a time."""
        assert self.transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self._parser = httptools.HttpResponseParser(self)
        self._headers, self._body, self._read_seconds = [], [], read_seconds
        self.transport.write(head + content)
        try:
            async with asyncio.timeout(read_seconds) as self._quiet_limit:
                return await self._answer
        except TimeoutError:
            raise RelayTimeout("the service did not answer in time") from None
        finally:
            self._quiet_limit = None
            self._parser = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _fail(self, error: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)
        self.close()


class RelayConnections:
    """Keep-alive HTTP/1.1 connections to the service instances, at most ``limit`` in use at once: an idle
    one is reused (the most recent first, unless the service closed it or it is past ``keepalive_seconds``
    of idling), otherwise a new one is opened; a connection whose answer came whole goes back idle."""

    def __init__(self, limit: int, keepalive_seconds: float) -> None:
        self._limit, self._keepalive = limit, keepalive_seconds
        self._slots: asyncio.Semaphore | None = None  # made on first use, on the serving event loop
        self._idle: dict[Origin, list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    async def request(self, origin: Origin, method: str, target: bytes, headers: Sequence[tuple[bytes, bytes]],
                      content: bytes, *, connect_seconds: float, read_seconds: float,
                      pool_seconds: float) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """``method`` ``target`` with ``headers`` (the Host header among them) and ``content`` sent to
        ``origin``; the answer's status, headers and body."""
        head = _request_head(method, target, headers, content)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._limit)
        try:
            async with asyncio.timeout(pool_seconds):
                await self._slots.acquire()
        except TimeoutError:
            raise RelayTimeout("no connection to the service came free in time") from None
        try:
            connection = self._idle_connection(origin) or await self._open(origin, connect_seconds)
            try:
                status, answer_headers, body, keep = await connection.exchange(head, content, read_seconds)
            except BaseException:
                connection.close()
                raise
            if keep and not connection.closed:
                connection.idle_until = asyncio.get_running_loop().time() + self._keepalive
                self._idle.setdefault(origin, []).append(connection)
            else:
                connection.close()
            return status, answer_headers, body
        finally:
            self._slots.release()

    def _idle_connection(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = asyncio.get_running_loop().time()
        while idle:
            connection = idle.pop()
            if not connection.closed and now < connection.idle_until:
                return connection
            connection.close()
        return None

    async def _open(self, origin: Origin, connect_seconds: float) -> _Connection:
        scheme, host, port = origin
        if scheme == "https" and self._tls is None:
            self._tls = ssl.create_default_context()
        try:
            async with asyncio.timeout(connect_seconds):
                _, connection = await asyncio.get_running_loop().create_connection(
                    _Connection, host, port, ssl=self._tls if scheme == "https" else None)
        except TimeoutError:
            raise RelayTimeout("the service could not be reached in time") from None
        except OSError as error:
            raise RelayUnreachable(f"the service could not be reached: {type(error).__name__}") from None
        return connection

    async def aclose(self) -> None:
        for idle in self._idle.values():
            while idle:
                idle.pop().close()


def _request_head(method: str, target: bytes, headers: Sequence[tuple[bytes, bytes]], content: bytes) -> bytes:
    if method not in RELAYED_METHODS:
        raise ValueError(f"the relay does not send {method} requests")
    lines = [method.encode("ascii") + b" " + target + b" HTTP/1.1"]
    for name, value in headers:
        if any(forbidden in name or forbidden in value for forbidden in _FORBIDDEN_IN_HEADERS):
            raise ValueError("a header to relay holds a line break or a NUL")
        lines.append(name + b": " + value)
    if content or method in BODY_METHODS:
        lines.append(b"content-length: " + str(len(content)).encode("ascii"))
    return b"\r\n".join(lines) + b"\r\n\r\n"
