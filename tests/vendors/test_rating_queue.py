"""Ratings across vendors (GET /api/v1/ratings): the rating reviewers' queue of disputes, oldest dispute
first, for reviewers, bureau admins and auditors, with the visibility rule of a vendor's ratings list."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.vendors.domain import ratings as ratings_domain
from shared.clock import beijing_today, utc_now
from shared.db import Database
from shared.identity import Identity
from tests.vendors.conftest import OWNER_UNIT, VendorsApi
from tests.vendors.test_ratings import RATER_UNIT, rate

ACROSS_VENDORS = ("rating_reviewer", "bureau_admin", "auditor")


@pytest.fixture(autouse=True)
def ticking_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A minute passes between any two comments (the service's instants are whole seconds, and a test
    comments faster than that), so that their order shows in the queue."""
    ticks = itertools.count()
    start = utc_now()
    monkeypatch.setattr(ratings_domain, "utc_now", lambda: start + dt.timedelta(minutes=next(ticks)))


@pytest.fixture
async def database(api: VendorsApi) -> AsyncIterator[Database]:
    """The service's database on a connection of the test's own (the app's belongs to the client's loop)."""
    own = Database.from_url(api.client.app.state.database.engine.url.render_as_string(hide_password=False))
    yield own
    await own.dispose()


async def listed(api: VendorsApi, role: str = "rating_reviewer", **params: Any) -> dict[str, Any]:
    response = await api.client.get("/api/v1/ratings", params=params, headers=api.headers(role))
    assert response.status_code == 200, response.text
    return response.json()


async def ids(api: VendorsApi, role: str = "rating_reviewer", **params: Any) -> list[int]:
    return [item["id"] for item in (await listed(api, role, page_size=500, **params))["items"]]


async def comment(api: VendorsApi, rating: dict[str, Any], *, disputes: bool) -> None:
    response = await api.client.post(f"/api/v1/ratings/{rating['id']}/comment",
                                     json={"text": "意见见附件。", "disputes": disputes},
                                     headers=api.headers("vendor", unit=rating["vendor_uscc"]))
    assert response.status_code == 201, response.text


async def review(api: VendorsApi, rating: dict[str, Any]) -> None:
    response = await api.client.post(f"/api/v1/ratings/{rating['id']}/review", headers=api.headers("rating_reviewer"),
                                     json={"outcome": "upheld", "narrative": "维持原评价。"})
    assert response.status_code == 201, response.text


async def ratings_of_every_status(api: VendorsApi) -> dict[str, dict[str, Any]]:
    """Two vendors' ratings: open, commented without a dispute, three disputed, one disputed then reviewed."""
    first, second = await api.vendor(name="浙江甲科技有限公司"), await api.vendor(name="浙江乙科技有限公司")
    made = {"open": await rate(api, first), "accepted": await rate(api, first), "disputed_b": await rate(api, first),
            "disputed_a": await rate(api, second), "disputed_c": await rate(api, second),
            "reviewed": await rate(api, second)}
    await comment(api, made["accepted"], disputes=False)
    # Disputed in another order than rated (neither oldest nor newest rating first): the queue follows the disputes.
    for name in ("disputed_a", "disputed_b", "disputed_c", "reviewed"):
        await comment(api, made[name], disputes=True)
    await review(api, made["reviewed"])
    return made


async def test_the_queue_lists_disputed_ratings_oldest_dispute_first_until_reviewed(api: VendorsApi) -> None:
    made = await ratings_of_every_status(api)
    queue = await listed(api, status="disputed")
    assert [item["id"] for item in queue["items"]] == [made[name]["id"] for name in
                                                       ("disputed_a", "disputed_b", "disputed_c")]
    assert queue["total"] == 3
    first = queue["items"][0]
    assert (first["status"], first["vendor_name"]) == ("disputed", "浙江乙科技有限公司")
    assert first["rater_unit"] == RATER_UNIT
    assert first["rated_on"] == beijing_today().isoformat() and first["comment"]["disputes"] is True

    await review(api, made["disputed_b"])
    assert await ids(api, status="disputed") == [made["disputed_a"]["id"], made["disputed_c"]["id"]]
    await review(api, made["disputed_a"])
    await review(api, made["disputed_c"])
    assert await listed(api, status="disputed") == {"items": [], "total": 0, "page": 1, "page_size": 50}


