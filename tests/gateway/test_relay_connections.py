"""The proxy's own HTTP/1.1 connections to the services (edge/relay_connections.py): answers read whole
however they are framed, connections kept only while the service keeps them, timeouts as promised, and
the same behaviour on uvloop, which the gateway runs on, as on asyncio's own loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
import uvloop

from services.gateway.edge.relay_connections import RelayConnections, RelayTimeout, RelayUnreachable

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
TIMEOUTS = {"connect_seconds": 1.0, "read_seconds": 0.3, "pool_seconds": 0.3}


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[tuple[tuple[str, str, int], list[int]]]:
    """A loopback server running ``handler`` per connection; its origin and the client ports it saw."""
    ports: list[int] = []

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ports.append(writer.get_extra_info("peername")[1])
        try:
            await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(counted, "127.0.0.1", 0)
    try:
        yield ("http", "127.0.0.1", server.sockets[0].getsockname()[1]), ports
    finally:
        server.close()
        await server.wait_closed()


async def get(connections: RelayConnections, origin: tuple[str, str, int], method: str = "GET",
              content: bytes = b"", **timeouts: float) -> tuple[int, dict[bytes, bytes], bytes]:
    status, headers, body = await connections.request(origin, method, b"/api/v1/x", [(b"host", b"service")],
                                                      content, **{**TIMEOUTS, **timeouts})
    return status, dict(headers), body


async def answering(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answer: bytes) -> None:
    """Answer every request on the connection with ``answer``, until the client leaves."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        await reader.readexactly(length)
        writer.write(answer)
        await writer.drain()


async def test_a_chunked_answer_is_read_whole_and_its_connection_kept() -> None:
    chunked = (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/csv\r\n\r\n"
               b"4\r\n\xe4\xb8\x93\xe5\r\n5\r\n\xae\xb6,1\n\r\n0\r\n\r\n")
    async with serving(lambda reader, writer: answering(reader, writer, chunked)) as (origin, ports):
        connections = RelayConnections(10, 2.0)
        first = await get(connections, origin)
        second = await get(connections, origin, "POST", b"{}")
        await connections.aclose()
    assert first == second == (200, {b"transfer-encoding": b"chunked", b"content-type": b"text/csv"},
                               "专家,1\n".encode())
    assert len(ports) == 1


async def test_an_answer_that_closes_its_connection_is_not_reused() -> None:
    closing = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}"

    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(closing)
        await writer.drain()

    async with serving(once) as (origin, ports):
        connections = RelayConnections(10, 2.0)
        answers = [await get(connections, origin, "POST", b"{}") for _ in range(3)]
        await connections.aclose()
    assert [answer[2] for answer in answers] == [b"{}"] * 3 and len(ports) == 3


async def test_a_connection_the_service_closed_while_idle_is_not_used_for_the_next_request() -> None:
    """A POST is never sent twice: it must not go out on a connection the service has closed."""
    async def answer_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}")
        await writer.drain()
        await asyncio.sleep(0.05)  # then closes, as uvicorn does after its keep-alive timeout

    async with serving(answer_then_hang_up) as (origin, ports):
        connections = RelayConnections(10, 2.0)
        await get(connections, origin, "POST", b"{}")
        await asyncio.sleep(0.3)
        status, _, body = await get(connections, origin, "POST", b"{}")
        await connections.aclose()
    assert (status, body, len(ports)) == (201, b"{}", 2)


async def test_a_service_that_answers_slowly_but_steadily_is_waited_for() -> None:
    """The read timeout bounds each silence, not the whole answer (as httpx's does)."""
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for _ in range(5):  # 1 s in all, never quiet for 0.3 s
            await asyncio.sleep(0.2)
            writer.write(b"1\r\nx\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        await reader.read()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\r\n")
        await writer.drain()
        await asyncio.sleep(2)

    connections = RelayConnections(10, 2.0)
    async with serving(trickle) as (origin, _):
        assert (await get(connections, origin))[2] == b"xxxxx"
    async with serving(silent) as (origin, _):
        with pytest.raises(RelayTimeout):
            await get(connections, origin)
    await connections.aclose()


async def test_no_more_than_the_limit_are_in_use_and_a_caller_waits_only_so_long() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(0.5)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
        await writer.drain()
        await reader.read()

    async with serving(slow) as (origin, ports):
        connections = RelayConnections(1, 2.0)
        answered = asyncio.create_task(get(connections, origin, read_seconds=2.0))
        await asyncio.sleep(0.05)
        with pytest.raises(RelayTimeout, match="came free"):
            await get(connections, origin, read_seconds=2.0, pool_seconds=0.1)
        assert (await answered)[2] == b"{}"
        await connections.aclose()
    assert len(ports) == 1


async def test_an_absent_service_a_garbled_answer_and_a_hang_up_are_unreachable() -> None:
    connections = RelayConnections(10, 2.0)
    async with serving(lambda reader, writer: answering(reader, writer, b"HTTP/1.1 200 OK\r\n\r\n")) as (origin, _):
        pass  # the port is closed again: nothing listens there now
    with pytest.raises(RelayUnreachable):
        await get(connections, origin)

    async def garbled(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()
        await reader.read()

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf")

    for handler in (garbled, hang_up):
        async with serving(handler) as (origin, _):
            with pytest.raises(RelayUnreachable):
                await get(connections, origin)
    await connections.aclose()


async def test_a_header_that_would_split_the_request_is_refused() -> None:
    connections = RelayConnections(10, 2.0)
    for header in ((b"x-request-id", b"a\r\nx-sortes-identity: forged"), (b"x-a\nb", b"1")):
        with pytest.raises(ValueError, match="line break"):
            await connections.request(("http", "127.0.0.1", 9), "GET", b"/", [header], b"", **TIMEOUTS)


def test_the_relay_works_on_uvloop_as_the_gateway_runs_it() -> None:
    async def exchange() -> list[bytes]:
        ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"
        async with serving(lambda reader, writer: answering(reader, writer, ok)) as (origin, ports):
            connections = RelayConnections(10, 2.0)
            bodies = [(await get(connections, origin))[2] for _ in range(3)]
            await connections.aclose()
        return [*bodies, str(len(ports)).encode()]

    assert uvloop.run(exchange()) == [b"{}", b"{}", b"{}", b"1"]
