"""The audit log as the services write it: one entry per change, in the change's transaction, and
`sortes audit verify` catching rows edited, deleted, inserted or reordered directly in the database."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.audit.chain import Actor, compute_hash
from sortes_cli.main import main
from tests.experts.helpers import create_expert
from tests.support.identity import AssertionMinter

OWNER = "11330326862981311N"


def reference(name: str) -> dict[str, object]:
    return {"name": name, "kind": "operations", "owner_unit": OWNER, "investment_fen": 1_000,
            "planned_completion": "2027-01-31", "lots": []}


async def register_projects(client: AsyncTestClient[Litestar], minter: AssertionMinter, count: int,
                            first: int = 1) -> None:
    """Projects PY-first … PY-(first + count - 1) registered by the lifecycle system: one audit entry each."""
    headers = minter.headers("experts", "service", subject="apikey:lifecycle")
    for number in range(first, first + count):
        response = await client.put(f"/api/v1/projects/PY-{number}", json=reference(f"项目{number}"), headers=headers)
        assert response.status_code == 201, response.text


def database_url(client: AsyncTestClient[Litestar]) -> str:
    return client.app.state.database.engine.url.render_as_string(hide_password=False)


async def run_sql(url: str, *statements: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))
    await engine.dispose()


async def sortes(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> int:
    monkeypatch.setenv("SORTES_EXPERTS_DATABASE_URL", url)
    return await asyncio.to_thread(main, list(args))


async def test_each_change_writes_one_entry_and_a_repeat_writes_none(experts_client, minter) -> None:
    await register_projects(experts_client, minter, 3)
    headers = minter.headers("experts", "service")
    await experts_client.put("/api/v1/projects/PY-1", json=reference("项目1"), headers=headers)  # unchanged
    await experts_client.put("/api/v1/projects/PY-2", json=reference("新名称"), headers=headers)  # updated
    page = (await experts_client.get("/api/v1/audit", headers=minter.headers("experts", "auditor"))).json()
    assert page["total"] == 4
    assert [item["action"] for item in page["items"]] == [
        "project.updated", "project.created", "project.created", "project.created"]
    updated = page["items"][0]
    assert updated["object_id"] == "PY-2" and updated["actor"] == "user:test"
    assert updated["before_digest"] and updated["after_digest"] and updated["before_digest"] != updated["after_digest"]
    assert "新名称" not in json.dumps(page, ensure_ascii=False)  # digests only, never the values


async def test_audit_filters_and_pagination(experts_client, minter) -> None:
    await register_projects(experts_client, minter, 5)
    headers = minter.headers("experts", "bureau_admin")
    one = (await experts_client.get("/api/v1/audit", params={"object_id": "PY-3"}, headers=headers)).json()
    assert [item["object_id"] for item in one["items"]] == ["PY-3"]
    by_actor = (await experts_client.get("/api/v1/audit", params={"actor": "apikey:lifecycle"},
                                         headers=headers)).json()
    assert by_actor["total"] == 5
    second = (await experts_client.get("/api/v1/audit", params={"page": 2, "page_size": 2}, headers=headers)).json()
    assert [item["seq"] for item in second["items"]] == [3, 2]
    future = (await experts_client.get("/api/v1/audit", params={"since": "2999-01-01T00:00:00Z"},
                                       headers=headers)).json()
    assert future["total"] == 0


@pytest.mark.parametrize("role", ["organiser", "service", "expert", "vendor", "procurement_officer"])
async def test_only_auditors_and_admins_read_the_audit_log(experts_client, minter, role: str) -> None:
    response = await experts_client.get("/api/v1/audit", headers=minter.headers("experts", role))
    assert response.status_code == 403


async def test_a_failed_change_leaves_no_entry(experts_client, minter) -> None:
    bad = {**reference("x"), "owner_unit": "not-a-uscc"}
    response = await experts_client.put("/api/v1/projects/PY-9", json=bad, headers=minter.headers("experts", "service"))
    assert response.status_code == 422
    page = (await experts_client.get("/api/v1/audit", headers=minter.headers("experts", "auditor"))).json()
    assert page["total"] == 0


async def test_verify_passes_on_an_untouched_log(experts_client, minter, monkeypatch, capsys) -> None:
    await register_projects(experts_client, minter, 5)
    assert await sortes(monkeypatch, database_url(experts_client), "audit", "verify", "--service", "experts") == 0
    assert "experts: OK — 5 entries" in capsys.readouterr().out


TAMPERING = {
    "edited": (["UPDATE audit_log SET object_id = 'PY-99' WHERE seq = 3"], "entry 3 was edited"),
    "deleted": (["DELETE FROM audit_log WHERE seq = 3"], "entry 3 was removed"),
    "deleted at the end": (["DELETE FROM audit_log WHERE seq = 5"], "entries after 4 were removed"),
    "inserted": ([
        "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3",
        "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 103",
        "INSERT INTO audit_log (seq, recorded_at, actor_subject, actor_roles, actor_unit, action, object_type,"
        " object_id, details, prev_hash, entry_hash) SELECT 3, recorded_at, actor_subject, actor_roles, actor_unit,"
        " action, object_type, 'PY-FORGED', details, prev_hash, entry_hash FROM audit_log WHERE seq = 4",
    ], "entry 3 was edited"),
    "reordered": ([
        "UPDATE audit_log SET seq = 100 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 100",
    ], "entry 2 was edited"),
    "appended": ([
        "INSERT INTO audit_log (seq, recorded_at, actor_subject, actor_roles, actor_unit, action, object_type,"
        " object_id, details, prev_hash, entry_hash) SELECT 6, recorded_at, actor_subject, actor_roles, actor_unit,"
        " action, object_type, object_id, details, entry_hash, entry_hash FROM audit_log WHERE seq = 5",
    ], "entry 6"),
}


@pytest.mark.parametrize("kind", list(TAMPERING))
async def test_verify_names_the_tampered_entry(experts_client, minter, monkeypatch, capsys, kind: str) -> None:
    await register_projects(experts_client, minter, 5)
    url = database_url(experts_client)
    statements, expected = TAMPERING[kind]
    await run_sql(url, *statements)
    assert await sortes(monkeypatch, url, "audit", "verify", "--service", "experts") == 1
    output = capsys.readouterr().out
    assert "experts: FAILED" in output and expected in output, output


async def test_an_exported_checkpoint_catches_a_consistent_rewrite(experts_client, minter, monkeypatch, capsys,
                                                                   tmp_path: Path) -> None:
    await register_projects(experts_client, minter, 4)
    url = database_url(experts_client)
    exported = tmp_path / "experts-checkpoints.json"
    assert await sortes(monkeypatch, url, "audit", "export-checkpoints", "--service", "experts",
                        "--output", str(exported)) == 0
    document = json.loads(exported.read_text())
    assert document["checkpoints"][-1]["seq"] == 4
    # Someone with database access wipes the log, the head and the stored checkpoints, then replays
    # a different history through the API: a whole, valid-looking chain.
    await run_sql(url, "DELETE FROM audit_log", "DELETE FROM audit_checkpoints",
                  "DELETE FROM audit_row_digests WHERE seq > 0",
                  f"UPDATE audit_head SET seq = 0, entry_hash = '{'0' * 64}'", "DELETE FROM projects")
    headers = minter.headers("experts", "service")
    for number in range(1, 5):
        await experts_client.put(f"/api/v1/projects/PY-{number}", json=reference(f"改写{number}"), headers=headers)
    assert await sortes(monkeypatch, url, "audit", "verify", "--service", "experts") == 0
    capsys.readouterr()
    assert await sortes(monkeypatch, url, "audit", "verify", "--service", "experts",
                        "--checkpoints", str(exported)) == 1
    assert "entries up to 4 were rewritten" in capsys.readouterr().out


async def test_a_forged_checkpoint_is_refused(experts_client, minter, monkeypatch, capsys, tmp_path: Path) -> None:
    await register_projects(experts_client, minter, 2)
    url = database_url(experts_client)
    exported = tmp_path / "cp.json"
    await sortes(monkeypatch, url, "audit", "export-checkpoints", "--service", "experts", "--output", str(exported))
    document = json.loads(exported.read_text())
    document["checkpoints"][-1]["entry_hash"] = "e" * 64
    exported.write_text(json.dumps(document))
    capsys.readouterr()
    assert await sortes(monkeypatch, url, "audit", "verify", "--service", "experts",
                        "--checkpoints", str(exported)) == 1
    assert "no valid signature" in capsys.readouterr().out


@pytest.mark.parametrize("workers", ["2", "3"])
async def test_a_chain_walked_in_segments_by_several_processes(experts_client, minter, monkeypatch, capsys,
                                                               workers: str) -> None:
    await register_projects(experts_client, minter, 10)
    url = database_url(experts_client)
    assert await sortes(monkeypatch, url, "audit", "verify", "--service", "experts", "--workers", workers) == 0
    assert "experts: OK — 10 entries, head 10" in capsys.readouterr().out


async def test_a_broken_link_across_a_segment_cut_is_caught(experts_client, minter, monkeypatch, capsys) -> None:
    """Entry 6 opens the second of two segments: rewritten with a valid hash of its own but linked to a
    forged predecessor, only the check across the cut can catch it."""
    await register_projects(experts_client, minter, 10)
    url = database_url(experts_client)
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        row = (await connection.execute(text(
            "SELECT seq, recorded_at, actor_subject, actor_roles, actor_unit, action, object_type, object_id,"
            " before_digest, after_digest, details, rows_digest FROM audit_log WHERE seq = 6"))).one()
        recorded_at = row.recorded_at if not isinstance(row.recorded_at, str) else dt.datetime.fromisoformat(
            row.recorded_at)
        forged_prev = "f" * 64
        forged_hash = compute_hash(
            seq=6, recorded_at=recorded_at, actor=Actor(row.actor_subject, tuple(row.actor_roles.split(",")),
                                                        row.actor_unit),
            action=row.action, object_type=row.object_type, object_id=row.object_id, before_digest=row.before_digest,
            after_digest=row.after_digest, details=row.details, prev_hash=forged_prev, rows_digest=row.rows_digest)
        await connection.execute(text("UPDATE audit_log SET prev_hash = :prev, entry_hash = :hash WHERE seq = 6"),
                                 {"prev": forged_prev, "hash": forged_hash})
    await engine.dispose()
    assert await sortes(monkeypatch, url, "audit", "verify", "--service", "experts", "--workers", "2") == 1
    assert "entry 6 was inserted or reordered" in capsys.readouterr().out


async def test_the_verification_endpoint_walks_the_chain_and_names_a_tampered_entry(experts_client, minter) -> None:
    await register_projects(experts_client, minter, 4)
    auditor = minter.headers("experts", "auditor")
    report = (await experts_client.get("/api/v1/audit/verification", headers=auditor)).json()
    assert report["ok"] is True and report["entries"] == 4 and report["service"] == "experts"
    await run_sql(database_url(experts_client), "UPDATE audit_log SET object_id = 'PY-99' WHERE seq = 3")
    report = (await experts_client.get("/api/v1/audit/verification", headers=auditor)).json()
    assert report["ok"] is False and report["first_bad_seq"] == 3 and "entry 3 was edited" in report["problem"]
    refused = await experts_client.get("/api/v1/audit/verification", headers=minter.headers("experts", "organiser"))
    assert refused.status_code == 403


async def test_a_stored_checkpoint_not_signed_by_the_service_stops_the_check_before_any_entry(
        experts_client, minter, monkeypatch, tmp_path: Path) -> None:
    await register_projects(experts_client, minter, 2)
    url = database_url(experts_client)
    await sortes(monkeypatch, url, "audit", "export-checkpoints", "--service", "experts", "--output",
                 str(tmp_path / "cp.json"))  # signs the head, entry 2, and stores that checkpoint
    await run_sql(url, "UPDATE audit_checkpoints SET entry_hash = '" + "e" * 64 + "' WHERE seq = 2")
    report = (await experts_client.get("/api/v1/audit/verification",
                                       headers=minter.headers("experts", "auditor"))).json()
    # Nothing is walked, so nothing is counted: no entry, no head, no checkpoint matched.
    assert {name: report[name] for name in ("ok", "entries", "head_seq", "head_hash", "checkpoints_checked",
                                            "first_bad_seq")} == {"ok": False, "entries": 0, "head_seq": 0,
                                                                  "head_hash": "", "checkpoints_checked": 0,
                                                                  "first_bad_seq": 2}
    assert report["problem"] == "checkpoint 2 has no valid signature of the experts audit key"


HEAD_DISAGREES = {
    "deleted at the end": (TAMPERING["deleted at the end"][0], 5,
                           "entries after 4 were removed (the head records entry 5)"),
    "head set back": (["UPDATE audit_head SET seq = 4, entry_hash = (SELECT entry_hash FROM audit_log WHERE seq = 4)"
                       " WHERE id = 1"], 5, "entry 5 was inserted after the recorded head 4"),
    "head rewritten": (["UPDATE audit_head SET entry_hash = 'x' WHERE id = 1"], 6,
                       "entry 5 does not match the recorded head"),
}


@pytest.mark.parametrize("kind", list(HEAD_DISAGREES))
async def test_a_chain_that_disagrees_with_its_recorded_head_says_how_and_from_which_entry(
        experts_client, minter, kind: str) -> None:
    await register_projects(experts_client, minter, 5)
    statements, first_bad, problem = HEAD_DISAGREES[kind]
    await run_sql(database_url(experts_client), *statements)
    report = (await experts_client.get("/api/v1/audit/verification",
                                       headers=minter.headers("experts", "auditor"))).json()
    assert (report["ok"], report["first_bad_seq"], report["problem"]) == (False, first_bad, problem), report


async def test_each_filter_narrows_the_log_and_a_period_holds_its_first_instant_not_its_last(experts_client,
                                                                                            minter) -> None:
    await register_projects(experts_client, minter, 3)  # by the lifecycle system, on projects
    await create_expert(experts_client, minter)  # by an admin, on an expert
    headers = minter.headers("experts", "bureau_admin")

    async def listed(**params: str) -> list[int]:
        page = (await experts_client.get("/api/v1/audit", params={"page_size": 200, **params}, headers=headers)).json()
        return [item["seq"] for item in page["items"]]

    everything = (await experts_client.get("/api/v1/audit", params={"page_size": 200}, headers=headers)).json()["items"]
    assert {item["object_type"] for item in everything} >= {"project", "expert"}
    assert len({item["actor"] for item in everything}) > 1
    assert await listed(object_type="project") == [e["seq"] for e in everything if e["object_type"] == "project"]
    assert await listed(actor="apikey:lifecycle") == [e["seq"] for e in everything if e["actor"] == "apikey:lifecycle"]
    middle = sorted(everything, key=lambda e: e["seq"])[len(everything) // 2]["recorded_at"]
    assert await listed(since=middle) == [e["seq"] for e in everything if e["recorded_at"] >= middle]
    assert await listed(until=middle) == [e["seq"] for e in everything if e["recorded_at"] < middle]
