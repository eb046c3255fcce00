"""What the console's vendor pages read: ``GET /api/v1...`` at the vendors service with the signed-in
user's identity, as the same call through the gateway would, so the service authorises every read
and masks what it masks. A refusal becomes the console's own 403 or 404 page."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from urllib.parse import quote

from services.gateway.domain.upstream import Upstreams, passed_on_problem
from shared.clock import BEIJING
from shared.errors import NotFound, NotPermitted, Problem
from shared.identity import Identity

API = "/api/v1"


async def read(upstreams: Upstreams, identity: Identity, path: str, params: dict[str, Any] | None = None) -> Any:
    response = await upstreams.request("vendors", "GET", API + path, identity=identity, params=params)
    if response.status_code >= 400:
        raise passed_on_problem(response, {404: NotFound, 403: NotPermitted}.get(response.status_code, Problem))
    return response.json()


def segment(text: str) -> str:
    """A value as one path segment: it never reaches another path of the service."""
    return quote(text.strip(), safe="")


def beijing(instant: str | None) -> str:
    """An RFC 3339 instant as Beijing wall time, to the minute."""
    if not instant:
        return ""
    return dt.datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


_ENGAGEMENT_READS = asyncio.Semaphore(8)


async def vendor_engagements(upstreams: Upstreams, identity: Identity, uscc: str) -> list[dict[str, Any]]:
    """The vendor's engagements on the projects ``identity`` reads (its own unit's; the bureau's and the
    oversight roles' every project), newest first: the API lists engagements per project."""
    projects = await read(upstreams, identity, "/projects/")

    async def of(project: dict[str, Any]) -> list[dict[str, Any]]:
        async with _ENGAGEMENT_READS:
            rows = await read(upstreams, identity, f"/projects/{segment(project['code'])}/engagements")
        return [{**row, "project_name": project["name"]} for row in rows if row["vendor_uscc"] == uscc]

    found = await asyncio.gather(*(of(project) for project in projects))
    return sorted((row for rows in found for row in rows), key=lambda row: row["started_on"], reverse=True)
