"""The web console: sign-in and sign-out, a home per role, and the draw verification page.

Pages are rendered on the server, which reads what they show with the signed-in user's identity
(the gateway's own tables, or the services through the gateway's upstream calls, as any API call
would). What a page changes, its JavaScript sends to ``/api/v1`` with the session cookie and the
CSRF token (static/console.js). Sign-in, sign-out and the verification page are plain forms and
static assets, so the verifier also works saved as a file.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, State
from litestar.exceptions import HTTPException, TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler, Middleware
from markupsafe import Markup

from services.gateway.composite.clients import client_for
from services.gateway.console.i18n.admin_messages import admin_navigation
from services.gateway.console.i18n.archive_messages import ARCHIVE_MESSAGES, archive_words
from services.gateway.console.i18n.messages import (
    LANG_COOKIE,
    MESSAGES,
    ROLE_NAMES,
    ROLE_TASKS,
    language,
    requested_language,
)
from services.gateway.console.i18n.panel_messages import PURPOSES, panel_context
from services.gateway.console.i18n.problem_messages import problem_catalogue, problem_text
from services.gateway.console.i18n.vendor_messages import vendor_navigation
from services.gateway.console.pages.panel_reads import home_sections
from services.gateway.edge.upstream import SERVICE_NAMES
from services.gateway.identity import api as accounts
from services.gateway.identity.api import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    BearerAuthenticationMiddleware,
    cleared,
    csrf_matches,
    csrf_token,
    home_path,
    home_roles,
    local_target,
    session_caller,
    session_cookie,
    sign_in_cookie,
)
from shared.clock import BEIJING
from shared.errors import EXCEPTION_HANDLERS, NotAuthenticated, NotFound, NotPermitted, Problem
from shared.identity import Identity
from shared.permissions import ADMIN_AND_AUDITOR, APPLICATION_RECOMMENDERS, DRAW_READERS
from shared.roles import Role

STATIC = Path(__file__).parent.parent / "static"
KEYS_PATH = "/.well-known/sortes-keys"

# Figures on a role's home page; each is read only by roles that the API lets read it.
FIGURES: dict[Role, tuple[str, ...]] = {
    Role.BUREAU_ADMIN: ("experts", "vendors", "users", "units"),
    Role.AUDITOR: ("experts", "vendors", "users", "units"),
    Role.ORGANISER: ("experts",),
    Role.SUPERVISOR: ("experts",),
    Role.PROCUREMENT_OFFICER: ("vendors",),
    Role.RATER: ("vendors",),
    Role.RATING_REVIEWER: ("vendors",),
}


def console_routes(sign_in_limit: Middleware,
                   pages: Sequence[ControllerRouterHandler] = ()) -> list[ControllerRouterHandler]:
    """The console's routers: open pages, the sign-in form (behind ``sign_in_limit``, the API's sign-in
    quota per address) and the pages behind a session, with ``pages`` among them; plus the static assets
    at /static."""
    sign_in = Router(path="/sign-in", route_handlers=[sign_in_page, sign_in_submit],
                     middleware=[sign_in_limit],
                     exception_handlers={TooManyRequestsException: _rate_limited})
    signed_in = Router(path="/", route_handlers=[landing, home, sign_out, *pages],
                       middleware=[DefineMiddleware(BearerAuthenticationMiddleware)],
                       exception_handlers={NotAuthenticated: _to_sign_in, NotPermitted: _forbidden,
                                           NotFound: _not_found})
    return [sign_in, signed_in, verify_page, verify_offline,
            create_static_files_router(path="/static", directories=[STATIC])]


# --- rendering ------------------------------------------------------------------------------------


def page_number(request: Request, last: int | None = 10_000) -> int:
    """The ``page`` query parameter of a listing page: 1 when absent or not a number, at most ``last``."""
    try:
        number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1
    return number if last is None else min(last, number)


def page(request: Request, template: str, *, user: Identity | None = None, session_token: str | None = None,
         status_code: int = 200, cookies: list[Cookie] | None = None, **context: Any) -> Template:
    """A console page in the reader's language, with the layout's navigation and CSRF token."""
    lang = language(request)
    digester = request.app.state.api_key_digester
    all_cookies = list(cookies or [])
    if requested_language(request):
        all_cookies.append(Cookie(key=LANG_COOKIE, value=lang, path="/", max_age=365 * 24 * 3600,
                                  samesite="lax", httponly=True, secure=_secure(request)))
    # A signed-in page shows the user's data and session token: no cache keeps it.
    headers = {"Cache-Control": "no-store"} if user is not None else {}
    return Template(template_name=template, status_code=status_code, cookies=all_cookies, headers=headers, context={
        "t": MESSAGES[lang], "role_names": ROLE_NAMES[lang], "user": user, "path": request.url.path,
        "problems": problem_catalogue(lang),
        "nav": _navigation(request, user, lang),
        "csrf_token": csrf_token(digester, session_token) if session_token else None,
        "other_language_href": _with_query(request, lang=MESSAGES[lang]["other_language_code"]),
        **context})


def _navigation(request: Request, user: Identity | None, lang: str) -> list[dict[str, Any]]:
    text = MESSAGES[lang]
    items: list[tuple[str, str]] = []
    if user is not None:
        homes = home_roles(user.roles)
        items += [(f"/home/{role.value}", text["nav_home"] if len(homes) == 1 else ROLE_NAMES[lang][role.value])
                  for role in homes]
    if user is not None and Role.ORGANISER.value in user.roles:
        items.append(("/panels/new", text["nav_new_panel"]))
    if user is not None and user.has_any(DRAW_READERS):
        words = ARCHIVE_MESSAGES[lang]
        items.append(("/archive", words["nav_archive"]))  # which links the spot checks and the bulletin
    if user is not None and Role.EXPERT.value in user.roles:
        items.append(("/my/changes", text["nav_my_changes"]))
    if user is not None and user.has_any(APPLICATION_RECOMMENDERS - {Role.BUREAU_ADMIN}):
        items.append(("/recommend", text["nav_recommend"]))
    if user is not None and user.has_any(ADMIN_AND_AUDITOR):
        items.append(("/audit", text["nav_audit"]))
    if user is not None and Role.BUREAU_ADMIN.value in user.roles:
        items.append(("/admin/experts", text["nav_admin_experts"]))
        items += admin_navigation(user.roles, lang)
    if user is not None:
        items += vendor_navigation(user.roles, lang)
    if user is None:  # signed in, the archive page links it
        items.append(("/bulletin", ARCHIVE_MESSAGES[lang]["bulletin_title"]))
    items.append(("/verify", text["nav_verify"]))
    if user is not None:
        items.append(("/api/docs", text["nav_api_docs"]))
    return [{"href": href, "label": label, "current": request.url.path == href} for href, label in items]


def _with_query(request: Request, **changes: str) -> str:
    query = {**dict(request.query_params), **changes}
    return f"{request.url.path}?{urlencode(query)}"


def _secure(connection: ASGIConnection) -> bool:
    return connection.url.scheme == "https"


# --- signing in and out ---------------------------------------------------------------------------


@get("/", include_in_schema=False)
async def sign_in_page(request: Request, next_: Annotated[str | None, QueryParameter(name="next")] = None,
                       signed_out: FromQuery[str | None] = None) -> Response:
    caller = await session_caller(request)
    if caller is not None:
        return Redirect(local_target(next_) or home_path(caller[0].roles))
    return _sign_in_form(request, next_=next_, notice="signed_out" if signed_out else None)


def _sign_in_form(request: Request, *, next_: str | None = None, error: str | None = None,
                  notice: str | None = None, username: str = "", status_code: int = 200,
                  headers: dict[str, str] | None = None, **error_values: str) -> Template:
    """The form with a fresh double-submit value: the same value goes in a cookie and a hidden field,
    so a form posted from another site (which cannot read the cookie) is refused."""
    form_token = secrets.token_urlsafe(24)
    text = MESSAGES[language(request)]
    template = page(request, "console/sign_in.html", status_code=status_code,
                    cookies=[sign_in_cookie(form_token, secure=_secure(request))],
                    form_token=form_token, next_=local_target(next_) or "", username=username,
                    error=text[error].format(**error_values) if error else None,
                    notice=text[notice] if notice else None)
    template.headers.update(headers or {})
    return template


@post("/", include_in_schema=False, status_code=303)
async def sign_in_submit(request: Request, state: State) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    next_ = str(form.get("next", "")) or None
    if not request.cookies.get(SIGN_IN_COOKIE) or not csrf_matches(request.cookies[SIGN_IN_COOKIE],
                                                                    str(form.get(CSRF_FIELD, ""))):
        return _sign_in_form(request, next_=next_, username=username, error="error_form_expired", status_code=400)
    if not username or not password:
        return _sign_in_form(request, next_=next_, username=username, error="error_missing_fields",
                             status_code=400)
    async with state.database.transaction() as session:
        outcome = await accounts.sign_in(session, state.audit, state.api_key_digester, state.sign_in_policy,
                                      username, password)
    if outcome.locked_until is not None:
        until = outcome.locked_until.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        return _sign_in_form(request, next_=next_, username=username, error="error_locked", until=until,
                             status_code=423)
    if outcome.token is None or outcome.user is None or outcome.expires_at is None:
        return _sign_in_form(request, next_=next_, username=username, error="error_wrong_password",
                             status_code=401)
    roles = accounts.user_view(outcome.user).roles
    return Redirect(local_target(next_) or home_path(roles), status_code=303, cookies=[
        session_cookie(outcome.token, outcome.expires_at, secure=_secure(request)),
        cleared(SIGN_IN_COOKIE, "/sign-in")])


def _rate_limited(request: Request, exception: TooManyRequestsException) -> Response:
    headers = dict(exception.headers or {})
    headers.setdefault("Retry-After", str(max(1, int(headers.get("RateLimit-Reset", "60")))))
    return _sign_in_form(request, error="error_rate_limited", status_code=429, headers=headers)


@post("/sign-out", include_in_schema=False, status_code=303)
async def sign_out(request: Request, state: State) -> Response:
    """Revoke the session's token (the middleware has checked the form's CSRF token) and forget it."""
    async with state.database.transaction() as session:
        await accounts.sign_out(session, state.audit, state.api_key_digester, request.user, str(request.auth))
    return Redirect("/sign-in?signed_out=1", status_code=303, cookies=[cleared(SESSION_COOKIE)])


def _to_sign_in(request: Request, _: NotAuthenticated) -> Response:
    """A page that needs a session sends the browser to the sign-in form, and back after it."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/sign-in" if target == "/" else "/sign-in?" + urlencode({"next": target})
    return Redirect(location, status_code=303, cookies=[cleared(SESSION_COOKIE)])


