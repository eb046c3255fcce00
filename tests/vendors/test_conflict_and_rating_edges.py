"""Edges of Art. 29 and Art. 28 that the other vendors tests leave open: a bidder that is also engaged on
the lot it bid for is told about it once; a conflict check is announced as an event; an exclusion bars
from every lot of the barred list, with or without an end date; who is involved in a project (the
gateway avoids their experts in draws); a rating without an engagement is refused; the record of
whether the vendor commented; finalising lapsed ratings in several batches, and the periodic finaliser's
log, wait and survival of a failed run; the 36-month aggregate to the day; the public listing's pages."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import update

from services.vendors.domain import ratings as ratings_domain
from services.vendors.models import Rating
from shared.clock import BEIJING, add_months, beijing_today, utc_now
from shared.db import Database
from shared.outbox.reading import DISPATCHER_SUBJECT
from tests.vendors.conftest import VendorsApi
from tests.vendors.test_exclusions import exclusion
from tests.vendors.test_ratings import RATER_UNIT, post_rating, rate


@pytest.fixture
async def database(api: VendorsApi) -> AsyncIterator[Database]:
    """The service's database on a connection of the test's own (the app's belongs to the client's loop)."""
    own = Database.from_url(api.client.app.state.database.engine.url.render_as_string(hide_password=False))
    yield own
    await own.dispose()


async def events(api: VendorsApi, event_type: str) -> list[tuple[str, dict[str, Any]]]:
    response = await api.client.get("/api/v1/internal/events",
                                    headers=api.headers("service", subject=DISPATCHER_SUBJECT))
    assert response.status_code == 200, response.text
    return [(event["object_id"], event["payload"]) for event in response.json() if event["event_type"] == event_type]


async def audit_items(api: VendorsApi, action: str) -> list[dict[str, Any]]:
    page = (await api.client.get("/api/v1/audit", params={"page_size": 200},
                                 headers=api.headers("auditor"))).json()
    return [item for item in reversed(page["items"]) if item["action"] == action]


# --- Art. 29 --------------------------------------------------------------------------------------

async def test_a_builder_that_also_bid_for_its_own_lot_is_told_once_by_its_engagement(api: VendorsApi) -> None:
    project = await api.project()
    builder = await api.vendor(name="集成商")
    engaged = await api.engage(project, builder, "construction", lot="L2")
    own_lot = api.verdicts(await api.check(project, "L2", [builder]))[builder]
    assert own_lot["verdict"] == "allowed"  # a bidder of L2 now, not barred from it
    supervision = api.verdicts(await api.check(project, "L3", [builder]))[builder]
    assert supervision["verdict"] == "flagged"
    assert [(reason["engagement_id"], reason["params"]) for reason in supervision["reasons"]] == [
        (engaged["id"], {"via": "engagement", "role": "construction", "lot_code": "L2", "service_role": "supervision"})]


async def test_a_conflict_check_is_announced_with_its_verdicts(api: VendorsApi) -> None:
    project = await api.project()
    designer, bidder = await api.vendor(name="设计院"), await api.vendor(name="投标人")
    await api.engage(project, designer, "overall_design", lot="L1")
    check = await api.check(project, "L2", [designer, bidder])
    assert await events(api, "conflict_check.made") == [(check["id"], {
        "check_id": check["id"], "project_code": project, "lot_code": "L2",
        "verdicts": {designer: "barred", bidder: "allowed"}})]


async def test_an_exclusion_bars_from_every_lot_until_its_end_or_until_lifted(api: VendorsApi) -> None:
    project = await api.project()
    today = beijing_today()
    open_ended, ending = api.new_uscc(), api.new_uscc()
    ends_on = today + dt.timedelta(days=30)
    for uscc, end in ((open_ended, None), (ending, ends_on)):
        response = await api.client.post("/api/v1/exclusions", json=exclusion(uscc, today, end), headers=api.admin)
        assert response.status_code == 201, response.text
    barred = (await api.client.get(f"/api/v1/projects/{project}/barred-list", headers=api.admin)).json()
    assert {(e["uscc"], e["lot_code"], e["lot_name"], e["reason"], e["params"]["ends_on"])
            for e in barred["entries"]} == {(open_ended, None, "全部标段", "excluded", None),
                                            (ending, None, "全部标段", "excluded", ends_on.isoformat())}
    response = await api.client.get(f"/api/v1/projects/{project}/barred-list", params={"format": "csv"},
                                    headers=api.admin)
    assert response.status_code == 200, response.text
    texts = {row[0]: (row[2], row[-1]) for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert texts[open_ended] == ("全部", "温州市财政局 温财〔2026〕1号，至 解除前")
    assert texts[ending] == ("全部", f"温州市财政局 温财〔2026〕1号，至 {ends_on.isoformat()}")


async def test_the_involved_vendors_are_the_projects_engaged_and_its_bidders_each_reason_once(
        api: VendorsApi) -> None:
    project, elsewhere = await api.project(), await api.project("PY-2027-ELSEWHERE")
    designer, builder = await api.vendor(name="设计院"), await api.vendor(name="集成商")
    bidder, stranger = await api.vendor(name="投标人"), await api.vendor(name="他项目")
    await api.engage(project, designer, "overall_design", lot="L1")
    await api.engage(project, builder, "software", lot=None)
    await api.engage(elsewhere, stranger, "construction", lot="L2")
    await api.check(elsewhere, "L2", [stranger])
    await api.check(project, "L2", [bidder, builder])
    await api.check(project, "L2", [bidder])  # checked again: still one reason
    response = await api.client.get(f"/api/v1/projects/{project}/involved-vendors", headers=api.admin)
    assert response.status_code == 200, response.text
    expected = sorted([
        {"uscc": designer, "name": "设计院", "reasons": ["engaged as overall_design on lot L1"]},
        {"uscc": builder, "name": "集成商", "reasons": ["engaged as software", "bidder on lot L2"]},
        {"uscc": bidder, "name": "投标人", "reasons": ["bidder on lot L2"]}], key=lambda item: item["uscc"])
    assert response.json() == expected


# --- Art. 28 --------------------------------------------------------------------------------------

async def test_a_rating_without_an_engagement_is_refused_naming_the_engagement(api: VendorsApi) -> None:
    uscc = await api.vendor()
    response = await post_rating(api, uscc, RATER_UNIT, engagement_id=None)
    assert response.status_code == 422, response.text
    assert [(error["field"], error["code"]) for error in response.json()["errors"]] == [
        ("engagement_id", "rating.engagement_needed")]
    assert (await api.client.get(f"/api/v1/vendors/{uscc}/ratings", headers=api.admin)).json()["items"] == []


async def finalise(api: VendorsApi, database: Database, now: dt.datetime, batch: int = 200) -> list[int]:
    state = api.client.app.state
    return await ratings_domain.finalise_lapsed_ratings(database, state.audit, state.outbox, now=now, batch=batch)


async def test_the_finalised_record_says_whether_the_vendor_commented(api: VendorsApi, database: Database) -> None:
    uscc = await api.vendor()
    silent, commented = await rate(api, uscc), await rate(api, uscc)
    response = await api.client.post(f"/api/v1/ratings/{commented['id']}/comment", json={"text": "无异议"},
                                     headers=api.headers("vendor", unit=uscc))
    assert response.status_code == 201, response.text
    assert await finalise(api, database, utc_now() + dt.timedelta(days=15)) == [silent["id"], commented["id"]]
    assert [(item["object_id"], item["details"]["commented"]) for item in await audit_items(api, "rating.finalised")
            ] == [(str(silent["id"]), False), (str(commented["id"]), True)]


@pytest.mark.parametrize("batch", [1, 2])
async def test_lapsed_ratings_are_all_finalised_over_several_batches(api: VendorsApi, database: Database,
                                                                      batch: int) -> None:
    uscc = await api.vendor()
    made = [(await rate(api, uscc))["id"] for _ in range(5)]
    assert await finalise(api, database, utc_now() + dt.timedelta(days=15), batch=batch) == made
    assert len(await events(api, "rating.final")) == 5


async def test_the_aggregate_covers_exactly_36_months_to_the_day(api: VendorsApi, database: Database) -> None:
    uscc = await api.vendor()
    first_day, day_before, recent = (await rate(api, uscc, overall="good"), await rate(api, uscc, overall="qualified"),
                                     await rate(api, uscc))
    since = add_months(beijing_today(), -36)
    async with database.transaction() as session:
        for rating, rated_on in ((first_day, since), (day_before, since - dt.timedelta(days=1))):
            await session.execute(update(Rating).where(Rating.id == rating["id"]).values(rated_on=rated_on))
    ratings = (await api.client.get(f"/api/v1/vendors/{uscc}/ratings", headers=api.admin)).json()
    assert [item["id"] for item in ratings["items"]] == [recent["id"], first_day["id"], day_before["id"]]
    aggregate = ratings["aggregate"]
    assert dt.date.fromisoformat(aggregate["since"]) == since
    assert aggregate["count"] == 2
    assert {level: count for level, count in aggregate["by_level"].items() if count} == {
        "good": 1, "basically_qualified": 1}


async def test_the_public_listings_second_page_starts_after_the_first(api: VendorsApi, database: Database) -> None:
    uscc = await api.vendor()
    older, newer = await rate(api, uscc), await rate(api, uscc)
    await finalise(api, database, utc_now() + dt.timedelta(days=15))
    pages = []
    for page in (1, 2, 3):
        response = await api.client.get("/api/v1/public-ratings", params={"page": page, "page_size": 1},
                                        headers=api.headers("service"))
        assert response.status_code == 200, response.text
        pages.append([item["id"] for item in response.json()["items"]])
    assert pages == [[newer["id"]], [older["id"]], []]



class _Stop(BaseException):
    """Ends the periodic finaliser's endless loop (not an ``Exception``: the loop survives those)."""


