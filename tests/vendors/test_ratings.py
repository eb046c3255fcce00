"""Vendor ratings (Art. 28): a narrative required, the vendor's 14-day comment window, review of a
dispute by someone outside the rater's unit, nothing overwritten, visibility per rating."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.vendors.domain import ratings as ratings_domain
from shared.clock import beijing_today, utc_now
from shared.db import Database
from shared.outbox.reading import DISPATCHER_SUBJECT
from tests.support.identity import BUREAU_USCC
from tests.vendors.conftest import OTHER_UNIT, THIRD_UNIT, VendorsApi

RATER_UNIT = OTHER_UNIT  # the county unit whose contract was rated


def rating(visibility: str = "public", overall: str = "basically_qualified", **changes: Any) -> dict[str, Any]:
    return {"stage": "初步验收", "overall": overall, "visibility": visibility,
            "narrative": "系统上线延期两周，文档不全。",
            # From the best level to the worst: any overall level lies between them.
            "factors": {"quality": "excellent", "schedule": "basically_qualified", "service_responsiveness": "good",
                        "security_compliance": "qualified", "documentation": "unqualified"}, **changes}


_AMOUNTS = itertools.count(1)


async def engagement(api: VendorsApi, uscc: str, owner_unit: str = RATER_UNIT) -> int:
    """A new engagement of ``uscc`` on a project of ``owner_unit``: what gives a rater of that unit standing."""
    project = await api.project(f"PY-RATED-{owner_unit[-4:]}", owner_unit=owner_unit)
    return (await api.engage(project, uscc, "construction", "L2", amount_fen=next(_AMOUNTS)))["id"]


async def rate(api: VendorsApi, uscc: str, **changes: Any) -> dict[str, Any]:
    changes.setdefault("engagement_id", await engagement(api, uscc))
    response = await api.client.post(f"/api/v1/vendors/{uscc}/ratings", json=rating(**changes),
                                     headers=api.headers("rater", unit=RATER_UNIT))
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_rating_opens_a_14_day_comment_window(api: VendorsApi) -> None:
    uscc = await api.vendor()
    created = await rate(api, uscc)
    assert created["overall_label"] == "基本合格"
    assert created["status"] == "open_for_comment"
    assert dt.date.fromisoformat(created["comment_until"]) == beijing_today() + dt.timedelta(days=14)


async def test_dispute_then_review_keeps_every_part(api: VendorsApi) -> None:
    uscc = await api.vendor()
    created = await rate(api, uscc)
    vendor = api.headers("vendor", unit=uscc)
    commented = await api.client.post(f"/api/v1/ratings/{created['id']}/comment", headers=vendor,
                                      json={"text": "延期系用户需求变更所致，附会议纪要。", "disputes": True})
    assert commented.status_code == 201, commented.text
    assert commented.json()["status"] == "disputed"

    same_unit = await api.client.post(f"/api/v1/ratings/{created['id']}/review",
                                      headers=api.headers("rating_reviewer", unit=RATER_UNIT),
                                      json={"outcome": "upheld", "narrative": "维持"})
    assert same_unit.status_code == 403
    reviewed = await api.client.post(f"/api/v1/ratings/{created['id']}/review",
                                     headers=api.headers("rating_reviewer"),
                                     json={"outcome": "revised", "revised_level": "qualified",
                                           "narrative": "需求变更有据，调整为合格。"})
    assert reviewed.status_code == 201, reviewed.text
    final = reviewed.json()
    assert (final["overall"], final["final_level"], final["status"]) == ("basically_qualified", "qualified", "final")
    assert final["narrative"] == created["narrative"] and final["comment"]["disputes"] is True

    again = await api.client.post(f"/api/v1/ratings/{created['id']}/review", headers=api.headers("rating_reviewer"),
                                  json={"outcome": "upheld", "narrative": "再次复核"})
    assert again.status_code == 409
    actions = await api.audit_actions()
    assert actions[-3:] == ["rating.created", "rating.commented", "rating.reviewed"]


async def test_only_the_rated_vendor_comments_and_only_within_the_window(api: VendorsApi,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    uscc, other = await api.vendor(), await api.vendor()
    created = await rate(api, uscc)
    url = f"/api/v1/ratings/{created['id']}/comment"
    body = {"text": "无异议"}
    assert (await api.client.post(url, json=body, headers=api.headers("vendor", unit=other))).status_code == 403
    monkeypatch.setattr(ratings_domain, "beijing_today", lambda: beijing_today() + dt.timedelta(days=15))
    late = await api.client.post(url, json=body, headers=api.headers("vendor", unit=uscc))
    assert late.status_code == 409
    assert "closed" in late.json()["detail"]


async def test_an_undisputed_rating_is_not_reviewed(api: VendorsApi) -> None:
    uscc = await api.vendor()
    created = await rate(api, uscc)
    await api.client.post(f"/api/v1/ratings/{created['id']}/comment", json={"text": "收到", "disputes": False},
                          headers=api.headers("vendor", unit=uscc))
    response = await api.client.post(f"/api/v1/ratings/{created['id']}/review", headers=api.headers("rating_reviewer"),
                                     json={"outcome": "upheld", "narrative": "维持"})
    assert response.status_code == 409


async def test_each_caller_sees_only_what_the_visibility_allows(api: VendorsApi,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    uscc, other = await api.vendor(), await api.vendor()
    for visibility in ("bureau", "government", "public"):
        await rate(api, uscc, visibility=visibility)

    async def visible(headers: dict[str, str], vendor: str = uscc) -> list[str]:
        response = await api.client.get(f"/api/v1/vendors/{vendor}/ratings", headers=headers)
        assert response.status_code == 200, response.text
        return sorted(item["visibility"] for item in response.json()["items"])

    assert await visible(api.admin) == ["bureau", "government", "public"]
    assert await visible(api.headers("vendor", unit=uscc)) == ["bureau", "government", "public"]
    assert await visible(api.headers("procurement_officer")) == ["government", "public"]
    assert await visible(api.headers("expert")) == []  # a public rating is published when final
    refused = await api.client.get(f"/api/v1/vendors/{uscc}/ratings", headers=api.headers("vendor", unit=other))
    assert refused.status_code == 403
    assert (await api.client.get("/api/v1/public-ratings", headers=api.headers("service"))).json()["items"] == []
    monkeypatch.setattr(ratings_domain, "beijing_today", lambda: beijing_today() + dt.timedelta(days=15))
    assert await visible(api.headers("expert")) == ["public"]
    public = (await api.client.get("/api/v1/public-ratings", headers=api.headers("expert"))).json()
    assert [item["visibility"] for item in public["items"]] == ["public"]


async def test_the_aggregate_counts_final_levels_of_visible_ratings(api: VendorsApi) -> None:
    uscc = await api.vendor()
    await rate(api, uscc, overall="excellent")
    await rate(api, uscc, overall="excellent", visibility="bureau")
    await rate(api, uscc, overall="unqualified")
    aggregate = (await api.client.get(f"/api/v1/vendors/{uscc}/ratings", headers=api.admin)).json()["aggregate"]
    assert aggregate["count"] == 3
    assert aggregate["by_level"]["excellent"] == 2 and aggregate["by_level"]["unqualified"] == 1
    government = (await api.client.get(f"/api/v1/vendors/{uscc}/ratings",
                                       headers=api.headers("procurement_officer"))).json()
    assert government["aggregate"]["count"] == 2


@pytest.mark.parametrize(("changes", "field"), [
    ({"narrative": "   "}, "narrative"),
    ({"stage": "  "}, "stage"),
    ({"overall": "great"}, "overall"),
    ({"visibility": "everyone"}, "visibility"),
    ({"project_code": "PY-NONE"}, "project_code"),
    ({"engagement_id": None}, "engagement_id"),
    ({"engagement_id": 2**31}, "engagement_id"),
    ({"engagement_id": 999_999}, "engagement_id"),
])
async def test_bad_ratings_name_the_field(api: VendorsApi, changes: dict[str, Any], field: str) -> None:
    uscc = await api.vendor()
    body = rating(engagement_id=await engagement(api, uscc), **{k: v for k, v in changes.items()
                                                                if k != "engagement_id"})
    if "engagement_id" in changes:
        body["engagement_id"] = changes["engagement_id"]
    response = await api.client.post(f"/api/v1/vendors/{uscc}/ratings", json=body,
                                     headers=api.headers("rater", unit=RATER_UNIT))
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert (await api.client.get(f"/api/v1/vendors/{uscc}/ratings", headers=api.admin)).json()["items"] == []


# --- finalisation ------------------------------------------------------------------------------

@pytest.fixture
async def processes(api: VendorsApi) -> AsyncIterator[tuple[Database, Database]]:
    """Two connections to the service's database, as two processes of the service would have."""
    url = api.client.app.state.database.engine.url.render_as_string(hide_password=False)
    first, second = Database.from_url(url), Database.from_url(url)
    yield first, second
    await first.dispose()
    await second.dispose()


