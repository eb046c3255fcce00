"""Pins the working-day calendar (exceptions kept by admins, audited; the N-th working day after a
meeting across weekends, holidays and swapped working days), the supervisor's list of draws, the
register of self-evaluations and the yearly spot check (sample size, code, request errors), and the
draw statistics' counts and Beijing date bounds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update

from services.experts.domain.spot_checks import sample_size, spot_check_code
from services.experts.domain.statuses import ExpertStatus
from services.experts.domain.working_days import working_day_after
from services.experts.models import Draw, Expert, Panel, SpotCheckSubmission
from shared.audit.chain import change_digest
from shared.clock import beijing_today, utc_now
from tests.experts.helpers import OTHER_UNIT, admin, audit_entries, direct_database
from tests.experts.test_archive import evaluation, service
from tests.experts.test_panels import (
    LAST_YEAR,
    MEETING,
    OWNER,
    SUPERVISOR,
    ask_panel,
    build_pool,
    organiser,
    panel_body,
    register_project,
    reveal,
    supervisor,
)
from tests.experts.test_reroll import revealed_then_cancelled


async def put_day(client, minter, day: str, is_working: bool, note: str) -> dict[str, Any]:
    response = await client.put(f"/api/v1/calendar/{day}", json={"is_working": is_working, "note": note},
                                headers=admin(minter))
    assert response.status_code == 200, response.text
    return response.json()


async def calendar_year(client, minter, year: int) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/calendar", params={"year": year}, headers=organiser(minter))
    assert response.status_code == 200, response.text
    return response.json()


# --- the calendar -------------------------------------------------------------------------------------

async def test_the_nth_working_day_after_skips_weekends_and_holidays_and_counts_swapped_working_days(
        experts_client) -> None:
    # The 2026 calendar as seeded from the State Council's notice.
    cases = {
        ("2026-11-27", 0): "2026-11-27",  # no working day to count: the start itself
        ("2026-11-27", 1): "2026-11-30",  # Friday, then a plain weekend
        ("2026-11-26", 1): "2026-11-27",
        ("2026-09-18", 1): "2026-09-20",  # Sunday 20 September is a swapped working day (国庆节调休上班)
        ("2026-09-18", 5): "2026-09-24",
        ("2026-09-30", 5): "2026-10-13",  # 1–7 October off, Saturday 10 October worked, the 11th a Sunday
        ("2026-02-13", 1): "2026-02-14",  # a Saturday worked before the Spring Festival
        ("2026-02-14", 1): "2026-02-24",  # nine days off, 15 to 23 February
        ("2026-02-14", 2): "2026-02-25",
        ("2026-02-13", 12): "2026-03-09",  # Saturday 28 February worked, Sunday 1 March not
        ("2026-01-01", 120): "2026-06-30",  # long counts: every holiday and swapped day of the year on the way
        ("2025-12-31", 200): "2026-10-26",
    }
    async with direct_database(experts_client) as database, database.reading() as session:
        found = {key: (await working_day_after(session, dt.date.fromisoformat(key[0]), key[1])).isoformat()
                 for key in cases}
    assert found == cases


async def test_a_working_day_is_found_even_after_forty_one_days_off_in_a_row(experts_client, minter) -> None:
    # Every weekday from Sunday 3 January to Friday 12 February 2027 marked off, then a Saturday worked.
    day = dt.date(2027, 1, 3)
    while day <= dt.date(2027, 2, 12):
        if day.weekday() < 5:
            await put_day(experts_client, minter, day.isoformat(), False, "停工")
        day += dt.timedelta(days=1)
    await put_day(experts_client, minter, "2027-02-13", True, "调休上班")
    async with direct_database(experts_client) as database, database.reading() as session:
        assert await working_day_after(session, dt.date(2027, 1, 2), 1) == dt.date(2027, 2, 13)
        assert await working_day_after(session, dt.date(2027, 1, 2), 2) == dt.date(2027, 2, 15)


async def test_a_panels_evaluations_are_due_five_working_days_after_its_meeting(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 4)
    draw = await ask_panel(experts_client, minter)
    async with direct_database(experts_client) as database, database.transaction() as session:
        await session.execute(update(Panel).where(Panel.id == draw["panel"]["id"]).values(
            meeting_on=dt.date(2026, 9, 30)))
    response = await experts_client.get(f"/api/v1/draws/{draw['id']}", headers=organiser(minter))
    assert response.status_code == 200, response.text
    assert response.json()["panel"]["evaluations_due_on"] == "2026-10-13"
    # A day the admins then mark off moves the date on; a Saturday they mark worked brings it back.
    await put_day(experts_client, minter, "2026-10-12", False, "临时休假")
    response = await experts_client.get(f"/api/v1/draws/{draw['id']}", headers=organiser(minter))
    assert response.json()["panel"]["evaluations_due_on"] == "2026-10-14"
    await put_day(experts_client, minter, "2026-10-11", True, "调休上班")
    response = await experts_client.get(f"/api/v1/draws/{draw['id']}", headers=organiser(minter))
    assert response.json()["panel"]["evaluations_due_on"] == "2026-10-13"


async def test_setting_a_day_is_audited_with_what_it_was_before_and_after(experts_client, minter) -> None:
    assert await put_day(experts_client, minter, "2027-10-01", False, "国庆节") == {
        "day": "2027-10-01", "is_working": False, "note": "国庆节"}
    assert await put_day(experts_client, minter, "2027-10-01", True, "调休上班") == {
        "day": "2027-10-01", "is_working": True, "note": "调休上班"}
    entries = await audit_entries(experts_client, minter, object_id="2027-10-01")
    audit = experts_client.app.state.audit

    def digest(state: dict[str, Any] | None) -> str | None:
        return change_digest(audit.digest_key, state, audit.profile)

    assert sorted(((e["action"], e["object_type"], e["actor"], e["before_digest"], e["after_digest"], e["details"])
                   for e in entries), key=lambda entry: entry[3] is not None) == [
        ("calendar.day_set", "calendar_day", "user:admin", None, digest({"is_working": False, "note": "国庆节"}),
         {"is_working": False}),
        ("calendar.day_set", "calendar_day", "user:admin", digest({"is_working": False, "note": "国庆节"}),
         digest({"is_working": True, "note": "调休上班"}), {"is_working": True}),
    ]


async def test_a_year_lists_its_own_exceptions_in_order_first_and_last_day_included(experts_client, minter) -> None:
    for day, working, note in (("2027-12-31", False, "年末"), ("2028-01-01", False, "元旦"),
                               ("2027-03-01", True, "照常上班"), ("2026-12-31", False, "年末"),
                               ("2027-01-01", False, "元旦")):
        await put_day(experts_client, minter, day, working, note)
    # A Monday marked worked matches the plain week and is still kept, so the decision stays visible.
    assert await calendar_year(experts_client, minter, 2027) == [
        {"day": "2027-01-01", "is_working": False, "note": "元旦"},
        {"day": "2027-03-01", "is_working": True, "note": "照常上班"},
        {"day": "2027-12-31", "is_working": False, "note": "年末"}]
    assert (await calendar_year(experts_client, minter, 2026))[-1] == {
        "day": "2026-12-31", "is_working": False, "note": "年末"}
    response = await experts_client.put("/api/v1/calendar/2027-01-04", json={"is_working": False, "note": "x"},
                                        headers=organiser(minter))
    assert response.status_code == 403
    assert [d["day"] for d in await calendar_year(experts_client, minter, 2027)] == [
        "2027-01-01", "2027-03-01", "2027-12-31"]


# --- the register of self-evaluations and the spot check (Art. 25) -------------------------------------

def test_the_sample_is_ten_percent_rounded_up_and_the_code_names_the_year() -> None:
    assert {n: sample_size(n, 10) for n in (0, 1, 5, 9, 10, 11, 15, 20, 21, 100)} == {
        0: 0, 1: 1, 5: 1, 9: 1, 10: 1, 11: 2, 15: 2, 20: 2, 21: 3, 100: 10}
    assert (sample_size(30, 5), sample_size(7, 50), sample_size(3, 100)) == (2, 4, 3)
    assert (spot_check_code(2025), spot_check_code(2000)) == ("SPOT-2025", "SPOT-2000")


def digest_of(client, state: dict[str, Any] | None) -> str | None:
    audit = client.app.state.audit
    return change_digest(audit.digest_key, state, audit.profile)


async def test_a_recorded_self_evaluation_is_audited_with_its_facts_and_listed_by_kind_then_project(
        experts_client, minter) -> None:
    await register_project(experts_client, minter, "P1")
    today = beijing_today().isoformat()
    response = await experts_client.post("/api/v1/self-evaluations", headers=organiser(minter),
                                         json=evaluation("P1", "performance", unit_uscc=OWNER, submitted_on=today))
    assert response.status_code == 201, response.text  # its own unit named, and submitted today
    recorded = response.json()
    assert {key: value for key, value in recorded.items() if key not in ("id", "recorded_at")} == {
        "year": LAST_YEAR, "project_code": "P1", "project_name": "城市大脑", "kind": "performance",
        "unit_uscc": OWNER, "submitted_on": today, "recorded_by": "user:organiser"}
    facts = {"year": LAST_YEAR, "project_code": "P1", "kind": "performance", "unit_uscc": OWNER,
             "submitted_on": today}
    [entry] = [e for e in await audit_entries(experts_client, minter) if e["action"] == "self_evaluation.recorded"]
    assert (entry["object_type"], entry["object_id"], entry["actor"], entry["details"], entry["before_digest"],
            entry["after_digest"]) == ("self_evaluation", str(recorded["id"]), "user:organiser", facts, None,
                                       digest_of(experts_client, facts))
    # The same project and kind of another year, and a bureau admin entering another unit's, are new rows.
    for body, headers in ((evaluation("P1", "performance", year=LAST_YEAR - 1), organiser(minter)),
                          (evaluation("Q-2", unit_uscc=OTHER_UNIT), admin(minter)),
                          (evaluation("Q-10", unit_uscc=OTHER_UNIT), service(minter))):
        response = await experts_client.post("/api/v1/self-evaluations", json=body, headers=headers)
        assert response.status_code == 201, response.text
    response = await experts_client.post("/api/v1/self-evaluations", headers=admin(minter),
                                         json=evaluation("P1", "performance", unit_uscc=OTHER_UNIT))
    assert response.status_code == 409 and response.json()["code"] == "self_evaluation.duplicate"
    assert response.json()["params"] == {"project": "P1", "year": LAST_YEAR}
    register = (await experts_client.get("/api/v1/self-evaluations", params={"year": LAST_YEAR},
                                         headers=admin(minter))).json()
    assert [(row["kind"], row["project_code"], row["unit_uscc"], row["project_name"]) for row in register] == [
        ("application", "Q-10", OTHER_UNIT, None), ("application", "Q-2", OTHER_UNIT, None),
        ("performance", "P1", OWNER, "城市大脑")]
    assert [row["recorded_by"] for row in register] == ["user:test", "user:admin", "user:organiser"]


async def test_a_spot_check_request_names_every_fault_at_once_and_writes_nothing(experts_client, minter) -> None:
    listed = [{"project_code": "PY-1", "kind": "application"}, {"project_code": "PY-1", "kind": "performance"},
              {"project_code": "PY-1", "kind": "application"}, {"project_code": "PY-2", "kind": "application"},
              {"project_code": "PY-1", "kind": "application"}]
    asker = {"subject": "user:admin", "name": "管理员", "unit": OWNER}
    response = await experts_client.post("/api/v1/spot-checks", headers=admin(minter), json={
        "year": beijing_today().year, "submissions": listed, "supervisor": asker})
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("supervisor", "spot_check.supervisor_is_asker"), ("year", "spot_check.year_not_ended"),
        ("submissions[2].project_code", "field.listed_twice"), ("submissions[4].project_code", "field.listed_twice")]
    response = await experts_client.post("/api/v1/spot-checks", headers=admin(minter), json={
        "year": LAST_YEAR, "submissions": listed[:2], "supervisor": asker})
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("supervisor", "spot_check.supervisor_is_asker")]
    assert (await experts_client.get("/api/v1/self-evaluations", params={"year": LAST_YEAR},
                                     headers=admin(minter))).json() == []


async def test_a_spot_checks_own_list_joins_the_register_and_leaves_entries_already_there_as_they_were(
        experts_client, minter) -> None:
    response = await experts_client.post("/api/v1/self-evaluations", headers=service(minter),
                                         json=evaluation("PY-3", unit_uscc=OTHER_UNIT))
    assert response.status_code == 201, response.text
    listed = [{"project_code": code, "kind": kind} for code, kind in (
        ("PY-9", "performance"), ("PY-3", "application"), ("PY-7", "application"), ("PY-5", "application"))]
    response = await experts_client.post("/api/v1/spot-checks", headers=admin(minter), json={
        "year": LAST_YEAR, "submissions": listed, "supervisor": SUPERVISOR})
    assert response.status_code == 201, response.text
    draw = response.json()
    assert draw["project_code"] == f"SPOT-{LAST_YEAR}"
    assert draw["receipt"]["candidates"] == {"APPLICATION": ["PY-3", "PY-5", "PY-7"], "PERFORMANCE": ["PY-9"]}
    assert draw["receipt"]["quotas"] == [{"field": "APPLICATION", "count": 1}, {"field": "PERFORMANCE", "count": 1}]
    register = (await experts_client.get("/api/v1/self-evaluations", params={"year": LAST_YEAR},
                                         headers=admin(minter))).json()
    today = beijing_today().isoformat()
    # The admin's identity carries the bureau's unit: the entries the request added are the bureau's, of today.
    assert [(row["kind"], row["project_code"], row["unit_uscc"], row["submitted_on"], row["recorded_by"])
            for row in register] == [
        ("application", "PY-3", OTHER_UNIT, f"{LAST_YEAR}-06-30", "user:test"),
        ("application", "PY-5", SUPERVISOR["unit"], today, "user:admin"),
        ("application", "PY-7", SUPERVISOR["unit"], today, "user:admin"),
        ("performance", "PY-9", SUPERVISOR["unit"], today, "user:admin")]
    async with direct_database(experts_client) as database, database.reading() as session:
        rows = (await session.execute(select(SpotCheckSubmission.draw_id, SpotCheckSubmission.project_code,
                                             SpotCheckSubmission.kind)
                                      .order_by(SpotCheckSubmission.project_code))).all()
    assert [tuple(row) for row in rows] == [(draw["id"], "PY-3", "application"), (draw["id"], "PY-5", "application"),
                                            (draw["id"], "PY-7", "application"), (draw["id"], "PY-9", "performance")]


# --- the supervisor's draws -----------------------------------------------------------------------------

async def spot_check_of(client, minter, year: int, who: dict[str, str] = SUPERVISOR) -> str:
    response = await client.post("/api/v1/spot-checks", headers=admin(minter), json={
        "year": year, "submissions": [{"project_code": f"PY-{year}", "kind": "application"}], "supervisor": who})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_a_supervisor_sees_their_waiting_draws_newest_first_then_those_settled_within_ninety_days(
        experts_client, minter) -> None:
    ids = {year: await spot_check_of(experts_client, minter, year) for year in range(LAST_YEAR - 5, LAST_YEAR + 1)}
    theirs = await spot_check_of(experts_client, minter, LAST_YEAR - 6, {**SUPERVISOR, "subject": "user:other"})
    now = utc_now()
    changes = {  # year: status, committed, revealed, cancelled (days ago)
        LAST_YEAR: ("committed", 2, None, None), LAST_YEAR - 1: ("committed", 1, None, None),
        LAST_YEAR - 2: ("revealed", 200, 89.5, None), LAST_YEAR - 3: ("cancelled", 100, None, 10),
        LAST_YEAR - 4: ("revealed", 95, 90.05, None), LAST_YEAR - 5: ("cancelled", 95, None, 90.05)}
    async with direct_database(experts_client) as database, database.transaction() as session:
        for year, (status, committed, revealed, cancelled) in changes.items():
            await session.execute(update(Draw).where(Draw.id == ids[year]).values(
                status=status, committed_at=now - dt.timedelta(days=committed),
                revealed_at=None if revealed is None else now - dt.timedelta(days=revealed),
                cancelled_at=None if cancelled is None else now - dt.timedelta(days=cancelled)))
    response = await experts_client.get("/api/v1/panels/supervising", headers=supervisor(minter))
    assert response.status_code == 200, response.text
    assert [(item["draw_id"], item["status"], item["kind"], item["project_code"]) for item in response.json()] == [
        (ids[LAST_YEAR - 1], "committed", "spot_check", f"SPOT-{LAST_YEAR - 1}"),
        (ids[LAST_YEAR], "committed", "spot_check", f"SPOT-{LAST_YEAR}"),
        (ids[LAST_YEAR - 3], "cancelled", "spot_check", f"SPOT-{LAST_YEAR - 3}"),
        (ids[LAST_YEAR - 2], "revealed", "spot_check", f"SPOT-{LAST_YEAR - 2}")]
    assert theirs not in response.text


# --- the draw statistics --------------------------------------------------------------------------------

async def draw_statistics(client, headers: dict[str, str], **params: str) -> dict[str, Any]:
    response = await client.get("/api/v1/draw-statistics", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_statistics_count_each_experts_draws_seats_answers_and_last_reveal(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 6)
    committed = await ask_panel(experts_client, minter, panel_body(count=2, reserves=1))
    draw = await reveal(experts_client, minter, committed["id"])
    first, second = draw["result"]["APP"]["primaries"]
    [reserve] = draw["result"]["APP"]["reserves"]
    url = f"/api/v1/draws/{committed['id']}/members"
    for code, act, body in ((first, "decline", {"channel": "phone", "reason": "出差"}),
                            (second, "accept", {"channel": "sms"}),
                            (reserve, "decline", {"channel": "phone", "reason": "生病"})):
        response = await experts_client.post(f"{url}/{code}/{act}", json=body, headers=organiser(minter))
        assert response.status_code == 200, response.text
    response = await experts_client.post(f"/api/v1/draws/{committed['id']}/supplementary", json={},
                                         headers=organiser(minter))
    assert response.status_code == 201, response.text
    extra = await reveal(experts_client, minter, response.json()["id"])
    [newcomer] = extra["result"]["APP"]["primaries"]
    response = await experts_client.get("/api/v1/panels/supervising", headers=supervisor(minter))
    assert sorted((item["draw_id"], item["kind"], item["panel_id"]) for item in response.json()) == sorted([
        (committed["id"], "panel", committed["panel"]["id"]), (extra["id"], "supplementary", committed["panel"]["id"])])
    extra_reserves = extra["result"]["APP"]["reserves"]
    # A revealed spot check counts as a draw; the self-evaluations it drew are no experts.
    await reveal(experts_client, minter, await spot_check_of(experts_client, minter, LAST_YEAR))

    stats = await draw_statistics(experts_client, admin(minter))
    today = beijing_today()
    assert {key: stats[key] for key in ("since", "until", "committed", "revealed", "cancelled", "supplementary",
                                        "spot_checks", "cancelled_before_reveal", "cancelled_after_reveal",
                                        "cancels_by", "replacements")} == {
        "since": f"{today.year}-01-01", "until": today.isoformat(), "committed": 3, "revealed": 3, "cancelled": 0,
        "supplementary": 1, "spot_checks": 1, "cancelled_before_reveal": 0, "cancelled_after_reveal": 0,
        "cancels_by": [], "replacements": []}
    # The reserve moved up into the declined seat holds a seat; a reserve never moved up does not.
    expected = {first: (1, 1, 0, 1, draw["revealed_at"]), second: (1, 1, 1, 0, draw["revealed_at"]),
                reserve: (1, 1, 0, 1, draw["revealed_at"]), newcomer: (1, 1, 0, 0, extra["revealed_at"])}
    expected.update({code: (1, 0, 0, 0, extra["revealed_at"]) for code in extra_reserves})
    by_code = {e["expert_code"]: (e["draws"], e["seats"], e["accepted"], e["declined"], e["last_drawn_at"])
               for e in stats["experts"]}
    assert {code: (*tally[:4], dt.datetime.fromisoformat(tally[4])) for code, tally in by_code.items()} == {
        code: (*tally[:4], dt.datetime.fromisoformat(tally[4])) for code, tally in expected.items()}
    assert [e["expert_code"] for e in stats["experts"]] == sorted(expected, key=lambda code: (len(code), code))


def beijing_midnight_in_utc(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), dt.timezone(dt.timedelta(hours=8))
                               ).astimezone(dt.UTC)


async def test_statistics_take_the_draws_committed_from_the_first_beijing_day_to_the_end_of_the_last(
        experts_client, minter) -> None:
    second = dt.timedelta(seconds=1)
    committed_at = {  # Beijing midnight is 16:00 UTC the day before
        LAST_YEAR - 3: beijing_midnight_in_utc("2026-03-01") - second,  # the last second of 28 February
        LAST_YEAR - 2: beijing_midnight_in_utc("2026-03-01"),
        LAST_YEAR - 1: beijing_midnight_in_utc("2026-04-01") - second,
        LAST_YEAR: beijing_midnight_in_utc("2026-04-01")}
    ids = {year: await spot_check_of(experts_client, minter, year) for year in committed_at}
    async with direct_database(experts_client) as database, database.transaction() as session:
        for year, moment in committed_at.items():
            await session.execute(update(Draw).where(Draw.id == ids[year]).values(committed_at=moment))
    auditor = minter.headers("experts", "auditor")
    stats = await draw_statistics(experts_client, auditor, since="2026-03-01", until="2026-03-31")
    assert (stats["since"], stats["until"], stats["committed"], stats["spot_checks"], stats["revealed"]) == (
        "2026-03-01", "2026-03-31", 2, 2, 0)
    stats = await draw_statistics(experts_client, auditor, since="2026-04-01", until="2026-04-01")
    assert (stats["committed"], stats["spot_checks"]) == (1, 1)
    stats = await draw_statistics(experts_client, auditor, since="2026-02-28", until="2026-02-28")
    assert (stats["committed"], stats["spot_checks"]) == (1, 1)
    stats = await draw_statistics(experts_client, auditor, until="2026-03-31")  # from 1 January of until's year
    assert (stats["since"], stats["committed"]) == ("2026-01-01", 3)
    for params, field, code in (({"since": "2026-04-02", "until": "2026-04-01"}, "since", "period.since_after_until"),
                                ({"since": "1899-12-31", "until": "2026-04-01"}, "since", "date.out_of_range"),
                                ({"until": "9999-12-31"}, "until", "date.out_of_range")):
        response = await experts_client.get("/api/v1/draw-statistics", params=params, headers=auditor)
        assert response.status_code == 422, params
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)], params
    stats = await draw_statistics(experts_client, auditor, since="1900-01-01", until="9999-12-30")
    assert stats["committed"] == 4


async def test_an_experts_last_draw_is_their_latest_reveal_and_longer_pool_numbers_come_after(
        experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await register_project(experts_client, minter, "P2")
    # Pool numbers follow the highest so far: a number held by a placeholder row makes the next one's.
    codes = []
    for held in ("E19999", "E99999"):
        async with direct_database(experts_client) as database, database.transaction() as session:
            session.add(Expert(code=held, name="占位", birth_date=dt.date(1970, 1, 1), unit_uscc=OTHER_UNIT,
                               unit_name="占位单位", title="工程师", years_in_field=10, status=ExpertStatus.RETIRED,
                               created_at=utc_now(), updated_at=utc_now()))
        codes += await build_pool(experts_client, minter, 1)
    assert codes == ["E20000", "E100000"]
    earlier = await reveal(experts_client, minter, (await ask_panel(experts_client, minter,
                                                                    panel_body(count=2, reserves=0)))["id"])
    later = await reveal(experts_client, minter, (await ask_panel(experts_client, minter, panel_body(
        count=2, reserves=0, meeting=MEETING + dt.timedelta(days=1)), project="P2"))["id"])
    async with direct_database(experts_client) as database, database.transaction() as session:
        await session.execute(update(Draw).where(Draw.id == earlier["id"]).values(
            revealed_at=utc_now() - dt.timedelta(days=1)))
    stats = await draw_statistics(experts_client, admin(minter))
    assert [(e["expert_code"], e["draws"], e["seats"], e["accepted"], e["declined"],
             dt.datetime.fromisoformat(e["last_drawn_at"])) for e in stats["experts"]] == [
        (code, 2, 2, 0, 0, dt.datetime.fromisoformat(later["revealed_at"])) for code in ("E20000", "E100000")]


async def test_a_replacement_panel_counts_in_the_period_its_first_draw_was_committed_in_beijing_time(
        experts_client, minter) -> None:
    first = await revealed_then_cancelled(experts_client, minter)
    second = await ask_panel(experts_client, minter, panel_body(replaces=first["panel"]["id"]))
    auditor = minter.headers("experts", "auditor")
    replacement = {"panel_id": second["panel"]["id"], "draw_id": second["id"], "project_code": "P1",
                   "purpose": "technical_review", "replaces": first["panel"]["id"], "replaces_draw": first["id"],
                   "cancel_reason": "业主要求更换评审时间"}
    for committed_at, day, expected in ((beijing_midnight_in_utc("2026-03-01"), "2026-03-01", [replacement]),
                                        (beijing_midnight_in_utc("2026-03-01"), "2026-02-28", []),
                                        (beijing_midnight_in_utc("2026-03-02"), "2026-03-01", []),
                                        (beijing_midnight_in_utc("2026-03-02"), "2026-03-02", [replacement])):
        async with direct_database(experts_client) as database, database.transaction() as session:
            await session.execute(update(Draw).where(Draw.id == second["id"]).values(committed_at=committed_at))
        stats = await draw_statistics(experts_client, auditor, since=day, until=day)
        assert (stats["committed"], stats["replacements"]) == (len(expected), expected), (committed_at, day)
