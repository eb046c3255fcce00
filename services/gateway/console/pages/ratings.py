"""The console's rating pages (Art. 28): a vendor's ratings with the vendor's comment and the review of a
dispute beside each, the rater's form (five factors, five levels with their written definitions, a
narrative, the visibility), a vendor's own ratings, and the rating reviewers' queue of disputed ratings.

What each role may do is offered where the API allows it: a rater rates, the rated vendor comments
once within the window (and may dispute), a rating reviewer from another unit than the rater's
reviews a disputed rating. The vendors service decides who sees which rating; the forms post to
/api/v1 through static/console-procurement.js.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from services.gateway.console.i18n.messages import language
from services.gateway.console.i18n.vendor_messages import FACTORS, LEVELS, vendor_context
from services.gateway.console.pages.home import _session_token, page, page_number
from services.gateway.console.pages.vendor_reads import beijing, read, vendor_engagements
from services.gateway.identity.api import unit_names
from shared.contracts.ratings import VISIBILITIES
from shared.contracts.statuses import RatingStatus
from shared.db import Database
from shared.errors import NotPermitted, Problem
from shared.identity import Identity, requires_role
from shared.permissions import PEOPLE, REGISTRY_READERS, SEE_EVERY_RATING
from shared.roles import Role

QUEUE_PAGE_SIZE = 30


def vendor_page(request: Request, template: str, **context: Any) -> Template:
    """A vendor page: the console's layout, with the vendor pages' words (``v``) and script words."""
    return page(request, template, user=request.user, session_token=_session_token(request),
                **vendor_context(language(request)), **context)


def review_offer(identity: Identity, rating: dict[str, Any]) -> dict[str, bool]:
    """Whether a disputed rating is offered to ``identity`` for review, or marked as its own unit's
    rating (never reviewed by the rater's unit): the same on a vendor's ratings page and in the queue."""
    disputed = identity.has_any([Role.RATING_REVIEWER]) and rating["status"] == RatingStatus.DISPUTED
    own_unit = identity.unit == rating["rater_unit"]
    return {"may_review": disputed and not own_unit, "own_unit_dispute": disputed and own_unit}


@get("/ratings/mine", guards=[requires_role(Role.VENDOR)], include_in_schema=False)
async def my_ratings(request: Request) -> Redirect:
    """A vendor's own ratings: its unit is the vendor's USCC. The query (``?lang=``) goes along."""
    query = f"?{request.url.query}" if request.url.query else ""
    return Redirect(f"/vendors/{quote(request.user.unit, safe='')}/ratings{query}")


@get("/vendors/{uscc:str}/ratings", guards=[requires_role(*PEOPLE)], include_in_schema=False)
async def ratings_page(request: Request, state: State, uscc: FromPath[str]) -> Template:
    identity: Identity = request.user
    if identity.has_any([Role.VENDOR]) and identity.unit != uscc and not identity.has_any(SEE_EVERY_RATING):
        raise NotPermitted("A vendor sees only its own ratings.", code="rating.own_only")
    ratings = await read(state.upstreams, identity, f"/vendors/{quote(uscc, safe='')}/ratings")
    name = ratings["items"][0]["vendor_name"] if ratings["items"] else await _vendor_name(state, identity, uscc)
    is_vendor = identity.has_any([Role.VENDOR]) and identity.unit == uscc
    rows = [{**item, **review_offer(identity, item),
             "may_comment": is_vendor and item["status"] == RatingStatus.OPEN_FOR_COMMENT and not item["comment"]}
            for item in ratings["items"]]
    units = await registered_unit_names(state, [item["rater_unit"] for item in rows] + [
        item["review"]["reviewer_unit"] for item in rows if item["review"]])
    return vendor_page(request, "console/ratings.html", uscc=uscc, vendor_name=name, ratings=rows, units=units,
                       aggregate=ratings["aggregate"], factors=FACTORS, levels=LEVELS, is_vendor=is_vendor,
                       may_rate=identity.has_any([Role.RATER]), beijing=beijing)


@get("/ratings/disputed", guards=[requires_role(*SEE_EVERY_RATING)], include_in_schema=False)
async def disputed_ratings(request: Request, state: State) -> Template:
    """待复核的争议评价: every vendor's disputed ratings, oldest dispute first (the order a reviewer works
    in), each linking to its vendor's ratings page, where the review form is."""
    identity: Identity = request.user
    number = page_number(request)
    found = await read(state.upstreams, identity, "/ratings",
                       {"status": RatingStatus.DISPUTED.value, "page": number, "page_size": QUEUE_PAGE_SIZE})
    return vendor_page(request, "console/ratings_disputed.html",
                       ratings=[{**item, **review_offer(identity, item)} for item in found["items"]],
                       units=await registered_unit_names(state, [item["rater_unit"] for item in found["items"]]),
                       total=found["total"], page_number=number, pages=max(1, -(-found["total"] // QUEUE_PAGE_SIZE)),
                       beijing=beijing)


async def registered_unit_names(state: State, usccs: list[str]) -> dict[str, str]:
    """Units by name where the gateway knows them (its units table): raters', reviewers', owners'."""
    database: Database = state.database
    async with database.reading() as session:
        return await unit_names(session, usccs)


async def _vendor_name(state: State, identity: Identity, uscc: str) -> str:
    if not identity.has_any(REGISTRY_READERS):
        return uscc
    try:
        return str((await read(state.upstreams, identity, f"/vendors/{quote(uscc, safe='')}"))["name"])
    except Problem:
        return uscc


@get("/vendors/{uscc:str}/ratings/new", guards=[requires_role(Role.RATER)], include_in_schema=False)
async def rating_form(request: Request, state: State, uscc: FromPath[str]) -> Template:
    identity: Identity = request.user
    vendor = await read(state.upstreams, identity, f"/vendors/{quote(uscc, safe='')}")
    # Art. 28: the rater picks the vendor's engagement its rating is for, among the live ones on the
    # projects the rater reads (its unit's; the bureau's raters every project's). The service checks again.
    engagements = [row for row in await vendor_engagements(state.upstreams, identity, vendor["uscc"])
                   if not row["voided"]]
    return vendor_page(request, "console/rating_new.html", vendor=vendor, engagements=engagements, factors=FACTORS,
                       levels=LEVELS, visibilities=VISIBILITIES, lang=language(request))


RATING_PAGES = [my_ratings, disputed_ratings, ratings_page, rating_form]
