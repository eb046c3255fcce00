"""The gateway's calls to services: slow, broken and absent upstreams become typed problems."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.gateway.edge.routing import service_for
from services.gateway.edge.upstream import KEEPALIVE_SECONDS, Upstreams
from shared.errors import BadGateway, GatewayTimeout, ServiceUnavailable
from shared.identity import IdentityIssuer
from tests.support.ports import free_port


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    request_line = await reader.readline()
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    if b"/slow" in request_line:
        await asyncio.sleep(5)
    writer.write(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
    await writer.drain()
    writer.close()


@pytest.fixture
async def misbehaving_server() -> AsyncIterator[str]:
    """Answers 500 at once, or hangs on /slow; bound to loopback and closed after the test."""
    server = await asyncio.start_server(_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


def upstreams_at(url: str) -> Upstreams:
    return Upstreams({"experts": [url]}, IdentityIssuer(Ed25519PrivateKey.generate()),
                     connect_timeout=0.5, read_timeout=0.3)


async def test_a_slow_service_is_a_504(misbehaving_server: str) -> None:
    upstreams = upstreams_at(misbehaving_server)
    with pytest.raises(GatewayTimeout, match="experts"):
        await upstreams.request("experts", "GET", "/slow", identity=None)
    await upstreams.close()


async def test_a_failing_service_is_a_502(misbehaving_server: str) -> None:
    upstreams = upstreams_at(misbehaving_server)
    with pytest.raises(BadGateway):
        await upstreams.request("experts", "GET", "/anything", identity=None)
    await upstreams.close()


async def test_an_absent_service_is_a_503() -> None:
    upstreams = upstreams_at(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ServiceUnavailable, match="not reachable"):
        await upstreams.request("experts", "GET", "/api/v1/experts", identity=None)
    assert await upstreams.is_ready("experts") is False
    await upstreams.close()


@pytest.mark.parametrize(("path", "service"), [
    ("/experts", "experts"), ("/experts/E00001", "experts"), ("/fields", "experts"),
    ("/draws/abc/reveal", "experts"), ("/projects/PY-1/panels", "experts"), ("/spot-checks", "experts"),
    ("/vendors/91330326MA2CT8U6X0/ratings", "vendors"), ("/projects/PY-1/engagements", "vendors"),
    ("/projects/PY-1/lots/L1/conflict-checks", "vendors"), ("/exclusions", "vendors"),
    ("/ratings/7/comment", "vendors"), ("/conflict-checks/9", "vendors"), ("/projects/PY-1/barred-list", "vendors"),
    ("/public-ratings", "vendors"), ("/ratings", "vendors"), ("/ratingsx", None),
    ("/expertsx", None), ("/nothing", None), ("/projects/PY-1", None),
])
def test_each_path_goes_to_the_service_that_owns_it(path: str, service: str | None) -> None:
    assert service_for(path) == service


async def test_the_proxys_relay_maps_failures_like_request(misbehaving_server: str) -> None:
    upstreams = upstreams_at(misbehaving_server)
    with pytest.raises(GatewayTimeout, match="experts"):
        await upstreams.relay("experts", "GET", "/slow", identity=None)
    with pytest.raises(BadGateway):
        await upstreams.relay("experts", "GET", "/anything", identity=None)
    await upstreams.close()
    absent = upstreams_at(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ServiceUnavailable, match="not reachable"):
        await absent.relay("experts", "GET", "/api/v1/experts", identity=None)
    await absent.close()


async def test_the_relay_sends_the_path_encoded_the_query_and_the_body() -> None:
    seen: list[bytes] = []

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        seen.append(head + await reader.readexactly(length))
        writer.write(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\nETag: \"v1\"\r\n"
                     b"content-length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    upstreams = upstreams_at(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    try:
        answer = await upstreams.relay("experts", "POST", "/api/v1/experts/专家 1%", identity=None,
                                       params=[("q", "a b"), ("q", "c&d")], content=b'{"x":1}',
                                       headers={"content-type": "application/json"})
    finally:
        await upstreams.close()
        server.close()
        await server.wait_closed()
    assert (answer.status_code, answer.content, answer.headers["etag"]) == (201, b"{}", '"v1"')
    request_line, *header_lines = seen[0].split(b"\r\n\r\n")[0].split(b"\r\n")
    assert request_line == (b"POST /api/v1/experts/%E4%B8%93%E5%AE%B6%201%25?q=a%20b&q=c%26d HTTP/1.1")
    headers = dict(line.lower().split(b": ", 1) for line in header_lines)
    assert headers[b"content-length"] == b"7" and headers[b"content-type"] == b"application/json"
    assert headers[b"host"].startswith(b"127.0.0.1:") and b"x-request-id" in headers
    assert seen[0].endswith(b'{"x":1}')


async def test_an_idle_connection_is_retired_before_the_service_would_close_it() -> None:
    """A connection idle for longer than KEEPALIVE_SECONDS is not reused: a service's uvicorn closes
    idle connections after its keep-alive timeout, and a POST sent just as it does gets no answer."""
    assert uvicorn.Config(app=None).timeout_keep_alive - 2 > KEEPALIVE_SECONDS  # a margin for a busy machine
    connections: list[int] = []

    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer.get_extra_info("peername")[1])
        try:
            while True:  # one request after another on the same connection, until the client leaves
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(keep_alive, "127.0.0.1", 0)
    upstreams = upstreams_at(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    try:
        for pause in (0, 0.1, KEEPALIVE_SECONDS + 0.5):
            await asyncio.sleep(pause)
            answer = await upstreams.relay("experts", "POST", "/api/v1/x", identity=None, content=b"{}")
            assert answer.status_code == 201
    finally:
        await upstreams.close()
        server.close()
        await server.wait_closed()
    assert len(connections) == 2  # the second request reused the first connection; the third did not


async def test_the_relay_reuses_its_connections_under_concurrent_calls() -> None:
    connections: list[int] = []

    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer.get_extra_info("peername")[1])
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(0.01)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(keep_alive, "127.0.0.1", 0)
    upstreams = upstreams_at(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    try:
        for _ in range(3):  # three waves of 30 callers at once
            answers = await asyncio.gather(*(upstreams.relay("experts", "GET", "/api/v1/fields", identity=None)
                                             for _ in range(30)))
            assert [answer.content for answer in answers] == [b"{}"] * 30
    finally:
        await upstreams.close()
        server.close()
        await server.wait_closed()
    assert len(connections) <= 30  # the later waves went over the first wave's connections
