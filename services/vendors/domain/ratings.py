"""Vendor ratings (Art. 28): five factors and an overall level, the vendor's comment within 14 days,
a review of a disputed rating by someone outside the rater's unit, and who may see what.

A rating is never rewritten: the comment and the review are rows of their own, and the level that
counts (``final_level``) is the review's revised level when there is one, else the rating's own.
A rating becomes final, once, with a ``rating.final`` event: when its dispute is reviewed, or when
its comment window lapses without a dispute (:func:`finalise_lapsed_ratings`, run periodically).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.vendors.domain.vendors import find_vendor
from services.vendors.models import Engagement, Project, Rating, RatingComment, RatingReview, Vendor
from services.vendors.schemas import Page, RatingCommentCreate, RatingCreate, RatingReviewCreate
from shared.audit import AuditRecorder, system_actor
from shared.clock import BEIJING, add_months, as_utc, beijing_today, utc_now
from shared.contracts.ratings import (
    LEVEL_DEFINITIONS,
    RatingAggregate,
    RatingCommentView,
    RatingFactor,
    RatingFactors,
    RatingLevel,
    RatingReviewView,
    RatingStatus,
    RatingView,
    VendorRatings,
)
from shared.db import Database
from shared.errors import Conflict, FieldError, InvalidInput, NotFound, NotPermitted, field_error
from shared.identity import Identity
from shared.outbox import OutboxTables, publish
from shared.permissions import GOVERNMENT_READERS, SEE_EVERY_RATING
from shared.roles import Role

AGGREGATE_MONTHS = 36
_log = logging.getLogger("sortes.ratings")

FACTORS = tuple(factor.value for factor in RatingFactor)
LEVEL_RANK = {level: rank for rank, level in enumerate(RatingLevel)}  # 0 is the best (优秀)


def _with_answers(statement: Any) -> Any:
    return statement.options(selectinload(Rating.vendor), selectinload(Rating.comment),
                             selectinload(Rating.review))


def final_level(rating: Rating) -> RatingLevel:
    if rating.review is not None and rating.review.revised_level:
        return RatingLevel(rating.review.revised_level)
    return RatingLevel(rating.overall)


def _status(rating: Rating, today: dt.date) -> RatingStatus:
    # Final by the rules as soon as the window lapses undisputed; finalised_at follows at the next run
    # of the finaliser, which is when rating.final is published.
    if rating.finalised_at is not None or rating.review is not None:
        return RatingStatus.FINAL
    if rating.comment is not None and rating.comment.disputes:
        return RatingStatus.DISPUTED
    return RatingStatus.OPEN_FOR_COMMENT if today <= rating.comment_until else RatingStatus.FINAL


def has_status(status: RatingStatus, today: dt.date) -> ColumnElement[bool]:
    """A condition on ``Rating``: its status on ``today`` is ``status``. The rule of :func:`_status`
    above, for a query; the two change together."""
    disputed = Rating.comment.has(RatingComment.disputes.is_(True))
    pending = and_(Rating.finalised_at.is_(None), ~Rating.review.has())
    awaiting_review = and_(pending, disputed)
    open_for_comment = and_(pending, ~disputed, Rating.comment_until >= today)
    if status == RatingStatus.DISPUTED:
        return awaiting_review
    if status == RatingStatus.OPEN_FOR_COMMENT:
        return open_for_comment
    return ~or_(awaiting_review, open_for_comment)


def rating_view(rating: Rating, today: dt.date) -> RatingView:
    comment, review = rating.comment, rating.review
    return RatingView(
        id=rating.id, vendor_uscc=rating.vendor.uscc, vendor_name=rating.vendor.name,
        project_code=rating.project_code, stage=rating.stage,
        factors=RatingFactors(**{factor: RatingLevel(getattr(rating, factor)) for factor in FACTORS}),
        overall=RatingLevel(rating.overall), overall_label=LEVEL_DEFINITIONS[RatingLevel(rating.overall)][0],
        narrative=rating.narrative, visibility=rating.visibility,  # type: ignore[arg-type]
        rated_on=rating.rated_on, comment_until=rating.comment_until, rater_unit=rating.rater_unit,
        comment=RatingCommentView(text=comment.text, disputes=comment.disputes,
                                  commented_at=as_utc(comment.commented_at)) if comment else None,
        review=RatingReviewView(outcome=review.outcome,
                                revised_level=RatingLevel(review.revised_level) if review.revised_level else None,
                                narrative=review.narrative, reviewed_at=as_utc(review.reviewed_at),
                                reviewer_unit=review.reviewer_unit) if review else None,
        final_level=final_level(rating), status=_status(rating, today),
        finalised_at=as_utc(rating.finalised_at), engagement_id=rating.engagement_id)


def visible_to(caller: Identity) -> ColumnElement[bool]:
    """The ratings ``caller`` may see, as a condition on ``Rating`` for the listings' queries (so that a
    total and a page hold only what the caller may see): bureau admins, auditors and rating reviewers
    see all; a vendor its own; a rater its unit's; government roles what is visible to government
    units (a public rating included, final or not); everyone a public rating once it is final."""
    if caller.has_any(SEE_EVERY_RATING):
        return true()
    seen = [published()]
    if caller.has_any(GOVERNMENT_READERS):
        seen.append(Rating.visibility.in_(("government", "public")))
    if caller.has_any([Role.RATER]):
        seen.append(Rating.rater_unit == caller.unit)
    if caller.has_any([Role.VENDOR]):
        seen.append(Rating.vendor_id.in_(select(Vendor.id).where(Vendor.uscc == caller.unit)))
    return or_(*seen)


def published() -> ColumnElement[bool]:
    """A condition on ``Rating``: public and final — a public rating is published when final (Art. 28)."""
    return and_(Rating.visibility == "public", has_status(RatingStatus.FINAL, beijing_today()))


def _blank(text: str) -> bool:
    return not text.strip()


def _check_rating(data: RatingCreate) -> None:
    """What the body alone shows: a narrative, a stage, an engagement, and an overall level between the
    best and the worst factor (Art. 28)."""
    errors: list[FieldError] = []
    if _blank(data.narrative):
        errors.append(field_error("narrative", "rating.narrative_needed", "a written narrative is required"))
    if _blank(data.stage):
        errors.append(field_error("stage", "field.blank", "must not be blank"))
    if data.engagement_id is None:
        errors.append(field_error("engagement_id", "rating.engagement_needed",
                                  "required: the vendor's engagement on a project of your unit"))
    levels = [getattr(data.factors, factor) for factor in FACTORS]
    best, worst = min(levels, key=LEVEL_RANK.__getitem__), max(levels, key=LEVEL_RANK.__getitem__)
    if not LEVEL_RANK[best] <= LEVEL_RANK[data.overall] <= LEVEL_RANK[worst]:
        errors.append(field_error("overall", "rating.overall_out_of_range",
                                  "must lie between the best factor ({best}) and the worst ({worst})",
                                  {"best": best.value, "worst": worst.value}))
    if errors:
        raise InvalidInput.of(errors)


async def _standing(session: AsyncSession, actor: Identity, vendor: Vendor, data: RatingCreate,
                    bureau_units: frozenset[str]) -> Engagement:
    """The engagement the rating rests on, if the rater has standing: the vendor holds it (not void) on a
    project of the rater's unit, or the rater's unit is the bureau's (Art. 28)."""
    engagement = (await session.execute(select(Engagement).where(
        Engagement.id == data.engagement_id, Engagement.vendor_id == vendor.id))).scalar_one_or_none()
    if engagement is None:
        raise InvalidInput.for_field("engagement_id", "rating.no_such_engagement",
                                     "vendor {uscc} holds no such engagement",
                                     {"uscc": vendor.uscc})
    if engagement.voided_at is not None:
        raise InvalidInput.for_field("engagement_id", "rating.engagement_void", "this engagement is void")
    if data.project_code is not None and data.project_code != engagement.project_code:
        raise InvalidInput.for_field("project_code", "rating.engagement_elsewhere",
                                     "the engagement is on project {project}",
                                     {"project": engagement.project_code})
    owner = (await session.execute(select(Project.owner_unit).where(
        Project.code == engagement.project_code))).scalar_one()
    if owner != actor.unit and actor.unit not in bureau_units:
        raise NotPermitted("Project {project} belongs to another unit: only a rater of its unit or of the bureau "
                           "rates its vendors.", code="rating.other_unit", params={"project": engagement.project_code})
    return engagement


