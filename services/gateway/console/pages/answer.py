"""The one-time answer page an invited expert opens from the SMS: no sign-in, rate-limited per address.

The token comes in the query string (``/answer?t=…``) — never logged: the access log keeps the path
only — and goes on to the experts service in a request body, with the gateway's own identity; the
experts service finds the invitation from the token's digest and shows only that expert's own
invitation. The page is never cached and sends no Referer onwards.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request, Router, get, post
from litestar.datastructures import State
from litestar.exceptions import TooManyRequestsException
from litestar.response import Template
from litestar.types import Middleware

from services.gateway.composite.clients import ExpertsClient
from services.gateway.console.i18n.answer_messages import ANSWER_MESSAGES
from services.gateway.console.i18n.messages import language
from services.gateway.console.i18n.problem_messages import problem_text
from services.gateway.console.pages.home import page
from services.gateway.edge.upstream import GATEWAY
from shared.errors import Problem

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


class AnswerForm(msgspec.Struct, frozen=True):
    t: str = ""
    decision: str = ""
    reason: str = ""


def _answer_page(request: Request, *, invitation: dict[str, Any] | None = None, token: str = "",
                 problem: str | None = None, status_code: int = 200) -> Template:
    words = ANSWER_MESSAGES[language(request)]
    template = page(request, "console/answer.html", status_code=status_code, w=words, invitation=invitation,
                    token=token, problem=problem)
    template.headers.update(_HEADERS)
    return template


def _problem_of(request: Request, error: Problem) -> str:
    return problem_text(language(request), error.code, error.params)


async def _call(state: State, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST to the experts service's link routes as the gateway itself; its refusal as a Problem."""
    return await ExpertsClient(state.upstreams, GATEWAY).post_json(path, body)


@get("/", include_in_schema=False)
async def answer_page(request: Request, state: State) -> Template:
    token = request.query_params.get("t", "")
    if not _TOKEN.match(token):
        return _answer_page(request, problem=ANSWER_MESSAGES[language(request)]["missing"], status_code=404)
    try:
        invitation = await _call(state, "/invitation-links/lookup", {"token": token})
    except Problem as error:
        return _answer_page(request, problem=_problem_of(request, error), status_code=error.status)
    return _answer_page(request, invitation=invitation, token=token)


@post("/", include_in_schema=False, status_code=200)
async def answer_submit(request: Request, state: State) -> Template:
    """No CSRF token: no session is at stake, and only who holds the link's token can answer with it."""
    form = await request.form()
    data = AnswerForm(t=str(form.get("t", "")), decision=str(form.get("decision", "")),
                      reason=str(form.get("reason", "")))
    if not _TOKEN.match(data.t) or data.decision not in ("accept", "decline"):
        return _answer_page(request, problem=ANSWER_MESSAGES[language(request)]["missing"], status_code=404)
    body: dict[str, Any] = {"token": data.t, "accept": data.decision == "accept"}
    if data.reason.strip():
        body["reason"] = data.reason.strip()[:500]
    try:
        invitation = await _call(state, "/invitation-links/answer", body)
    except Problem as error:
        try:  # show the invitation again beside the refusal, when the link still finds it
            invitation = await _call(state, "/invitation-links/lookup", {"token": data.t})
        except Problem:
            invitation = None
        return _answer_page(request, invitation=invitation, token=data.t if invitation else "",
                            problem=_problem_of(request, error), status_code=error.status)
    return _answer_page(request, invitation=invitation, token=data.t)


def _rate_limited(request: Request, _: TooManyRequestsException) -> Template:
    return _answer_page(request, problem=problem_text(language(request), "http.too_many_requests", {}), status_code=429)


def answer_router(limit: Middleware) -> Router:
    """``/answer``, open to anyone with a link, behind ``limit`` (requests per address)."""
    return Router(path="/answer", route_handlers=[answer_page, answer_submit], middleware=[limit],
                  exception_handlers={TooManyRequestsException: _rate_limited})
