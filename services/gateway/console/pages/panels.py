"""The console's panel pages: the organiser's request form and call sheet, the live draw page where
the named supervisor types the witness, and the printable draw record.

Each page reads through panel_reads.py (the gateway's upstream calls, with the signed-in
user's identity); what a page changes, its JavaScript (static/panels.js) sends to /api/v1 with the
session cookie and the CSRF token, as the rest of the console does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from markupsafe import escape

from services.gateway.console.i18n.archive_messages import archive_words
from services.gateway.console.i18n.messages import language
from services.gateway.console.i18n.panel_messages import PANEL_MESSAGES, panel_context
from services.gateway.console.pages.home import _csp_hash, _session_token, page
from services.gateway.console.pages.panel_reads import (
    beijing,
    call_rows,
    field_choices,
    field_name,
    names_by_code,
    read,
    read_text,
    reason_rows,
)
from services.gateway.identity.api import eligible_supervisors, person_name, subject_names, unit_names
from shared.clock import beijing_today
from shared.contracts.panels import CHANNELS
from shared.contracts.statuses import DrawStatus, PanelStatus
from shared.errors import NotFound
from shared.identity import requires_role
from shared.permissions import DRAW_READERS, PANEL_ORGANISERS
from shared.roles import Role

_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
# A unit the experts service printed by its code, for the console to name (services/experts/domain/printable.py).
_UNIT = re.compile(r'<span class="unit" data-uscc="([0-9A-Z]{18})">\1</span>')


def _panel_page(request: Request, template: str, **context: Any) -> Template:
    return page(request, template, user=request.user, session_token=_session_token(request),
                **panel_context(language(request)), **archive_words(language(request)), **context)


def _draw_id(text: str) -> str:
    """Draw numbers are UUIDs; anything else is no draw (and never reaches a service's path)."""
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise NotFound("No draw {draw}.", code="draw.unknown", params={"draw": text.strip()[:40]}) from None


@get("/panels/new", guards=[requires_role(*PANEL_ORGANISERS)], include_in_schema=False)
async def new_panel(request: Request, state: State, project: FromQuery[str | None] = None,
                    replaces: FromQuery[str | None] = None) -> Template:
    """The request form; ``replaces`` comes filled in from a panel cancelled after its reveal."""
    today = beijing_today()
    fields, projects = await asyncio.gather(read(state.upstreams, request.user, "/fields"),
                                            read(state.upstreams, request.user, "/projects"))
    supervisors = await eligible_supervisors(state.database, request.user.unit)
    return _panel_page(request, "console/panel_new.html", fields=field_choices(fields, language(request)),
                       projects=[(p["code"], p["name"]) for p in projects], supervisors=supervisors,
                       project=(project or "")[:64], replaces=(replaces or "")[:36], today=today.isoformat(),
                       default_day=(today + dt.timedelta(days=7)).isoformat())


_PREFIX = re.compile(r"^[0-9a-fA-F-]{8,35}$")


@get("/draws", guards=[requires_role(*DRAW_READERS)], include_in_schema=False)
async def open_draw(request: Request, state: State,
                    draw_id: Annotated[str, QueryParameter(name="id")] = "") -> Redirect:
    """The home pages' "open a draw" form: the full number, or a unique prefix of at least 8 characters."""
    wanted = draw_id.strip()
    if len(wanted) < 8:
        raise NotFound("Give the draw number or at least its first {min} characters.", code="draw.id_too_short",
                       params={"min": 8})
    if _PREFIX.match(wanted):
        wanted = (await read(state.upstreams, request.user, f"/draws/{wanted.lower()}"))["id"]
    return Redirect(f"/draws/{_draw_id(wanted)}")


@get("/draws/{draw_id:str}", guards=[requires_role(*DRAW_READERS)], include_in_schema=False)
async def draw_page(request: Request, state: State, draw_id: FromPath[str]) -> Template:
    """The draw as it stands: the commitment to print before the witness, what was left out and why,
    the witness form for the named supervisor, then the result."""
    draw_id = _draw_id(draw_id)
    draw = await read(state.upstreams, request.user, f"/draws/{draw_id}")
    excluded = await read(state.upstreams, request.user, f"/draws/{draw_id}/exclusions")
    record = await read(state.upstreams, request.user, f"/draws/{draw_id}/record") if draw["result"] else None
    user = request.user
    lang = language(request)
    words = PANEL_MESSAGES[lang]
    fields = {field["code"]: field for field in await read(state.upstreams, user, "/fields")}
    return _panel_page(
        request, "console/draw.html", draw=draw, panel=draw["panel"], record=record, names=names_by_code(draw),
        field_names={code: field_name(fields, code, lang) for code in fields},
        sealed_until=beijing((draw["panel"] or {}).get("sealed_until"))[:16],
        committed_at=beijing(draw["committed_at"]), revealed_at=beijing(draw["revealed_at"]),
        excluded_total=len(excluded), reasons=reason_rows(draw["exclusion_counts"], words["reasons"]),
        can_reveal=draw["status"] == DrawStatus.COMMITTED and draw["supervisor"] == user.subject
        and user.has_any([Role.SUPERVISOR]),
        organises=user.has_any(PANEL_ORGANISERS), cancelled_at=beijing(draw.get("cancelled_at")),
        cancelled_by=await person_name(state.database, draw.get("cancelled_by")))


@get("/draws/{draw_id:str}/calls", guards=[requires_role(*PANEL_ORGANISERS)], include_in_schema=False)
async def call_sheet(request: Request, state: State, draw_id: FromPath[str]) -> Template:
    """The organiser's call sheet: every seated member with name and phone (the list is sealed to
    everyone else), answers, replacements, open seats, moving, cancelling and evaluations."""
    draw = await read(state.upstreams, request.user, f"/draws/{_draw_id(draw_id)}")
    panel = draw["panel"]
    if panel is None:
        raise NotFound("A spot check has no panel and no call sheet.", code="draw.spot_check_no_panel")
    lang = language(request)
    fields = {field["code"]: field for field in await read(state.upstreams, request.user, "/fields")}
    open_seats = "、".join(PANEL_MESSAGES[lang]["seats_of_field"].format(
        field=field_name(fields, code, lang), count=count) for code, count in sorted(panel["open_seats"].items()))
    # Until the last draw is revealed, its seats are empty because it awaits the witness, not because
    # the reserves ran out: no supplementary draw is offered then.
    last = panel["draws"][-1] if panel["draws"] else draw["id"]
    last_status = draw["status"] if last == draw["id"] else (
        await read(state.upstreams, request.user, f"/draws/{last}"))["status"]
    names = await subject_names(state.database, [panel["organiser"], panel["supervisor"]])
    return _panel_page(request, "console/calls.html", draw=draw, panel=panel, rows=call_rows(panel),
                       channels=CHANNELS, open_seats_text=open_seats, today=beijing_today().isoformat(),
                       awaiting_draw=last if last_status == DrawStatus.COMMITTED else None,
                       sealed_until=beijing(panel.get("sealed_until"))[:16],
                       field_names={code: field_name(fields, code, lang) for code in fields},
                       organiser_name=names.get(panel["organiser"], panel["organiser"]),
                       supervisor_name=names.get(panel["supervisor"], panel["supervisor"]),
                       can_answer=panel["answers_open"],
                       meeting_started=panel["status"] == PanelStatus.OPEN and not panel["sealed"])


@get("/draws/{draw_id:str}/printable", guards=[requires_role(*DRAW_READERS)], include_in_schema=False)
async def printable(request: Request, state: State, draw_id: FromPath[str]) -> Response[str]:
    """抽取记录表 from the experts service, under the console's address, with the units named."""
    return await _paper(request, state, f"/draws/{_draw_id(draw_id)}/printable")


@get("/draws/{draw_id:str}/sign-in-sheet", guards=[requires_role(*PANEL_ORGANISERS, Role.SUPERVISOR)],
     include_in_schema=False)
async def sign_in_sheet(request: Request, state: State, draw_id: FromPath[str]) -> Response[str]:
    """专家签到表 to print for the meeting."""
    return await _paper(request, state, f"/draws/{_draw_id(draw_id)}/sign-in-sheet")


@get("/draws/{draw_id:str}/fee-sheet", guards=[requires_role(*PANEL_ORGANISERS, Role.SUPERVISOR)],
     include_in_schema=False)
async def fee_sheet(request: Request, state: State, draw_id: FromPath[str]) -> Response[str]:
    """评审劳务费发放表 to print after the meeting."""
    return await _paper(request, state, f"/draws/{_draw_id(draw_id)}/fee-sheet")


async def _paper(request: Request, state: State, path: str) -> Response[str]:
    """A paper printed by the experts service, each unit it knows only by code named from the gateway's
    units. Its own inline style is allowed by hash in its content policy (the console's policy allows
    no inline style); it has no script."""
    html = await read_text(state.upstreams, request.user, path)
    codes = set(_UNIT.findall(html))
    if codes:
        async with state.database.reading() as session:
            names = await unit_names(session, codes)
        html = _UNIT.sub(lambda found: str(escape(names.get(found.group(1), found.group(1)))), html)
    styles = " ".join(f"'{_csp_hash(style)}'" for style in _STYLE.findall(html)) or "'none'"
    policy = (f"default-src 'none'; style-src {styles}; img-src data:; base-uri 'none'; form-action 'none'; "
              f"frame-ancestors 'none'")
    return Response(html, media_type="text/html",
                    headers={"Content-Security-Policy": policy, "Cache-Control": "no-store"})


PANEL_PAGES = [new_panel, open_draw, draw_page, call_sheet, printable, sign_in_sheet, fee_sheet]