async def create_rating(session: AsyncSession, audit: AuditRecorder, actor: Identity, uscc: str,
                        data: RatingCreate, *, comment_days: int, bureau_units: frozenset[str]) -> RatingView:
    _check_rating(data)
    vendor = await find_vendor(session, uscc)
    engagement = await _standing(session, actor, vendor, data, bureau_units)
    stage = data.stage.strip()
    same = (await session.execute(select(Rating.id).where(Rating.engagement_id == engagement.id,
                                                          Rating.stage == stage))).scalar_one_or_none()
    if same is not None:
        raise Conflict("Engagement {engagement} is already rated for the stage {stage} (rating {rating}).",
                       code="rating.stage_rated", params={"engagement": engagement.id, "stage": stage, "rating": same},
                       rating_id=same)
    today = beijing_today()
    rating = Rating(vendor=vendor, project_code=engagement.project_code, engagement_id=engagement.id, stage=stage,
                    overall=data.overall.value, narrative=data.narrative, visibility=data.visibility, rated_on=today,
                    comment_until=today + dt.timedelta(days=comment_days), rater=actor.subject,
                    rater_unit=actor.unit, created_at=utc_now(), comment=None, review=None,
                    **{factor: getattr(data.factors, factor).value for factor in FACTORS})
    session.add(rating)
    try:
        await session.flush()
    except IntegrityError:  # the same engagement and stage rated concurrently: the unique constraint decides
        raise Conflict("Engagement {engagement} is already rated for the stage {stage}.", code="rating.stage_rated",
                       params={"engagement": engagement.id, "stage": stage}) from None
    view = rating_view(rating, today)
    await audit.record(session, actor=actor, action="rating.created", object_type="rating", object_id=str(rating.id),
                       after=msgspec.to_builtins(view),
                       details={"vendor_uscc": uscc, "overall": data.overall.value, "visibility": data.visibility,
                                "engagement_id": engagement.id})
    return view


