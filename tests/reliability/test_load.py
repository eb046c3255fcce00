"""Load: 50 concurrent clients through the gateway in front of two processes each of experts and
vendors, on PostgreSQL, mixing reads (experts, vendors), panel draws (commit, then reveal) and
conflict checks — 10 s in ``make test``, 60 s under ``pytest -m heavy``.

Nothing may fail but a deliberate 429 (a panel the pool cannot fill, 422, is an answer too); no
expert is seated on two panels that share a half-day; every audit chain verifies afterwards. The
run prints its throughput and latency percentiles.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from shared.clock import beijing_today
from shared.demo import make_uscc
from sortes_cli.local_system import LocalSystem
from tests.reliability.system import BUREAU, OWNER, Gateway, panel_ask, postgres_system

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
CLIENTS = 50
POOL = 60
PROJECTS = ("LOAD-1", "LOAD-2", "LOAD-3")
DAYS = 12  # meetings fall on 12 days × 2 half-days, so draws keep meeting on the same half-days
EXPECTED = {"read experts": {200}, "read vendors": {200}, "conflict check": {201}, "commit": {201, 422},
            "reveal": {200}}


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    unexpected: list[str] = field(default_factory=list)
    revealed: list[str] = field(default_factory=list)

    def note(self, operation: str, started: float, response: httpx.Response) -> bool:
        self.latencies[operation].append(time.perf_counter() - started)
        self.statuses[operation][response.status_code] += 1
        if response.status_code not in EXPECTED[operation] | {429}:
            self.unexpected.append(f"{operation}: {response.status_code} {response.text[:300]}")
        return response.status_code in EXPECTED[operation] and response.status_code < 300


@pytest.fixture(scope="module")
def loaded(postgres_available: bool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    # Quotas stay on; they are set so that this many clients of one key are served, not throttled. The
    # gateway's upstream timeouts are its defaults: a reveal slower than them is an error of the run.
    with postgres_system("load", tmp_path_factory.mktemp("load"), replicas=1,
                         extra_env={"SORTES_GATEWAY_RATE_LIMIT_PER_MINUTE": "60000"}) as system:
        yield prepare(system)


def prepare(system: LocalSystem) -> dict[str, Any]:
    gateway = Gateway(system)
    rng = random.Random("load")
    vendors = [make_uscc(rng, "91") for _ in range(20)]
    for index, uscc in enumerate(vendors):
        created = gateway.call("POST", "/api/v1/vendors", json={"uscc": uscc, "name": f"负载供应商{index}"})
        assert created.status_code == 201, created.text
    for code in PROJECTS:
        response = gateway.call("PUT", f"/api/v1/projects/{code}", json={
            "name": f"负载项目{code}", "kind": "construction", "owner_unit": OWNER, "investment_fen": 300_000_000,
            "planned_completion": "2027-12-31", "lots": [
                {"code": "L1", "name": "平台建设", "procurement_method": "public_tender", "role": "construction"}]})
        assert response.status_code in (200, 201), response.text
        assert gateway.call("POST", f"/api/v1/projects/{code}/engagements", json={
            "vendor_uscc": vendors[0], "role": "supervision", "started_on": "2026-01-05",
            "amount_fen": 1_000_000}).status_code == 201
    gateway.experts(POOL, first_serial=500)
    return {"system": system, "gateway": gateway, "vendors": vendors,
            "organiser": gateway.person("load-organiser", OWNER, "organiser"),
            "supervisor": gateway.person("load-supervisor", BUREAU, "supervisor")}


async def client_loop(number: int, context: dict[str, Any], http: httpx.AsyncClient, until: float,
                      tally: Tally) -> None:
    rng = random.Random(number)
    gateway: Gateway = context["gateway"]
    while time.perf_counter() < until:
        choice = rng.random()
        started = time.perf_counter()
        if choice < 0.3:
            tally.note("read experts", started, await http.get(
                "/api/v1/experts", params={"page": rng.randint(1, 3), "page_size": 20}, headers=gateway.admin))
        elif choice < 0.6:
            tally.note("read vendors", started, await http.get(
                "/api/v1/vendors", params={"q": "负载"}, headers=gateway.admin))
        elif choice < 0.8:
            bidders = rng.sample(context["vendors"], 5)
            tally.note("conflict check", started, await http.post(
                f"/api/v1/projects/{rng.choice(PROJECTS)}/lots/L1/conflict-checks", json={"bidders": bidders},
                headers=gateway.admin))
        else:
            await draw(rng, context, http, tally)


async def draw(rng: random.Random, context: dict[str, Any], http: httpx.AsyncClient, tally: Tally) -> None:
    day = beijing_today() + dt.timedelta(days=20 + rng.randrange(DAYS))
    halves = rng.choice([("morning",), ("afternoon",), ("morning", "afternoon")])
    started = time.perf_counter()
    committed = await http.post(f"/api/v1/projects/{rng.choice(PROJECTS)}/panels", headers=context["organiser"],
                                json=panel_ask(day, "load-supervisor", seats=2, reserves=1, halves=halves))
    if not tally.note("commit", started, committed):
        return
    started = time.perf_counter()
    revealed = await http.post(f"/api/v1/draws/{committed.json()['id']}/reveal", headers=context["supervisor"],
                               json={"witness": f"负载见证 {rng.randrange(10**6):06d}", "confirmed_avoidances": []})
    if tally.note("reveal", started, revealed):
        tally.revealed.append(committed.json()["id"])


async def run_load(context: dict[str, Any], seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    # Idle connections are dropped well before the gateway's uvicorn closes them (5 s): at the same
    # moment a request sent on one would meet the close (a ReadError, seen under this load).
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=context["gateway"].url, timeout=60, limits=limits) as http:
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(client_loop(number, context, http, until, tally) for number in range(CLIENTS)))
        return tally, time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(tally: Tally, elapsed: float) -> str:
    every = [latency for latencies in tally.latencies.values() for latency in latencies]
    lines = [f"{len(every)} requests from {CLIENTS} clients in {elapsed:.1f} s: {len(every) / elapsed:.1f}/s, "
             f"p50 {statistics.median(every) * 1000:.0f} ms, p99 {percentile(every, 0.99) * 1000:.0f} ms"]
    for operation, latencies in sorted(tally.latencies.items()):
        lines.append(f"  {operation:15} {len(latencies):6} p50 {statistics.median(latencies) * 1000:6.0f} ms  "
                     f"p99 {percentile(latencies, 0.99) * 1000:6.0f} ms  {dict(tally.statuses[operation])}")
    return "\n".join(lines)


def seated_per_half_day(gateway: Gateway, organiser: dict[str, str], draw_ids: list[str]) -> dict[tuple, list]:
    """(meeting day, half) → the pool numbers seated there, one entry per panel seat."""
    seats: dict[tuple, list] = defaultdict(list)
    with httpx.Client(base_url=gateway.url, timeout=60, headers=organiser) as http:
        for draw_id in draw_ids:
            panel = http.get(f"/api/v1/draws/{draw_id}").json()["panel"]
            members = {m["expert_code"] for m in panel["members"] if m["state"] in ("invited", "accepted")}
            for half in panel["halves"]:
                seats[(panel["meeting_on"], half)].extend(members)
    return seats


@pytest.mark.parametrize("seconds", [10, pytest.param(60, marks=pytest.mark.heavy)])
def test_fifty_clients_mixing_reads_draws_and_checks_see_no_errors_and_no_double_seating(
        loaded: dict[str, Any], seconds: int, capsys: pytest.CaptureFixture[str]) -> None:
    tally, elapsed = asyncio.run(run_load(loaded, seconds))
    with capsys.disabled():  # the figures are the point of the run: shown even when it passes
        print(f"\n--- load, {seconds} s ---\n" + report(tally, elapsed))
    assert tally.unexpected == []
    assert tally.revealed, "no draw was revealed under load"
    assert sum(tally.statuses["conflict check"].values()) and sum(tally.statuses["read experts"].values())

    seats = seated_per_half_day(loaded["gateway"], loaded["organiser"], tally.revealed)
    doubled = {slot: sorted(code for code, n in Counter(codes).items() if n > 1) for slot, codes in seats.items()}
    assert not {slot: codes for slot, codes in doubled.items() if codes}

    verification = loaded["gateway"].call("GET", "/api/v1/audit/verification")
    assert verification.status_code == 200, verification.text
    assert all(report["ok"] for report in verification.json()), verification.json()