def _forbidden(request: Request, problem: NotPermitted) -> Response:
    caller = request.scope.get("user")
    return page(request, "console/message.html", user=caller, session_token=_session_token(request),
                status_code=403, title_key="forbidden_title", text_key="forbidden_text",
                detail=problem_text(language(request), problem.code, problem.params))


def _not_found(request: Request, problem: NotFound) -> Response:
    caller = request.scope.get("user")
    return page(request, "console/message.html", user=caller, session_token=_session_token(request),
                status_code=404, title_key="not_found_title", text_key=None,
                detail=problem_text(language(request), problem.code, problem.params))


def unknown_address(request: Request, exception: HTTPException) -> Response:
    """An address nothing answers: a Chinese (or the chosen language's) page for a browser, the
    problem document for everyone else and for anything under /api."""
    accepts_html = "text/html" in request.headers.get("accept", "")
    if exception.status_code != 404 or not accepts_html or request.url.path.startswith("/api/"):
        return EXCEPTION_HANDLERS[HTTPException](request, exception)
    template = page(request, "console/message.html", status_code=404, title_key="not_found_title",
                    text_key="not_found_text", detail=None, home_link=True)
    template.headers["Cache-Control"] = "no-store"
    return template


def _session_token(request: Request) -> str | None:
    auth = request.scope.get("auth")
    return auth if isinstance(auth, str) and "authorization" not in request.headers else None