async def _load_rating(session: AsyncSession, rating_id: int) -> Rating:
    """The rating, its row locked until the transaction ends: a comment, a review and the finaliser
    of the same rating take turns, so none of them acts on what another has just changed."""
    statement = _with_answers(select(Rating).where(Rating.id == rating_id)).with_for_update(of=Rating)
    rating = (await session.execute(statement)).scalar_one_or_none()
    if rating is None:
        raise NotFound("No rating {rating}.", code="rating.unknown", params={"rating": rating_id})
    return rating


async def comment_on_rating(session: AsyncSession, audit: AuditRecorder, actor: Identity, rating_id: int,
                            data: RatingCommentCreate) -> RatingView:
    if _blank(data.text):
        raise InvalidInput.for_field("text", "field.blank", "must not be blank")
    rating = await _load_rating(session, rating_id)
    if actor.unit != rating.vendor.uscc:
        raise NotPermitted("A vendor may comment only on its own ratings.", code="rating.comment_own_only")
    today = beijing_today()
    if rating.comment is not None:
        raise Conflict("This rating already has the vendor's comment.", code="rating.comment_exists")
    if today > rating.comment_until or rating.finalised_at is not None:
        raise Conflict("The comment window closed on {day}.", code="rating.comment_closed",
                       params={"day": rating.comment_until.isoformat()})
    rating.comment = RatingComment(text=data.text, disputes=data.disputes, commented_at=utc_now(),
                                   commented_by=actor.subject)
    # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
    await session.flush()
    view = rating_view(rating, today)
    await audit.record(session, actor=actor, action="rating.commented", object_type="rating",
                       object_id=str(rating.id), after=msgspec.to_builtins(view.comment),
                       details={"disputes": data.disputes})
    return view


