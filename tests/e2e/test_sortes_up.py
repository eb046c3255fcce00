"""``sortes up``: the production topology (PostgreSQL, two instances of experts and vendors behind the
gateway) started as an operator would, and a project's whole life through the gateway: registered,
engagements recorded, bidders checked, a review panel and an acceptance panel drawn and revealed, the
vendor rated; then every audit chain and both draw records verified with the ``sortes`` command."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from shared.clock import beijing_today
from shared.demo import make_uscc
from shared.identifiers import id_number_check_character
from sortes_cli.local_system import READY_SECONDS
from sortes_cli.postgres import drop_database, service_database_url
from tests.support.databases import POSTGRES_DSN
from tests.support.ports import free_port
from tests.support.processes import children, is_running, port_argument

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
SERVICES = ("experts", "vendors", "gateway")
ADMIN_KEY = "sortes_up-admin-key-0123456789abcdefghijklmnopq"
PASSWORD = "e2e-Password-2026!"
OWNER = make_uscc(random.Random("up owner"), "12")
SUPERVISOR_UNIT = "11330326862981311N"
REVIEW_DAY, ACCEPTANCE_DAY = beijing_today() + dt.timedelta(days=14), beijing_today() + dt.timedelta(days=21)


@dataclass
class Up:
    url: str
    database: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    output: Path
    experts_ports: list[int]

    def environment(self) -> dict[str, str]:
        """What an operator exports to run ``sortes`` commands against this system's databases and keys."""
        return {**os.environ, "SORTES_DATA_DIR": str(self.data_dir), **{
            f"SORTES_{service.upper()}_DATABASE_URL": service_database_url(self.database, service)
            for service in SERVICES}}

    def sortes(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sortes_cli.main", *arguments], env=self.environment(),
                              capture_output=True, text=True, timeout=60, check=False)


