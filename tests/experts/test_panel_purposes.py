"""Panels as the county runs them: the purposes of Arts. 10, 18 and 30 and who organises them, the
joint departments avoided like the owner, the panel-size rule per purpose, the venue, start time,
contact and notice the members read, and a moved meeting that respects declared unavailability."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from services.experts.app import create_app
from services.experts.settings import DEFAULT_PANEL_SIZES, ExpertsSettings, PanelRules
from shared.demo import demo_units
from tests.experts.helpers import OTHER_UNIT, THIRD_UNIT, admin, audit_entries, create_expert, direct_database
from tests.experts.test_panels import (
    MEETING,
    OWNER,
    ask_panel,
    move_meeting,
    organiser,
    panel_body,
    register_project,
    reveal,
    seated,
    state_of,
)

BUREAU = "11330326862981311N"  # the demo bureau, SORTES_BUREAU_UNITS by default
PUBLIC_SECURITY = demo_units()[3].uscc  # 平阳县公安局


@pytest.fixture
async def ruled_client(test_databases, backend, minter) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The experts service with the default panel sizes (the test run relaxes them for other tests)."""
    url = await asyncio.to_thread(test_databases.fresh, "experts", backend)
    settings = ExpertsSettings(database_url=url, identity_public_keys=[minter.public_key],
                               panel_rules=PanelRules(sizes=dict(DEFAULT_PANEL_SIZES),
                                                      bureau_units=frozenset({BUREAU})))
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


async def build_pool(client, minter, count: int, field: str = "APP", unit_uscc: str = OTHER_UNIT,
                     **changes) -> list[str]:
    return [(await create_expert(client, minter, name=f"专家{field}{index}", fields=[{"code": field, "primary": True}],
                                 unit_uscc=unit_uscc, **changes))["code"] for index in range(count)]


def bureau_organiser(minter) -> dict[str, str]:
    return minter.headers("experts", "organiser", subject="user:bureau-organiser", unit=BUREAU)


async def register_small_project(client, minter, code: str = "S1") -> None:
    response = await client.put(f"/api/v1/projects/{code}", headers=minter.headers("experts", "service"), json={
        "name": "智慧校园运维", "kind": "operations", "owner_unit": OWNER, "investment_fen": 30_000_000,
        "lots": [], "planned_completion": "2027-12-31"})
    assert response.status_code in (200, 201), response.text


# --- purposes and who organises ---------------------------------------------------------------------

@pytest.mark.parametrize("purpose", ["expert_review", "final_acceptance"])
async def test_a_major_projects_review_and_final_acceptance_are_the_bureaus_to_organise(
        experts_client, minter, purpose) -> None:
    await register_project(experts_client, minter)  # 3,000,000 CNY construction: major
    await build_pool(experts_client, minter, 5, unit_uscc=THIRD_UNIT)
    refused = await experts_client.post("/api/v1/projects/P1/panels", json=panel_body(purpose=purpose),
                                        headers=organiser(minter))
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "panel.bureau_organises"
    assert refused.json()["params"] == {"purpose": purpose}
    async with direct_database(experts_client) as database, database.reading() as session:
        assert (await session.execute(text("SELECT count(*) FROM panels"))).scalar_one() == 0

    supervisor = {"subject": "user:supervisor", "name": "李监督", "unit": OTHER_UNIT}
    response = await experts_client.post("/api/v1/projects/P1/panels", headers=bureau_organiser(minter),
                                         json=panel_body(purpose=purpose, supervisor=supervisor))
    assert response.status_code == 201, response.text
    assert response.json()["panel"]["purpose"] == purpose
    # The bureau organiser then handles the panel it asked for: the notice, for one.
    edited = await experts_client.post(f"/api/v1/draws/{response.json()['id']}/notice",
                                       headers=bureau_organiser(minter), json={"venue": "县行政中心 3 楼会议室"})
    assert edited.status_code == 200, edited.text