async def review_rating(session: AsyncSession, audit: AuditRecorder, outbox: OutboxTables, actor: Identity,
                        rating_id: int, data: RatingReviewCreate) -> RatingView:
    if _blank(data.narrative):
        raise InvalidInput.for_field("narrative", "rating.narrative_needed", "a written narrative is required")
    if (data.outcome == "revised") != (data.revised_level is not None):
        raise InvalidInput.for_field("revised_level", "rating.revised_level",
                                     "required when the outcome is revised, and only then")
    rating = await _load_rating(session, rating_id)
    if actor.unit == rating.rater_unit:
        raise NotPermitted("A rating is reviewed by someone outside the rater's unit.", code="rating.review_own_unit")
    if rating.review is not None:
        raise Conflict("This rating has already been reviewed.", code="rating.reviewed")
    if rating.comment is None or not rating.comment.disputes:
        raise Conflict("Only a rating the vendor disputes is reviewed.", code="rating.not_disputed")
    now = utc_now()
    rating.review = RatingReview(outcome=data.outcome, revised_level=data.revised_level and data.revised_level.value,
                                 narrative=data.narrative, reviewed_at=now, reviewed_by=actor.subject,
                                 reviewer_unit=actor.unit)
    rating.finalised_at = now
    # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
    await session.flush()
    view = rating_view(rating, beijing_today())
    await audit.record(session, actor=actor, action="rating.reviewed", object_type="rating", object_id=str(rating.id),
                       after=msgspec.to_builtins(view.review),
                       details={"outcome": data.outcome, "final_level": view.final_level.value})
    await _publish_final(session, outbox, view, "reviewed")
    return view


async def _publish_final(session: AsyncSession, outbox: OutboxTables, view: RatingView, reason: str) -> None:
    await publish(session, outbox, "rating.final", str(view.id), {
        "rating_id": view.id, "vendor_uscc": view.vendor_uscc, "final_level": view.final_level.value,
        "reason": reason})


async def finalise_lapsed_ratings(database: Database, audit: AuditRecorder, outbox: OutboxTables, *,
                                  # equivalent mutant: 200 → 201 — the batch only splits the reading
                                  now: dt.datetime | None = None, batch: int = 200) -> list[int]:
    """Make final every rating whose comment window lapsed before ``now`` (an aware instant; the
    current one by default) undisputed: with no comment, or a comment that does not dispute it. A
    disputed rating waits for its review instead. Each rating in a transaction of its own, with an
    audit entry and a ``rating.final`` event. Returns the ids finalised by this call.

    Safe with several processes of the service: a rating is finalised once, by whichever locks it first.
    """
    now = now or utc_now()
    today = now.astimezone(BEIJING).date()
    disputed = select(RatingComment.rating_id).where(RatingComment.disputes.is_(True))
    # equivalent mutant: < → <= — _finalise asks it again under the lock: a last day's rating stays open
    lapsed = (select(Rating.id).where(Rating.finalised_at.is_(None), Rating.comment_until < today,
                                      Rating.id.not_in(disputed)).order_by(Rating.id).limit(batch))
    finalised: list[int] = []
    last = 0
    while True:
        async with database.reading() as session:
            # equivalent mutant: > → >= — the batch before's last rating is final or disputed now, so not read again
            ids = list((await session.execute(lapsed.where(Rating.id > last))).scalars())
        for rating_id in ids:
            if await _finalise(database, audit, outbox, rating_id, now, today):
                finalised.append(rating_id)
        if len(ids) < batch:
            return finalised
        last = ids[-1]