# --- home pages -----------------------------------------------------------------------------------


@get("/", include_in_schema=False)
async def landing(request: Request) -> Redirect:
    return Redirect(home_path(request.user.roles))


@get("/home/{role:str}", include_in_schema=False)
async def home(request: Request, state: State, role: FromPath[str]) -> Template:
    identity: Identity = request.user
    if role not in {r.value for r in Role}:
        raise NotFound("No console home for {role}.", code="console.no_home", params={"role": role})
    if role not in identity.roles:
        raise NotPermitted("The home of {role} is for that role only.", code="console.other_home",
                           params={"role": role})
    lang = language(request)
    names = FIGURES.get(Role(role), ())
    values = await asyncio.gather(*(_figure(state, identity, name) for name in names))
    context: dict[str, Any] = {"role": role, "tasks": ROLE_TASKS[lang][role],
                               "figures": [(MESSAGES[lang][f"figure_{name}"], value)
                                           for name, value in zip(names, values, strict=True)]}
    if role == Role.BUREAU_ADMIN:
        context["units"] = await accounts.registered_units(state.database)
        context["services_ready"] = all(await asyncio.gather(
            *(state.upstreams.is_ready(service) for service in SERVICE_NAMES)))
    sections = await home_sections(state.upstreams, identity, Role(role))
    if sections:
        context.update(sections, **panel_context(lang), **archive_words(lang))
    return page(request, "console/home.html", user=identity, session_token=_session_token(request), **context)


