"""Sign-in that cannot be probed: an unknown name costs what a known one does and answers alike, and a
locked or disabled account tells nothing to a caller without its password; the client's address is
taken from X-Forwarded-For only behind a trusted proxy (tests/e2e/test_sign_in_addresses.py drives it
through uvicorn)."""

from __future__ import annotations

import statistics
import time

import pytest

from services.gateway.edge.proxies import client_address, trusted_networks
from tests.gateway.test_accounts import ADMIN, PASSWORD, add_user, sign_in
from tests.gateway.test_console_sessions import sign_in as sign_in_on_the_form


async def timed_sign_in(client, username: str, password: str) -> tuple[float, bytes, int]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    response = await sign_in(client, username, password)
    return time.perf_counter() - started, response.content, response.status_code


async def test_an_unknown_name_costs_what_a_known_one_does_and_answers_the_same(gateway_client) -> None:
    await add_user(gateway_client, "wang", "auditor")
    known, unknown = [], []
    for n in range(5):  # interleaved, so that a busy moment of the machine falls on both
        known.append(await timed_sign_in(gateway_client, "wang", f"not-the-password-{n}"))
        unknown.append(await timed_sign_in(gateway_client, f"nobody-{n}", f"not-the-password-{n}"))
    known_median = statistics.median(seconds for seconds, *_ in known)
    unknown_median = statistics.median(seconds for seconds, *_ in unknown)
    assert 0.5 <= known_median / unknown_median <= 2.0, (known_median, unknown_median)
    # Three failures locked "wang" along the way (the fixture's limit): still the same answer, byte for byte.
    assert {status for _, _, status in known + unknown} == {401}
    assert len({body for _, body, _ in known + unknown}) == 1


async def test_a_locked_account_answers_a_wrong_password_as_an_unknown_name_does(gateway_client) -> None:
    await add_user(gateway_client, "zhao", "supervisor")
    answers = [await sign_in(gateway_client, "zhao", "guess-guess-guess") for _ in range(4)]  # locks at 3
    unknown = await sign_in(gateway_client, "no-such-user", "guess-guess-guess")
    assert [answer.status_code for answer in answers] == [401] * 4
    assert {answer.content for answer in answers} == {unknown.content}
    # Whoever gives the right password may learn why it is refused.
    assert (await sign_in(gateway_client, "zhao")).status_code == 423


async def test_a_disabled_account_answers_as_an_unknown_name_does(gateway_client) -> None:
    await add_user(gateway_client, "qian", "auditor")
    disabled = await gateway_client.patch("/api/v1/users/qian", json={"disabled": True}, headers=ADMIN)
    assert disabled.status_code == 200
    right_password = await sign_in(gateway_client, "qian", PASSWORD)
    unknown = await sign_in(gateway_client, "no-such-user", PASSWORD)
    assert right_password.status_code == unknown.status_code == 401
    assert right_password.content == unknown.content


async def test_the_form_answers_a_locked_account_as_an_unknown_name_too(gateway_client) -> None:
    await add_user(gateway_client, "lin", "auditor")
    for _ in range(3):
        await sign_in(gateway_client, "lin", "guess-guess-guess")
    wrong = await sign_in_on_the_form(gateway_client, "lin", "guess-guess-guess")
    unknown = await sign_in_on_the_form(gateway_client, "nobody", "guess-guess-guess")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误。" in wrong.text and "账户已锁定" not in wrong.text
    assert (await sign_in_on_the_form(gateway_client, "lin", PASSWORD)).status_code == 423


TRUSTED = trusted_networks(["10.0.0.5", "192.168.0.0/16"])


@pytest.mark.parametrize(("peer", "forwarded_for", "client"), [
    ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # not a trusted proxy: its header is ignored
    ("10.0.0.5", ["198.51.100.1"], "198.51.100.1"),
    ("10.0.0.5", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # the client's own words are to the left
    ("10.0.0.5", ["6.6.6.6", "198.51.100.1, 192.168.3.4"], "198.51.100.1"),  # through two trusted hops
    ("10.0.0.5", [], "10.0.0.5"),
    ("10.0.0.5", ["192.168.1.1"], "192.168.1.1"),  # every hop trusted: the first of them
    ("::ffff:10.0.0.5", ["198.51.100.1"], "198.51.100.1"),
    ("10.0.0.5", ["unknown"], "unknown"),
])
def test_the_client_is_the_rightmost_untrusted_hop(peer: str, forwarded_for: list[str], client: str) -> None:
    assert client_address(peer, forwarded_for, TRUSTED) == client


def test_a_trusted_proxy_that_is_no_address_stops_the_gateway() -> None:
    with pytest.raises(ValueError, match="SORTES_TRUSTED_PROXIES"):
        trusted_networks(["proxy.local"])
