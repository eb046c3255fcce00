"""Two processes of the experts service on PostgreSQL: overlapping panels committed and revealed at the
same moment never share a seated expert, and a process killed between commit and reveal loses nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from shared.clock import beijing_today
from shared.draw import KeySet, verify_record
from shared.identifiers import id_number_check_character
from shared.identity import Identity, IdentityIssuer
from shared.signing_keys import load_private_key
from sortes_cli.local_system import LocalSystem
from tests.support.databases import TestDatabases
from tests.support.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
OWNER = "11330326862981311N"
EXPERT_UNIT = "91330326MA2CT8U6X4"
ROUNDS = 4
POOL = 4  # two panels of 2 seats with 2 reserves each: between them they need every expert


@pytest.fixture(scope="module")
def two_experts(postgres_available: bool, test_databases: TestDatabases,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    data_dir = tmp_path_factory.mktemp("draw-concurrency")
    system = LocalSystem(
        data_dir=data_dir, log_dir=data_dir / "logs",
        database_urls={service: test_databases.dedicated(service, "draw_concurrency")
                       for service in ("experts", "vendors", "gateway")},
        ports={"gateway": free_port(), "experts": free_port(), "vendors": free_port()},
        replica_ports={"experts": [free_port()]})
    system.prepare()
    try:
        system.start(("experts",))
        yield system
    finally:
        system.stop()


class Caller:
    def __init__(self, system: LocalSystem) -> None:
        self.issuer = IdentityIssuer(load_private_key(system.data_dir / "keys" / "identity.pem"))

    def headers(self, subject: str, role: str, unit: str = OWNER) -> dict[str, str]:
        identity = Identity(subject=subject, name=subject, roles=(role,), unit=unit)
        return {"x-sortes-identity": self.issuer.issue(identity, "experts")}

    @property
    def organiser(self) -> dict[str, str]:
        return self.headers("user:organiser", "organiser")

    @property
    def supervisor(self) -> dict[str, str]:
        return self.headers("user:supervisor", "supervisor", unit=EXPERT_UNIT)


def prepare_pool(system: LocalSystem, caller: Caller) -> None:
    url = system.url("experts")
    for project in ("PA", "PB"):
        response = httpx.put(f"{url}/api/v1/projects/{project}", headers=caller.headers("apikey:lc", "service"),
                             json={"name": project, "kind": "operations", "owner_unit": OWNER, "investment_fen": 1,
                                   "planned_completion": "2027-01-31", "lots": []}, timeout=30)
        assert response.status_code in (200, 201), response.text
    for serial in range(POOL):
        first17 = f"33032619700101{serial:03d}"
        response = httpx.post(f"{url}/api/v1/experts", headers=caller.headers("user:admin", "bureau_admin"), json={
            "name": f"并发专家{serial}", "birth_date": "1970-01-01", "unit_uscc": EXPERT_UNIT, "unit_name": "某公司",
            "title": "高级工程师", "years_in_field": 20, "fields": [{"code": "SEC", "primary": True}],
            "id_number": first17 + id_number_check_character(first17),
            "last_trained_on": (beijing_today() - dt.timedelta(days=10)).isoformat()}, timeout=30)
        assert response.status_code == 201, response.text


def panel(day: dt.date) -> dict[str, object]:
    return {"purpose": "initial_acceptance", "meeting_on": day.isoformat(), "halves": ["morning", "afternoon"],
            "seats": [{"field": "SEC", "count": 2}], "reserves": 2,
            "supervisor": {"subject": "user:supervisor", "name": "监督", "unit": EXPERT_UNIT}}


def seated(draw: dict[str, object]) -> set[str]:
    return {m["expert_code"] for m in draw["panel"]["members"] if m["state"] in ("invited", "accepted")}  # type: ignore[index]


def test_two_processes_revealing_at_once_never_seat_one_expert_twice(two_experts: LocalSystem) -> None:
    caller = Caller(two_experts)
    prepare_pool(two_experts, caller)
    first, second = two_experts.url("experts"), two_experts.instance_url("experts-2")

    async def rounds() -> list[tuple[dict, dict]]:
        outcomes = []
        async with httpx.AsyncClient(timeout=60) as client:
            for offset in range(ROUNDS):
                day = beijing_today() + dt.timedelta(days=30 + offset)
                a, b = await asyncio.gather(
                    client.post(f"{first}/api/v1/projects/PA/panels", json=panel(day), headers=caller.organiser),
                    client.post(f"{second}/api/v1/projects/PB/panels", json=panel(day), headers=caller.organiser))
                assert (a.status_code, b.status_code) == (201, 201), a.text + b.text
                revealed = await asyncio.gather(
                    client.post(f"{first}/api/v1/draws/{a.json()['id']}/reveal", headers=caller.supervisor,
                                json={"witness": f"A{offset}", "confirmed_avoidances": []}),
                    client.post(f"{second}/api/v1/draws/{b.json()['id']}/reveal", headers=caller.supervisor,
                                json={"witness": f"B{offset}", "confirmed_avoidances": []}))
                assert [r.status_code for r in revealed] == [200, 200], [r.text for r in revealed]
                outcomes.append((revealed[0].json(), revealed[1].json()))
        return outcomes

    for a, b in asyncio.run(rounds()):
        assert not seated(a) & seated(b)
        assert len(seated(a)) == 2 and len(seated(b)) == 2  # the later reveal took its free reserves
    verify = subprocess.run([sys.executable, "-m", "sortes_cli.main", "audit", "verify", "--service", "experts"],
                            env=two_experts.environment(), capture_output=True, text=True, timeout=120, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_process_killed_between_commit_and_reveal_loses_nothing(two_experts: LocalSystem) -> None:
    caller = Caller(two_experts)
    url = two_experts.url("experts")
    day = beijing_today() + dt.timedelta(days=60)
    committed = httpx.post(f"{url}/api/v1/projects/PA/panels", json=panel(day), headers=caller.organiser, timeout=30)
    assert committed.status_code == 201, committed.text
    draw = committed.json()
    process = two_experts.processes["experts"]
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    two_experts.processes.pop("experts")
    two_experts.start_one("experts")
    two_experts.wait_ready(("experts",))
    revealed = httpx.post(f"{url}/api/v1/draws/{draw['id']}/reveal", headers=caller.supervisor, timeout=30,
                          json={"witness": "重启之后", "confirmed_avoidances": []})
    assert revealed.status_code == 200, revealed.text
    assert revealed.json()["commitment"] == draw["commitment"]
    record = httpx.get(f"{url}/api/v1/draws/{draw['id']}/record", headers=caller.organiser, timeout=30).json()
    keys = httpx.get(f"{url}/.well-known/sortes-keys", headers=caller.organiser, timeout=30).json()
    assert verify_record(record, KeySet.from_json(keys)).ok
    log = (two_experts.log_dir / "experts.log").read_text(encoding="utf-8", errors="replace")  # type: ignore[operator]
    assert record["secret"] not in log
