"""The first operation that crosses all three services: registering a project through the gateway."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time

import httpx
import msgspec
import pytest

from shared.identity import Identity, IdentityIssuer
from shared.signing_keys import load_private_key
from sortes_cli.local_system import LocalSystem
from tests.e2e.conftest import service_log

pytestmark = pytest.mark.e2e
OWNER = "11330326862981311N"


def reference(name: str = "平阳县智慧交通项目") -> dict[str, object]:
    return {"name": name, "kind": "construction", "owner_unit": OWNER, "investment_fen": 300_000_000,
            "planned_completion": "2027-06-30",
            "lots": [{"code": "L1", "name": "建设", "procurement_method": "public_tender",
                      "role": "construction"}]}


def admin(system: LocalSystem) -> dict[str, str]:
    return {"Authorization": f"Bearer {system.admin_api_key}"}


def as_gateway(system: LocalSystem, service: str) -> dict[str, str]:
    """An assertion signed with the gateway's own key, to reach one service behind its back."""
    issuer = IdentityIssuer(load_private_key(system.data_dir / "keys" / "identity.pem"))
    identity = Identity(subject="user:e2e", name="e2e", roles=("bureau_admin",), unit=OWNER)
    return {"x-sortes-identity": issuer.issue(identity, service)}


def reconcile(system: LocalSystem) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sortes_cli.main", "reconcile", "--url", system.url(),
         "--api-key", system.admin_api_key or ""], capture_output=True, text=True, timeout=60, check=False)


def test_gateway_is_ready_when_every_service_is(local_system: LocalSystem) -> None:
    response = httpx.get(local_system.url() + "/readyz", params={"deep": "true"}, timeout=10)
    assert response.status_code == 200
    assert response.json()["checks"] == {"gateway_database": True, "experts": True, "vendors": True}


def test_a_project_put_at_the_gateway_reaches_both_services(local_system: LocalSystem) -> None:
    response = httpx.put(local_system.url() + "/api/v1/projects/PY-E2E-1", json=reference(),
                         headers={**admin(local_system), "x-request-id": "e2e-trace-0001"}, timeout=10)
    assert response.status_code == 201, response.text
    assert response.json()["outcomes"] == {"experts": "created", "vendors": "created"}
    assert response.headers["x-request-id"] == "e2e-trace-0001"
    for service in ("experts", "vendors"):
        stored = httpx.get(local_system.url(service) + "/api/v1/projects/PY-E2E-1",
                           headers=as_gateway(local_system, service), timeout=10)
        assert stored.json()["digest"] == response.json()["project"]["digest"]
        assert "e2e-trace-0001" in service_log(local_system, service)
    again = httpx.put(local_system.url() + "/api/v1/projects/PY-E2E-1", json=reference(),
                      headers=admin(local_system), timeout=10)
    assert again.status_code == 200
    assert again.json()["outcomes"] == {"experts": "unchanged", "vendors": "unchanged"}


def test_services_refuse_calls_that_bypass_the_gateway(local_system: LocalSystem) -> None:
    for service in ("experts", "vendors"):
        response = httpx.get(local_system.url(service) + "/api/v1/projects/", timeout=10)
        assert response.status_code == 401
        forged = httpx.get(local_system.url(service) + "/api/v1/projects/",
                           headers={"x-sortes-identity": "e30.e30.c2ln"}, timeout=10)
        assert forged.status_code == 401