async def finalise(api: VendorsApi, database: Database, now: dt.datetime) -> list[int]:
    state = api.client.app.state
    return await ratings_domain.finalise_lapsed_ratings(database, state.audit, state.outbox, now=now)


async def final_events(api: VendorsApi) -> list[tuple[str, dict[str, Any]]]:
    response = await api.client.get("/api/v1/internal/events",
                                    headers=api.headers("service", subject=DISPATCHER_SUBJECT))
    assert response.status_code == 200, response.text
    return [(event["object_id"], event["payload"]) for event in response.json()
            if event["event_type"] == "rating.final"]


async def read_rating(api: VendorsApi, uscc: str, rating_id: int) -> dict[str, Any]:
    items = (await api.client.get(f"/api/v1/vendors/{uscc}/ratings", headers=api.admin)).json()["items"]
    return next(item for item in items if item["id"] == rating_id)


async def test_a_lapsed_rating_becomes_final_exactly_once_with_one_event(api: VendorsApi, processes) -> None:
    uscc = await api.vendor()
    created = await rate(api, uscc)
    first, second = processes
    assert await finalise(api, first, utc_now()) == []  # the window is open
    assert await final_events(api) == []

    later = utc_now() + dt.timedelta(days=15)
    both = await asyncio.gather(finalise(api, first, later), finalise(api, second, later))
    assert sorted(both) == [[], [created["id"]]]
    assert await finalise(api, first, later + dt.timedelta(days=1)) == []
    assert await final_events(api) == [(str(created["id"]), {
        "rating_id": created["id"], "vendor_uscc": uscc, "final_level": "basically_qualified",
        "reason": "comment_window_lapsed"})]
    view = await read_rating(api, uscc, created["id"])
    assert view["status"] == "final" and dt.datetime.fromisoformat(view["finalised_at"]) == later
    assert (await api.audit_actions()).count("rating.finalised") == 1


