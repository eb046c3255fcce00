"""Composite draw calls: the gateway names the supervisor and adds the project's vendors to the
units to avoid (回避), then the experts service commits.

Vendor avoidance is never skipped: when the vendors service cannot say which vendors are engaged
on or bidding for the project, the request fails with 503 and nothing is committed.
"""

from __future__ import annotations

import httpx
from msgspec.structs import replace
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.composite.clients import ExpertsClient, VendorsClient
from services.gateway.models import Unit, User
from shared.contracts.panels import (
    PanelAsk,
    Person,
    SpotCheckAsk,
    SupplementaryAsk,
    SupplementaryRequest,
    UnitAvoidance,
)
from shared.contracts.vendors import InvolvedVendor
from shared.errors import BadGateway, GatewayTimeout, InvalidInput, ServiceUnavailable
from shared.roles import Role


async def supervisor_of(session: AsyncSession, username: str) -> Person:
    """The named supervisor as the experts service records them; a clear 422 when they cannot be."""
    user = await session.get(User, username)
    if user is None or user.disabled_at is not None:
        raise InvalidInput.for_field("supervisor", "supervisor.unknown", "no active user with this name")
    if Role.SUPERVISOR not in user.roles.split(","):
        raise InvalidInput.for_field("supervisor", "supervisor.not_supervisor",
                                     "this user does not have the supervisor role")
    return Person(subject=f"user:{user.username}", name=user.display_name, unit=user.unit_uscc,
                  unit_name=await unit_name(session, user.unit_uscc))


async def unit_name(session: AsyncSession, uscc: str) -> str | None:
    """A unit's name for the printed record (抽取记录表 prints names, not codes)."""
    unit = await session.get(Unit, uscc)
    return None if unit is None else unit.name


async def vendors_to_avoid(vendors: VendorsClient, project_code: str) -> list[UnitAvoidance]:
    try:
        involved = await vendors.involved_vendors(project_code)
    except (ServiceUnavailable, GatewayTimeout, BadGateway):
        raise ServiceUnavailable(
            "The vendors service cannot say which vendors are engaged on or bidding for the project, and no "
            "panel is drawn without avoiding them. Nothing was committed; try again shortly.",
            code="panel.vendors_unavailable", headers={"Retry-After": "5"}) from None
    return [UnitAvoidance(unit_uscc=vendor.uscc, reason=_reason(vendor), unit_name=vendor.name) for vendor in involved]


def _reason(vendor: InvolvedVendor) -> str:
    return ("vendor: " + "; ".join(vendor.reasons))[:200]


async def commit_panel(experts: ExpertsClient, vendors: VendorsClient, project_code: str, ask: PanelAsk,
                       supervisor: Person, organiser_unit_name: str | None = None) -> httpx.Response:
    request = replace(ask.for_experts(supervisor), organiser_unit_name=organiser_unit_name)
    named = {unit.unit_uscc for unit in request.avoid_units}
    involved = [unit for unit in await vendors_to_avoid(vendors, project_code) if unit.unit_uscc not in named]
    return await experts.commit_panel(project_code, replace(request, avoid_units=[*request.avoid_units, *involved]))


async def commit_supplementary(experts: ExpertsClient, vendors: VendorsClient, draw_id: str,
                               ask: SupplementaryAsk) -> httpx.Response:
    draw = await experts.draw(draw_id)
    request = SupplementaryRequest(seats=ask.seats, reserves=ask.reserves,
                                   avoid_units=await vendors_to_avoid(vendors, draw.project_code))
    return await experts.commit_supplementary(draw_id, request)


async def commit_spot_check(experts: ExpertsClient, ask: SpotCheckAsk, supervisor: Person) -> httpx.Response:
    return await experts.commit_spot_check(ask.for_experts(supervisor))
