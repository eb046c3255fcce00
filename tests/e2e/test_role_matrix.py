"""The whole role × endpoint matrix through the gateway: every role, every /api/v1 operation.

The policy below is the authorisation the system promises, in the role groups of shared.permissions
that the routes and the console read too; the test fails when an operation in the merged OpenAPI
document has no entry here, so a new endpoint cannot ship unreviewed.
"""

from __future__ import annotations

import httpx
import pytest

from shared.demo import bureau_unit, demo_vendors
from shared.permissions import (
    ADMIN,
    ADMIN_AND_AUDITOR,
    APPLICATION_RECOMMENDERS,
    CONFLICT_CHECK_READERS_AND_LIFECYCLE_SYSTEM,
    DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ELIGIBILITY_CHECKERS,
    ENGAGEMENT_RECORDERS_AND_LIFECYCLE_SYSTEM,
    EVERYONE,
    LIFECYCLE_SYSTEM_ADMIN_AND_AUDITOR,
    LIFECYCLE_SYSTEM_AND_ADMIN,
    PANEL_ORGANISERS,
    PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM,
    POOL_READERS,
    PROJECT_READERS,
    REGISTRY_READERS_AND_LIFECYCLE_SYSTEM,
    SEAT_ANSWERERS,
    SEE_EVERY_RATING,
    TRAINING_READERS,
)
from shared.roles import Role
from sortes_cli.local_system import LocalSystem

pytestmark = pytest.mark.e2e