async def test_a_disputed_rating_waits_for_its_review_and_an_undisputed_comment_does_not(
        api: VendorsApi, processes) -> None:
    uscc = await api.vendor()
    disputed, accepted = await rate(api, uscc), await rate(api, uscc, overall="good")
    vendor = api.headers("vendor", unit=uscc)
    for rating, disputes in ((disputed, True), (accepted, False)):
        response = await api.client.post(f"/api/v1/ratings/{rating['id']}/comment", headers=vendor,
                                         json={"text": "意见见附件。", "disputes": disputes})
        assert response.status_code == 201, response.text
    later = utc_now() + dt.timedelta(days=15)
    assert await finalise(api, processes[0], later) == [accepted["id"]]
    assert (await read_rating(api, uscc, disputed["id"]))["status"] == "disputed"

    reviewed = await api.client.post(f"/api/v1/ratings/{disputed['id']}/review", headers=api.headers("rating_reviewer"),
                                     json={"outcome": "upheld", "narrative": "维持原评价。"})
    assert reviewed.status_code == 201, reviewed.text
    assert reviewed.json()["finalised_at"] is not None
    assert await finalise(api, processes[0], later + dt.timedelta(days=30)) == []
    events = await final_events(api)
    assert [(object_id, payload["reason"]) for object_id, payload in events] == [
        (str(accepted["id"]), "comment_window_lapsed"), (str(disputed["id"]), "reviewed")]


