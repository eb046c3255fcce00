"""Retirement at the age limit, and the ID number, birth date and years in the field checked against
each other in the API (the import's side is in test_spreadsheets.py)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from services.experts.domain.experts import birth_date_in, consistency_errors
from services.experts.domain.retirement import retire_at_age_limit, retire_periodically
from services.experts.models import Expert
from services.experts.settings import PoolRules
from shared.clock import beijing_today
from tests.experts.helpers import (
    admin,
    audit_entries,
    born,
    create_expert,
    direct_database,
    profile,
    valid_id_number,
)

REASON = "年满70周岁，达到专家年龄上限，自动退出专家库"


async def _set_birth_date(client, code: str, birth: dt.date) -> None:
    """As a pool of today holds them: an expert entered years ago, before the age limit was checked."""
    async with direct_database(client) as database, database.transaction() as session:
        expert = (await session.execute(select(Expert).where(Expert.code == code))).scalar_one()
        expert.birth_date = birth


async def test_on_the_day_an_expert_reaches_the_age_limit_the_check_retires_them_with_the_reason(
        experts_client, minter) -> None:
    today = beijing_today()
    seventy_one = await create_expert(experts_client, minter, name="七十一岁")
    turns_seventy_tomorrow = await create_expert(experts_client, minter, name="明天七十")
    young = await create_expert(experts_client, minter, name="年轻")
    await _set_birth_date(experts_client, seventy_one["code"], born(71))
    await _set_birth_date(experts_client, turns_seventy_tomorrow["code"], born(70, days=1))

    async with direct_database(experts_client) as database, database.transaction() as session:
        assert await retire_at_age_limit(session, experts_client.app.state.audit, PoolRules(), today) == [
            seventy_one["code"]]
    async with direct_database(experts_client) as database, database.transaction() as session:
        assert await retire_at_age_limit(session, experts_client.app.state.audit, PoolRules(), today) == []
        assert await retire_at_age_limit(session, experts_client.app.state.audit, PoolRules(),
                                         today + dt.timedelta(days=1)) == [turns_seventy_tomorrow["code"]]

    read = (await experts_client.get(f"/api/v1/experts/{seventy_one['code']}", headers=admin(minter))).json()
    assert (read["status"], read["status_reason"], read["status_changed_on"]) == ("retired", REASON,
                                                                                  today.isoformat())
    assert (await experts_client.get(f"/api/v1/experts/{young['code']}", headers=admin(minter))).json()[
        "status"] == "active"
    listed = (await experts_client.get("/api/v1/experts", params={"status": "active"}, headers=admin(minter))).json()
    assert [item["name"] for item in listed["items"]] == ["年轻"]
    entries = [e for e in await audit_entries(experts_client, minter) if e["action"] == "expert.status_changed"]
    assert [(e["object_id"], e["actor"], e["details"]["to"]) for e in entries] == [
        (turns_seventy_tomorrow["code"], "system:experts", "retired"), (seventy_one["code"], "system:experts",
                                                                        "retired")]


async def test_the_service_runs_the_check_by_itself(experts_client, minter) -> None:
    old = await create_expert(experts_client, minter, name="老专家")
    await _set_birth_date(experts_client, old["code"], born(72))
    async with direct_database(experts_client) as database:
        state = experts_client.app.state
        fake = type("State", (), {"database": database, "audit": state.audit, "rules": state.rules,
                                  "retirement_check_seconds": 3600})()
        task = asyncio.create_task(retire_periodically(fake))
        for _ in range(50):
            await asyncio.sleep(0.05)
            read = (await experts_client.get(f"/api/v1/experts/{old['code']}", headers=admin(minter))).json()
            if read["status"] == "retired":
                break
        task.cancel()
    assert (read["status"], read["status_reason"]) == ("retired", REASON)


async def test_a_new_expert_at_the_age_limit_is_refused_and_a_corrected_birth_date_past_it_retires(
        experts_client, minter) -> None:
    birth = born(70, days=-1)
    response = await experts_client.post("/api/v1/experts", headers=admin(minter), json=profile(
        birth_date=birth.isoformat(), id_number=valid_id_number(birth), years_in_field=20))
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("birth_date", "expert.over_age_limit")]

    created = await create_expert(experts_client, minter)
    birth = born(71)
    response = await experts_client.patch(f"/api/v1/experts/{created['code']}", headers=admin(minter), json={
        "birth_date": birth.isoformat(), "id_number": valid_id_number(birth)})
    assert response.status_code == 200, response.text
    read = (await experts_client.get(f"/api/v1/experts/{created['code']}", headers=admin(minter))).json()
    assert (read["status"], read["status_reason"]) == ("retired", REASON)


@pytest.mark.parametrize(("changes", "field", "code"), [
    # An ID number encoding 1965 with a birth date in 1966.
    ({"birth_date": "1966-03-01", "id_number": valid_id_number(dt.date(1965, 3, 1))}, "birth_date",
     "expert.birth_date_mismatch"),
    # 60 years in the field for someone born in 2000.
    ({"birth_date": "2000-05-01", "id_number": valid_id_number(dt.date(2000, 5, 1)), "years_in_field": 60},
     "years_in_field", "expert.years_exceed_age"),
])
async def test_id_number_birth_date_and_years_are_checked_against_each_other(
        experts_client, minter, changes, field, code) -> None:
    response = await experts_client.post("/api/v1/experts", json=profile(**changes), headers=admin(minter))
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    assert (await experts_client.get("/api/v1/experts", headers=admin(minter))).json()["total"] == 0


async def test_an_update_is_checked_against_what_is_stored(experts_client, minter) -> None:
    created = await create_expert(experts_client, minter)  # born 1980-01-01, 15 years in the field
    url = f"/api/v1/experts/{created['code']}"
    response = await experts_client.patch(url, json={"birth_date": "1981-01-01"}, headers=admin(minter))
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("birth_date",
                                                                             "expert.birth_date_mismatch")]
    response = await experts_client.patch(url, json={"id_number": valid_id_number(dt.date(1979, 1, 1))},
                                          headers=admin(minter))
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("id_number",
                                                                             "expert.birth_date_mismatch")]
    response = await experts_client.patch(url, json={"years_in_field": 40}, headers=admin(minter))
    assert response.status_code == 422
    assert response.json()["errors"][0]["params"] == {"most": born(0).year - 1980 - 16 - (
        (born(0).month, born(0).day) < (1, 1)), "age": 16}
    read = (await experts_client.get(url, headers=admin(minter))).json()
    assert (read["birth_date"], read["years_in_field"]) == ("1980-01-01", 15)


@pytest.mark.parametrize(("id_number", "born"), [("33032619901231001X", dt.date(1990, 12, 31)),
                                                  ("330326198510150015", dt.date(1985, 10, 15)),
                                                  ("330326200002290010", dt.date(2000, 2, 29))])
def test_the_birth_date_is_read_from_the_id_numbers_digits_7_to_14(id_number: str, born: dt.date) -> None:
    assert birth_date_in(id_number) == born
    assert birth_date_in(id_number[:10] + "1332" + id_number[14:]) is None  # no such day: no birth date


TODAY = dt.date(2026, 12, 4)


@pytest.mark.parametrize(("values", "stored_years", "errors"), [
    ({"years_in_field": 30}, 30, []),  # born 1 January 1980: 30 years since the age of 16, not one more
    ({"years_in_field": 31}, 30, ["years_in_field"]),
    ({"birth_date": dt.date(1990, 1, 1)}, 30, ["years_in_field"]),  # born later: the stored 30 years are too many
    ({"title": "教授"}, 40, []),  # neither changed: a stored profile is not refused anew
])
def test_the_years_in_the_field_are_checked_when_they_or_the_birth_date_change(values, stored_years: int,
                                                                                errors: list[str]) -> None:
    stored = Expert(birth_date=dt.date(1980, 1, 1), years_in_field=stored_years)
    assert [error.field for error in consistency_errors(values, TODAY, stored)] == errors
