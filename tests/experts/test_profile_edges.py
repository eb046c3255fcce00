"""A profile's checks at their edges, what a change writes to the log (and what a change that changes nothing
does not), the answers a bureau admin gets, and the pool number after the highest one."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.domain.experts import next_pool_number
from services.experts.models import Expert
from shared.clock import beijing_today
from tests.experts.helpers import (
    OTHER_UNIT,
    admin,
    audit_entries,
    born,
    create_expert,
    direct_database,
    id_number_ending_in_x,
    profile,
    valid_id_number,
)
from tests.support.databases import url_of
from tests.support.held import holding, waited


def _employer(started_on: str, ended_on: str, unit_uscc: str = OTHER_UNIT) -> dict[str, str]:
    return {"unit_uscc": unit_uscc, "unit_name": "浙江鳌江信息技术有限公司", "started_on": started_on,
            "ended_on": ended_on}


@pytest.mark.parametrize(("changes", "errors"), [
    # A former employer's USCC is checked like the employer's own (the check character is wrong here).
    ({"former_employers": [_employer("2010-01-01", "2019-12-31", unit_uscc="91330326MA2CT8U6X1")]},
     [("former_employers[0].unit_uscc", "uscc.check_character")]),
    # Trained tomorrow is no training yet.
    ({"last_trained_on": (beijing_today() + dt.timedelta(days=1)).isoformat()},
     [("last_trained_on", "date.in_future")]),
    # A birth date refused on its own is not also compared with the ID number and the years in the field.
    ({"birth_date": "2020-01-01", "id_number": valid_id_number(dt.date(1980, 1, 1)), "years_in_field": 15},
     [("birth_date", "expert.age")]),
])
async def test_a_profile_refused_at_an_edge_names_exactly_the_fields_at_fault(experts_client, minter, changes,
                                                                             errors) -> None:
    refused = await experts_client.post("/api/v1/experts", json=profile(**changes), headers=admin(minter))
    assert refused.status_code == 422, refused.text
    assert [(error["field"], error["code"]) for error in refused.json()["errors"]] == errors
    assert (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()["total"] == 0


async def test_a_one_day_former_employment_and_training_today_are_accepted(experts_client, minter) -> None:
    today = beijing_today().isoformat()
    created = await create_expert(experts_client, minter, last_trained_on=today,
                                  former_employers=[_employer("2019-06-30", "2019-06-30")])
    assert [(f["started_on"], f["ended_on"]) for f in created["former_employers"]] == [("2019-06-30", "2019-06-30")]
    assert created["last_trained_on"] == today


async def test_every_answer_to_a_bureau_admins_change_shows_the_birth_date(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter)
    url = f"/api/v1/experts/{created['code']}"
    changed = await experts_client.patch(url, json={"title": "正高级工程师"}, headers=admin(minter))
    unchanged = await experts_client.patch(url, json={"title": "正高级工程师"}, headers=admin(minter))
    conduct = await experts_client.post(f"{url}/bad-conduct", json={"occurred_on": "2025-04-01",
                                                                    "description": "评审迟到"}, headers=admin(minter))
    assert [answer["birth_date"] for answer in (created, changed.json(), unchanged.json(), conduct.json())] == [
        "1980-01-01"] * 4


async def test_a_change_is_logged_once_and_a_change_to_the_same_values_not_at_all(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter)
    url = f"/api/v1/experts/{created['code']}"
    changed = await experts_client.patch(url, json={"title": "正高级工程师"}, headers=admin(minter))
    assert (changed.status_code, changed.json()["title"]) == (200, "正高级工程师")
    logged = await audit_entries(experts_client, minter, object_id=created["code"])
    assert [entry["action"] for entry in logged] == ["expert.updated", "expert.created"]
    assert logged[0]["details"] == {"personal_data_changed": []}
    again = await experts_client.patch(url, json={"title": "正高级工程师", "unit_name": created["unit_name"]},
                                       headers=admin(minter))
    assert (again.status_code, again.json()["title"]) == (200, "正高级工程师")
    assert await audit_entries(experts_client, minter, object_id=created["code"]) == logged
    read = (await experts_client.get(url, headers=admin(minter))).json()
    assert read["title"] == "正高级工程师"


async def test_a_bad_conduct_record_is_logged_with_its_day(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter)
    added = await experts_client.post(f"/api/v1/experts/{created['code']}/bad-conduct",
                                      json={"occurred_on": "2025-04-01", "description": "泄露评审信息"},
                                      headers=admin(minter))
    assert added.status_code == 201
    entries = await audit_entries(experts_client, minter, object_id=created["code"])
    assert [entry["action"] for entry in entries] == ["expert.bad_conduct_recorded", "expert.created"]
    assert entries[0]["details"] == {"occurred_on": "2025-04-01"}


async def test_changing_an_id_number_to_one_already_in_the_pool_is_a_409_and_writes_nothing(experts_client,
                                                                                          minter) -> None:
    taken = valid_id_number()
    await create_expert(experts_client, minter, id_number=taken)
    other = await create_expert(experts_client, minter, name="李敏")
    clash = await experts_client.patch(f"/api/v1/experts/{other['code']}", json={"id_number": taken},
                                       headers=admin(minter))
    assert clash.status_code == 409, clash.text
    assert [(error["field"], error["code"]) for error in clash.json()["errors"]] == [
        ("id_number", "expert.id_number_taken")]
    assert taken not in clash.text
    entries = await audit_entries(experts_client, minter, object_id=other["code"])
    assert [entry["action"] for entry in entries] == ["expert.created"]


@pytest.mark.parametrize(("days", "status"), [(0, "retired"), (1, "active")])
async def test_a_birth_date_corrected_to_the_age_limit_retires_on_the_very_day(experts_client, minter, days,
                                                                            status) -> None:
    created = await create_expert(experts_client, minter)
    birth = born(70, days=days)  # 70 today, or tomorrow
    corrected = await experts_client.patch(f"/api/v1/experts/{created['code']}", headers=admin(minter),
                                           json={"birth_date": birth.isoformat(), "id_number": valid_id_number(birth)})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["status"] == status


async def test_the_next_pool_number_follows_the_highest_whole_number(experts_client, minter) -> None:
    first = await create_expert(experts_client, minter)
    async with direct_database(experts_client) as database, database.transaction() as session:
        expert = (await session.execute(select(Expert).where(Expert.code == first["code"]))).scalar_one()
        expert.code = "E12345"  # as a pool of years holds them
    assert (await create_expert(experts_client, minter, name="李敏"))["code"] == "E12346"


async def test_an_id_number_cleared_with_a_new_birth_date_is_not_held_to_the_old_number(experts_client,
                                                                                        minter) -> None:
    created = await create_expert(experts_client, minter)
    changed = await experts_client.patch(f"/api/v1/experts/{created['code']}", headers=admin(minter),
                                         json={"birth_date": "1981-02-03", "id_number": None})
    assert changed.status_code == 200, changed.text
    read = (await experts_client.get(f"/api/v1/experts/{created['code']}", headers=admin(minter))).json()
    assert (read["birth_date"], read["personal_data"]["id_number"]) == ("1981-02-03", None)


async def test_an_id_number_ending_in_a_small_x_is_kept_with_a_capital_x(experts_client, minter) -> None:
    with_x = id_number_ending_in_x()
    created = await create_expert(experts_client, minter, id_number=with_x.lower())
    read = (await experts_client.get(f"/api/v1/experts/{created['code']}", headers=admin(minter))).json()
    assert read["personal_data"]["id_number"] == with_x


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_an_expert_added_while_another_admin_takes_a_pool_number_waits_and_takes_the_next(
        experts_client, minter) -> None:
    # PostgreSQL runs both transactions side by side (SQLite lets one writer in at a time): without the
    # lock both would read E00001 as the last number and the second insert would fail on it.
    first = await create_expert(experts_client, minter)

    async def taking_a_number(session: AsyncSession) -> None:
        expert = (await session.execute(select(Expert).where(Expert.code == first["code"]))).scalar_one()
        expert.code = await next_pool_number(session)  # E00002, held until the holder commits
        await session.flush()

    holding(url_of(experts_client), taking_a_number)
    waits, added = await waited(experts_client.post("/api/v1/experts", json=profile(name="李敏"),
                                                    headers=admin(minter)))
    assert waits, "the new expert took a pool number while another admin was taking one"
    assert (added.status_code, added.json()["code"]) == (201, "E00003")
