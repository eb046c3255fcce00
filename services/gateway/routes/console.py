"""The console's landing page (the full console is built in its own issue)."""

from __future__ import annotations

import asyncio

from litestar import get
from litestar.datastructures import State
from litestar.response import Template

from services.gateway.domain.upstream import SERVICE_NAMES, Upstreams


@get("/", include_in_schema=False)
async def index(state: State) -> Template:
    upstreams: Upstreams = state.upstreams
    ready = all(await asyncio.gather(*(upstreams.is_ready(service) for service in SERVICE_NAMES)))
    return Template(template_name="index.html", context={"ready": ready})