async def test_no_comment_is_taken_once_a_rating_is_final(api: VendorsApi, processes) -> None:
    uscc = await api.vendor()
    created = await rate(api, uscc)
    await finalise(api, processes[0], utc_now() + dt.timedelta(days=15))
    # Still inside the window by the service's own clock, but the finaliser has run ahead of it.
    late = await api.client.post(f"/api/v1/ratings/{created['id']}/comment", json={"text": "有异议", "disputes": True},
                                 headers=api.headers("vendor", unit=uscc))
    assert late.status_code == 409


async def test_the_service_finalises_lapsed_ratings_by_itself(test_databases, backend: str, minter,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from litestar.testing import AsyncTestClient

    from tests.conftest import build_service_app

    monkeypatch.setenv("SORTES_VENDORS_RATING_FINALISER_INTERVAL", "0.05")
    url = await asyncio.to_thread(test_databases.fresh, "vendors", backend)
    async with AsyncTestClient(build_service_app("vendors", url, minter.public_key)) as client:
        api = VendorsApi(client, minter, random.Random(3))
        uscc = await api.vendor()
        created = await rate(api, uscc)
        monkeypatch.setattr(ratings_domain, "utc_now", lambda: utc_now() + dt.timedelta(days=15))
        for _ in range(100):
            if (await read_rating(api, uscc, created["id"]))["finalised_at"] is not None:
                break
            await asyncio.sleep(0.05)
        assert (await read_rating(api, uscc, created["id"]))["finalised_at"] is not None
    # Leaving the block shut the app down, its periodic task cancelled (or this test would hang).


# --- standing (Art. 28) ------------------------------------------------------------------------

async def post_rating(api: VendorsApi, uscc: str, unit: str, **changes: Any) -> Any:
    return await api.client.post(f"/api/v1/vendors/{uscc}/ratings", json=rating(**changes),
                                 headers=api.headers("rater", unit=unit))


async def test_only_a_rater_of_the_projects_unit_or_of_the_bureau_rates_and_once_per_stage(api: VendorsApi) -> None:
    uscc = await api.vendor()
    engaged = await engagement(api, uscc, owner_unit=RATER_UNIT)

    stranger = await post_rating(api, uscc, THIRD_UNIT, engagement_id=engaged)
    assert stranger.status_code == 403, stranger.text
    assert stranger.headers["content-type"].startswith("application/problem+json")
    assert (await api.client.get(f"/api/v1/vendors/{uscc}/ratings", headers=api.admin)).json()["items"] == []

    own = await post_rating(api, uscc, RATER_UNIT, engagement_id=engaged, project_code=f"PY-RATED-{RATER_UNIT[-4:]}")
    assert own.status_code == 201, own.text
    assert (own.json()["engagement_id"], own.json()["project_code"]) == (engaged, f"PY-RATED-{RATER_UNIT[-4:]}")
    again = await post_rating(api, uscc, BUREAU_USCC, engagement_id=engaged, stage=" 初步验收 ")
    assert again.status_code == 409, again.text
    # The bureau rates on any project; another contract stage of the same engagement is another rating.
    bureau = await post_rating(api, uscc, BUREAU_USCC, engagement_id=engaged, stage="终验")
    assert bureau.status_code == 201, bureau.text
    items = (await api.client.get(f"/api/v1/vendors/{uscc}/ratings", headers=api.admin)).json()["items"]
    assert sorted(item["stage"] for item in items) == ["初步验收", "终验"]
    assert (await api.audit_actions()).count("rating.created") == 2


async def test_no_standing_without_the_vendors_own_live_engagement(api: VendorsApi) -> None:
    uscc, other = await api.vendor(), await api.vendor()
    others = await engagement(api, other)
    response = await post_rating(api, uscc, RATER_UNIT, engagement_id=others)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["engagement_id"]

    engaged = await engagement(api, uscc)
    voided = await api.client.post(f"/api/v1/projects/PY-RATED-{RATER_UNIT[-4:]}/engagements/{engaged}/void",
                                   json={"reason": "误录"}, headers=api.admin)
    assert voided.status_code == 201, voided.text
    response = await post_rating(api, uscc, RATER_UNIT, engagement_id=engaged)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["engagement_id"]
    wrong_project = await post_rating(api, uscc, RATER_UNIT, engagement_id=await engagement(api, uscc),
                                      project_code=(await api.project("PY-ELSEWHERE", owner_unit=RATER_UNIT)))
    assert [error["field"] for error in wrong_project.json()["errors"]] == ["project_code"]
    assert (await api.client.get(f"/api/v1/vendors/{uscc}/ratings", headers=api.admin)).json()["items"] == []


@pytest.mark.parametrize(("overall", "accepted"), [
    ("excellent", False), ("good", True), ("qualified", True), ("basically_qualified", True), ("unqualified", False),
])
async def test_the_overall_level_lies_between_the_best_and_the_worst_factor(api: VendorsApi, overall: str,
                                                                           accepted: bool) -> None:
    uscc = await api.vendor()
    factors = {"quality": "good", "schedule": "qualified", "service_responsiveness": "good",
               "security_compliance": "basically_qualified", "documentation": "qualified"}
    response = await post_rating(api, uscc, RATER_UNIT, engagement_id=await engagement(api, uscc),
                                 factors=factors, overall=overall)
    if accepted:
        assert response.status_code == 201, response.text
        return
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["overall"]
    assert (await api.client.get(f"/api/v1/vendors/{uscc}/ratings", headers=api.admin)).json()["items"] == []


async def test_the_anonymous_public_listing_shows_a_public_rating_once_it_is_final(api: VendorsApi,
                                                                                   processes) -> None:
    uscc = await api.vendor()
    created = await rate(api, uscc, visibility="public")
    # Anonymous callers reach the listing through the gateway, which calls it with its own assertion.
    assert (await api.client.get("/api/v1/public-ratings", headers=api.headers("service"))).json() == {
        "items": [], "total": 0, "page": 1, "page_size": 50}
    await finalise(api, processes[0], utc_now() + dt.timedelta(days=15))
    public = (await api.client.get("/api/v1/public-ratings", headers=api.headers("service"))).json()
    assert [(item["id"], item["status"]) for item in public["items"]] == [(created["id"], "final")]


async def test_the_comment_window_is_open_all_of_its_last_day_and_closes_the_day_after(
        api: VendorsApi, monkeypatch: pytest.MonkeyPatch, processes) -> None:
    """The exact days: day 14 still takes a comment and nothing is final; day 15 closes both ways."""
    uscc = await api.vendor()
    taken, lapsing = await rate(api, uscc), await rate(api, uscc)
    last_day = dt.date.fromisoformat(taken["comment_until"])
    late_evening = dt.datetime.combine(last_day, dt.time(23, 59), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert await finalise(api, processes[0], late_evening) == []
    monkeypatch.setattr(ratings_domain, "beijing_today", lambda: last_day)
    response = await api.client.post(f"/api/v1/ratings/{taken['id']}/comment", json={"text": "无异议"},
                                     headers=api.headers("vendor", unit=uscc))
    assert response.status_code == 201, response.text
    assert (await read_rating(api, uscc, lapsing["id"]))["status"] == "open_for_comment"
    next_morning = late_evening + dt.timedelta(minutes=2)
    assert await finalise(api, processes[0], next_morning) == [taken["id"], lapsing["id"]]
    monkeypatch.setattr(ratings_domain, "beijing_today", lambda: last_day + dt.timedelta(days=1))
    late = await api.client.post(f"/api/v1/ratings/{lapsing['id']}/comment", json={"text": "有异议"},
                                 headers=api.headers("vendor", unit=uscc))
    assert late.status_code == 409
