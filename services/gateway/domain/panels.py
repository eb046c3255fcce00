"""Composite draw calls: the gateway names the supervisor and adds the project's vendors to the
units to avoid (回避), then the experts service commits.

Vendor avoidance is never skipped: when the vendors service cannot say which vendors are engaged
on or bidding for the project, the request fails with 503 and nothing is committed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.domain.upstream import Upstreams, passed_on_problem
from services.gateway.models import User
from shared.errors import BadGateway, GatewayTimeout, InvalidInput, ServiceUnavailable
from shared.identity import Identity
from shared.roles import Role

API = "/api/v1"


async def supervisor_of(session: AsyncSession, username: str) -> dict[str, str]:
    """The named supervisor as the experts service records them; a clear 422 when they cannot be."""
    user = await session.get(User, username)
    if user is None or user.disabled_at is not None:
        raise InvalidInput.for_field("supervisor", "supervisor.unknown", "no active user with this name")
    if Role.SUPERVISOR not in user.roles.split(","):
        raise InvalidInput.for_field("supervisor", "supervisor.not_supervisor",
                                     "this user does not have the supervisor role")
    return {"subject": f"user:{user.username}", "name": user.display_name, "unit": user.unit_uscc}


async def vendors_to_avoid(upstreams: Upstreams, identity: Identity, project_code: str) -> list[dict[str, str]]:
    try:
        response = await upstreams.request(
            "vendors", "GET", f"{API}/projects/{_segment(project_code)}/involved-vendors", identity=identity)
    except (ServiceUnavailable, GatewayTimeout, BadGateway):
        raise ServiceUnavailable(
            "The vendors service cannot say which vendors are engaged on or bidding for the project, and no "
            "panel is drawn without avoiding them. Nothing was committed; try again shortly.",
            code="panel.vendors_unavailable",
            headers={"Retry-After": "5"}) from None
    if response.status_code >= 400:
        raise passed_on_problem(response)
    return [{"unit_uscc": vendor["uscc"], "reason": _reason(vendor)} for vendor in response.json()]


def _segment(value: str) -> str:
    """A path value as one URL segment, whatever characters the caller put in it."""
    return quote(value, safe="")


def _reason(vendor: dict[str, Any]) -> str:
    return ("vendor: " + "; ".join(vendor["reasons"]))[:200]


async def commit_panel(upstreams: Upstreams, identity: Identity, project_code: str, ask: Any,
                       supervisor: dict[str, str]) -> httpx.Response:
    body = msgspec.to_builtins(ask)
    named = {unit["unit_uscc"] for unit in body["avoid_units"]}
    vendors = [unit for unit in await vendors_to_avoid(upstreams, identity, project_code)
               if unit["unit_uscc"] not in named]
    body.update(supervisor=supervisor, avoid_units=[*body["avoid_units"], *vendors])
    return await upstreams.request("experts", "POST", f"{API}/projects/{_segment(project_code)}/panels",
                                   identity=identity, json=body)


async def commit_supplementary(upstreams: Upstreams, identity: Identity, draw_id: str, ask: Any) -> httpx.Response:
    draw = await upstreams.request("experts", "GET", f"{API}/draws/{_segment(draw_id)}", identity=identity)
    if draw.status_code >= 400:
        raise passed_on_problem(draw)
    body = msgspec.to_builtins(ask)
    body["avoid_units"] = await vendors_to_avoid(upstreams, identity, draw.json()["project_code"])
    return await upstreams.request("experts", "POST", f"{API}/draws/{_segment(draw_id)}/supplementary",
                                   identity=identity, json=body)


async def commit_spot_check(upstreams: Upstreams, identity: Identity, ask: Any,
                            supervisor: dict[str, str]) -> httpx.Response:
    body = msgspec.to_builtins(ask)
    body["supervisor"] = supervisor
    return await upstreams.request("experts", "POST", f"{API}/spot-checks", identity=identity, json=body)
