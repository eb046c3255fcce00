"""The console's vendor registry and procurement pages: the vendor list and a vendor's detail, the
projects a procurement officer acts on with their lots and engagements (and the form that records
one), the bidder conflict check with its printable result, and a project's barred list.

Pages read on the server with the signed-in user's identity through the gateway's upstream calls,
as the same call to /api/v1 would, so the vendors service authorises every read (a procurement
officer acts only on its own unit's projects) and masks ID numbers. What a page changes, its script
(static/console-procurement.js) sends to /api/v1 with the session cookie and the CSRF token.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from services.gateway.console.i18n.messages import language
from services.gateway.console.i18n.problem_messages import problem_text
from services.gateway.console.i18n.vendor_messages import ENGAGEMENT_ROLES, yuan
from services.gateway.console.i18n.verdict_texts import VerdictTexts
from services.gateway.console.pages.home import page_number
from services.gateway.console.pages.ratings import RATING_PAGES, registered_unit_names, vendor_page
from services.gateway.console.pages.vendor_reads import API, beijing, read, vendor_engagements
from services.gateway.console.pages.vendor_reads import segment as _path_part
from services.gateway.edge.upstream import Upstreams
from services.gateway.identity.api import subject_names
from shared.contracts.statuses import VendorStatus
from shared.errors import NotFound, Problem
from shared.identity import Identity, requires_role
from shared.permissions import ANY_UNITS_PROCUREMENT, CONFLICT_CHECK_READERS, ENGAGEMENT_RECORDERS, REGISTRY_READERS
from shared.roles import Role

READERS_GUARD = requires_role(*CONFLICT_CHECK_READERS)
RECORDERS_GUARD = requires_role(*ENGAGEMENT_RECORDERS)

PAGE_SIZE = 30


# --- the registry ---------------------------------------------------------------------------------


# The columns the registry's list sorts by (the vendors service's allow-list).
VENDOR_SORTS = ("uscc", "name", "status")


@get("/vendors", guards=[requires_role(*REGISTRY_READERS)], include_in_schema=False)
async def vendors_list(request: Request, state: State) -> Template:
    query = str(request.query_params.get("q", "")).strip()[:200]
    status = str(request.query_params.get("status", ""))
    status = status if status in set(VendorStatus) else ""
    number = page_number(request)
    params: dict[str, Any] = {"page": number, "page_size": PAGE_SIZE}
    if query:
        params["q"] = query
    if status:
        params["status"] = status
    sort = str(request.query_params.get("sort", "uscc"))
    if sort.removeprefix("-") not in VENDOR_SORTS:
        sort = "uscc"
    params["sort"] = sort
    found = await read(state.upstreams, request.user, "/vendors", params)
    pages = max(1, -(-found["total"] // PAGE_SIZE))
    base = urlencode({k: v for k, v in (("q", query), ("status", status)) if v})
    return vendor_page(request, "console/vendors.html", vendors=found["items"], total=found["total"],
                       page_number=number, pages=pages, query=query, status=status, base_query=base, sort=sort,
                       filter_query={k: v for k, v in (("q", query), ("status", status), ("sort", sort)) if v})


@get("/vendors/{uscc:str}", guards=[requires_role(*REGISTRY_READERS)], include_in_schema=False)
async def vendor_detail(request: Request, state: State, uscc: FromPath[str]) -> Template:
    """Identity, former names, qualifications with expiry, related parties, engagements and debarments."""
    identity: Identity = request.user
    # Masked for a bureau admin too: the page asks for the ID number whole only when 显示 is pressed,
    # and only that reading is logged as a showing of personal data.
    vendor = await read(state.upstreams, identity, f"/vendors/{_path_part(uscc)}", {"masked": "true"})
    exclusions = await read(state.upstreams, identity, "/exclusions", {"uscc": vendor["uscc"], "page_size": 100})
    engagements, engagements_error = await _vendor_engagements(state.upstreams, identity, vendor["uscc"],
                                                               language(request))
    relations = [{**relation, "other": relation["controlled_uscc"] if relation["controlling_uscc"] == vendor["uscc"]
                  else relation["controlling_uscc"], "controls": relation["controlling_uscc"] == vendor["uscc"]}
                 for relation in vendor["relations"]]
    others = await asyncio.gather(*(_vendor_name(state.upstreams, identity, r["other"]) for r in relations))
    for relation, name in zip(relations, others, strict=True):
        relation["other_name"] = name
    return vendor_page(request, "console/vendor_detail.html", vendor=vendor, relations=relations,
                       exclusions=exclusions["items"], engagements=engagements, engagements_error=engagements_error,
                       may_show_id_number=identity.has_any([Role.BUREAU_ADMIN]), yuan=yuan, beijing=beijing)


async def _vendor_name(upstreams: Upstreams, identity: Identity, uscc: str) -> str:
    """A related party's name from the registry, or nothing when it is not a registered vendor."""
    try:
        return str((await read(upstreams, identity, f"/vendors/{_path_part(uscc)}", {"masked": "true"}))["name"])
    except Problem:
        return ""