def wait_for_banner(output: Path, process: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = output.read_text(encoding="utf-8", errors="replace")
        found = re.search(r"Console and API\s+(\S+)/", text)
        if found:
            return found.group(1)
        assert process.poll() is None, f"sortes up exited with {process.returncode}:\n{text}"
        time.sleep(0.2)
    raise AssertionError(f"sortes up printed no URL within {timeout:.0f} s:\n{output.read_text()}")


@pytest.fixture(scope="module")
def up(postgres_available: bool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    data_dir = tmp_path_factory.mktemp("sortes-up")
    database = f"{POSTGRES_DSN.rsplit('/', 1)[0]}/sortes_up{os.getpid()}_{uuid.uuid4().hex[:6]}"
    output = data_dir / "sortes-up.out"
    env = {**os.environ, "SORTES_DATA_DIR": str(data_dir), "SORTES_ADMIN_API_KEY": ADMIN_KEY}
    experts_ports = [free_port(), free_port()]
    with output.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "sortes_cli.main", "up", "--database", database,
                                    "--replicas", "2", "--port", str(free_port()),
                                    "--ports", f"experts={experts_ports[0]},{experts_ports[1]}"],
                                   env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        yield Up(url=wait_for_banner(output, process, timeout=READY_SECONDS), database=database, data_dir=data_dir,
                 process=process, output=output, experts_ports=experts_ports)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        for service in SERVICES:
            asyncio.run(drop_database(service_database_url(database, service)))
    assert "all processes stopped" in output.read_text()


class Caller:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def __call__(self, method: str, path: str, headers: dict[str, str], expect: int, **options: object) -> dict:
        response = self.http.request(method, path, headers=headers, **options)  # type: ignore[arg-type]
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def person(self, admin: dict[str, str], username: str, unit: str, role: str) -> dict[str, str]:
        made = self.http.post("/api/v1/units", headers=admin, json={"uscc": unit, "name": f"单位{unit[-4:]}"})
        assert made.status_code in (201, 409), made.text  # 409: the unit is there already
        self("POST", "/api/v1/users", admin, 201, json={
            "username": username, "display_name": f"{role}用户", "unit_uscc": unit, "roles": [role],
            "password": PASSWORD})
        token = self("POST", "/api/v1/auth/sign-in", {}, 200, json={"username": username, "password": PASSWORD})
        return {"Authorization": f"Bearer {token['token']}"}


def expert_body(serial: int, unit: str) -> dict[str, object]:
    first17 = f"33032619760101{serial:03d}"
    return {"name": f"专家{serial}", "birth_date": "1976-01-01", "unit_uscc": unit, "unit_name": "某单位",
            "title": "高级工程师", "years_in_field": 10, "fields": [{"code": "DATA", "primary": True}],
            "id_number": first17 + id_number_check_character(first17),
            "last_trained_on": (beijing_today() - dt.timedelta(days=30)).isoformat()}


def draw_panel(call: Caller, code: str, organiser: dict[str, str], supervisor: dict[str, str], purpose: str,
               day: dt.date) -> bytes:
    committed = call("POST", f"/api/v1/projects/{code}/panels", organiser, 201, json={
        "purpose": purpose, "meeting_on": day.isoformat(), "halves": ["morning"],
        "seats": [{"field": "DATA", "count": 2}], "reserves": 1, "supervisor": "up-supervisor"})
    revealed = call("POST", f"/api/v1/draws/{committed['id']}/reveal", supervisor, 200,
                    json={"witness": f"现场监督 {purpose}", "confirmed_avoidances": []})
    assert len(revealed["result"]["DATA"]["primaries"]) == 2
    record = call.http.get(f"/api/v1/draws/{committed['id']}/record", headers=organiser)
    assert record.status_code == 200, record.text
    return record.content


def test_a_projects_whole_life_through_the_replicated_system(up: Up) -> None:
    call, admin = Caller(up.url), {"Authorization": f"Bearer {ADMIN_KEY}"}
    deep = call.http.get("/readyz", params={"deep": "true"}).json()
    assert deep["checks"] == {"gateway_database": True, "experts": True, "vendors": True}
    code = f"PY-UP-{uuid.uuid4().hex[:6]}"
    supervision, bidder = make_uscc(random.Random(code), "91"), make_uscc(random.Random(code + "b"), "91")
    assert call("PUT", f"/api/v1/projects/{code}", admin, 201, json={
        "name": "平阳县一网统管", "kind": "construction", "owner_unit": OWNER, "investment_fen": 300_000_000,
        "planned_completion": "2027-12-31", "lots": [{"code": "L1", "name": "平台建设",
                                                    "procurement_method": "public_tender",
                                                    "role": "construction"}]})["project"]["is_major"]

    for uscc, name in ((supervision, "浙江监理咨询有限公司"), (bidder, "平阳数字科技有限公司")):
        call("POST", "/api/v1/vendors", admin, 201, json={"uscc": uscc, "name": name})
    procurement = call.person(admin, "up-procurement", OWNER, "procurement_officer")
    engaged = call("POST", f"/api/v1/projects/{code}/engagements", procurement, 201, json={
        "vendor_uscc": supervision, "role": "supervision", "started_on": "2026-01-05", "amount_fen": 12_000_000})
    check = call("POST", f"/api/v1/projects/{code}/lots/L1/conflict-checks", procurement, 201,
                 json={"bidders": [supervision, bidder]})
    assert {v["uscc"]: v["verdict"] for v in check["verdicts"]} == {supervision: "barred", bidder: "allowed"}

    for serial in range(8):
        call("POST", "/api/v1/experts", admin, 201, json=expert_body(serial, make_uscc(random.Random(serial), "91")))
    organiser = call.person(admin, "up-organiser", OWNER, "organiser")
    supervisor = call.person(admin, "up-supervisor", SUPERVISOR_UNIT, "supervisor")
    records = [draw_panel(call, code, organiser, supervisor, "technical_review", REVIEW_DAY),
               draw_panel(call, code, organiser, supervisor, "initial_acceptance", ACCEPTANCE_DAY)]

    # Art. 28: a rater of the project's own unit, rating the supervision engagement.
    rater = call.person(admin, "up-rater", OWNER, "rater")
    rating = call("POST", f"/api/v1/vendors/{supervision}/ratings", rater, 201, json={
        "stage": "终验", "overall": "good", "visibility": "government", "project_code": code,
        "engagement_id": engaged["id"],
        "narrative": "监理到位，文档齐全。",
        "factors": {"quality": "good", "schedule": "qualified", "service_responsiveness": "good",
                    "security_compliance": "good", "documentation": "excellent"}})
    assert rating["status"] == "open_for_comment"

    audit = up.sortes("audit", "verify")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    chains = [line.split(":")[0] for line in audit.stdout.splitlines() if ": OK —" in line and " entries, " in line]
    assert chains == list(SERVICES)
    for number, record in enumerate(records):
        path = up.data_dir / f"record-{number}.json"
        path.write_bytes(record)
        verified = up.sortes("verify", str(path), "--url", up.url)
        assert (verified.returncode, verified.stdout) == (0, "OK sortes-draw/1 (Ed25519, SHA-256)\n"), verified.stderr


def test_a_replica_killed_under_traffic_comes_back_and_reads_keep_succeeding(up: Up) -> None:
    """SIGKILL to the second experts instance (on the port --ports gave it) while reads go on: every read
    succeeds (the gateway tries the other instance), the supervisor starts it again, the rest untouched."""
    [victim] = [pid for pid in children(up.process.pid) if port_argument(pid) == up.experts_ports[1]]
    others = [pid for pid in children(up.process.pid) if pid != victim]
    assert len(others) == 4
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    failures: list[str] = []
    stop = threading.Event()

    def read() -> None:
        with httpx.Client(base_url=up.url, timeout=30) as http:
            while not stop.is_set():
                answer = http.get("/api/v1/fields", headers=admin)
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code} {answer.text[:200]}")
                time.sleep(0.05)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        time.sleep(1)
        os.kill(victim, signal.SIGKILL)
        deadline, back = time.monotonic() + READY_SECONDS, False
        while time.monotonic() < deadline and not back:
            time.sleep(0.5)
            with contextlib.suppress(httpx.TransportError):
                back = httpx.get(f"http://127.0.0.1:{up.experts_ports[1]}/readyz", timeout=2).status_code == 200
        time.sleep(1)
    finally:
        stop.set()
        reader.join(60)
    assert back, up.output.read_text()[-3000:]
    assert failures == []
    assert all(is_running(pid) for pid in others)
    text = up.output.read_text(encoding="utf-8", errors="replace")
    assert "experts-2 exited with code -9" in text and "experts-2 started again" in text
    assert (up.data_dir / "logs" / "experts-2.log").stat().st_size > 0


def test_killing_sortes_up_outright_stops_every_instance_it_started(postgres_available: bool, tmp_path: Path) -> None:
    database = f"{POSTGRES_DSN.rsplit('/', 1)[0]}/sortes_upkill{os.getpid()}_{uuid.uuid4().hex[:6]}"
    output = tmp_path / "sortes-up.out"
    env = {**os.environ, "SORTES_DATA_DIR": str(tmp_path / "data"), "SORTES_ADMIN_API_KEY": ADMIN_KEY}
    instances: list[int] = []
    with output.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "sortes_cli.main", "up", "--database", database,
                                    "--replicas", "2", "--port", str(free_port())],
                                   env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_for_banner(output, process, timeout=READY_SECONDS)
        instances = children(process.pid)
        ports = [port_argument(pid) for pid in instances]
        assert len(instances) == 5, instances  # two experts, two vendors, the gateway
        process.kill()
        process.wait(10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(map(is_running, instances)):
            time.sleep(0.2)
        assert [pid for pid in instances if is_running(pid)] == []
        for port in ports:
            with pytest.raises(httpx.TransportError):
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        for pid in instances:  # only what this test started, by its id
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)
        for service in SERVICES:
            asyncio.run(drop_database(service_database_url(database, service)))
