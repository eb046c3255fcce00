"""Where a webhook may be delivered: only public addresses, unless ``SORTES_WEBHOOK_ALLOW_PRIVATE=true``.

A subscriber names a URL; were it loopback, link-local (the cloud metadata address 169.254.169.254),
private, multicast or otherwise not public, the gateway would be made to call its own network and,
through the deliveries' status, report what answered there. The URL is checked when subscribing and
again at each delivery on the addresses its host then resolves to (a name may be re-pointed after
subscribing), and the delivery then connects to the very address that was checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
RESOLVE_SECONDS = 5.0


class TargetRefused(Exception):
    """A webhook URL whose host is, or resolves to, an address that is not public."""


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to now (the system's resolver, off the event loop)."""
    lookup = asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    try:
        infos = await asyncio.wait_for(lookup, RESOLVE_SECONDS)
    except TimeoutError:
        raise OSError(f"{host} did not resolve within {RESOLVE_SECONDS} s") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_problem(address: Address) -> str | None:
    """Why a webhook may not be delivered to ``address``; None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, test in (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
                       ("link-local", address.is_link_local), ("multicast", address.is_multicast),
                       ("private", address.is_private), ("reserved", address.is_reserved),
                       ("not public", not address.is_global)):
        if test:
            article = "an" if kind[0] in "aeiou" else "a"
            return f"{address} is not public" if kind == "not public" else f"{address} is {article} {kind} address"
    return None


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _parsed(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise TargetRefused("the URL cannot be read") from None
    if not parsed.host:
        raise TargetRefused("the URL names no host")
    return parsed


@dataclass(frozen=True)
class WebhookTargets:
    allow_private: bool = False
    resolver: Resolver = resolve

    async def check(self, url: str) -> None:
        """At subscription: refuse a URL whose host is, or now resolves to, an address that is not public.
        A name that does not resolve yet is accepted: each delivery checks it again."""
        if self.allow_private:
            return
        parsed = _parsed(url)
        try:
            await self.addresses(parsed)
        except OSError:
            return

    async def addresses(self, url: httpx.URL) -> list[str]:
        """The addresses ``url``'s host has now; TargetRefused if any of them is not public (unless
        private ones are allowed)."""
        literal = _literal(url.host)
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = [str(literal)] if literal is not None else await self.resolver(url.host, port)
        for text in [] if self.allow_private else addresses:
            problem = address_problem(ipaddress.ip_address(text.split("%", 1)[0]))
            if problem:
                raise TargetRefused(f"{url.host} resolves to {text}, which is not public ({problem})"
                                    if literal is None else problem)
        if not addresses:
            raise OSError(f"{url.host} resolves to no address")
        return addresses

    async def pinned(self, url: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """At delivery: the URL to send to with its host replaced by the checked address, the Host header
        and the TLS server name that keep the request addressed to the name. TargetRefused when an
        address is not public, OSError when the name does not resolve."""
        parsed = _parsed(url)
        address = (await self.addresses(parsed))[0]
        host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
        host_header = host if parsed.port is None else f"{host}:{parsed.port}"
        extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
        return str(parsed.copy_with(host=address)), {"host": host_header}, extensions