async def test_each_status_lists_exactly_the_ratings_of_that_status(api: VendorsApi,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    made = await ratings_of_every_status(api)
    everything = await ids(api)
    assert sorted(everything) == sorted(rating["id"] for rating in made.values())
    assert await ids(api, status="open_for_comment") == [made["accepted"]["id"], made["open"]["id"]]  # newest first
    # Today, the window's last day (the filter and the status agree on the day itself), then past the
    # window, not yet finalised.
    for day in (beijing_today(), beijing_today() + dt.timedelta(days=14), beijing_today() + dt.timedelta(days=15)):
        monkeypatch.setattr(ratings_domain, "beijing_today", lambda day=day: day)
        by_status = {status: (await listed(api, status=status, page_size=500))["items"]
                     for status in ("open_for_comment", "disputed", "final")}
        for status, items in by_status.items():
            assert {item["status"] for item in items} <= {status}, (day, status)
        assert sorted(item["id"] for items in by_status.values() for item in items) == sorted(everything)
    assert by_status["open_for_comment"] == []
    final = {made[name]["id"] for name in ("open", "accepted", "reviewed")}
    assert {item["id"] for item in by_status["final"]} == final
    assert len(by_status["disputed"]) == 3


async def test_the_list_is_paginated_with_its_total(api: VendorsApi) -> None:
    uscc = await api.vendor()
    created = [await rate(api, uscc) for _ in range(5)]
    for rating in created:
        await comment(api, rating, disputes=True)
    pages = [await listed(api, status="disputed", page=number, page_size=2) for number in (1, 2, 3, 4)]
    assert [page["total"] for page in pages] == [5, 5, 5, 5]
    assert [len(page["items"]) for page in pages] == [2, 2, 1, 0]
    assert [item["id"] for page in pages for item in page["items"]] == [rating["id"] for rating in created]


async def test_the_vendor_filter_keeps_one_vendors_ratings(api: VendorsApi) -> None:
    first, second = await api.vendor(), await api.vendor()
    mine, theirs = await rate(api, first), await rate(api, second)
    await comment(api, mine, disputes=True)
    await comment(api, theirs, disputes=True)
    assert await ids(api, status="disputed", vendor=first) == [mine["id"]]
    assert await ids(api, vendor=second) == [theirs["id"]]
    assert await ids(api, vendor=api.new_uscc()) == []


@pytest.mark.parametrize("role", ["vendor", "rater", "procurement_officer", "organiser", "supervisor", "expert",
                                  "service"])
async def test_no_one_else_lists_ratings_across_vendors(api: VendorsApi, role: str) -> None:
    uscc = await api.vendor()
    await rate(api, uscc, visibility="public")
    unit = uscc if role == "vendor" else RATER_UNIT
    response = await api.client.get("/api/v1/ratings", headers=api.headers(role, unit=unit))
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("params", "field"), [
    ({"status": "pending"}, "status"), ({"status": "DISPUTED"}, "status"), ({"page_size": "0"}, "page_size"),
    ({"page": "0"}, "page"),
])
async def test_a_bad_query_value_names_the_parameter(api: VendorsApi, params: dict[str, str], field: str) -> None:
    response = await api.client.get("/api/v1/ratings", params=params, headers=api.headers("rating_reviewer"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_the_list_shows_what_a_vendors_ratings_list_shows_to_the_same_caller(api: VendorsApi,
                                                                                   database: Database) -> None:
    uscc = await api.vendor()
    made = {visibility: await rate(api, uscc, visibility=visibility) for visibility in ("bureau", "government",
                                                                                       "public")}
    for rating in made.values():
        await comment(api, rating, disputes=True)
    for role in ACROSS_VENDORS:
        per_vendor = (await api.client.get(f"/api/v1/vendors/{uscc}/ratings", headers=api.headers(role))).json()
        assert sorted(await ids(api, role, status="disputed")) == sorted(item["id"] for item in per_vendor["items"])
        assert made["bureau"]["id"] in await ids(api, role, status="disputed"), role  # bureau-only, still seen

    # The list applies the rule itself, not only the route's guard: a caller who sees less gets less.
    for roles, unit, seen in ((("rater",), RATER_UNIT, {"bureau", "government", "public"}),
                              (("rater",), OWNER_UNIT, {"government", "public"}),
                              (("procurement_officer",), RATER_UNIT, {"government", "public"}),
                              # a public rating is published when final; a disputed one is not yet
                              (("expert",), RATER_UNIT, set()), (("vendor",), RATER_UNIT, set()),
                              (("vendor",), uscc, {"bureau", "government", "public"})):
        caller = Identity(subject="user:test", name="测试用户", roles=roles, unit=unit)
        async with database.reading() as session:
            page = await ratings_domain.list_ratings(session, caller, page=1, page_size=50, status="disputed")
        assert ({item.visibility for item in page.items}, page.total) == (seen, len(seen)), (roles, unit)
