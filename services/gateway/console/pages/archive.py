"""The draw archive's search page, the spot check of self-evaluations (Art. 25) and the public bulletin.

The archive and the spot-check page read the experts service with the signed-in user's identity, as
``GET /api/v1/draws`` would: the service decides which draws the reader finds. The bulletin needs no
sign-in: it reads the experts service as the gateway itself, which shows only the draws of panels
whose meeting has ended, and checks each record with the /verify page's in-browser verifier.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.datastructures import State
from litestar.response import Template

from services.gateway.composite.clients import ExpertsClient
from services.gateway.console.i18n.archive_messages import archive_words
from services.gateway.console.i18n.messages import language
from services.gateway.console.i18n.panel_messages import panel_context
from services.gateway.console.i18n.problem_messages import problem_text
from services.gateway.console.pages.home import _session_token, page, page_number
from services.gateway.console.pages.panel_reads import beijing, read
from services.gateway.edge.upstream import GATEWAY
from services.gateway.identity.api import eligible_supervisors, session_caller
from shared.clock import beijing_today
from shared.contracts.panels import DRAW_PURPOSES
from shared.contracts.statuses import DrawStatus
from shared.errors import Problem
from shared.identity import requires_role
from shared.permissions import DRAW_READERS, LIFECYCLE_SYSTEM_AND_ADMIN, PANEL_ORGANISERS
from shared.roles import Role

FILTERS = ("project", "purpose", "status", "from", "to", "organiser", "supervisor", "field")
PAGE_SIZE = 20


def _words(request: Request) -> dict[str, Any]:
    lang = language(request)
    return {**panel_context(lang), **archive_words(lang)}


def rows_of(items: list[dict[str, Any]], field_names: dict[str, str] | None = None,
            kind_names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The archive's entries as the tables show them: Beijing times, fields by name as "应用系统 2、云计算 1"
    (by code where the name is not known), a spot check's lists by the kind of self-evaluation."""
    names, kinds = field_names or {}, kind_names or {}

    def named(item: dict[str, Any], field: str) -> str:
        return kinds.get(field.lower(), field) if item["kind"] == "spot_check" else names.get(field, field)

    return [{**item, "committed_at": beijing(item["committed_at"]),
             "fields_text": "、".join(f"{named(item, field)} {count}" for field, count in item["fields"].items())}
            for item in items]


async def _field_names(request: Request, state: State) -> dict[str, str]:
    """Each field's Chinese name by its code; none when the experts service cannot say."""
    try:
        return {field["code"]: field["name_zh"] for field in await read(state.upstreams, request.user, "/fields")}
    except Problem:
        return {}


@get("/archive", guards=[requires_role(*DRAW_READERS)], include_in_schema=False)
async def archive_page(request: Request, state: State) -> Template:
    """The search form and its results; a refused filter is shown beside its field."""
    filters = {name: request.query_params.get(name, "").strip() for name in FILTERS}
    number = page_number(request)
    params: dict[str, Any] = {name: value for name, value in filters.items() if value}
    lang = language(request)
    errors: dict[str, str] = {}
    found: dict[str, Any] = {"items": [], "total": 0}
    try:
        found = await read(state.upstreams, request.user, "/draws", {**params, "page": number, "size": PAGE_SIZE})
    except Problem as refusal:  # a refused filter: shown beside its field
        if refusal.status != 422 or not refusal.errors:
            raise
        errors = {error.field: problem_text(lang, error.code, error.params) for error in refusal.errors}
    pages = max(1, math.ceil(found["total"] / PAGE_SIZE))
    field_names, kinds = await _field_names(request, state), archive_words(lang)["a"]["self_kinds"]
    return page(request, "console/archive.html", user=request.user, session_token=_session_token(request),
                **_words(request), filters=filters, errors=errors, rows=rows_of(found["items"], field_names, kinds),
                total=found["total"], page_no=number, pages=pages, purposes=DRAW_PURPOSES,
                statuses=[status.value for status in DrawStatus], year=beijing_today().year,
                filter_query=params, organises=request.user.has_any(PANEL_ORGANISERS))


@get("/spot-checks", guards=[requires_role(*DRAW_READERS)], include_in_schema=False)
async def spot_checks_page(request: Request, state: State) -> Template:
    """A year's register of submitted self-evaluations and its spot checks (by default last year's)."""
    today = beijing_today()
    try:
        year = int(request.query_params.get("year", today.year - 1))
    except ValueError:
        year = today.year - 1
    year = min(max(year, 2000), today.year)
    register = await read(state.upstreams, request.user, "/self-evaluations", {"year": year})
    draws = await read(state.upstreams, request.user, "/draws", {
        "purpose": "spot_check", "project": f"SPOT-{year}", "size": 50})
    spot_checks = [item for item in draws["items"] if item["project_code"] == f"SPOT-{year}"]
    samples = {}
    for item in spot_checks:
        if item["status"] == DrawStatus.REVEALED:
            record = await read(state.upstreams, request.user, f"/draws/{item['draw_id']}/record")
            samples[item["draw_id"]] = record.get("result") or {}
    counts = {kind: sum(row["kind"] == kind for row in register) for kind in ("application", "performance")}
    user = request.user
    return page(request, "console/spot_checks.html", user=user, session_token=_session_token(request),
                **_words(request), year=year, years=list(range(today.year, today.year - 6, -1)),
                register=register, counts=counts, samples=samples,
                draws=rows_of(spot_checks, kind_names=archive_words(language(request))["a"]["self_kinds"]),
                year_ended=year < today.year, today=today.isoformat(),
                may_enter=user.has_any(PANEL_ORGANISERS | LIFECYCLE_SYSTEM_AND_ADMIN),
                may_draw=user.has_any([Role.BUREAU_ADMIN]),
                supervisors=await eligible_supervisors(state.database, user.unit) if user.unit else [])


@get("/bulletin", include_in_schema=False)
async def bulletin_page(request: Request, state: State) -> Template:
    """Anonymous: the draws of panels whose meeting has ended, each with its record and a verify link."""
    number = page_number(request)
    caller = await session_caller(request)
    user, token = caller if caller is not None else (None, None)
    try:
        shown = await ExpertsClient(state.upstreams, GATEWAY).read("/bulletin", {"page": number, "size": PAGE_SIZE})
    except Problem:
        shown = None
    items = [] if shown is None else [
        {**item, "excluded": sum(item["exclusion_counts"].values()),
         "record_url": f"/api/v1/bulletin/{item['draw_id']}/record",
         "verify_url": "/verify?" + urlencode({"record": f"/api/v1/bulletin/{item['draw_id']}/record"})}
        for item in shown["items"]]
    names = any(item.get("names") is not None for item in items)
    pages = max(1, math.ceil((shown or {"total": 0})["total"] / PAGE_SIZE))
    return page(request, "console/bulletin.html", user=user, session_token=token, **_words(request),
                items=items, unavailable=shown is None, names_shown=names, page_no=number, pages=pages,
                total=(shown or {"total": 0})["total"])


# Behind a session; the bulletin is open (console/site.py mounts it beside /verify).
ARCHIVE_PAGES = [archive_page, spot_checks_page]
OPEN_PAGES = [bulletin_page]
