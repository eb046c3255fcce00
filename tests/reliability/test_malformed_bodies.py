"""A body nested deeper than 64 levels, or not well-formed JSON, gets a 400 problem on every operation of
the merged OpenAPI, at the gateway and at the service that serves it, anonymous or not: it is refused
before authentication, the same for every caller. Nothing logs a traceback for it."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest

from services.gateway.edge.routing import service_for
from sortes_cli.local_system import LocalSystem

pytestmark = pytest.mark.e2e
PROBLEM = "application/problem+json"
BODIES = {
    "deep": b"[" * 200_000,
    "deep object": b'{"a":' * 65 + b"1" + b"}" * 65,
    "truncated": b'{"name": "x", "fields": [',
    "invalid utf-8": b'{"name": "\xff\xfe"}',
    "trailing garbage": b'{"name": "x"} {',
}
_PARAMETER = re.compile(r"\{[^}]+\}")


def operations(system: LocalSystem, admin: dict[str, str]) -> list[tuple[str, str, str]]:
    """(method, path with its parameters filled, where it is served) of every documented operation."""
    merged = httpx.get(system.url() + "/api/openapi.json", headers=admin, timeout=30).json()
    own = httpx.get(system.url() + "/api/schema/openapi.json", headers=admin, timeout=30).json()["paths"]
    found = []
    for path, item in merged["paths"].items():
        served_by = "gateway" if path in own else service_for(path.removeprefix("/api/v1")) or "gateway"
        found += [(method.upper(), _filled(path, operation), served_by)
                  for method, operation in item.items() if method in ("get", "post", "put", "patch", "delete")]
    return found


def _filled(path: str, operation: dict) -> str:
    """The path with a value of each parameter's type, so that it routes (a date for a date, ...)."""
    schemas = {parameter["name"]: parameter.get("schema", {}) for parameter in operation.get("parameters", [])
               if parameter.get("in") == "path"}

    def value(match: re.Match[str]) -> str:
        schema = schemas.get(match.group(0)[1:-1].split(":")[0], {})
        if schema.get("format") == "date":
            return "2027-01-04"
        return "1" if schema.get("type") == "integer" else "x1"

    return _PARAMETER.sub(value, path)


def test_every_operation_refuses_a_malformed_body_with_a_400_problem(local_system: LocalSystem) -> None:
    admin = {"Authorization": f"Bearer {local_system.admin_api_key}"}
    found = operations(local_system, admin)
    assert len(found) > 80 and {"experts", "vendors", "gateway"} <= {served for *_, served in found}
    found.append(("POST", "/sign-in", "gateway"))  # the console's sign-in form
    marker = f"malformed-{uuid.uuid4().hex[:8]}"
    sent: dict[str, str] = {}
    clients = {service: httpx.Client(base_url=local_system.url(service), timeout=30)
               for service in ("gateway", "experts", "vendors")}
    with clients["gateway"], clients["experts"], clients["vendors"]:
        for method, path, served_by in found:
            for kind, body in BODIES.items():
                # Anonymous and as the admin at the gateway; straight to the service without an assertion.
                targets = [("gateway", {}), ("gateway", admin) if kind == "deep" else None,
                           (served_by, {}) if served_by != "gateway" else None]
                for target, auth in filter(None, targets):
                    request_id = f"{marker}-{len(sent)}"
                    response = clients[target].request(method, path, content=body, headers={
                        **auth, "Content-Type": "application/json", "X-Request-Id": request_id})
                    what = (kind, method, path, target, bool(auth))
                    assert response.status_code == 400, (what, response.status_code, response.text[:200])
                    assert response.headers["content-type"].startswith(PROBLEM), what
                    assert response.json()["status"] == 400, what
                    sent[request_id] = target
    for service in ("gateway", "experts", "vendors"):
        lines = [json.loads(line) for line in _log(local_system, service).splitlines()
                 if marker in line and line.startswith("{")]
        assert not [line for line in lines if "exception" in line or "Traceback" in line["message"]], service
        logged = {line["request_id"]: line["status"] for line in lines if line["logger"] == "sortes.access"}
        expected = {request_id for request_id, target in sent.items() if target == service}
        assert logged == dict.fromkeys(expected, 400), service


def test_a_body_within_the_depth_limit_still_reaches_the_route(local_system: LocalSystem) -> None:
    nested: object = "x"
    for _ in range(60):
        nested = [nested]
    response = httpx.post(local_system.url() + "/api/v1/auth/sign-in", timeout=30,
                          json={"username": "nobody", "password": "wrong", "extra": nested})
    assert response.status_code == 422, response.text  # the route's own answer: an unknown field
    assert response.json()["errors"][0]["field"] == "extra"


def _log(system: LocalSystem, service: str) -> str:
    assert system.log_dir is not None
    return Path(system.log_dir / f"{service}.log").read_text(encoding="utf-8", errors="replace")
