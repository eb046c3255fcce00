"""No re-roll by one person (issue 17, point 1): a panel cancelled after its reveal is named by the
next one, extra avoidances carry a reason code, the supervisor confirms them before the reveal, and
the statistics count cancels by phase and by who cancelled."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import text

from shared.clock import utc_now
from tests.experts.helpers import audit_entries, direct_database
from tests.experts.test_panels import (
    ask_panel,
    build_pool,
    count_rows,
    organiser,
    panel_body,
    register_project,
    reveal,
    supervisor,
)

AUDITOR = {"role": "auditor"}


def drawn(draw: dict[str, Any]) -> list[str]:
    return sorted(code for lists in draw["result"].values() for code in (*lists["primaries"], *lists["reserves"]))


async def cancel(client, minter, draw_id: str, reason: str = "业主要求更换评审时间") -> dict[str, Any]:
    response = await client.post(f"/api/v1/draws/{draw_id}/cancel", json={"reason": reason}, headers=organiser(minter))
    assert response.status_code == 200, response.text
    return response.json()


async def statistics(client, minter) -> dict[str, Any]:
    response = await client.get("/api/v1/draw-statistics", headers=minter.headers("experts", "auditor"))
    assert response.status_code == 200, response.text
    return response.json()


async def outbox(client) -> list[tuple[str, dict[str, Any]]]:
    async with direct_database(client) as database, database.reading() as session:
        rows = await session.execute(text("SELECT event_type, payload FROM outbox_events ORDER BY seq"))
        return [(event_type, json.loads(payload)) for event_type, payload in rows]


async def rows_written(client) -> tuple[int, int, int, int]:
    return (await count_rows(client, "panels"), await count_rows(client, "draws"),
            await count_rows(client, "audit_log"), await count_rows(client, "outbox_events"))


def avoiding(codes: list[str], reason: str = "prior_project_work", **extra: str) -> list[dict[str, str]]:
    return [{"code": code, "reason": reason, **extra} for code in codes]


async def revealed_then_cancelled(client, minter) -> dict[str, Any]:
    await register_project(client, minter)
    await build_pool(client, minter, 10)
    first = await reveal(client, minter, (await ask_panel(client, minter))["id"])
    await cancel(client, minter, first["id"])
    return first


async def test_cancelling_a_revealed_panel_and_asking_again_avoiding_its_experts_is_refused(
        experts_client, minter) -> None:
    first = await revealed_then_cancelled(experts_client, minter)
    # The attack as it worked: every drawn expert named to avoid, with the reason "x".
    before = await rows_written(experts_client)
    response = await experts_client.post("/api/v1/projects/P1/panels", headers=organiser(minter),
                                         json=panel_body(avoid_experts=avoiding(drawn(first), reason="x")))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "avoid_experts[0].reason"
    # With proper reason codes but without naming the cancelled panel: 409 naming it.
    response = await experts_client.post("/api/v1/projects/P1/panels", headers=organiser(minter),
                                         json=panel_body(avoid_experts=avoiding(drawn(first))))
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["replaces"] == first["panel"]["id"] and problem["replaces_draw"] == first["id"]
    assert problem["errors"][0]["field"] == "replaces"
    assert await rows_written(experts_client) == before  # nothing written by either refusal

    stats = await statistics(experts_client, minter)
    assert stats["cancelled"] == 1 and stats["cancelled_after_reveal"] == 1 and stats["cancelled_before_reveal"] == 0
    assert stats["cancels_by"] == [{"subject": "user:organiser", "before_reveal": 0, "after_reveal": 1}]
    assert stats["revealed"] == 1


async def test_a_replacement_names_the_cancelled_panel_and_the_supervisor_confirms_every_avoidance(
        experts_client, minter) -> None:
    first = await revealed_then_cancelled(experts_client, minter)
    avoided = drawn(first)[:3]
    body = panel_body(replaces=first["panel"]["id"], avoid_experts=[
        *avoiding(avoided[:2]), {"code": avoided[2], "reason": "other", "explanation": "曾为该项目编写需求说明书"}])
    response = await experts_client.post("/api/v1/projects/P1/panels", headers=organiser(minter), json=body)
    assert response.status_code == 201, response.text
    second = response.json()
    assert second["panel"]["replaces"] == first["panel"]["id"] and second["panel"]["replaces_draw"] == first["id"]
    assert not set(avoided) & set(second["receipt"]["candidates"]["APP"])

    # The supervisor's view lists the avoidances, each drawn in the cancelled panel.
    view = (await experts_client.get(f"/api/v1/draws/{second['id']}", headers=supervisor(minter))).json()
    assert [(a["code"], a["reason"], a["drawn_earlier"]) for a in view["avoidances"]] == [
        (avoided[0], "prior_project_work", True), (avoided[1], "prior_project_work", True),
        (avoided[2], "other", True)]
    assert view["avoidances"][2]["explanation"] == "曾为该项目编写需求说明书"
    as_auditor = (await experts_client.get(f"/api/v1/draws/{second['id']}",
                                           headers=minter.headers("experts", "auditor"))).json()
    assert as_auditor["avoidances"] is None and as_auditor["avoidance_count"] == 3
    old = (await experts_client.get(f"/api/v1/draws/{first['id']}", headers=organiser(minter))).json()
    assert old["panel"]["replaced_by"] == second["panel"]["id"] and old["panel"]["replaced_by_draw"] == second["id"]

    # A reveal without the confirmation, or with one left out, is refused and reveals nothing.
    url = f"/api/v1/draws/{second['id']}/reveal"
    audit_before = len(await audit_entries(experts_client, minter))
    for confirmation in ({}, {"confirmed_avoidances": avoided[:2]},
                         {"confirmed_avoidances": [*avoided, "E99999"]}):
        response = await experts_client.post(url, headers=supervisor(minter),
                                             json={"witness": "上证指数 3401.25", **confirmation})
        assert response.status_code == 422, confirmation
        assert response.json()["errors"][0]["field"] == "confirmed_avoidances"
    view = (await experts_client.get(f"/api/v1/draws/{second['id']}", headers=organiser(minter))).json()
    assert view["status"] == "committed" and view["result"] is None and view["panel"]["members"] == []
    assert len(await audit_entries(experts_client, minter)) == audit_before
    revealed = await reveal(experts_client, minter, second["id"], confirmed=list(reversed(avoided)))
    assert revealed["status"] == "revealed" and not set(avoided) & set(drawn(revealed))

    stats = await statistics(experts_client, minter)
    assert [(r["panel_id"], r["replaces"], r["replaces_draw"], r["cancel_reason"]) for r in stats["replacements"]] == [
        (second["panel"]["id"], first["panel"]["id"], first["id"], "业主要求更换评审时间")]
    # The same cancelled panel is replaced once.
    response = await experts_client.post("/api/v1/projects/P1/panels", headers=organiser(minter),
                                         json=panel_body(count=1, replaces=first["panel"]["id"]))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "replaces"

    events = await outbox(experts_client)
    cancelled = [payload for kind, payload in events if kind == "panel.cancelled"]
    replaced = [payload for kind, payload in events if kind == "panel.replaced"]
    assert cancelled == [{"panel_id": first["panel"]["id"], "draw_id": first["id"], "draw_ids": [first["id"]],
                          "project_code": "P1", "purpose": "technical_review", "phase": "after_reveal",
                          "reason": "业主要求更换评审时间", "replaces": None}]
    assert replaced == [{"panel_id": second["panel"]["id"], "draw_id": second["id"], "project_code": "P1",
                         "purpose": "technical_review", "replaces": first["panel"]["id"],
                         "replaces_draw_id": first["id"], "phase": "after_reveal", "reason": "业主要求更换评审时间"}]
    payloads = json.dumps(cancelled + replaced)
    assert not any(code in payloads for code in drawn(first) + drawn(revealed))  # no pool numbers


async def test_a_cancel_is_recorded_on_the_draw_with_its_phase_and_who(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    await build_pool(experts_client, minter, 6)
    committed = await ask_panel(experts_client, minter)
    before = await cancel(experts_client, minter, committed["id"], "项目暂停，另行安排")
    assert (before["status"], before["cancel_phase"], before["cancelled_by"], before["cancel_reason"]) == (
        "cancelled", "before_reveal", "user:organiser", "项目暂停，另行安排")
    assert before["panel"]["cancel_phase"] == "before_reveal"
    # Cancelled before its reveal: nothing to replace, the next panel needs no `replaces`.
    revealed = await reveal(experts_client, minter, (await ask_panel(experts_client, minter))["id"])
    after = await cancel(experts_client, minter, revealed["id"])
    assert (after["status"], after["cancel_phase"], after["cancelled_by"], after["cancel_reason"]) == (
        "revealed", "after_reveal", "user:organiser", "业主要求更换评审时间")
    assert after["result"] == revealed["result"] and after["cancelled_at"] is not None
    assert after["panel"]["status"] == "cancelled" and after["panel"]["cancel_phase"] == "after_reveal"
    stats = await statistics(experts_client, minter)
    assert (stats["cancelled"], stats["cancelled_before_reveal"], stats["cancelled_after_reveal"]) == (2, 1, 1)
    assert stats["cancels_by"] == [{"subject": "user:organiser", "before_reveal": 1, "after_reveal": 1}]
    entries = [e for e in await audit_entries(experts_client, minter) if e["action"] == "draw.cancelled"]
    assert sorted(e["details"]["phase"] for e in entries) == ["after_reveal", "before_reveal"]

    successor = await ask_panel(experts_client, minter, panel_body(replaces=revealed["panel"]["id"]))
    page = (await experts_client.get(f"/api/v1/draws/{revealed['id']}/printable", headers=organiser(minter))).text
    assert "揭示后取消" in page and "被替代" in page and successor["id"] in page
    page = (await experts_client.get(f"/api/v1/draws/{successor['id']}/printable", headers=organiser(minter))).text
    assert "替代抽取" in page and revealed["id"] in page and "业主要求更换评审时间" in page


@pytest.mark.parametrize(("change", "field"), [
    ({"replaces": "00000000-0000-4000-8000-000000000000"}, "replaces"),
    ({"purpose": "initial_acceptance", "replaces": "<first>"}, "replaces"),
    ({"replaces": "<other project>"}, "replaces"),
    ({"replaces": "<cancelled before reveal>"}, "replaces"),
    ({"replaces": "<open>"}, "replaces"),
    ({"replaces": "<first>", "avoid_experts": [{"code": "E00001", "reason": "x"}]}, "avoid_experts[0].reason"),
    ({"replaces": "<first>", "avoid_experts": [{"code": "E00001", "reason": "other", "explanation": "关系 近"}]},
     "avoid_experts[0].explanation"),
    ({"replaces": "<first>", "avoid_experts": [{"code": "E00001", "reason": "vendor_interest"},
                                               {"code": "E00002", "reason": "other"}]},
     "avoid_experts[1].explanation"),
])
async def test_bad_replaces_and_avoidances_name_the_field_and_write_nothing(experts_client, minter, change,
                                                                              field) -> None:
    await register_project(experts_client, minter)
    await register_project(experts_client, minter, "P2")
    await build_pool(experts_client, minter, 10)
    later = dt.date.today() + dt.timedelta(days=30)
    idle = await ask_panel(experts_client, minter, panel_body(meeting=later))
    await cancel(experts_client, minter, idle["id"])  # before its reveal
    still_open = await ask_panel(experts_client, minter, panel_body(meeting=later + dt.timedelta(days=1)))
    first = await reveal(experts_client, minter, (await ask_panel(experts_client, minter))["id"])
    await cancel(experts_client, minter, first["id"])
    other = await reveal(experts_client, minter, (await ask_panel(experts_client, minter, project="P2"))["id"])
    await cancel(experts_client, minter, other["id"])
    names = {"<first>": first["panel"]["id"], "<other project>": other["panel"]["id"],
             "<cancelled before reveal>": idle["panel"]["id"], "<open>": still_open["panel"]["id"]}
    body = panel_body(**{key: names.get(value, value) if isinstance(value, str) else value
                         for key, value in change.items()})
    before = await rows_written(experts_client)
    response = await experts_client.post("/api/v1/projects/P1/panels", headers=organiser(minter), json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field
    assert await rows_written(experts_client) == before


async def test_the_replacement_window_is_a_setting_counted_from_the_cancel(experts_client, minter) -> None:
    first = await revealed_then_cancelled(experts_client, minter)
    assert experts_client.app.state.rules.replacement_window_days == 180
    async with direct_database(experts_client) as database, database.transaction() as session:
        await session.execute(text("UPDATE panels SET cancelled_at = :at WHERE id = :id"),
                              {"at": utc_now() - dt.timedelta(days=181), "id": first["panel"]["id"]})
    await ask_panel(experts_client, minter)  # cancelled 181 days ago: no longer must be named


def test_the_replacement_window_reads_its_environment_variable(monkeypatch) -> None:
    from services.experts.settings import PoolRules

    monkeypatch.setenv("SORTES_EXPERTS_REPLACEMENT_WINDOW_DAYS", "90")
    assert PoolRules.from_env().replacement_window_days == 90


async def test_supplementary_draws_keep_avoiding_the_named_experts(experts_client, minter) -> None:
    await register_project(experts_client, minter)
    pool = await build_pool(experts_client, minter, 6)
    committed = await ask_panel(experts_client, minter, panel_body(count=2, reserves=0, avoid_experts=[
        {"code": pool[0], "reason": "close_relative"}, {"code": pool[1], "reason": "employer_within_3_years"}]))
    draw = await reveal(experts_client, minter, committed["id"], confirmed=[pool[1], pool[0]])
    member = draw["result"]["APP"]["primaries"][0]
    response = await experts_client.post(f"/api/v1/draws/{committed['id']}/members/{member}/decline",
                                         json={"channel": "phone", "reason": "出差"}, headers=organiser(minter))
    assert response.status_code == 200, response.text
    response = await experts_client.post(f"/api/v1/draws/{committed['id']}/supplementary", json={},
                                         headers=organiser(minter))
    assert response.status_code == 201, response.text
    extra = response.json()
    assert not {pool[0], pool[1]} & set(extra["receipt"]["candidates"]["APP"])
    assert extra["exclusion_counts"]["EXTRA_AVOIDANCE"] == 2
    view = (await experts_client.get(f"/api/v1/draws/{extra['id']}", headers=supervisor(minter))).json()
    assert [a["reason"] for a in view["avoidances"]] == ["close_relative", "employer_within_3_years"]
    await reveal(experts_client, minter, extra["id"], confirmed=[pool[0], pool[1]])


def test_the_migration_gives_stored_avoidances_a_code_and_past_cancels_their_phase(test_databases,
                                                                                    backend) -> None:
    """Rows written before revision 0007: a panel's free-text expert avoidance becomes ``other`` with its
    text as the explanation; a panel cancelled after its reveal gets that phase, on the panel and its draw."""
    import asyncio

    from alembic import command

    from shared.db import Database
    from shared.migrations import alembic_config

    url = test_databases.fresh("experts", backend)
    command.downgrade(alembic_config("experts", url), "0006")
    now = utc_now()
    panel = {"purpose": "technical_review", "meeting_on": now.date(), "halves": "morning",
             "reserves_per_field": 0, "seats": '{"APP": 1}', "organiser_subject": "user:o", "organiser_name": "组织人",
             "organiser_unit": "U", "supervisor_subject": "user:s", "supervisor_name": "监督人", "supervisor_unit": "V",
             "created_at": now, "updated_at": now}
    draw = {"purpose": "technical_review", "project_code": "P1", "supervisor_subject": "user:s", "receipt": "{}",
            "secret_token": "t", "exclusions_digest": "0" * 64, "exclusion_counts": "{}", "committed_by": "user:o",
            "committed_at": now}

    async def write_then_read() -> tuple[list[Any], list[Any]]:
        database = Database.from_url(url)
        try:
            async with database.transaction() as session:
                for panel_id, status, reason, avoidances in (
                        ("p-legacy", "open", None, '{"units": [], "experts": [{"code": "E00007", "reason": "亲属"}]}'),
                        ("p-cancelled", "cancelled", "结果不理想", '{"units": [], "experts": []}')):
                    await session.execute(text(
                        "INSERT INTO panels (id, project_code, purpose, meeting_on, halves, reserves_per_field, seats, "
                        "avoidances, organiser_subject, organiser_name, organiser_unit, supervisor_subject, "
                        "supervisor_name, supervisor_unit, status, cancel_reason, created_at, updated_at) VALUES "
                        "(:id, 'P1', :purpose, :meeting_on, :halves, :reserves_per_field, :seats, :avoidances, "
                        ":organiser_subject, :organiser_name, :organiser_unit, :supervisor_subject, :supervisor_name, "
                        ":supervisor_unit, :status, :reason, :created_at, :updated_at)"),
                        {**panel, "id": panel_id, "status": status, "reason": reason, "avoidances": avoidances})
                await session.execute(text(
                    "INSERT INTO draws (id, panel_id, purpose, project_code, status, supervisor_subject, receipt, "
                    "secret_token, record, exclusions_digest, exclusion_counts, committed_by, committed_at) VALUES "
                    "('d-cancelled', 'p-cancelled', :purpose, :project_code, 'revealed', :supervisor_subject, "
                    ":receipt, :secret_token, '{}', :exclusions_digest, :exclusion_counts, :committed_by, "
                    ":committed_at)"), draw)
            await asyncio.to_thread(command.upgrade, alembic_config("experts", url), "head")
            async with database.reading() as session:
                panels = (await session.execute(text(
                    "SELECT id, avoidances, cancel_phase FROM panels ORDER BY id"))).all()
                draws = (await session.execute(text(
                    "SELECT status, cancel_phase, cancel_reason FROM draws"))).all()
            return list(panels), list(draws)
        finally:
            await database.dispose()

    panels, draws = asyncio.run(write_then_read())
    (_, _, cancelled_phase), (_, legacy_avoidances, legacy_phase) = panels
    assert json.loads(legacy_avoidances)["experts"] == [{"code": "E00007", "reason": "other", "explanation": "亲属"}]
    assert (cancelled_phase, legacy_phase) == ("after_reveal", None)
    assert [tuple(row) for row in draws] == [("revealed", "after_reveal", "结果不理想")]
