"""Quotas: per caller on the API, per address on sign-in; 429 with Retry-After beyond them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.gateway.edge import rate_limits
from services.gateway.models import RateLimitWindow
from tests.conftest import ADMIN_API_KEY
from tests.experts.helpers import direct_database

ADMIN = {"Authorization": f"Bearer {ADMIN_API_KEY}"}


async def test_a_caller_beyond_its_quota_gets_429_with_retry_after(gateway_client) -> None:
    statuses = [(await gateway_client.get("/api/v1/units", headers=ADMIN)).status_code for _ in range(40)]
    assert statuses == [200] * 40  # the fixture's quota is 40 a minute: the 41st is refused, not the 42nd
    refused = await gateway_client.get("/api/v1/units", headers=ADMIN)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_another_caller_keeps_its_own_quota(gateway_client) -> None:
    created = await gateway_client.post("/api/v1/api-keys", headers=ADMIN, json={
        "name": "other", "roles": ["auditor"], "unit_uscc": "11330326862981311N"})
    other = {"Authorization": f"Bearer {created.json()['value']}"}
    for _ in range(41):
        await gateway_client.get("/api/v1/units", headers=ADMIN)
    assert (await gateway_client.get("/api/v1/units", headers=other)).status_code == 200


async def test_sign_in_attempts_are_limited_per_address(gateway_client) -> None:
    statuses = [(await gateway_client.post("/api/v1/auth/sign-in", json={"username": f"u{n}", "password": "x"})
                 ).status_code for n in range(13)]
    assert statuses[:12] == [401] * 12 and statuses[12] == 429


async def test_answers_within_the_quota_carry_the_ratelimit_headers(gateway_client) -> None:
    first = await gateway_client.get("/api/v1/units", headers=ADMIN)
    second = await gateway_client.get("/api/v1/units", headers=ADMIN)
    assert first.headers["ratelimit-limit"] == "40" and first.headers["ratelimit-policy"] == "40; w=60"
    assert (first.headers["ratelimit-remaining"], second.headers["ratelimit-remaining"]) == ("39", "38")
    assert 0 < int(second.headers["ratelimit-reset"]) <= 60


class Clock:
    """The rate limiter's clock, moved by hand: wall time for windows, monotonic time for housekeeping."""

    def __init__(self, now: int) -> None:
        self.now, self.monotonic_now = now, 1000.0

    def time(self) -> float:
        return float(self.now)

    def monotonic(self) -> float:
        return self.monotonic_now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(1_900_000_000)
    monkeypatch.setattr(rate_limits, "time", clock)
    return clock


async def test_the_window_lasts_exactly_a_minute_from_the_first_request(gateway_client, clock: Clock) -> None:
    opened = clock.now
    assert [(await gateway_client.get("/api/v1/units", headers=ADMIN)).status_code for _ in range(40)] == [200] * 40
    clock.now = opened + 59
    refused = await gateway_client.get("/api/v1/units", headers=ADMIN)
    assert refused.status_code == 429
    assert (refused.headers["ratelimit-remaining"], refused.headers["ratelimit-reset"]) == ("0", "1")
    clock.now = opened + 60  # the window's last second is over: a new window, a full quota
    fresh = [await gateway_client.get("/api/v1/units", headers=ADMIN) for _ in range(2)]
    assert [answer.status_code for answer in fresh] == [200, 200]
    assert [answer.headers["ratelimit-remaining"] for answer in fresh] == ["39", "38"]
    assert fresh[1].headers["ratelimit-reset"] == "60"


async def test_lapsed_windows_are_purged(gateway_client, clock: Clock) -> None:
    created = await gateway_client.post("/api/v1/api-keys", headers=ADMIN, json={
        "name": "other", "roles": ["auditor"], "unit_uscc": "11330326862981311N"})
    other = {"Authorization": f"Bearer {created.json()['value']}"}
    opened = clock.now
    assert (await gateway_client.get("/api/v1/units", headers=other)).status_code == 200
    assert len(await windows(gateway_client)) == 2
    clock.now, clock.monotonic_now = opened + 60, clock.monotonic_now + 301  # both lapsed, housekeeping due
    assert (await gateway_client.get("/api/v1/units", headers=other)).status_code == 200
    assert [caller for caller, _ in await windows(gateway_client)] == [f"caller:apikey:{created.json()['key']['id']}"]


async def test_lapsed_windows_wait_for_the_housekeeping_every_five_minutes(gateway_client, clock: Clock) -> None:
    created = await gateway_client.post("/api/v1/api-keys", headers=ADMIN, json={
        "name": "other", "roles": ["auditor"], "unit_uscc": "11330326862981311N"})
    other = {"Authorization": f"Bearer {created.json()['value']}"}
    opened, started = clock.now, clock.monotonic_now  # the first request above did the housekeeping
    assert (await gateway_client.get("/api/v1/units", headers=other)).status_code == 200
    callers = []
    for monotonic in (started + 299, started + 300):  # both windows lapsed: purged at the five minutes, not before
        clock.now, clock.monotonic_now = opened + 60, monotonic
        assert (await gateway_client.get("/api/v1/units", headers=other)).status_code == 200
        callers.append(len(await windows(gateway_client)))
    assert callers == [2, 1]


