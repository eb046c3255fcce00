"""The per-address sign-in limit against a real uvicorn gateway: ``X-Forwarded-For`` counts only from a
peer in ``SORTES_TRUSTED_PROXIES``, and then only its rightmost untrusted hop; uvicorn's own proxy
headers (which trust 127.0.0.1 by default) cannot rewrite the peer first.

The gateway here trusts 127.0.0.2 alone: calls made from 127.0.0.1 are an untrusted client's, calls
made from 127.0.0.2 are the proxy's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sortes_cli.local_system import LocalSystem
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e
PROXY = "127.0.0.2"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """The gateway alone (sign-in needs neither service), with the default limit of 10 a minute."""
    data_dir: Path = tmp_path_factory.mktemp("sign-in-addresses")
    system = LocalSystem(data_dir=data_dir, log_dir=data_dir / "logs",
                         ports={name: free_port() for name in ("gateway", "experts", "vendors")},
                         extra_env={"SORTES_TRUSTED_PROXIES": PROXY})
    system.prepare()
    try:
        system.start(services=("gateway",))
        yield system
    finally:
        system.stop()


def client(system: LocalSystem, source: str) -> httpx.Client:
    return httpx.Client(base_url=system.url(), timeout=10,
                        transport=httpx.HTTPTransport(local_address=source))


def sign_in(http: httpx.Client, username: str, password: str, forwarded_for: str | None = None,
            proto: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    if proto:
        headers["X-Forwarded-Proto"] = proto
    return http.post("/api/v1/auth/sign-in", json={"username": username, "password": password}, headers=headers)


def test_a_changing_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(gateway: LocalSystem) -> None:
    with client(gateway, "127.0.0.1") as http:
        statuses = [sign_in(http, "lin", "wrong-password", f"203.0.113.{n}").status_code for n in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_behind_the_trusted_proxy_each_client_is_counted_by_its_rightmost_untrusted_hop(
        gateway: LocalSystem) -> None:
    with client(gateway, PROXY) as http:
        # The client writes its own X-Forwarded-For (the left part); the proxy appends the address it saw.
        statuses = [sign_in(http, "lin", "wrong-password", f"198.51.100.{n}, 192.0.2.10, {PROXY}").status_code
                    for n in range(12)]
        other_client = sign_in(http, "lin", "wrong-password", "192.0.2.11").status_code
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    assert other_client == 401  # its own count


def test_only_the_trusted_proxy_says_the_client_came_over_https(gateway: LocalSystem) -> None:
    with client(gateway, "127.0.0.1") as http:
        direct = http.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    with client(gateway, PROXY) as http:
        proxied = http.get("/healthz", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.12"})
    assert "strict-transport-security" not in direct.headers  # what makes the session cookie Secure too
    assert "strict-transport-security" in proxied.headers