async def _vendor_engagements(upstreams: Upstreams, identity: Identity, uscc: str,
                              lang: str) -> tuple[list[dict[str, Any]], str | None]:
    """The vendor's engagements, read project by project (the API lists engagements per project)."""
    try:
        return await vendor_engagements(upstreams, identity, uscc), None
    except Problem as problem:
        return [], problem_text(lang, problem.code, problem.params)


# --- projects, engagements, barred lists ----------------------------------------------------------


PROJECT_SORTS = ("code", "name", "owner_unit", "investment_fen", "planned_completion")


@get("/procurement/projects", guards=[READERS_GUARD], include_in_schema=False)
async def projects_list(request: Request, state: State) -> Template:
    identity: Identity = request.user
    projects = await read(state.upstreams, identity, "/projects/")
    if not identity.has_any(ANY_UNITS_PROCUREMENT):
        projects = [project for project in projects if project["owner_unit"] == identity.unit]
    # Sorted by a column header's choice and paged here: the API answers every project the caller reads.
    sort = str(request.query_params.get("sort", "code"))
    key = sort.removeprefix("-")
    if key not in PROJECT_SORTS:
        sort, key = "code", "code"
    projects.sort(key=lambda project: (project.get(key) is None, project.get(key) or 0), reverse=sort.startswith("-"))
    total, pages = len(projects), max(1, -(-len(projects) // PAGE_SIZE))
    number = page_number(request, last=pages)
    shown = projects[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
    return vendor_page(request, "console/procurement_projects.html", projects=shown, yuan=yuan, sort=sort,
                       total=total, page_number=number, pages=pages, filter_query={"sort": sort},
                       units=await registered_unit_names(state, [project["owner_unit"] for project in shown]))


@get("/procurement/project", guards=[READERS_GUARD], include_in_schema=False)
async def open_project(request: Request) -> Redirect:
    """The projects page's "open a project code" form."""
    code = str(request.query_params.get("code", "")).strip()
    if not code:
        return Redirect("/procurement/projects")
    return Redirect(f"/procurement/projects/{_path_part(code)}")


@get("/procurement/projects/{code:str}", guards=[READERS_GUARD], include_in_schema=False)
async def project_page(request: Request, state: State, code: FromPath[str]) -> Template:
    """The project's lots (each with its conflict check), engagements and the form to record one."""
    identity: Identity = request.user
    project = await read(state.upstreams, identity, f"/projects/{_path_part(code)}")
    engagements = await read(state.upstreams, identity, f"/projects/{_path_part(code)}/engagements")
    # Recording and checking are offered where the service allows them (it decides again on each call).
    acts = identity.has_any([Role.BUREAU_ADMIN]) or (
        identity.has_any([Role.PROCUREMENT_OFFICER]) and project["owner_unit"] == identity.unit)
    return vendor_page(request, "console/procurement_project.html", project=project, engagements=engagements,
                       acts=acts, roles=ENGAGEMENT_ROLES, yuan=yuan,
                       units=await registered_unit_names(state, [project["owner_unit"]]))


@get("/procurement/projects/{code:str}/barred-list", guards=[READERS_GUARD], include_in_schema=False)
async def barred_list(request: Request, state: State, code: FromPath[str]) -> Template:
    """Who may not bid on which lot, and why: printable for the procurement file, with the CSV beside it."""
    barred = await read(state.upstreams, request.user, f"/projects/{_path_part(code)}/barred-list")
    return vendor_page(request, "console/procurement_barred.html", barred=barred, say=VerdictTexts(language(request)),
                       csv_href=f"{API}/projects/{_path_part(code)}/barred-list?format=csv")


# --- the conflict check ---------------------------------------------------------------------------


@get("/procurement/projects/{code:str}/lots/{lot:str}/conflict-check", guards=[RECORDERS_GUARD],
     include_in_schema=False)
async def conflict_check_form(request: Request, state: State, code: FromPath[str], lot: FromPath[str]) -> Template:
    project = await read(state.upstreams, request.user, f"/projects/{_path_part(code)}")
    found = [item for item in project["lots"] if item["code"] == lot]
    if not found:
        raise NotFound("Project {project} has no lot {lot}.", code="project.no_lot", params={"project": code,
                                                                                             "lot": lot})
    return vendor_page(request, "console/procurement_check.html", project=project, lot=found[0])


@get("/procurement/conflict-checks/{check_id:str}", guards=[READERS_GUARD], include_in_schema=False)
async def conflict_check_result(request: Request, state: State, check_id: FromPath[str]) -> Template:
    check = await read(state.upstreams, request.user, f"/conflict-checks/{_path_part(check_id)}")
    names = await subject_names(state.database, [check["checked_by"]])
    return vendor_page(request, "console/procurement_result.html", check=check, lang=language(request),
                       checked_at=beijing(check["checked_at"]), say=VerdictTexts(language(request)),
                       checked_by=names.get(check["checked_by"], check["checked_by"]))


PROCUREMENT_PAGES = [vendors_list, vendor_detail, projects_list, open_project, project_page, barred_list,
                     conflict_check_form, conflict_check_result, *RATING_PAGES]