async def test_the_periodic_finaliser_logs_each_run_survives_a_failure_and_waits_its_interval(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    interval = 3600.5
    runs: list[int] = []
    waits: list[float] = []

    async def run(*_: object) -> list[int]:
        runs.append(len(runs))
        if len(runs) > 3:
            raise _Stop  # it never waited
        if len(runs) == 1:
            raise RuntimeError("database away")
        return [7]

    real_sleep = asyncio.sleep

    async def sleep(delay: float, *args: Any, **kwargs: Any) -> Any:
        if delay != interval:
            return await real_sleep(delay, *args, **kwargs)
        waits.append(delay)
        if len(waits) == 2:
            raise _Stop

    monkeypatch.setattr(ratings_domain, "finalise_lapsed_ratings", run)
    monkeypatch.setattr(ratings_domain.asyncio, "sleep", sleep)
    with caplog.at_level(logging.INFO, logger="sortes.ratings"), pytest.raises(_Stop):
        await ratings_domain.finalise_ratings_periodically(None, None, None, interval)  # type: ignore[arg-type]
    assert (runs, waits) == ([0, 1], [interval, interval])
    assert [(record.levelname, record.getMessage(), getattr(record, "fields", None))
            for record in caplog.records if record.name == "sortes.ratings"] == [
        ("ERROR", "finalising lapsed ratings failed", None), ("INFO", "ratings finalised", {"ratings": [7]})]


async def test_a_rating_stays_open_through_its_last_comment_day_and_is_final_the_day_after(
        api: VendorsApi, database: Database) -> None:
    uscc = await api.vendor()
    created = await rate(api, uscc)
    last_day = dt.date.fromisoformat(created["comment_until"])
    assert await finalise(api, database, dt.datetime.combine(last_day, dt.time(23, 59), BEIJING)) == []
    assert await finalise(api, database, dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 0),
                                                             BEIJING)) == [created["id"]]
