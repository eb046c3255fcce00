"""Vendor ratings (Art. 28): rating, the vendor's comment, the review of a dispute, and who sees what."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter

from services.vendors.domain import ratings
from services.vendors.schemas import Page, RatingCommentCreate, RatingCreate, RatingReviewCreate
from shared.contracts.ratings import RatingStatus, RatingView, VendorRatings
from shared.db import MAX_PAGE, MAX_ROW_ID, Database
from shared.identity import Identity, requires_role
from shared.permissions import SEE_EVERY_RATING
from shared.roles import ALL_ROLES, Role

# Who lists ratings across vendors: the reviewers' queue of disputes, and those who oversee them.


class RatingsController(Controller):
    path = "/api/v1"
    tags = ["ratings"]

    @post("/vendors/{uscc:str}/ratings", guards=[requires_role(Role.RATER)])
    async def post_rating(self, request: Request[Identity, str, State], state: State, uscc: FromPath[str],
                          data: JSONBody[RatingCreate]) -> Response[RatingView]:
        """Art. 28: only with standing — the vendor's engagement (``engagement_id``) on a project of the
        rater's unit (bureau units: any project); once per engagement and contract stage (409 for a second);
        the overall level between the best and the worst factor (422 naming ``overall``)."""
        database: Database = state.database
        async with database.transaction() as session:
            rating = await ratings.create_rating(session, state.audit, request.user, uscc, data,
                                                 comment_days=state.rating_comment_days,
                                                 bureau_units=state.bureau_units)
        return Response(rating, status_code=201)

    @get("/ratings", guards=[requires_role(*SEE_EVERY_RATING)])
    async def get_ratings_across_vendors(
            self, request: Request[Identity, str, State], state: State,
            page: int = Parameter(default=1, ge=1, le=MAX_PAGE), page_size: int = Parameter(default=50, ge=1, le=500),
            status: FromQuery[RatingStatus | None] = None,
            vendor: Annotated[str | None, QueryParameter(description="the vendor's USCC")] = None,
    ) -> Page[RatingView]:
        """Ratings of every vendor that the caller may see (the rule of a vendor's ratings list).
        ``status=disputed`` is the reviewers' queue, oldest dispute first; other lists are newest first."""
        database: Database = state.database
        async with database.reading() as session:
            return await ratings.list_ratings(session, request.user, page=page, page_size=page_size, status=status,
                                              vendor=vendor)

    @get("/vendors/{uscc:str}/ratings", guards=[requires_role(*ALL_ROLES)])
    async def get_ratings(self, request: Request[Identity, str, State], state: State,
                          uscc: FromPath[str]) -> VendorRatings:
        """Only the ratings the caller may see (a vendor only its own), with the 3-year aggregate of those."""
        database: Database = state.database
        async with database.reading() as session:
            return await ratings.vendor_ratings(session, request.user, uscc)

    @post("/ratings/{rating_id:int}/comment", guards=[requires_role(Role.VENDOR)])
    async def post_comment(self, request: Request[Identity, str, State], state: State,
                           rating_id: Annotated[int, Parameter(ge=1, le=MAX_ROW_ID)],
                           data: JSONBody[RatingCommentCreate]) -> Response[RatingView]:
        """The rated vendor's answer, once, within the comment window (14 days by default); ``disputes``
        sends the rating to review, else it becomes final when the window lapses."""
        database: Database = state.database
        async with database.transaction() as session:
            rating = await ratings.comment_on_rating(session, state.audit, request.user, rating_id, data)
        return Response(rating, status_code=201)

    @post("/ratings/{rating_id:int}/review", guards=[requires_role(Role.RATING_REVIEWER)])
    async def post_review(self, request: Request[Identity, str, State], state: State,
                          rating_id: Annotated[int, Parameter(ge=1, le=MAX_ROW_ID)],
                          data: JSONBody[RatingReviewCreate]) -> Response[RatingView]:
        """Settle a disputed rating; the reviewer is never from the rater's unit."""
        database: Database = state.database
        async with database.transaction() as session:
            rating = await ratings.review_rating(session, state.audit, state.outbox, request.user, rating_id, data)
        return Response(rating, status_code=201)

    @get("/public-ratings")
    async def get_public_ratings(self, state: State, page: int = Parameter(default=1, ge=1, le=MAX_PAGE),
                                 page_size: int = Parameter(default=50, ge=1, le=500)) -> Page[RatingView]:
        """Public ratings once final (a public rating is published when final); the gateway passes them to
        anyone."""
        database: Database = state.database
        async with database.reading() as session:
            return await ratings.public_ratings(session, page=page, page_size=page_size)
