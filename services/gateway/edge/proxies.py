"""Who the client is: the direct peer, or what ``X-Forwarded-For`` says only when that peer is one of
``SORTES_TRUSTED_PROXIES`` (addresses or networks; none by default).

The gateway works this out itself, so uvicorn runs with its own proxy headers off (``--no-proxy-headers``
wherever sortes starts it): otherwise uvicorn would have already replaced the peer with whatever a
caller wrote in the header. Behind a trusted proxy, the client is the rightmost hop of
``X-Forwarded-For`` that is not itself a trusted proxy (the hops to its left are the caller's own
words), and ``X-Forwarded-Proto`` says whether the proxy was reached over HTTPS (Secure cookies, HSTS).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Middleware, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HOP_LENGTH = 64  # an unparsable hop (a proxy's "unknown") is kept, short, as the client's name


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``SORTES_TRUSTED_PROXIES`` read: each entry an address or a network in CIDR notation."""
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"SORTES_TRUSTED_PROXIES: {entry.strip()!r} is neither an address nor a "
                             f"network (e.g. 127.0.0.1, 10.0.0.0/8)") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(text: str | None, trusted: Sequence[Network]) -> bool:
    address = _address(text) if text else None
    return address is not None and any(address in network for network in trusted)


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str | None:
    """The client's address: ``peer`` unless it is a trusted proxy; then the rightmost untrusted hop."""
    if not is_trusted(peer, trusted):
        return peer
    client = peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return hop[:MAX_HOP_LENGTH]
        client = str(address)
        if not any(address in network for network in trusted):
            return client
    return client  # every hop a trusted proxy: the first of them


class TrustedProxiesMiddleware:
    """Puts the client's address (and, behind a trusted proxy, its scheme) into the ASGI scope, before
    anything reads them: the per-address sign-in limit, the open routes' quota, cookies' Secure flag."""

    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...]) -> None:
        self.app, self.trusted = app, trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            peer = scope.get("client")
            if peer is not None and is_trusted(peer[0], self.trusted):
                headers = scope["headers"]
                forwarded = [value.decode("latin-1") for name, value in headers if name == b"x-forwarded-for"]
                scope["client"] = (client_address(peer[0], forwarded, self.trusted) or peer[0], peer[1])
                protos = [value.decode("latin-1") for name, value in headers if name == b"x-forwarded-proto"]
                proto = protos[-1].rsplit(",", 1)[-1].strip().lower() if protos else ""
                if proto in ("http", "https"):
                    scope["scheme"] = proto
        await self.app(scope, receive, send)


def trusted_proxies(trusted: tuple[Network, ...]) -> Middleware:
    return DefineMiddleware(TrustedProxiesMiddleware, trusted=trusted)