async def test_the_owner_unit_still_organises_initial_acceptance_and_a_small_projects_review(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await register_small_project(experts_client, minter)
    await build_pool(experts_client, minter, 8)
    await ask_panel(experts_client, minter, panel_body(purpose="initial_acceptance"))
    await ask_panel(experts_client, minter, panel_body(purpose="expert_review", meeting=MEETING + dt.timedelta(1)),
                    project="S1")
    refused = await experts_client.post("/api/v1/projects/P1/panels", json=panel_body(purpose="acceptance"),
                                        headers=organiser(minter))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "purpose"


async def test_joint_departments_are_recorded_and_their_staff_avoided_like_the_owners(experts_client,
                                                                                     minter) -> None:
    await register_project(experts_client, minter)
    pool = await build_pool(experts_client, minter, 4, unit_uscc=THIRD_UNIT)
    police = (await create_expert(experts_client, minter, name="公安专家", unit_uscc=PUBLIC_SECURITY))["code"]
    supervisor = {"subject": "user:supervisor", "name": "李监督", "unit": OTHER_UNIT}
    body = panel_body(purpose="final_acceptance", supervisor=supervisor, participating_units=[
        {"unit_uscc": PUBLIC_SECURITY, "department": "public_security"}])
    response = await experts_client.post("/api/v1/projects/P1/panels", json=body, headers=bureau_organiser(minter))
    assert response.status_code == 201, response.text
    draw = response.json()
    assert draw["exclusion_counts"] == {"AVOID_EMPLOYER": 1}
    assert draw["receipt"]["candidates"] == {"APP": sorted(pool)}
    assert police not in draw["receipt"]["candidates"]["APP"]
    assert draw["panel"]["participating_units"] == [{"unit_uscc": PUBLIC_SECURITY, "department": "public_security"}]
    bad = await experts_client.post("/api/v1/projects/P1/panels", headers=bureau_organiser(minter), json=panel_body(
        purpose="final_acceptance", supervisor=supervisor, meeting=MEETING + dt.timedelta(days=2),
        participating_units=[{"unit_uscc": PUBLIC_SECURITY, "department": "police"}]))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "participating_units[0].department"


@pytest.mark.parametrize(("purpose", "count", "code"), [
    ("technical_review", 2, "panel.too_few_primaries"),
    ("initial_acceptance", 4, "panel.even_primaries"),
    ("technical_review", 1, "panel.too_few_primaries"),
])
async def test_a_panel_too_small_or_even_for_its_purpose_is_refused_naming_the_seats(
        ruled_client, minter, purpose, count, code) -> None:
    await register_small_project(ruled_client, minter, "P1")
    await build_pool(ruled_client, minter, 8)
    response = await ruled_client.post("/api/v1/projects/P1/panels", headers=organiser(minter),
                                       json=panel_body(purpose=purpose, count=count))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("seats", code)
    async with direct_database(ruled_client) as database, database.reading() as session:
        assert (await session.execute(text("SELECT count(*) FROM draws"))).scalar_one() == 0


async def test_three_primaries_pass_and_research_takes_any_size(ruled_client, minter) -> None:
    await register_small_project(ruled_client, minter, "P1")
    await build_pool(ruled_client, minter, 3, field="APP")
    await build_pool(ruled_client, minter, 2, field="SEC")
    body = panel_body(count=2, reserves=0)
    body["seats"].append({"field": "SEC", "count": 1})
    assert (await ruled_client.post("/api/v1/projects/P1/panels", json=body,
                                    headers=organiser(minter))).status_code == 201
    research = panel_body(purpose="research", count=1, reserves=0, meeting=MEETING + dt.timedelta(days=1))
    assert (await ruled_client.post("/api/v1/projects/P1/panels", json=research,
                                    headers=organiser(minter))).status_code == 201


# --- venue, time, contact and notice -------------------------------------------------------------------

NOTICE = {"venue": "平阳县行政中心 5 楼 502 会议室", "starts_at": {"morning": "09:00"}, "contact_name": "陈联系",
          "contact_phone": "13800138000", "notice": "请携带身份证，提前十分钟签到。"}


async def test_the_invited_expert_reads_project_venue_time_and_contact(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 3, account_subject=None)
    committed = await ask_panel(experts_client, minter, panel_body(count=1, reserves=0, **NOTICE))
    draw = await reveal(experts_client, minter, committed["id"])
    [member] = seated(draw)
    await experts_client.patch(f"/api/v1/experts/{member}", json={"account_subject": "user:expert-1"},
                               headers=admin(minter))
    expert = minter.headers("experts", "expert", subject="user:expert-1", unit=OTHER_UNIT)
    [invitation] = (await experts_client.get("/api/v1/panels/invitations", headers=expert)).json()
    assert invitation["project_name"] == "城市大脑"
    assert invitation["venue"] == NOTICE["venue"]
    assert invitation["contact_name"] == "陈联系" and invitation["contact_phone"] == "13800138000"
    assert invitation["notice"] == NOTICE["notice"]
    starts = dt.datetime.fromisoformat(invitation["starts_at"].replace("Z", "+00:00"))
    assert starts == dt.datetime.combine(MEETING, dt.time(1, 0), dt.UTC)  # 09:00 Beijing

    # The organiser moves the start and the venue; the invitation follows.
    response = await experts_client.post(f"/api/v1/draws/{committed['id']}/notice", headers=organiser(minter),
                                         json={"venue": "平阳县大数据局 2 楼", "starts_at": {"morning": "08:45"}})
    assert response.status_code == 200, response.text
    assert response.json()["panel"]["contact_name"] == "陈联系"  # left out: kept
    [invitation] = (await experts_client.get("/api/v1/panels/invitations", headers=expert)).json()
    assert invitation["venue"] == "平阳县大数据局 2 楼"
    entry = next(e for e in await audit_entries(experts_client, minter) if e["action"] == "panel.notice_changed")
    assert entry["details"]["changed"] == ["starts_at", "venue"]


async def test_the_contact_phone_is_sealed_at_rest_and_masked_for_other_readers(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 3)
    committed = await ask_panel(experts_client, minter, panel_body(count=1, **NOTICE))
    async with direct_database(experts_client) as database, database.reading() as session:
        row = (await session.execute(text("SELECT * FROM panels"))).mappings().one()
    assert "13800138000" not in str(dict(row))
    assert row["contact_phone_token"]
    own = (await experts_client.get(f"/api/v1/draws/{committed['id']}", headers=organiser(minter))).json()
    assert own["panel"]["contact_phone"] == "13800138000"
    auditor = (await experts_client.get(f"/api/v1/draws/{committed['id']}",
                                        headers=minter.headers("experts", "auditor"))).json()
    assert auditor["panel"]["contact_phone"] == "138****8000"
    entries = await audit_entries(experts_client, minter)
    assert "13800138000" not in str(entries)


@pytest.mark.parametrize(("changes", "field"), [
    ({"venue": ""}, "venue"),
    ({"contact_phone": "call me"}, "contact_phone"),
    ({"starts_at": {"morning": "15:00"}}, "starts_at.morning"),
    ({"starts_at": {"evening": "19:00"}}, "starts_at"),
    ({"notice": "长" * 2001}, "notice"),
])
async def test_a_bad_notice_names_its_field(experts_client, minter, changes, field) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 3)
    response = await experts_client.post("/api/v1/projects/P1/panels", json=panel_body(**changes),
                                         headers=organiser(minter))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in response.json()["errors"]]


