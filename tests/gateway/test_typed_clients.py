"""The gateway's typed clients: what it sends a service is the service's own contract, built from typed
values, and an answer it cannot read is a 502, never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import msgspec
import pytest

from services.gateway.composite import panels
from services.gateway.composite.clients import ExpertsClient, VendorsClient
from shared.contracts.panels import (
    ExpertAvoidance,
    PanelAsk,
    PanelRequest,
    Person,
    SeatRequest,
    SupplementaryAsk,
    SupplementaryRequest,
    UnitAvoidance,
)
from shared.errors import BadGateway
from shared.identity import Identity
from shared.roles import Role

ORGANISER = Identity(subject="user:organiser", name="组织人", roles=(Role.ORGANISER,), unit="11330326862981311N")
SUPERVISOR = Person(subject="user:supervisor", name="监督人", unit="11330326002579048M")
NAMED = "91330326MA2CT8U6X4"  # the organiser names it; the vendors service lists it too
DESIGNER = "91330300MA2AXX7B1T"


class StubUpstreams:
    """Answers by (service, method, path) and keeps what was sent."""

    def __init__(self, answers: dict[tuple[str, str, str], httpx.Response]) -> None:
        self.answers, self.sent = answers, []

    async def request(self, service: str, method: str, path: str, *, identity: Identity | None, params: Any = None,
                      content: bytes | None = None, json: Any = None,
                      headers: dict[str, str] | None = None) -> httpx.Response:
        self.sent.append((service, method, path, content))
        return self.answers[(service, method, path)]


def _involved() -> httpx.Response:
    return httpx.Response(200, json=[
        {"uscc": NAMED, "name": "甲公司", "reasons": ["engaged: construction"]},
        {"uscc": DESIGNER, "name": "乙设计院", "reasons": ["engaged: overall_design", "bids on L2"]}])


def _clients(upstreams: StubUpstreams) -> tuple[ExpertsClient, VendorsClient]:
    return ExpertsClient(upstreams, ORGANISER), VendorsClient(upstreams, ORGANISER)  # type: ignore[arg-type]


async def test_a_panel_ask_reaches_the_experts_service_as_its_request_with_the_projects_vendors_to_avoid() -> None:
    upstreams = StubUpstreams({
        ("vendors", "GET", "/api/v1/projects/PY%2F1/involved-vendors"): _involved(),
        ("experts", "POST", "/api/v1/projects/PY%2F1/panels"): httpx.Response(201, json={"id": "d1"})})
    ask = PanelAsk(purpose="technical_review", meeting_on=dt.date(2026, 12, 15), halves=["morning"],
                   seats=[SeatRequest(field="APP", count=3)], supervisor="supervisor", reserves=1,
                   avoid_units=[UnitAvoidance(unit_uscc=NAMED, reason="组织人回避：前期咨询")],
                   avoid_experts=[ExpertAvoidance(code="E00042", reason="close_relative")])

    answer = await panels.commit_panel(*_clients(upstreams), "PY/1", ask, SUPERVISOR)

    assert answer.status_code == 201
    service, method, path, body = upstreams.sent[-1]
    assert (service, method, path) == ("experts", "POST", "/api/v1/projects/PY%2F1/panels")
    sent = msgspec.json.decode(body, type=PanelRequest)  # the experts service's own contract, unknown keys refused
    assert sent.supervisor == SUPERVISOR
    assert sent.avoid_units == [UnitAvoidance(unit_uscc=NAMED, reason="组织人回避：前期咨询"),
                                UnitAvoidance(unit_uscc=DESIGNER, reason="vendor: engaged: overall_design; bids on L2",
                                              unit_name="乙设计院")]
    assert (sent.purpose, sent.meeting_on, sent.halves, sent.seats, sent.reserves, sent.avoid_experts) == (
        ask.purpose, ask.meeting_on, ask.halves, ask.seats, ask.reserves, ask.avoid_experts)


async def test_a_supplementary_draw_avoids_the_vendors_of_the_original_draws_project() -> None:
    draw = {"id": "d1", "kind": "panel", "status": "revealed", "project_code": "PY-1", "commitment": "c",
            "committed_at": "2026-12-01T02:00:00Z", "exclusion_counts": {}, "receipt": {}}
    upstreams = StubUpstreams({
        ("experts", "GET", "/api/v1/draws/d1"): httpx.Response(200, json=draw),
        ("vendors", "GET", "/api/v1/projects/PY-1/involved-vendors"): _involved(),
        ("experts", "POST", "/api/v1/draws/d1/supplementary"): httpx.Response(201, json={"id": "d2"})})

    await panels.commit_supplementary(*_clients(upstreams), "d1", SupplementaryAsk(reserves=0))

    sent = msgspec.json.decode(upstreams.sent[-1][3], type=SupplementaryRequest)
    assert sent.reserves == 0 and sent.seats == []
    assert [unit.unit_uscc for unit in sent.avoid_units] == [NAMED, DESIGNER]


@pytest.mark.parametrize("answer", [
    {"id": "d1"},  # fields missing
    {"id": "d1", "kind": "panel", "status": "revealed", "project_code": "PY-1", "commitment": "c",
     "committed_at": "2026-12-01T02:00:00Z", "exclusion_counts": {}, "receipt": {},
     "panel": {"id": "p1", "project_code": "PY-1", "meeting_on": "2026-12-15", "halves": ["morning"],
               "status": "open", "open_seats": {}, "members": [
                   {"expert_code": "E00001", "field": "APP", "kind": "primary", "state": "teleported"}]}},
], ids=["fields missing", "a seat state the contract does not know"])
async def test_an_answer_the_gateway_cannot_read_is_a_502_not_a_500(answer: dict[str, Any]) -> None:
    upstreams = StubUpstreams({("experts", "GET", "/api/v1/draws/d1"): httpx.Response(200, json=answer)})
    experts, _ = _clients(upstreams)
    with pytest.raises(BadGateway) as raised:
        await experts.draw("d1")
    assert raised.value.status == 502 and "E00001" not in str(raised.value.detail)