async def windows(gateway_client) -> list[tuple[str, int]]:
    async with direct_database(gateway_client) as database, database.reading() as session:
        return list((await session.execute(select(RateLimitWindow.caller, RateLimitWindow.requests))).all())



async def spread(database, quota: int, requests: int) -> tuple[list[bool], int]:  # type: ignore[no-untyped-def]
    """``requests`` of one caller spread over two gateway processes (two sets of windows on one database):
    which were granted, and how many writes the windows made."""
    first, second = rate_limits.FixedWindows(quota), rate_limits.FixedWindows(quota)
    writes = 0
    upsert = rate_limits.FixedWindows._upsert

    def counted(self: rate_limits.FixedWindows, dialect: str):  # type: ignore[no-untyped-def]
        nonlocal writes
        writes += 1
        return upsert(self, dialect)

    rate_limits.FixedWindows._upsert = counted  # type: ignore[method-assign]
    try:
        granted = [(await (first if number % 3 else second).count(database, f"caller:{quota}"))[0] >= 0
                   for number in range(requests)]
    finally:
        rate_limits.FixedWindows._upsert = upsert  # type: ignore[method-assign]
    return granted, writes


async def test_a_large_quota_is_counted_in_leases_not_a_write_per_request(gateway_client) -> None:
    async with direct_database(gateway_client) as database:
        granted, writes = await spread(database, 100_000, 5000)
    assert granted == [True] * 5000
    assert writes <= 5000 // rate_limits.MAX_LEASE + 10
    assert dict(await windows(gateway_client))["caller:100000"] >= 5000  # the database counts them all


async def test_two_processes_with_leases_never_grant_more_than_the_quota(gateway_client) -> None:
    async with direct_database(gateway_client) as database:
        granted, _ = await spread(database, 1000, 1100)
    assert 1000 - 2 * (1000 // 100) <= granted.count(True) <= 1000  # at most a lease per process unused
    assert granted[-50:] == [False] * 50


async def test_one_process_grants_the_whole_quota_and_not_one_more(gateway_client) -> None:
    async with direct_database(gateway_client) as database:
        windows_of_one_process = rate_limits.FixedWindows(1000)
        granted = [(await windows_of_one_process.count(database, "caller:whole"))[0] >= 0 for _ in range(1001)]
    assert granted == [True] * 1000 + [False]


async def test_a_lease_is_not_served_in_the_second_its_window_ends(gateway_client, clock: Clock) -> None:
    opened = clock.now
    async with direct_database(gateway_client) as database:
        windows_of_one_process = rate_limits.FixedWindows(100_000)
        for _ in range(2):  # the second request reserves a lease of the window
            await windows_of_one_process.count(database, "caller:lease")
        clock.now = opened + 60  # the window is over: a new one opens, whatever the lease had left
        remaining, window_end = await windows_of_one_process.count(database, "caller:lease")
    assert (remaining, window_end) == (100_000 - 1, opened + 120)


async def test_each_answer_counts_down_by_one_across_the_leases_of_a_large_quota(gateway_client) -> None:
    async with direct_database(gateway_client) as database:
        windows_of_one_process = rate_limits.FixedWindows(100_000)
        answers = [await windows_of_one_process.count(database, "caller:large") for _ in range(300)]
    # RateLimit-Remaining as the caller reads it: one less each time, whichever request renewed the lease;
    # and one window (RateLimit-Reset counts down to its end) for them all.
    assert [remaining for remaining, _ in answers] == list(range(100_000 - 1, 100_000 - 301, -1))
    assert len({window_end for _, window_end in answers}) == 1


@pytest.mark.parametrize(("quota", "lease"), [(4901, 49), (100_001, 50)])
async def test_another_process_sees_what_a_lease_reserved_a_hundredth_of_what_is_left_at_most_fifty(
        gateway_client, quota: int, lease: int) -> None:
    # A second request reserves a lease: a hundredth of the quota left (4,900 left: 49), never more than 50.
    async with direct_database(gateway_client) as database:
        first, second = rate_limits.FixedWindows(quota), rate_limits.FixedWindows(quota)
        for _ in range(2):
            await first.count(database, "caller:shared")
        remaining, _ = await second.count(database, "caller:shared")
    assert remaining == quota - (1 + lease + 1)  # the first's request and lease, and this request


async def test_a_scope_other_than_http_passes_the_quota_untouched() -> None:
    # Only HTTP requests are counted; a websocket (or any other) scope goes on to the app as it came.
    seen = []

    async def app(scope, receive, send) -> None:
        seen.append((scope, receive, send))

    async def receive() -> dict:
        return {}

    async def send(message: dict) -> None:
        return None

    scope = {"type": "websocket", "path": "/api/v1/anything"}
    await rate_limits.CallerRateLimitMiddleware(app, rate_limits.FixedWindows(limit=1))(scope, receive, send)
    assert seen == [(scope, receive, send)]
