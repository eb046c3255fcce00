"""The registry's dated rules on the day itself: a suspension is still running on its last day, the list's
status and training filters agree with what each expert shows, an age turns on the birthday (on 1 March
for someone born on 29 February), and a profile's age of 18 to 99 holds on the birthdays at both ends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from services.experts.domain.experts import age_on, current_status, expert_view, profile_errors
from services.experts.models import Expert
from services.experts.settings import PoolRules
from shared.clock import add_months, beijing_today
from tests.experts.helpers import admin, create_expert, direct_database


def test_a_suspension_runs_all_of_its_last_day_and_only_a_suspension_ends_by_itself() -> None:
    today = dt.date(2026, 12, 5)
    assert current_status(Expert(status="suspended", suspended_until=today), today) == "suspended"
    assert current_status(Expert(status="suspended", suspended_until=today - dt.timedelta(days=1)), today) == "active"
    assert current_status(Expert(status="suspended", suspended_until=None), today) == "suspended"  # until lifted
    assert current_status(Expert(status="retired", suspended_until=today - dt.timedelta(days=1)), today) == "retired"


def test_the_list_shows_each_expert_as_on_the_day_it_is_asked_for() -> None:
    ends = beijing_today() + dt.timedelta(days=30)  # a suspension that runs past today
    expert = Expert(code="E1", name="周一", unit_uscc="11330326862981311N", unit_name="平阳县教育局", title="工程师",
                    years_in_field=5, status="suspended", suspended_until=ends, fields=[], last_trained_on=None)
    assert expert_view(expert, PoolRules(), ends).status == "suspended"
    after = expert_view(expert, PoolRules(), ends + dt.timedelta(days=1))
    assert (after.status, after.suspended_until) == ("active", None)


def test_an_age_turns_on_the_birthday_and_a_leap_day_birthday_on_the_first_of_march() -> None:
    assert [age_on(dt.date(1970, 6, 1), day) for day in (dt.date(2026, 5, 31), dt.date(2026, 6, 1))] == [55, 56]
    assert [age_on(dt.date(2000, 2, 29), day) for day in (dt.date(2026, 2, 28), dt.date(2026, 3, 1))] == [25, 26]


def test_an_expert_is_18_on_the_eighteenth_birthday_and_100_is_one_year_too_many() -> None:
    today = dt.date(2026, 12, 5)

    def age_refused(born: dt.date) -> bool:
        return "expert.age" in [error.code for error in profile_errors({"birth_date": born}, today)]

    assert [age_refused(born) for born in (dt.date(2008, 12, 5), dt.date(2008, 12, 6))] == [False, True]
    assert [age_refused(born) for born in (dt.date(1926, 12, 6), dt.date(1926, 12, 5))] == [False, True]


async def listed(client, minter, **params: str) -> list[str]:
    response = await client.get("/api/v1/experts", params={"page_size": 100, **params}, headers=admin(minter))
    assert response.status_code == 200, response.text
    return [expert["name"] for expert in response.json()["items"]]


async def test_the_status_filter_reads_a_suspension_as_each_expert_shows_it_on_its_last_day(experts_client,
                                                                                             minter) -> None:
    today = beijing_today()
    ends = {"在职": None, "今日期满": today, "昨日期满": today - dt.timedelta(days=1), "无期限": None, "已退出": None}
    codes = {name: (await create_expert(experts_client, minter, name=name))["code"] for name in ends}
    async with direct_database(experts_client) as database, database.transaction() as session:
        for name, status in (("今日期满", "suspended"), ("昨日期满", "suspended"), ("无期限", "suspended"),
                             ("已退出", "retired")):
            await session.execute(update(Expert).where(Expert.code == codes[name]).values(
                status=status, suspended_until=ends[name]))
    assert await listed(experts_client, minter, status="active") == ["在职", "昨日期满"]
    assert await listed(experts_client, minter, status="suspended") == ["今日期满", "无期限"]
    assert await listed(experts_client, minter, status="retired") == ["已退出"]
    shown = {name: (await experts_client.get(f"/api/v1/experts/{code}", headers=admin(minter))).json()["status"]
             for name, code in codes.items()}
    assert shown == {"在职": "active", "今日期满": "suspended", "昨日期满": "active", "无期限": "suspended",
                     "已退出": "retired"}


async def test_the_training_filter_counts_a_training_valid_all_of_its_last_day(experts_client, minter) -> None:
    earliest = add_months(beijing_today(), -12)  # trained on this day: valid until today
    await create_expert(experts_client, minter, name="今日到期", last_trained_on=earliest.isoformat())
    await create_expert(experts_client, minter, name="昨日到期",
                        last_trained_on=(earliest - dt.timedelta(days=1)).isoformat())
    await create_expert(experts_client, minter, name="未培训", last_trained_on=None)
    assert await listed(experts_client, minter, trained="true") == ["今日到期"]
    assert await listed(experts_client, minter, trained="false") == ["昨日到期", "未培训"]
