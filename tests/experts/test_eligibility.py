"""Eligibility for a meeting: who may be drawn per field, and a reason code for everyone else."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from services.experts.domain.experts import age_on
from services.experts.models import Expert
from shared.clock import add_months
from tests.experts.helpers import OTHER_UNIT, THIRD_UNIT, admin, create_expert, direct_database

OWNER = "12330326000000001H"
MEETING = dt.date.today() + dt.timedelta(days=12)


def years_before(day: dt.date, years: int) -> str:
    return add_months(day, -12 * years).isoformat()


def days_after(day: dt.date, days: int) -> str:
    return (day + dt.timedelta(days=days)).isoformat()


async def build_pool(client, minter) -> dict[str, str]:
    """One expert per rule (by label → pool number); ``ok`` and ``sub_field`` break none."""
    await client.put("/api/v1/projects/P1", headers=minter.headers("experts", "service"), json={
        "name": "城市大脑", "kind": "construction", "owner_unit": OWNER, "investment_fen": 1, "lots": [],
        "planned_completion": "2027-12-31"})
    specs = {
        "ok": {},
        "sub_field": {"fields": [{"code": "NET.BI", "primary": True}]},
        "just_69": {"birth_date": days_after(add_months(MEETING, -12 * 70), 1)},
        "age_70": {"birth_date": years_before(MEETING, 70)},
        "training_lapsed": {"last_trained_on": days_after(add_months(MEETING, -12), -1)},
        "never_trained": {"last_trained_on": None},
        "bad_conduct": {"bad_conduct_records": [{"occurred_on": years_before(MEETING, 2), "description": "违规"}]},
        "old_bad_conduct": {"bad_conduct_records": [{"occurred_on": years_before(MEETING, 3), "description": "违规"}]},
        "afternoon_off": {}, "busy": {}, "capped": {}, "extra": {},
        "owner_staff": {"unit_uscc": OWNER, "unit_name": "业主单位"},
        "former_staff": {"former_employers": [{"unit_uscc": OTHER_UNIT, "unit_name": "投标人",
                                               "ended_on": days_after(add_months(MEETING, -36), 1)}]},
        "long_gone": {"former_employers": [{"unit_uscc": OTHER_UNIT, "unit_name": "投标人",
                                            "ended_on": days_after(add_months(MEETING, -36), -1)}]},
        "declared": {"account_subject": "user:declared"},
        "suspended": {}, "suspension_ends": {}, "retired": {},
    }
    codes = {label: (await create_expert(client, minter, name=f"欧阳{label}", **changes))["code"]
             for label, changes in specs.items()}
    await client.post(f"/api/v1/experts/{codes['afternoon_off']}/unavailability", headers=admin(minter),
                      json={"starts_on": MEETING.isoformat(), "starts_half": "afternoon",
                            "ends_on": days_after(MEETING, 2)})
    await client.post(f"/api/v1/experts/{codes['declared']}/declared-conflicts",
                      headers=minter.headers("experts", "expert", subject="user:declared"),
                      json={"unit_uscc": THIRD_UNIT, "until": MEETING.isoformat()})
    for label, status, until in (("suspended", "suspended", days_after(MEETING, 0)),
                                 ("suspension_ends", "suspended", days_after(MEETING, -1)),
                                 ("retired", "retired", None)):
        response = await client.put(f"/api/v1/experts/{codes[label]}/status", headers=admin(minter),
                                    json={"status": status, "reason": "r", "suspended_until": until})
        assert response.status_code == 200, response.text
    return codes


def request(codes: dict[str, str], **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "fields": ["APP", "NET"], "meeting_on": MEETING.isoformat(), "halves": ["morning"], "project_code": "P1",
        "avoid_units": [OTHER_UNIT, THIRD_UNIT], "avoid_experts": [codes["extra"]], "busy_experts": [codes["busy"]],
        "panels_this_year": {codes["capped"]: 12, codes["ok"]: 11},
    }
    body.update(changes)
    return body


async def test_each_rule_excludes_with_its_reason_code(experts_client, minter) -> None:
    codes = await build_pool(experts_client, minter)
    response = await experts_client.post("/api/v1/eligibility", json=request(codes),
                                         headers=minter.headers("experts", "organiser"))
    assert response.status_code == 200, response.text
    result = response.json()
    label_of = {code: label for label, code in codes.items()}
    reasons = {label_of[item["code"]]: item["reasons"] for item in result["excluded"]}
    assert reasons == {
        "age_70": ["AGE"], "training_lapsed": ["TRAINING"], "never_trained": ["TRAINING"],
        "bad_conduct": ["BAD_CONDUCT"], "busy": ["UNAVAILABLE"], "capped": ["YEARLY_CAP"], "extra": ["EXTRA_AVOIDANCE"],
        "owner_staff": ["AVOID_EMPLOYER"], "former_staff": ["AVOID_FORMER_EMPLOYER"],
        "declared": ["DECLARED_CONFLICT"], "suspended": ["STATUS"], "retired": ["STATUS"],
    }
    assert sorted(label_of[code] for code in result["eligible"]["APP"]) == sorted(
        ["ok", "just_69", "old_bad_conduct", "afternoon_off", "long_gone", "suspension_ends"])
    assert [label_of[code] for code in result["eligible"]["NET"]] == ["sub_field"]


async def test_the_afternoon_and_the_avoided_units_change_the_answer(experts_client, minter) -> None:
    codes = await build_pool(experts_client, minter)
    body = request(codes, halves=["morning", "afternoon"], avoid_units=[], project_code=None, busy_experts=[],
                   avoid_experts=[], panels_this_year={})
    result = (await experts_client.post("/api/v1/eligibility", json=body, headers=admin(minter))).json()
    excluded = {item["code"]: item["reasons"] for item in result["excluded"]}
    assert excluded[codes["afternoon_off"]] == ["UNAVAILABLE"]
    for label in ("owner_staff", "former_staff", "declared", "busy", "capped", "extra"):
        assert codes[label] in result["eligible"]["APP"]


async def test_exclusions_show_masked_names_only(experts_client, minter) -> None:
    codes = await build_pool(experts_client, minter)
    response = await experts_client.post("/api/v1/eligibility", json=request(codes),
                                         headers=minter.headers("experts", "supervisor"))
    assert "欧阳" not in response.text
    assert all(item["name"].startswith("欧*") for item in response.json()["excluded"])


@pytest.mark.parametrize(("changes", "field"), [
    ({"fields": ["NOPE"]}, "fields[0]"),
    ({"project_code": "NO-SUCH"}, "project_code"),
    ({"halves": ["evening"]}, "halves[0]"),
    ({"meeting_on": "2026-13-01"}, "meeting_on"),
    ({"fields": []}, "fields"),
])
async def test_bad_requests_name_the_field(experts_client, minter, changes, field) -> None:
    body = {"fields": ["APP"], "meeting_on": MEETING.isoformat(), **changes}
    response = await experts_client.post("/api/v1/eligibility", json=body, headers=admin(minter))
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize("role", ["auditor", "expert", "vendor", "service"])
async def test_only_organisers_supervisors_and_admins_ask(experts_client, minter, role) -> None:
    response = await experts_client.post("/api/v1/eligibility", json={"fields": ["APP"], "meeting_on": "2026-12-01"},
                                         headers=minter.headers("experts", role))
    assert response.status_code == 403


def test_age_counts_full_years_and_leap_day_birthdays_turn_on_the_first_of_march() -> None:
    assert age_on(dt.date(1956, 12, 10), dt.date(2026, 12, 9)) == 69
    assert age_on(dt.date(1956, 12, 10), dt.date(2026, 12, 10)) == 70
    assert age_on(dt.date(1956, 2, 29), dt.date(2026, 2, 28)) == 69
    assert age_on(dt.date(1956, 2, 29), dt.date(2026, 3, 1)) == 70



async def test_a_field_asked_twice_is_answered_once(experts_client, minter) -> None:
    expert = await create_expert(experts_client, minter, fields=[{"code": "NET.MR", "primary": True}])
    body = {"fields": ["NET", "NET", "NET.MR"], "meeting_on": MEETING.isoformat()}
    response = await experts_client.post("/api/v1/eligibility", json=body, headers=admin(minter))
    assert response.json()["eligible"] == {"NET": [expert["code"]], "NET.MR": [expert["code"]]}


async def test_each_dated_rule_on_its_exact_day(experts_client, minter) -> None:
    """The day itself, for every dated rule: a check a day either side leaves `<` and `<=` alike."""
    specs = {
        # Trained exactly the validity period before: the training still counts on the meeting day.
        "trained_on_the_day": ({"last_trained_on": add_months(MEETING, -12).isoformat()}, []),
        # Left the avoided unit exactly three years before: still avoided on the meeting day.
        "left_on_the_day": ({"former_employers": [{"unit_uscc": OTHER_UNIT, "unit_name": "投标人",
                                                   "ended_on": years_before(MEETING, 3)}]},
                            ["AVOID_FORMER_EMPLOYER"]),
        # Bad conduct exactly three years before has aged out; born exactly 70 years before has not.
        "conduct_on_the_day": ({"bad_conduct_records": [{"occurred_on": years_before(MEETING, 3),
                                                          "description": "违规"}]}, []),
        "seventy_on_the_day": ({"birth_date": years_before(MEETING, 70)}, ["AGE"]),
        "away_until_the_day": ({}, ["UNAVAILABLE"]),
        "away_from_the_day": ({}, ["UNAVAILABLE"]),
        "back_the_day_before": ({}, []),
        # Away until the meeting day's morning, or from its afternoon: the half-day decides.
        "away_until_its_morning": ({}, {"morning": ["UNAVAILABLE"], "afternoon": []}),
        "away_from_its_afternoon": ({}, {"morning": [], "afternoon": ["UNAVAILABLE"]}),
        "declared_until_the_day": ({"account_subject": "user:declared-until"}, ["DECLARED_CONFLICT"]),
        "suspended_until_the_day": ({}, ["STATUS"]),
    }
    codes = {label: (await create_expert(experts_client, minter, name=f"欧阳{label}", **changes))["code"]
             for label, (changes, _) in specs.items()}
    for label, starts, ends in (("away_until_the_day", days_after(MEETING, -3), MEETING.isoformat()),
                                ("away_from_the_day", MEETING.isoformat(), days_after(MEETING, 3)),
                                ("back_the_day_before", days_after(MEETING, -3), days_after(MEETING, -1)),
                                ("away_until_its_morning", days_after(MEETING, -3), MEETING.isoformat()),
                                ("away_from_its_afternoon", MEETING.isoformat(), days_after(MEETING, 3))):
        halves = {"away_until_its_morning": {"ends_half": "morning"},
                  "away_from_its_afternoon": {"starts_half": "afternoon"}}.get(label, {})
        response = await experts_client.post(f"/api/v1/experts/{codes[label]}/unavailability", headers=admin(minter),
                                             json={"starts_on": starts, "ends_on": ends, **halves})
        assert response.status_code == 201, response.text
    response = await experts_client.post(
        f"/api/v1/experts/{codes['declared_until_the_day']}/declared-conflicts",
        headers=minter.headers("experts", "expert", subject="user:declared-until"),
        json={"unit_uscc": OTHER_UNIT, "until": MEETING.isoformat()})
    assert response.status_code == 201, response.text
    response = await experts_client.put(f"/api/v1/experts/{codes['suspended_until_the_day']}/status",
                                        headers=admin(minter), json={"status": "suspended", "reason": "r",
                                                                     "suspended_until": MEETING.isoformat()})
    assert response.status_code == 200, response.text

    for halves in (["morning"], ["afternoon"], ["morning", "afternoon"]):
        body = {"fields": ["APP"], "meeting_on": MEETING.isoformat(), "halves": halves, "avoid_units": [OTHER_UNIT]}
        result = (await experts_client.post("/api/v1/eligibility", json=body, headers=admin(minter))).json()
        reasons = {item["code"]: item["reasons"] for item in result["excluded"]}
        assert {label: reasons.get(code, []) for label, code in codes.items()} == {
            label: expected_for(expected, halves) for label, (_, expected) in specs.items()}, halves


def expected_for(expected: list[str] | dict[str, list[str]], halves: list[str]) -> list[str]:
    """The reasons expected for a meeting in ``halves``: the same for every half-day, or per half-day."""
    if isinstance(expected, list):
        return expected
    return sorted({reason for half in halves for reason in expected[half]})


async def test_the_lists_are_in_pool_order_shorter_numbers_first(experts_client, minter) -> None:
    """E99999 before E100000: by length, then text — whatever order the database returns the rows in."""
    made = [(await create_expert(experts_client, minter, name=f"欧阳{n}"))["code"] for n in range(6)]
    async with direct_database(experts_client) as database, database.transaction() as session:
        for old, new in zip(made, ["E100000", "E99999", "E100001", "E99998"], strict=False):
            await session.execute(update(Expert).where(Expert.code == old).values(code=new))
    body = {"fields": ["APP"], "meeting_on": MEETING.isoformat(), "avoid_experts": ["E100001", "E99998", made[5]]}
    result = (await experts_client.post("/api/v1/eligibility", json=body, headers=admin(minter))).json()
    assert result["eligible"]["APP"] == [made[4], "E99999", "E100000"]
    assert [item["code"] for item in result["excluded"]] == [made[5], "E99998", "E100001"]
