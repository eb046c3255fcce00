"""Joining the pool and changing an entry: the public application page (入库申请, no sign-in), the
bureau admin's review queue and form to add one expert, and the expert's own change requests.

As the admin pages, each is a shell with its words; its script calls ``/api/v1``: the public page the
open ``POST /api/v1/expert-applications`` and ``…/status`` (JSON, limited per address, no cookie
read), the others with the session cookie and the CSRF header.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.response import Template

from services.gateway.composite.clients import client_for
from services.gateway.console.i18n.application_messages import application_text, application_words
from services.gateway.console.i18n.messages import language
from services.gateway.console.pages.home import _session_token, page
from services.gateway.edge.upstream import GATEWAY
from services.gateway.identity import api as accounts
from services.gateway.identity.api import session_caller
from shared.errors import NotPermitted, Problem
from shared.identity import Identity
from shared.permissions import APPLICATION_RECOMMENDERS
from shared.roles import Role


def _page(request: Request, template: str, words: str, *, user: Identity | None, session_token: str | None,
          **context: Any) -> Template:
    lang = language(request)
    return page(request, template, user=user, session_token=session_token, a=application_text(lang, words),
                admin_words=application_words(lang, words), **context)


def _for_role(request: Request, role: Role, template: str, words: str) -> Template:
    identity: Identity = request.user
    if role.value not in identity.roles:
        raise NotPermitted("This page is for {role}.", code="console.role_only", params={"role": role.value})
    return _page(request, template, words, user=identity, session_token=_session_token(request))


@get("/apply", include_in_schema=False)
async def apply_page(request: Request, state: State) -> Template:
    """Open to anyone: the application form and the look-up of its outcome. The fields to choose from
    are read by the gateway as itself (the page has no caller)."""
    caller = await session_caller(request)
    user, token = caller if caller is not None else (None, None)
    return _page(request, "console/apply.html", "apply", user=user, session_token=token,
                 fields=await _field_choices(request, state, GATEWAY))


@get("/recommend", include_in_schema=False)
async def recommend_page(request: Request, state: State) -> Template:
    """A unit's recommendation of a person (单位推荐), and the unit's recommendations with their outcome."""
    identity: Identity = request.user
    if not identity.has_any(APPLICATION_RECOMMENDERS):
        raise NotPermitted("Recommending experts is for the units' signed-in users.", code="console.recommenders_only")
    return _page(request, "console/recommend.html", "recommend", user=identity,
                 session_token=_session_token(request), fields=await _field_choices(request, state, identity))


async def _field_choices(request: Request, state: State, identity: Identity) -> list[tuple[str, str]] | None:
    """The fields a person may be given, by code and name in the page's language; None when unreadable."""
    try:
        fields = await client_for("experts", state.upstreams, identity).read("/fields")
    except Problem:
        return None
    english = language(request) == "en"
    return [(f["code"], f["name_en"] if english else f["name_zh"]) for f in fields if not f["retired"]]


@get("/admin/applications", include_in_schema=False)
async def review_page(request: Request, state: State) -> Template:
    """The review queue; a recommending unit is shown by its registered name."""
    template = _for_role(request, Role.BUREAU_ADMIN, "console/admin_applications.html", "applications")
    units = await accounts.registered_units(state.database)
    template.context["admin_words"]["unit_names"] = {unit.uscc: unit.name for unit in units}
    return template


@get("/admin/experts/new", include_in_schema=False)
async def new_expert_page(request: Request) -> Template:
    return _for_role(request, Role.BUREAU_ADMIN, "console/admin_expert_new.html", "expert_new")


@get("/my/changes", include_in_schema=False)
async def my_changes_page(request: Request) -> Template:
    return _for_role(request, Role.EXPERT, "console/my_changes.html", "my_changes")


OPEN_PAGES = [apply_page]
APPLICATION_PAGES = [recommend_page, review_page, new_expert_page, my_changes_page]
