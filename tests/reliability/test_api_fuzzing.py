"""Schemathesis over each service's own OpenAPI document: whatever a caller sends, valid or not, the
answer is never a 5xx and its body matches the schema the document declares for its status (refusals
included: shared/openapi.py declares them as problem documents).

Experts and vendors are called in-process (ASGI) as a bureau admin with a fresh identity assertion
each call; the gateway as a real process with the admin API key, in front of real services. A few
records are made through the API first, so that lists hold rows and some generated calls name real
objects. ``make test`` runs 12 examples an operation on SQLite; ``pytest -m heavy`` runs 150 on
SQLite and PostgreSQL, and fuzzes every operation of the gateway's merged document.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.python.asgi import get_client, shutdown_lifespans

from shared.clock import beijing_today
from shared.demo import make_uscc
from sortes_cli.local_system import LocalSystem
from tests.conftest import build_service_app
from tests.experts.helpers import profile
from tests.support.databases import TestDatabases
from tests.support.identity import BUREAU_USCC, AssertionMinter
from tests.support.ports import free_port

QUICK, THOROUGH = 12, 150
CHECKS = [not_a_server_error, response_schema_conformance]
OTHER_UNIT = "91330326MA2CT8U6X4"
SUPERVISOR_UNIT = "12330326000000001H"


def heavy(*values: Any) -> Any:
    return pytest.param(*values, marks=[pytest.mark.heavy, *([pytest.mark.postgres] if "postgresql" in values
                                                             else [])])


def fuzz(schema: schemathesis.BaseSchema, call: Callable[[schemathesis.Case], None], examples: int,
         known: Callable[[str], dict[str, str]], subtests: Any) -> None:
    """Every operation, positive and negative cases mixed, a third of them on real path values."""
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = (operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE))
        values = {name: value for name, value in known(operation.path).items() if "{" + name + "}" in operation.path}
        if values:
            strategy = strategy | operation.as_strategy(GenerationMode.POSITIVE, path_parameters=values)

        @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case: schemathesis.Case) -> None:
            call(case)

        with subtests.test(operation.label):
            run()


# --- experts and vendors, in-process ---------------------------------------------------------------


def seed_experts(client: requests.Session, minter: AssertionMinter) -> dict[str, str]:
    def as_(*roles: str, unit: str = BUREAU_USCC, subject: str = "user:admin") -> dict[str, str]:
        return minter.headers("experts", *roles, unit=unit, subject=subject)

    project = {"name": "城市大脑", "kind": "construction", "owner_unit": BUREAU_USCC, "investment_fen": 300_000_000,
               "planned_completion": "2027-12-31", "lots": [{"code": "L1", "name": "平台建设",
                                                             "procurement_method": "public_tender",
                                                             "role": "construction"}]}
    assert client.put("/api/v1/projects/P1", json=project, headers=as_("service")).status_code == 201
    codes = []
    for index in range(4):
        created = client.post("/api/v1/experts", headers=as_("bureau_admin"), json=profile(
            name=f"模糊专家{index}", unit_uscc=OTHER_UNIT, fields=[{"code": "APP", "primary": True}]))
        assert created.status_code == 201, created.text
        codes.append(created.json()["code"])
    supervisor = {"subject": "user:supervisor", "name": "李监督", "unit": SUPERVISOR_UNIT}
    committed = client.post("/api/v1/projects/P1/panels", headers=as_("organiser", subject="user:organiser"), json={
        "purpose": "technical_review", "meeting_on": (beijing_today() + dt.timedelta(days=20)).isoformat(),
        "halves": ["morning"], "seats": [{"field": "APP", "count": 2}], "reserves": 1, "supervisor": supervisor})
    assert committed.status_code == 201, committed.text
    draw = committed.json()["id"]
    revealed = client.post(f"/api/v1/draws/{draw}/reveal", json={"witness": "模糊测试 0001",
                                                                 "confirmed_avoidances": []},
                           headers=as_("supervisor", unit=SUPERVISOR_UNIT, subject="user:supervisor"))
    assert revealed.status_code == 200, revealed.text
    member = revealed.json()["result"]["APP"]["primaries"][0]
    return {"project": "P1", "expert": codes[-1], "draw": draw, "member": member}


def known_experts_values(seeded: dict[str, str]) -> Callable[[str], dict[str, str]]:
    def known(path: str) -> dict[str, str]:
        if path.startswith("/api/v1/projects/"):
            return {"code": seeded["project"]}
        if path.startswith("/api/v1/experts/"):
            return {"code": seeded["expert"]}
        if path.startswith("/api/v1/fields/"):
            return {"code": "APP"}
        return {"draw_id": seeded["draw"], "expert_code": seeded["member"]}
    return known


def seed_vendors(client: requests.Session, minter: AssertionMinter) -> dict[str, str]:
    def as_(*roles: str, unit: str = BUREAU_USCC) -> dict[str, str]:
        return minter.headers("vendors", *roles, unit=unit, subject="user:admin")

    rng = random.Random("fuzzing")
    usccs = [make_uscc(rng, "91") for _ in range(3)]
    for index, uscc in enumerate(usccs):
        created = client.post("/api/v1/vendors", headers=as_("bureau_admin"),
                              json={"uscc": uscc, "name": f"浙江模糊科技有限公司{index}"})
        assert created.status_code == 201, created.text
    lots = [{"code": "L1", "name": "总体设计", "procurement_method": "competitive_consultation",
             "role": "overall_design"},
            {"code": "L2", "name": "平台建设", "procurement_method": "public_tender", "role": "construction"}]
    assert client.put("/api/v1/projects/P1", headers=as_("service"), json={
        "name": "城市大脑", "kind": "construction", "owner_unit": BUREAU_USCC, "investment_fen": 250_000_000,
        "planned_completion": "2027-12-31", "lots": lots}).status_code == 201
    engaged = client.post("/api/v1/projects/P1/engagements", headers=as_("bureau_admin"), json={
        "vendor_uscc": usccs[0], "role": "overall_design", "lot_code": "L1", "started_on": "2026-01-05",
        "amount_fen": 48_000_000})
    assert engaged.status_code == 201, engaged.text
    check = client.post("/api/v1/projects/P1/lots/L2/conflict-checks", headers=as_("bureau_admin"),
                        json={"bidders": usccs})
    assert check.status_code == 201, check.text
    built = client.post("/api/v1/projects/P1/engagements", headers=as_("bureau_admin"), json={
        "vendor_uscc": usccs[1], "role": "construction", "lot_code": "L2", "started_on": "2026-03-01",
        "amount_fen": 96_000_000})
    assert built.status_code == 201, built.text
    # Art. 28: the rater's standing is the vendor's engagement on a project of the rater's unit.
    rated = client.post(f"/api/v1/vendors/{usccs[1]}/ratings", headers=as_("rater", unit=BUREAU_USCC), json={
        "stage": "初步验收", "overall": "qualified", "visibility": "public", "narrative": "按期交付。",
        "engagement_id": built.json()["id"],
        "factors": {"quality": "qualified", "schedule": "good", "service_responsiveness": "good",
                    "security_compliance": "qualified", "documentation": "qualified"}})
    assert rated.status_code == 201, rated.text
    return {"project": "P1", "lot": "L2", "uscc": usccs[1], "check": check.json()["id"],
            "rating": str(rated.json()["id"])}


def known_vendors_values(seeded: dict[str, str]) -> Callable[[str], dict[str, str]]:
    def known(path: str) -> dict[str, str]:
        return {"code": seeded["project"], "lot": seeded["lot"], "uscc": seeded["uscc"],
                "check_id": seeded["check"], "rating_id": seeded["rating"]}
    return known


SEEDS = {"experts": (seed_experts, known_experts_values), "vendors": (seed_vendors, known_vendors_values)}


@pytest.mark.parametrize(("service", "backend", "examples"), [
    ("experts", "sqlite", QUICK), ("vendors", "sqlite", QUICK),
    heavy("experts", "sqlite", THOROUGH), heavy("vendors", "sqlite", THOROUGH),
    heavy("experts", "postgresql", THOROUGH), heavy("vendors", "postgresql", THOROUGH),
])
def test_a_service_answers_anything_without_a_5xx_and_as_its_schema_says(
        service: str, backend: str, examples: int, test_databases: TestDatabases, minter: AssertionMinter,
        request: pytest.FixtureRequest, subtests: Any) -> None:
    if backend == "postgresql":
        request.getfixturevalue("postgres_available")
    app = build_service_app(service, test_databases.fresh(service, backend), minter.public_key)
    try:
        schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app,
                                                headers=minter.headers(service, "bureau_admin"))
        seed, known = SEEDS[service]
        with get_client(app) as client:
            seeded = seed(client, minter)

        def call(case: schemathesis.Case) -> None:
            # A fresh assertion each call: one lives 60 s, a run of every operation takes longer.
            case.call_and_validate(headers=minter.headers(service, "bureau_admin", subject="user:admin"),
                                   checks=CHECKS)

        fuzz(schema, call, examples, known(seeded), subtests)
    finally:
        shutdown_lifespans()


# --- the gateway, as a process in front of the services -------------------------------------------


@pytest.fixture(scope="module")
def gateway_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """A system of its own: fuzzing writes projects, users and keys no other test should meet. Quotas
    are raised so that the generated calls are judged, not counted."""
    data_dir = tmp_path_factory.mktemp("fuzzing")
    system = LocalSystem(data_dir=data_dir, log_dir=data_dir / "logs",
                         ports={name: free_port() for name in ("gateway", "experts", "vendors")},
                         extra_env={"SORTES_GATEWAY_RATE_LIMIT_PER_MINUTE": "1000000",
                                    "SORTES_GATEWAY_SIGN_IN_RATE_LIMIT_PER_MINUTE": "1000000",
                                    "SORTES_GATEWAY_APPLICATION_RATE_LIMIT_PER_MINUTE": "1000000",
                                    "SORTES_GATEWAY_WEBHOOK_INTERVAL": "3600"})
    system.prepare()
    try:
        system.start()
        yield system
    finally:
        system.stop()


def gateway_own_paths(system: LocalSystem, admin: dict[str, str]) -> set[str]:
    """The paths the gateway serves itself (not forwarded), as shapes with the parameters unnamed."""
    own = httpx.get(system.url() + "/api/schema/openapi.json", headers=admin, timeout=10).json()
    return {re.sub(r"\{[^}]+\}", "{}", path) for path in own["paths"] if path.startswith("/api/v1")}


@pytest.mark.e2e
@pytest.mark.parametrize(("scope", "examples"), [("own", QUICK), heavy("merged", THOROUGH)])
def test_the_gateway_answers_anything_without_a_5xx_and_as_its_schema_says(
        gateway_system: LocalSystem, scope: str, examples: int, subtests: Any) -> None:
    admin = {"Authorization": f"Bearer {gateway_system.admin_api_key}"}
    schema = schemathesis.openapi.from_url(gateway_system.url() + "/api/openapi.json", headers=admin)
    if scope == "own":
        own = gateway_own_paths(gateway_system, admin)
        schema = schema.include(lambda ctx: re.sub(r"\{[^}]+\}", "{}", ctx.operation.path) in own)
    # Signing out with the admin key ends nothing, but revoking it would end the run: keep it.
    schema = schema.exclude(path_regex=r"/api-keys/\{[^}]+\}/revoke$")
    session = requests.Session()

    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=gateway_system.url(), session=session, headers=admin, checks=CHECKS,
                               timeout=30)

    fuzz(schema, call, examples, lambda path: {}, subtests)