POLICY: dict[tuple[str, str], frozenset[str]] = {
    ("PUT", "/api/v1/projects/{code}"): LIFECYCLE_SYSTEM_AND_ADMIN,
    # Unit roles read their own unit's projects (the matrix's keys are the bureau's, which reads all).
    ("GET", "/api/v1/projects"): PROJECT_READERS,
    ("GET", "/api/v1/projects/{code}"): PROJECT_READERS,
    ("GET", "/api/v1/reconciliation/projects"): ADMIN_AND_AUDITOR,
    ("GET", "/api/v1/audit"): ADMIN_AND_AUDITOR,
    ("GET", "/api/v1/audit/verification"): ADMIN_AND_AUDITOR,
    ("GET", "/api/v1/auth/me"): EVERYONE,
    ("POST", "/api/v1/auth/sign-out"): EVERYONE,
    ("GET", "/api/v1/units"): EVERYONE,
    ("POST", "/api/v1/units"): ADMIN,
    ("GET", "/api/v1/users"): ADMIN_AND_AUDITOR,
    ("POST", "/api/v1/users"): ADMIN,
    ("PATCH", "/api/v1/users/{username}"): ADMIN,
    ("GET", "/api/v1/api-keys"): ADMIN_AND_AUDITOR,
    ("POST", "/api/v1/api-keys"): ADMIN,
    ("POST", "/api/v1/api-keys/{key_id}/revoke"): ADMIN,
    ("PATCH", "/api/v1/api-keys/{key_id}"): ADMIN,
    ("GET", "/api/v1/fields"): EVERYONE,
    ("POST", "/api/v1/fields"): ADMIN,
    ("PATCH", "/api/v1/fields/{code}"): ADMIN,
    ("GET", "/api/v1/experts"): POOL_READERS,
    ("POST", "/api/v1/experts"): ADMIN,
    ("GET", "/api/v1/experts/{code}"): POOL_READERS,
    ("GET", "/api/v1/experts/me"): frozenset({Role.EXPERT}),  # its own entry; 404 for the matrix's unlinked key
    ("PATCH", "/api/v1/experts/{code}"): ADMIN,
    ("PUT", "/api/v1/experts/{code}/status"): ADMIN,
    ("POST", "/api/v1/experts/{code}/bad-conduct"): ADMIN,
    # Experts keep their own availability too; the matrix's expert key is nobody's (tests/experts).
    ("GET", "/api/v1/experts/{code}/unavailability"): ADMIN,
    ("POST", "/api/v1/experts/{code}/unavailability"): ADMIN,
    ("DELETE", "/api/v1/experts/{code}/unavailability/{period_id}"): ADMIN,
    ("GET", "/api/v1/experts/{code}/declared-conflicts"): ADMIN,
    ("POST", "/api/v1/experts/{code}/declared-conflicts"): ADMIN,
    ("DELETE", "/api/v1/experts/{code}/declared-conflicts/{conflict_id}"): ADMIN,
    ("POST", "/api/v1/experts/import"): ADMIN,
    ("GET", "/api/v1/experts/import-template"): ADMIN,
    ("GET", "/api/v1/experts/export"): ADMIN_AND_AUDITOR,
    ("POST", "/api/v1/eligibility"): ELIGIBILITY_CHECKERS,
    ("GET", "/api/v1/trainings"): TRAINING_READERS,
    ("POST", "/api/v1/trainings"): ADMIN,
    ("POST", "/api/v1/trainings/{training_id}/attendance"): ADMIN,
    ("GET", "/api/v1/trainings/{training_id}/attendance"): ADMIN_AND_AUDITOR,
    ("GET", "/api/v1/assessments/{year}"): ADMIN_AND_AUDITOR,
    ("GET", "/api/v1/assessments/{year}/export"): ADMIN_AND_AUDITOR,
    ("POST", "/api/v1/assessments/{year}/experts/{code}"): ADMIN,
    ("GET", "/api/v1/vendors"): REGISTRY_READERS_AND_LIFECYCLE_SYSTEM,
    ("POST", "/api/v1/vendors"): ADMIN,
    ("GET", "/api/v1/vendors/{uscc}"): REGISTRY_READERS_AND_LIFECYCLE_SYSTEM,
    ("PATCH", "/api/v1/vendors/{uscc}"): ADMIN,
    ("POST", "/api/v1/vendors/{uscc}/relations"): ADMIN,
    ("POST", "/api/v1/vendors/import"): ADMIN,
    ("GET", "/api/v1/vendors/import-template"): ADMIN,
    ("GET", "/api/v1/vendors/export"): ADMIN,
    ("GET", "/api/v1/projects/{code}/engagements"): REGISTRY_READERS_AND_LIFECYCLE_SYSTEM,
    ("POST", "/api/v1/projects/{code}/engagements"): ENGAGEMENT_RECORDERS_AND_LIFECYCLE_SYSTEM,
    ("PATCH", "/api/v1/projects/{code}/engagements/{engagement_id}"): ENGAGEMENT_RECORDERS_AND_LIFECYCLE_SYSTEM,
    ("POST", "/api/v1/projects/{code}/engagements/{engagement_id}/void"): ENGAGEMENT_RECORDERS_AND_LIFECYCLE_SYSTEM,
    ("POST", "/api/v1/projects/{code}/lots/{lot}/conflict-checks"): ENGAGEMENT_RECORDERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/conflict-checks/{check_id}"): CONFLICT_CHECK_READERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/projects/{code}/barred-list"): CONFLICT_CHECK_READERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/exclusions"): REGISTRY_READERS_AND_LIFECYCLE_SYSTEM,
    ("POST", "/api/v1/exclusions"): ADMIN,
    ("GET", "/api/v1/vendors/{uscc}/ratings"): EVERYONE,
    ("POST", "/api/v1/vendors/{uscc}/ratings"): frozenset({Role.RATER}),
    # Across vendors (the reviewers' queue of disputes); only for roles that see every rating.
    ("GET", "/api/v1/ratings"): SEE_EVERY_RATING,
    ("POST", "/api/v1/ratings/{rating_id}/comment"): frozenset({Role.VENDOR}),
    ("POST", "/api/v1/ratings/{rating_id}/review"): frozenset({Role.RATING_REVIEWER}),
    ("POST", "/api/v1/projects/{code}/panels"): PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/projects/{code}/involved-vendors"): DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/draws/{draw_id}"): DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/draws/{draw_id}/record"): DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/draws/{draw_id}/exclusions"): DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/draws/{draw_id}/history"): DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/draws/{draw_id}/printable"): DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/draws/{draw_id}/sign-in-sheet"): DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/draws/{draw_id}/fee-sheet"): DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ("POST", "/api/v1/draws/{draw_id}/notice"): PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM,
    ("POST", "/api/v1/draws/{draw_id}/reveal"): frozenset({Role.SUPERVISOR}),
    ("POST", "/api/v1/draws/{draw_id}/members/{expert_code}/accept"): SEAT_ANSWERERS,
    ("POST", "/api/v1/draws/{draw_id}/members/{expert_code}/decline"): SEAT_ANSWERERS,
    ("POST", "/api/v1/draws/{draw_id}/members/{expert_code}/evaluation"): PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM,
    ("POST", "/api/v1/draws/{draw_id}/supplementary"): PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM,
    ("POST", "/api/v1/draws/{draw_id}/meeting"): PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM,
    ("POST", "/api/v1/draws/{draw_id}/cancel"): PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/panels/todo"): PANEL_ORGANISERS,
    ("GET", "/api/v1/panels/invitations"): frozenset({Role.EXPERT}),
    ("GET", "/api/v1/panels/supervising"): frozenset({Role.SUPERVISOR}),
    ("POST", "/api/v1/spot-checks"): LIFECYCLE_SYSTEM_AND_ADMIN,
    # The archive: every reader finds the draws it may (admins and auditors all, organisers their unit's,
    # supervisors theirs); the organiser's desk; the register of self-evaluations (Art. 25).
    ("GET", "/api/v1/draws"): DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/draws/export"): DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/panels/organising"): PANEL_ORGANISERS,
    ("GET", "/api/v1/self-evaluations"): DRAW_READERS_AND_LIFECYCLE_SYSTEM,
    ("POST", "/api/v1/self-evaluations"): PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM,
    ("GET", "/api/v1/draw-statistics"): ADMIN_AND_AUDITOR,
    ("GET", "/api/v1/calendar"): EVERYONE,
    ("PUT", "/api/v1/calendar/{day}"): ADMIN,
    # Joining the pool: a person applies on the open page (ANONYMOUS), a unit recommends, an admin reviews.
    ("GET", "/api/v1/expert-applications"): ADMIN,
    ("GET", "/api/v1/expert-applications/{number}"): ADMIN,
    ("POST", "/api/v1/expert-applications/{number}/approve"): ADMIN,
    ("POST", "/api/v1/expert-applications/{number}/reject"): ADMIN,
    ("GET", "/api/v1/expert-recommendations"): APPLICATION_RECOMMENDERS,
    ("POST", "/api/v1/expert-recommendations"): APPLICATION_RECOMMENDERS,
    # An expert proposes changes to their own entry (404 for the matrix's unlinked key); an admin reviews.
    ("GET", "/api/v1/experts/me/change-requests"): frozenset({Role.EXPERT}),
    ("POST", "/api/v1/experts/me/change-requests"): frozenset({Role.EXPERT}),
    ("GET", "/api/v1/expert-change-requests"): ADMIN,
    ("POST", "/api/v1/expert-change-requests/{number}/approve"): ADMIN,
    ("POST", "/api/v1/expert-change-requests/{number}/reject"): ADMIN,
    ("GET", "/api/v1/notifications"): ADMIN,  # the 消息发件箱: recipients masked
    ("POST", "/api/v1/webhooks"): LIFECYCLE_SYSTEM_AND_ADMIN,
    ("GET", "/api/v1/webhooks"): LIFECYCLE_SYSTEM_ADMIN_AND_AUDITOR,
    ("POST", "/api/v1/webhooks/{webhook_id}/disable"): LIFECYCLE_SYSTEM_AND_ADMIN,
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): LIFECYCLE_SYSTEM_ADMIN_AND_AUDITOR,
}
SAMPLE_VENDOR = demo_vendors()[0]
ANONYMOUS = {("POST", "/api/v1/auth/sign-in"), ("GET", "/api/v1/public-ratings"),
             ("POST", "/api/v1/expert-applications"), ("POST", "/api/v1/expert-applications/status"),
             ("GET", "/api/v1/bulletin"), ("GET", "/api/v1/bulletin/{draw_id}/record")}