async def _finalise(database: Database, audit: AuditRecorder, outbox: OutboxTables, rating_id: int,
                    now: dt.datetime, today: dt.date) -> bool:
    async with database.transaction() as session:
        # The row lock is the guard: a second finaliser waits here, then finds finalised_at set.
        rating = (await session.execute(_with_answers(select(Rating).where(
            # equivalent mutant: < → <= — the query that chose the id asked it already (last day excluded)
            Rating.id == rating_id, Rating.finalised_at.is_(None), Rating.comment_until < today))
            .with_for_update(of=Rating))).scalar_one_or_none()
        if rating is None or (rating.comment is not None and rating.comment.disputes):
            return False
        rating.finalised_at = now
        # equivalent mutant: drop `await session.flush()` — the next query or the commit flushes it
        await session.flush()
        view = rating_view(rating, today)
        await audit.record(session, actor=system_actor("vendors"), action="rating.finalised", object_type="rating",
                           object_id=str(rating.id), after=msgspec.to_builtins(view),
                           details={"reason": "comment_window_lapsed", "final_level": view.final_level.value,
                                    "commented": rating.comment is not None})
        await _publish_final(session, outbox, view, "comment_window_lapsed")
    return True


async def finalise_ratings_periodically(database: Database, audit: AuditRecorder, outbox: OutboxTables,
                                        interval: float) -> None:
    """The vendors service's periodic task (there is no scheduler): run the finaliser every ``interval`` s."""
    while True:
        try:
            finalised = await finalise_lapsed_ratings(database, audit, outbox)
            if finalised:
                _log.info("ratings finalised", extra={"fields": {"ratings": finalised}})
        except Exception:  # the next run tries again; nothing is half-done, each rating is one transaction
            _log.exception("finalising lapsed ratings failed")
        await asyncio.sleep(interval)


async def vendor_ratings(session: AsyncSession, caller: Identity, uscc: str) -> VendorRatings:
    """The ratings of ``uscc`` that ``caller`` may see, newest first, with their 3-year aggregate."""
    if caller.has_any([Role.VENDOR]) and not caller.has_any(SEE_EVERY_RATING) and caller.unit != uscc:
        raise NotPermitted("A vendor sees only its own ratings.", code="rating.own_only")
    vendor = await find_vendor(session, uscc)
    visible = list((await session.execute(
        _with_answers(select(Rating).where(Rating.vendor_id == vendor.id, visible_to(caller)))
        .order_by(Rating.rated_on.desc(), Rating.id.desc()))).scalars())
    today = beijing_today()
    since = add_months(today, -AGGREGATE_MONTHS)
    levels = Counter(final_level(r).value for r in visible if r.rated_on >= since)
    aggregate = RatingAggregate(since=since, count=sum(levels.values()),
                                by_level={level.value: levels[level.value] for level in RatingLevel})
    return VendorRatings(vendor_uscc=uscc, items=[rating_view(r, today) for r in visible], aggregate=aggregate)


async def public_ratings(session: AsyncSession, *, page: int, page_size: int) -> Page[RatingView]:
    public = select(Rating).where(published())
    total = (await session.execute(select(func.count()).select_from(public.subquery()))).scalar_one()
    rows = await session.execute(_with_answers(public).order_by(Rating.rated_on.desc(), Rating.id.desc())
                                 .offset((page - 1) * page_size).limit(page_size))
    today = beijing_today()
    return Page(items=[rating_view(r, today) for r in rows.scalars()], total=total, page=page, page_size=page_size)


async def list_ratings(session: AsyncSession, caller: Identity, *, page: int, page_size: int,
                       status: RatingStatus | None = None, vendor: str | None = None) -> Page[RatingView]:
    """Ratings across vendors that ``caller`` may see, of one status and one vendor when asked. Disputed
    ratings come oldest dispute first, the order a reviewer works in (复核); any other list newest first."""
    today = beijing_today()
    statement = select(Rating).where(visible_to(caller))
    if status is not None:
        statement = statement.where(has_status(status, today))
    if vendor:
        statement = statement.where(Rating.vendor_id.in_(select(Vendor.id).where(Vendor.uscc == vendor)))
    total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
    if status == RatingStatus.DISPUTED:
        ordered = (statement.join(RatingComment, RatingComment.rating_id == Rating.id)
                   .order_by(RatingComment.commented_at, Rating.id))
    else:
        ordered = statement.order_by(Rating.rated_on.desc(), Rating.id.desc())
    rows = await session.execute(_with_answers(ordered).offset((page - 1) * page_size).limit(page_size))
    return Page(items=[rating_view(r, today) for r in rows.scalars()], total=total, page=page, page_size=page_size)
