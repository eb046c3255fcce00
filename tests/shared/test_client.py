"""The typed client's retries: safe calls are repeated on 502/503/504, a POST keeps one key."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from shared.client import SortesClient, SortesError
from shared.contracts.projects import ProjectReference

REFERENCE = ProjectReference(name="项目", kind="operations", owner_unit="11330326862981311N", investment_fen=1,
                             planned_completion=dt.date(2027, 1, 1))
REGISTERED = {"project": {"code": "P1", "name": "项目", "kind": "operations", "owner_unit": "11330326862981311N",
                          "investment_fen": 1, "planned_completion": "2027-01-01", "lots": [], "is_major": False,
                          "digest": "ab", "updated_at": "2026-11-28T00:00:00Z"},
              "outcomes": {"experts": "created", "vendors": "created"}}


def client_with(answers: list[httpx.Response], seen: list[httpx.Request]) -> SortesClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return SortesClient("http://sortes.test", "sortes_key", transport=httpx.MockTransport(handle), retries=2)


def test_an_unavailable_gateway_is_retried_until_it_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shared.client.time.sleep", lambda _: None)
    seen: list[httpx.Request] = []
    client = client_with([httpx.Response(503, json={"title": "busy"}), httpx.Response(201, json=REGISTERED)], seen)
    registration = client.register_project("P1", REFERENCE)
    assert registration.outcomes == {"experts": "created", "vendors": "created"}
    assert len(seen) == 2 and seen[0].headers["authorization"] == "Bearer sortes_key"


def test_a_post_keeps_its_idempotency_key_across_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shared.client.time.sleep", lambda _: None)
    seen: list[httpx.Request] = []
    created = {"webhook": {"id": "w1", "name": "n", "url": "http://x", "event_types": ["draw.committed"],
                           "created_at": "2026-11-28T00:00:00Z", "disabled": False}, "secret": "s"}
    client = client_with([httpx.Response(502), httpx.Response(201, json=created)], seen)
    assert client.subscribe("n", "http://x", ["draw.committed"]).secret == "s"
    assert seen[0].headers["idempotency-key"] == seen[1].headers["idempotency-key"]


def test_a_refusal_raises_with_the_problem_and_its_fields() -> None:
    problem = {"type": "/problems/validation-error", "title": "Invalid input", "status": 422,
               "errors": [{"field": "owner_unit", "message": "check character does not match"}]}
    client = client_with([httpx.Response(422, json=problem)], [])
    with pytest.raises(SortesError) as raised:
        client.register_project("P1", REFERENCE)
    assert raised.value.status == 422
    assert raised.value.field_errors == {"owner_unit": "check character does not match"}


def test_it_gives_up_after_its_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shared.client.time.sleep", lambda _: None)
    seen: list[httpx.Request] = []
    client = client_with([httpx.Response(504)] * 3, seen)
    with pytest.raises(SortesError) as raised:
        client.key_set()
    assert raised.value.status == 504 and len(seen) == 3