async def _figure(state: State, identity: Identity, name: str) -> int | None:
    """A count shown on a home page; None when the service cannot say right now."""
    if name in ("users", "units"):
        return await accounts.count_registered(state.database, name)
    try:
        found = await client_for(name, state.upstreams, identity).read(f"/{name}", {"page_size": 1})
    except Problem:
        return None
    total = found.get("total")
    return total if isinstance(total, int) else None


# --- verification ---------------------------------------------------------------------------------


@get("/verify", include_in_schema=False)
async def verify_page(request: Request) -> Template:
    """Anonymous: the draw record is checked in the browser, against the key set it fetches or is given."""
    caller = await session_caller(request)
    user, token = caller if caller is not None else (None, None)
    return page(request, "console/verify.html", user=user, session_token=token, keys_url=KEYS_PATH,
                verifier_messages=verifier_words(language(request)))


@get("/verify/offline", include_in_schema=False)
async def verify_offline(request: Request) -> Response:
    """The verification page as one self-contained HTML file to save and open from disk: its script
    and style are inline, allowed by their hashes in the page's own content policy."""
    assets = offline_assets()
    csp = (f"default-src 'none'; script-src '{assets.script_hash}'; style-src '{assets.style_hash}'; "
           f"connect-src *; img-src data:; base-uri 'none'; form-action 'none'")
    template = page(request, "console/verify_offline.html", keys_url=str(request.base_url).rstrip("/") + KEYS_PATH,
                    verifier_messages=verifier_words(language(request)), script=assets.script,
                    style=assets.style,
                    csp=csp)
    template.headers.update({"Content-Security-Policy": csp, "Cache-Control": "no-store",
                             "Content-Disposition": 'attachment; filename="sortes-verify.html"'})
    return template


def verifier_words(lang: str) -> dict[str, Any]:
    """The verification page's words for its script, with the purposes' names for the summary."""
    return {**MESSAGES[lang]["verify"], "purposes": PURPOSES[lang]}


class OfflineAssets:
    def __init__(self, script: str, style: str) -> None:
        for text, closing in ((script, "</script"), (style, "</style")):
            if closing in text.lower():
                raise ValueError(f"an inline asset must not contain {closing}")
        self.script, self.style = Markup(script), Markup(style)  # our own files, checked above
        self.script_hash, self.style_hash = _csp_hash(script), _csp_hash(style)


@cache
def offline_assets() -> OfflineAssets:
    # The vendored SM2/SM3 (sortes-draw/1-sm) first: verify.js finds them as the globals sm2 and sm3.
    scripts = ("vendor/sm-crypto/sm2.js", "vendor/sm-crypto/sm3.js", "verify.js", "verify-page.js")
    return OfflineAssets(script="\n".join((STATIC / name).read_text() for name in scripts),
                         style=(STATIC / "console.css").read_text())


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