# --- moving the meeting respects declared unavailability --------------------------------------------

async def test_an_accepted_member_unavailable_on_the_new_date_loses_the_seat_to_the_next_reserve(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 5)
    committed = await ask_panel(experts_client, minter, panel_body(count=2, reserves=2))
    draw = await reveal(experts_client, minter, committed["id"])
    away, staying = draw["result"]["APP"]["primaries"]
    first_reserve, second_reserve = draw["result"]["APP"]["reserves"]
    members = f"/api/v1/draws/{committed['id']}/members"
    for code in (away, staying):
        accepted = await experts_client.post(f"{members}/{code}/accept", json={"channel": "phone"},
                                             headers=organiser(minter))
        assert accepted.status_code == 200
    new_day = MEETING + dt.timedelta(days=7)
    for code in (away, first_reserve):  # both declared themselves away on the new date
        period = await experts_client.post(f"/api/v1/experts/{code}/unavailability", headers=admin(minter), json={
            "starts_on": new_day.isoformat(), "ends_on": new_day.isoformat(), "ends_half": "afternoon",
            "reason": "出差"})
        assert period.status_code == 201, period.text

    moved = await move_meeting(experts_client, minter, committed["id"], new_day)
    assert moved.status_code == 200, moved.text
    view = moved.json()
    assert state_of(view, away) == "unable"
    assert state_of(view, staying) == "accepted"
    assert state_of(view, first_reserve) == "skipped"  # away on the new date too
    assert state_of(view, second_reserve) == "invited"
    assert sorted(seated(view)) == sorted([staying, second_reserve])
    actions = [e["action"] for e in await audit_entries(experts_client, minter)]
    assert actions[actions.index("panel.moved") - 3:actions.index("panel.moved")] == [
        "seat.reserve_moved_up", "seat.reserve_skipped", "seat.unable"]
    history = (await experts_client.get(f"/api/v1/draws/{committed['id']}/history", headers=organiser(minter))).json()
    assert {"seat.unable": away, "seat.reserve_moved_up": second_reserve}.items() <= {
        entry["action"]: entry["details"].get("expert_code") for entry in history}.items()
    async with direct_database(experts_client) as database, database.reading() as session:
        booked = set((await session.execute(text("SELECT expert_code FROM panel_bookings"))).scalars())
    assert booked == {staying, second_reserve}