SAMPLE_PATH_VALUES = {"code": "PY-2026-001", "username": "nobody", "key_id": "0000000000000000",
                      "webhook_id": "0000000000000000", "check_id": "00000000-0000-0000-0000-000000000000",
                      "rating_id": "1", "lot": "L1", "period_id": "1", "conflict_id": "1", "training_id": "1",
                      "uscc": SAMPLE_VENDOR.uscc, "draw_id": "00000000-0000-4000-8000-000000000000",
                      "expert_code": "E00001", "day": "2026-12-01", "engagement_id": "1", "number": "SQ000001",
                      "year": "2026"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def system_with_role_keys(local_system: LocalSystem) -> tuple[LocalSystem, dict[str, str]]:
    """The run's system, and one API key per role (in the bureau's unit)."""
    admin = {"Authorization": f"Bearer {local_system.admin_api_key}"}
    # A vendor acts as itself: its key's unit is the vendor named in the sample paths.
    httpx.post(local_system.url() + "/api/v1/units", headers=admin, timeout=10,
               json={"uscc": SAMPLE_VENDOR.uscc, "name": SAMPLE_VENDOR.name})
    keys = {}
    for role in Role:
        unit = SAMPLE_VENDOR.uscc if role is Role.VENDOR else bureau_unit().uscc
        created = httpx.post(local_system.url() + "/api/v1/api-keys", headers=admin, timeout=10, json={
            "name": f"matrix {role}", "roles": [role.value], "unit_uscc": unit})
        keys[role.value] = created.json()["value"]
    return local_system, keys


def operations(system: LocalSystem) -> list[tuple[str, str]]:
    document = httpx.get(system.url() + "/api/openapi.json", timeout=10,
                         headers={"Authorization": f"Bearer {system.admin_api_key}"}).json()
    return sorted((method.upper(), path) for path, item in document["paths"].items() if path.startswith("/api/v1")
                  for method in item if method in {"get", "post", "put", "patch", "delete"})


def concrete(path: str) -> str:
    for name, value in SAMPLE_PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_every_operation_has_a_policy_and_auditors_never_write(system_with_role_keys) -> None:
    system, _ = system_with_role_keys
    unreviewed = [op for op in operations(system) if op not in POLICY and op not in ANONYMOUS]
    assert unreviewed == []
    assert not [op for op, roles in POLICY.items() if op[0] in WRITES and Role.AUDITOR in roles
                and op != ("POST", "/api/v1/auth/sign-out")]


def test_each_role_is_allowed_or_refused_as_the_policy_says(system_with_role_keys) -> None:
    system, keys = system_with_role_keys
    wrong: list[str] = []
    with httpx.Client(base_url=system.url(), timeout=20) as client:
        for method, path in operations(system):
            if (method, path) in ANONYMOUS:
                continue
            url = concrete(path)
            anonymous = client.request(method, url, json={})
            if anonymous.status_code != 401:
                wrong.append(f"anonymous {method} {path}: {anonymous.status_code}")
            for role, key in keys.items():
                if (method, path) == ("POST", "/api/v1/auth/sign-out"):
                    continue  # would only end nothing for an API key; covered in the accounts tests
                status = client.request(method, url, json={}, headers={"Authorization": f"Bearer {key}"}).status_code
                allowed = role in POLICY[(method, path)]
                if allowed and status in (401, 403):
                    wrong.append(f"{role} {method} {path}: refused with {status}")
                if not allowed and status != 403:
                    wrong.append(f"{role} {method} {path}: expected 403, got {status}")
    assert wrong == [], "\n".join(wrong)


def test_anonymous_callers_reach_only_what_the_design_leaves_open(system_with_role_keys) -> None:
    system, _ = system_with_role_keys
    with httpx.Client(base_url=system.url(), timeout=10) as client:
        for open_path in ("/healthz", "/readyz", "/.well-known/sortes-keys", "/api/v1/public-ratings", "/sign-in",
                          "/verify", "/verify/offline", "/static/verify.js", "/apply",
                          "/bulletin", "/api/v1/bulletin"):
            assert client.get(open_path).status_code == 200, open_path
        assert client.get("/").headers["location"] == "/sign-in"  # the console's pages need a session
        assert client.get("/home/auditor").status_code == 303
        for closed_path in ("/metrics", "/api/docs", "/api/openapi.json", "/api/v1/experts"):
            assert client.get(closed_path).status_code == 401, closed_path