def test_the_gateway_refuses_unknown_callers(local_system: LocalSystem) -> None:
    anonymous = httpx.get(local_system.url() + "/api/v1/experts", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    unknown = httpx.get(local_system.url() + "/api/v1/experts",
                        headers={"Authorization": "Bearer sortes_not-a-key"}, timeout=10)
    assert unknown.status_code == 401


def test_reconcile_reports_a_divergence_and_a_retry_converges(local_system: LocalSystem) -> None:
    url = local_system.url()
    httpx.put(url + "/api/v1/projects/PY-E2E-2", json=reference(), headers=admin(local_system), timeout=10)
    assert reconcile(local_system).returncode == 0
    # Change the experts' copy behind the gateway's back.
    httpx.put(local_system.url("experts") + "/api/v1/projects/PY-E2E-2", json=reference("改过的名称"),
              headers=as_gateway(local_system, "experts"), timeout=10).raise_for_status()
    diverged = reconcile(local_system)
    assert diverged.returncode == 1
    assert "DIVERGES PY-E2E-2" in diverged.stdout
    retried = httpx.put(url + "/api/v1/projects/PY-E2E-2", json=reference(), headers=admin(local_system),
                        timeout=10)
    assert retried.json()["outcomes"] == {"experts": "updated", "vendors": "unchanged"}
    converged = reconcile(local_system)
    assert converged.returncode == 0, converged.stdout + converged.stderr
    assert "consistent" in converged.stdout


def test_with_vendors_down_the_gateway_answers_503_and_a_retry_converges(local_system: LocalSystem) -> None:
    url = local_system.url()
    local_system.stop_one("vendors")
    try:
        failed = httpx.put(url + "/api/v1/projects/PY-E2E-3", json=reference(), headers=admin(local_system),
                           timeout=10)
        assert failed.status_code == 503
        assert failed.headers["content-type"].startswith("application/problem+json")
        assert "vendors" in failed.json()["detail"]
        listing = httpx.get(url + "/api/v1/vendors", headers=admin(local_system), timeout=10)
        assert listing.status_code == 503
        ready = httpx.get(url + "/readyz", params={"deep": "true"}, timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"]["vendors"] is False
    finally:
        local_system.start_one("vendors")
        local_system.wait_ready(("vendors",))
    # The gateway gave the failing service a rest (503 with Retry-After); a client that honours it
    # gets through once the gateway has seen the service recover.
    deadline = time.monotonic() + 60  # bounded; a busy machine takes longer
    while httpx.get(url + "/api/v1/vendors", headers=admin(local_system), timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the gateway did not route to the recovered service"
        time.sleep(0.5)
    retried = httpx.put(url + "/api/v1/projects/PY-E2E-3", json=reference(), headers=admin(local_system),
                        timeout=10)
    assert retried.status_code == 201
    assert retried.json()["outcomes"]["vendors"] == "created"
    assert reconcile(local_system).returncode == 0


def test_bad_project_input_is_refused_at_the_gateway(local_system: LocalSystem) -> None:
    body = {**reference(), "owner_unit": "91330326MA2CT8U6X1"}
    response = httpx.put(local_system.url() + "/api/v1/projects/PY-E2E-4", json=body,
                         headers=admin(local_system), timeout=10)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "owner_unit"
    assert response.json()["errors"][0]["code"] == "uscc.check_character"


def test_the_audit_log_of_every_service_is_read_through_the_gateway(local_system: LocalSystem) -> None:
    url = local_system.url()
    httpx.put(url + "/api/v1/projects/PY-E2E-AUDIT", json=reference(), headers=admin(local_system), timeout=10)
    merged = httpx.get(url + "/api/v1/audit", params={"object_id": "PY-E2E-AUDIT"}, headers=admin(local_system),
                       timeout=10).json()
    assert sorted(item["service"] for item in merged["items"]) == ["experts", "vendors"]
    assert all(item["action"] == "project.created" for item in merged["items"])
    assert all(item["actor"].startswith("apikey:") for item in merged["items"])
    gateway_only = httpx.get(url + "/api/v1/audit", params={"service": "gateway", "actor": "system:gateway"},
                             headers=admin(local_system), timeout=10).json()
    assert [item["action"] for item in gateway_only["items"]] == ["api_key.created"]  # SORTES_ADMIN_API_KEY
    too_far = httpx.get(url + "/api/v1/audit", params={"page": 30, "page_size": 50}, headers=admin(local_system),
                        timeout=10)
    assert too_far.status_code == 422 and too_far.json()["errors"][0]["field"] == "page"
    bad_service = httpx.get(url + "/api/v1/audit", params={"service": "nope"}, headers=admin(local_system), timeout=10)
    assert bad_service.status_code == 422
    env = local_system.environment()
    verified = subprocess.run([sys.executable, "-m", "sortes_cli.main", "audit", "verify"], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    chains = [line.split(":")[0] for line in verified.stdout.splitlines() if " entries, head " in line]
    rows = [line.split(":")[0] for line in verified.stdout.splitlines() if "every audited row is as" in line]
    assert sorted(chains) == sorted(rows) == ["experts", "gateway", "vendors"], verified.stdout


def test_one_openapi_document_covers_the_whole_api(local_system: LocalSystem) -> None:
    assert httpx.get(local_system.url() + "/api/openapi.json", timeout=10).status_code == 401
    document = httpx.get(local_system.url() + "/api/openapi.json", headers=admin(local_system), timeout=10).json()
    paths = document["paths"]
    for path in ("/api/v1/projects/{code}", "/api/v1/auth/sign-in", "/api/v1/experts", "/api/v1/experts/{code}",
                 "/api/v1/fields", "/api/v1/vendors", "/api/v1/projects/{code}/engagements", "/api/v1/audit"):
        assert path in paths, path
    assert {"put", "get"} <= set(paths["/api/v1/projects/{code}"]) and "get" in paths["/api/v1/projects"]
    assert "ExpertView" in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    page = httpx.get(local_system.url() + "/api/docs", headers=admin(local_system), timeout=10)
    assert page.status_code == 200 and "/api/v1/vendors" in page.text and "接口文档" in page.text
    assert "http://" not in page.text.replace("http://127.0.0.1", "") and "https://" not in page.text


def test_the_typed_client_registers_projects_and_verifies_draw_records(local_system: LocalSystem) -> None:
    from shared.client import SortesClient, SortesError
    from shared.contracts.projects import LotReference, ProjectReference

    reference = ProjectReference(
        name="平阳县数字乡村项目", kind="construction", owner_unit=OWNER, investment_fen=210_000_000,
        planned_completion=dt.date(2027, 10, 31),
        lots=[LotReference(code="L1", name="建设", procurement_method="public_tender", role="construction")])
    with SortesClient(local_system.url(), local_system.admin_api_key or "") as sortes:
        first = sortes.register_project("PY-E2E-CLIENT", reference)
        assert first.project.is_major and set(first.outcomes.values()) == {"created"}
        assert set(sortes.register_project("PY-E2E-CLIENT", reference).outcomes.values()) == {"unchanged"}
        with pytest.raises(SortesError) as refused:
            sortes.register_project("PY-E2E-CLIENT", msgspec.structs.replace(reference, owner_unit="X" * 18))
        assert "owner_unit" in refused.value.field_errors
        assert len(sortes.key_set().keys) == 1
        assert sortes.audit(object_id="PY-E2E-CLIENT").total == 2


def _key(system: LocalSystem, role: str, unit: str) -> dict[str, str]:
    created = httpx.post(system.url() + "/api/v1/api-keys", headers=admin(system), timeout=10, json={
        "name": f"projects {role} {unit}", "roles": [role], "unit_uscc": unit})
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['value']}"}


def test_projects_are_read_through_the_gateway_paged_and_filtered_to_a_unit_roles_own_unit(
        local_system: LocalSystem) -> None:
    county_unit = "11330326945807302D"
    httpx.post(local_system.url() + "/api/v1/units", headers=admin(local_system), timeout=10,
               json={"uscc": county_unit, "name": "平阳县交通运输局"})  # 409 when a rerun finds it
    for code, owner in (("PY-E2E-READ-1", OWNER), ("PY-E2E-READ-2", county_unit), ("PY-E2E-READ-3", county_unit)):
        response = httpx.put(f"{local_system.url()}/api/v1/projects/{code}", headers=admin(local_system),
                             timeout=10, json={**reference("平阳县交通一张图"), "owner_unit": owner})
        assert response.status_code in (200, 201), response.text
    organiser = _key(local_system, "organiser", county_unit)
    with httpx.Client(base_url=local_system.url(), timeout=10) as client:
        first = client.get("/api/v1/projects", params={"q": "E2E-READ", "page_size": 1}, headers=organiser).json()
        assert ([item["code"] for item in first["items"]], first["total"]) == (["PY-E2E-READ-2"], 2)
        second = client.get("/api/v1/projects", params={"q": "E2E-READ", "page_size": 1, "page": 2},
                            headers=organiser).json()
        assert [item["code"] for item in second["items"]] == ["PY-E2E-READ-3"]
        everyone = client.get("/api/v1/projects", params={"q": "E2E-READ"}, headers=admin(local_system)).json()
        assert [item["code"] for item in everyone["items"]] == ["PY-E2E-READ-1", "PY-E2E-READ-2", "PY-E2E-READ-3"]

        own = client.get("/api/v1/projects/PY-E2E-READ-2", headers=organiser)
        assert own.status_code == 200 and own.json()["owner_unit"] == county_unit
        other = client.get("/api/v1/projects/PY-E2E-READ-1", headers=organiser)
        assert other.status_code == 403 and other.headers["content-type"].startswith("application/problem+json")
        assert client.get("/api/v1/projects/PY-E2E-NONE", headers=admin(local_system)).status_code == 404
        bad = client.get("/api/v1/projects", params={"page_size": 0}, headers=organiser)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "page_size"

        # Engagements (with their amounts) of another unit's project are refused the same way.
        officer = _key(local_system, "procurement_officer", county_unit)
        assert client.get("/api/v1/projects/PY-E2E-READ-1/engagements", headers=officer).status_code == 403
        assert client.get("/api/v1/projects/PY-E2E-READ-2/engagements", headers=officer).status_code == 200