def test_the_migration_makes_acceptance_panels_initial_acceptance_and_leaves_signed_draws_alone(
        test_databases, backend) -> None:
    """Panels asked for as ``acceptance`` before revision 0009 were asked for by the project's own unit:
    they become ``initial_acceptance`` (初验). A draw's purpose is in its signed commitment and stays."""
    from alembic import command

    from shared.clock import utc_now
    from shared.db import Database
    from shared.migrations import alembic_config

    url = test_databases.fresh("experts", backend)
    command.downgrade(alembic_config("experts", url), "0008")
    now = utc_now()

    async def write_then_read() -> tuple[list, list]:
        database = Database.from_url(url)
        try:
            async with database.transaction() as session:
                for panel_id, purpose in (("p-acceptance", "acceptance"), ("p-review", "technical_review")):
                    await session.execute(text(
                        "INSERT INTO panels (id, project_code, purpose, meeting_on, halves, reserves_per_field, seats, "
                        "avoidances, organiser_subject, organiser_name, organiser_unit, supervisor_subject, "
                        "supervisor_name, supervisor_unit, status, created_at, updated_at) VALUES "
                        "(:id, 'P1', :purpose, :day, 'morning', 0, '{\"APP\": 1}', "
                        "'{\"units\": [], \"experts\": []}', 'user:o', '组织人', 'U', 'user:s', '监督人', 'V', "
                        "'open', :now, :now)"),
                        {"id": panel_id, "purpose": purpose, "day": now.date(), "now": now})
                await session.execute(text(
                    "INSERT INTO draws (id, panel_id, purpose, project_code, status, supervisor_subject, receipt, "
                    "secret_token, exclusions_digest, exclusion_counts, committed_by, committed_at) VALUES "
                    "('d-acceptance', 'p-acceptance', 'acceptance', 'P1', 'committed', 'user:s', '{}', 't', :digest, "
                    "'{}', 'user:o', :now)"), {"digest": "0" * 64, "now": now})
            await asyncio.to_thread(command.upgrade, alembic_config("experts", url), "head")
            async with database.reading() as session:
                panels = (await session.execute(text(
                    "SELECT id, purpose, venue, starts_at, participating_units FROM panels ORDER BY id"))).all()
                draws = (await session.execute(text("SELECT purpose FROM draws"))).all()
            return [tuple(row) for row in panels], [tuple(row) for row in draws]
        finally:
            await database.dispose()

    panels, draws = asyncio.run(write_then_read())
    assert panels == [("p-acceptance", "initial_acceptance", None, "{}", "[]"),
                      ("p-review", "technical_review", None, "{}", "[]")]
    assert draws == [("acceptance",)]
