"""The bureau admin's console pages: the expert pool (list, one expert, import), the field taxonomy,
training, the annual assessment, and units, users and API keys.

Each page is a shell rendered on the server with its words; its script (static/admin-*.js, on the
helpers of static/admin.js) reads and changes through ``/api/v1`` with the session cookie and the
CSRF header, as any console page's API call, so the API's own rules and audit apply unchanged.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Template

from services.gateway.console.i18n.admin_messages import admin_text, admin_words
from services.gateway.console.i18n.messages import language
from services.gateway.console.pages.home import _session_token, page, page_number
from services.gateway.console.pages.panel_reads import beijing, read
from shared.clock import beijing_today
from shared.errors import NotPermitted
from shared.identity import Identity
from shared.roles import Role


def _admin_page(request: Request, template: str, words: str, **context: Any) -> Template:
    identity: Identity = request.user
    if Role.BUREAU_ADMIN.value not in identity.roles:
        raise NotPermitted("The expert pool and account pages are for bureau admins.", code="console.admin_only")
    lang = language(request)
    return page(request, template, user=identity, session_token=_session_token(request),
                a=admin_text(lang, words), admin_words=admin_words(lang, words), **context)


@get("/admin/experts", include_in_schema=False)
async def experts_page(request: Request) -> Template:
    return _admin_page(request, "console/admin_experts.html", "experts", today=beijing_today().isoformat())


@get("/admin/experts/{code:str}", include_in_schema=False)
async def expert_page(request: Request, code: FromPath[str]) -> Template:
    return _admin_page(request, "console/admin_expert.html", "expert", code=code)


@get("/admin/import", include_in_schema=False)
async def import_page(request: Request) -> Template:
    return _admin_page(request, "console/admin_import.html", "import")


@get("/admin/fields", include_in_schema=False)
async def fields_page(request: Request) -> Template:
    return _admin_page(request, "console/admin_fields.html", "fields")


@get("/admin/trainings", include_in_schema=False)
async def trainings_page(request: Request) -> Template:
    return _admin_page(request, "console/admin_trainings.html", "trainings")


@get("/admin/assessments", include_in_schema=False)
async def assessments_page(request: Request, year: int | None = None) -> Template:
    """The annual assessment (年度考核) of a year, this year's by default: confirm, print, export."""
    this_year = beijing_today().year
    shown = year if year is not None and 2000 <= year <= this_year else this_year
    return _admin_page(request, "console/admin_assessments.html", "assessments", year=shown, this_year=this_year)


@get("/admin/accounts", include_in_schema=False)
async def accounts_page(request: Request) -> Template:
    return _admin_page(request, "console/admin_accounts.html", "accounts")


OUTBOX_PAGE = 50


@get("/admin/outbox", include_in_schema=False)
async def outbox_page(request: Request, state: State) -> Template:
    """消息发件箱: the latest messages to panel members, as the experts service lists them (masked)."""
    if Role.BUREAU_ADMIN.value not in request.user.roles:
        raise NotPermitted("The expert pool and account pages are for bureau admins.", code="console.admin_only")
    number = page_number(request)
    found = await read(state.upstreams, request.user, "/notifications", {"page": number, "page_size": OUTBOX_PAGE})
    messages = found["items"]
    for message in messages:
        message["created_at"] = beijing(message["created_at"])
    return _admin_page(request, "console/admin_outbox.html", "outbox", messages=messages, total=found["total"],
                       page_number=number, pages=max(1, -(-found["total"] // OUTBOX_PAGE)))


ADMIN_PAGES = [experts_page, expert_page, import_page, fields_page, trainings_page, assessments_page, accounts_page,
               outbox_page]
