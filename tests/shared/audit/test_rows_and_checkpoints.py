"""State that cannot be edited behind the log, and no silent truncation (issue 17, points 6 and 7).

`sortes audit verify` checks every current row of every audited table against the digest its latest
audit entry bound, and names each row edited, inserted or deleted directly in the database; signed
checkpoints made after a reveal, every 100 entries and at least hourly go out as `audit.checkpoint`
events and log lines, and `--checkpoints FILE` catches a chain cut shorter than any of them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import decimal
import itertools
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.experts.models import AUDIT, AUDITED_ROWS, Project
from shared.audit import AuditSettings, system_actor
from shared.audit.checkpoints import checkpoint_is_authentic, sign_checkpoint
from shared.audit.recorder import checkpoint_periodically
from shared.audit.rows import canonical_row, row_digest, row_key, rows_digest
from shared.contracts.statuses import SeatState
from shared.db import Database
from shared.draw.keys import ED25519, SM2
from shared.outbox.reading import DISPATCHER_SUBJECT
from shared.signing_keys import ensure_secret_file, generate_signing_key, signing_public_entry
from sortes_cli.main import main
from tests.experts.helpers import audit_entries, direct_database, valid_id_number
from tests.experts.test_panels import ask_panel, build_pool, organiser, panel_body, register_project, reveal
from tests.experts.test_spreadsheets import csv_file, row, upload
from tests.shared.audit.test_audit_storage import register_projects
from tests.support.databases import url_of
from tests.support.held import holding, waited
from tests.support.identity import AssertionMinter
from tests.vendors.conftest import VendorsApi
from tests.vendors.test_ratings import rate


async def run_sql(client: AsyncTestClient[Litestar], *statements: str) -> list[Any]:
    """Statements run straight on the service's database, as someone with database access would."""
    engine = create_async_engine(url_of(client))  # on this test's event loop, not the app's
    found = []
    try:
        async with engine.begin() as connection:
            for statement in statements:
                result = await connection.execute(text(statement))
                found.append(result.all() if result.returns_rows else None)
    finally:
        await engine.dispose()
    return found


async def verify(monkeypatch: pytest.MonkeyPatch, urls: dict[str, str], *args: str) -> int:
    for service, url in urls.items():
        monkeypatch.setenv(f"SORTES_{service.upper()}_DATABASE_URL", url)
    return await asyncio.to_thread(main, ["audit", "verify", *args])


async def experts_workload(client: AsyncTestClient[Litestar], minter: AssertionMinter) -> dict[str, Any]:
    """Import experts, draw and reveal a panel, take a decline: the day's work of the experts service."""
    imported = await upload(client, minter, csv_file([row("导入专家甲", valid_id_number()),
                                                      row("导入专家乙", valid_id_number())]), "experts.csv")
    assert imported.status_code == 200, imported.text
    await register_project(client, minter)
    await build_pool(client, minter, 5)
    committed = await ask_panel(client, minter, panel_body(count=2, reserves=1))
    draw = await reveal(client, minter, committed["id"])
    first = draw["result"]["APP"]["primaries"][0]
    declined = await client.post(f"/api/v1/draws/{committed['id']}/members/{first}/decline",
                                 json={"channel": "phone", "reason": "出差"}, headers=organiser(minter))
    assert declined.status_code == 200, declined.text
    return {"draw": committed["id"]}


async def vendors_workload(api: VendorsApi) -> str:
    """Register a vendor, rate it and edit it through the service."""
    uscc = await api.vendor()
    await rate(api, uscc)
    edited = await api.client.patch(f"/api/v1/vendors/{uscc}", json={"name": "浙江改名科技有限公司"}, headers=api.admin)
    assert edited.status_code == 200, edited.text
    return uscc


async def test_rows_edited_behind_the_log_are_named_and_an_untouched_workload_verifies(
        experts_client, vendors_client, minter, monkeypatch, capsys) -> None:
    api = VendorsApi(vendors_client, minter, __import__("random").Random(7))
    await experts_workload(experts_client, minter)
    await vendors_workload(api)
    urls = {"experts": url_of(experts_client), "vendors": url_of(vendors_client)}
    assert await verify(monkeypatch, urls, "--service", "experts") == 0, capsys.readouterr().out
    assert await verify(monkeypatch, urls, "--service", "vendors") == 0, capsys.readouterr().out
    output = capsys.readouterr().out
    assert "experts: OK — every audited row" in output and "vendors: OK — every audited row" in output

    [[(member, outsider)], [(expert,)], [(booking_code, day, half)]] = await run_sql(
        experts_client,
        "SELECT id, (SELECT code FROM experts WHERE code NOT IN (SELECT expert_code FROM panel_members) LIMIT 1)"
        " FROM panel_members WHERE state = 'invited' ORDER BY id LIMIT 1",
        "SELECT id FROM experts ORDER BY id LIMIT 1",
        "SELECT expert_code, day, half FROM panel_bookings LIMIT 1")
    await run_sql(experts_client,
                  f"UPDATE panel_members SET expert_code = '{outsider}' WHERE id = {member}",  # who is seated
                  f"UPDATE experts SET title = '教授级高工' WHERE id = {expert}",
                  f"DELETE FROM panel_bookings WHERE expert_code = '{booking_code}' AND half = '{half}'")
    [[(rating,)]] = await run_sql(vendors_client, "SELECT id FROM ratings LIMIT 1")
    await run_sql(vendors_client, f"UPDATE ratings SET overall = 'excellent' WHERE id = {rating}",
                  "INSERT INTO vendor_aliases (vendor_id, name, used_until)"
                  " SELECT id, '虚构曾用名', '2020-01-01' FROM vendors LIMIT 1")

    assert await verify(monkeypatch, urls, "--service", "experts") == 1
    output = capsys.readouterr().out
    assert f"experts: FAILED — row panel_members [{member}]: changed outside the service" in output, output
    assert f"experts: FAILED — row experts [{expert}]: changed outside the service" in output, output
    day_text = day if isinstance(day, str) else day.isoformat()
    assert (f'experts: FAILED — row panel_bookings ["{booking_code}","{day_text}","{half}"]: deleted outside'
            in output), output
    assert await verify(monkeypatch, urls, "--service", "vendors") == 1
    output = capsys.readouterr().out
    assert f"vendors: FAILED — row ratings [{rating}]: changed outside the service" in output, output
    assert "vendors: FAILED — row vendor_aliases [" in output and "no audit entry" in output, output


async def test_an_import_of_more_than_two_hundred_experts_verifies_row_by_row(experts_client, minter, monkeypatch,
                                                                             capsys) -> None:
    # One transaction writing 201 rows of a table: their digests are read back in chunks, none left out.
    names = ["周" + first + second for first, second in itertools.product("甲乙丙丁戊己庚辛壬癸子丑寅卯辰", repeat=2)]
    rows = [row(name, valid_id_number(dt.date(1971, 1, 1), number))
            for number, name in enumerate(names[:201], start=1)]
    imported = await upload(experts_client, minter, csv_file(rows), "experts.csv")
    assert imported.status_code == 200, imported.text
    [[(count,)]] = await run_sql(experts_client, "SELECT count(*) FROM experts")
    assert count == 201
    assert await verify(monkeypatch, {"experts": url_of(experts_client)}, "--service", "experts") == 0, (
        capsys.readouterr().out)
    # Fifty edited behind the log are all named; all of them: the first 50 are named, the rest counted.
    await run_sql(experts_client, "UPDATE experts SET title = '教授级高工' WHERE id IN "
                                  "(SELECT id FROM experts ORDER BY id LIMIT 50)")
    assert await verify(monkeypatch, {"experts": url_of(experts_client)}, "--service", "experts") == 1
    output = capsys.readouterr().out
    assert output.count("changed outside the service") == 50 and "more rows" not in output, output
    await run_sql(experts_client, "UPDATE experts SET title = '教授级高工'")
    assert await verify(monkeypatch, {"experts": url_of(experts_client)}, "--service", "experts") == 1
    output = capsys.readouterr().out
    assert output.count("changed outside the service") == 50 and "… and 151 more rows" in output, output


async def test_the_row_digests_cannot_be_edited_or_dropped_to_match(experts_client, minter, monkeypatch,
                                                                    capsys) -> None:
    """Someone who edits a row and deletes the digests that name its state leaves the entry's bound digest
    unmatched: the set of row digests of each entry is part of that entry's hash."""
    await register_project(experts_client, minter)
    urls = {"experts": url_of(experts_client)}
    [[(seq,)]] = await run_sql(experts_client, "SELECT max(seq) FROM audit_row_digests WHERE table_name = 'projects'")
    await run_sql(experts_client, "UPDATE projects SET name = '改名'",
                  f"DELETE FROM audit_row_digests WHERE seq = {seq}")
    assert await verify(monkeypatch, urls, "--service", "experts") == 1
    output = capsys.readouterr().out
    assert f"the row digests bound to entry {seq} were edited or removed" in output, output


async def test_a_change_made_after_the_last_audit_call_of_a_transaction_is_in_its_digest(
        experts_client, minter, monkeypatch, capsys) -> None:
    """The digests are taken at commit, after the transaction's last flush, not at the ``record`` call."""
    from services.experts.models import Project

    audit = experts_client.app.state.audit
    await register_project(experts_client, minter)
    async with direct_database(experts_client) as database, database.transaction() as session:
        project = await session.get(Project, "P1")
        await audit.record(session, actor=system_actor("experts"), action="project.updated", object_type="project",
                           object_id="P1")
        project.name = "记录之后再改的名称"  # flushed only at commit
    assert await verify(monkeypatch, {"experts": url_of(experts_client)}, "--service", "experts") == 0, \
        capsys.readouterr().out


async def test_gateway_rows_edited_behind_the_log_are_named(gateway_client, monkeypatch, capsys) -> None:
    urls = {"gateway": url_of(gateway_client)}
    assert await verify(monkeypatch, urls, "--service", "gateway") == 0, capsys.readouterr().out
    capsys.readouterr()
    [[(key_id,)]] = await run_sql(gateway_client, "SELECT id FROM api_keys LIMIT 1")
    await run_sql(gateway_client, f"UPDATE api_keys SET roles = 'bureau_admin,auditor' WHERE id = '{key_id}'")
    assert await verify(monkeypatch, urls, "--service", "gateway") == 1
    assert f'gateway: FAILED — row api_keys ["{key_id}"]: changed outside the service' in capsys.readouterr().out


@pytest.mark.parametrize("algorithm", [ED25519, SM2])
def test_a_checkpoint_is_authentic_only_under_a_key_the_verifier_knows_and_as_signed(algorithm: str) -> None:
    key = generate_signing_key(algorithm)
    signed = sign_checkpoint(key, "experts", 7, "ab" * 32, "2026-12-04T08:00:00Z")
    known = {signed.key_id: signing_public_entry(key)}
    assert checkpoint_is_authentic(signed, known)
    assert not checkpoint_is_authentic(signed, {})  # signed by a key nobody gave the verifier
    assert not checkpoint_is_authentic(dataclasses.replace(signed, signature="不是签名"), known)  # not base64url
    assert not checkpoint_is_authentic(dataclasses.replace(signed, seq=8), known)  # another head


def test_the_documented_row_digest_example() -> None:
    """docs/audit-log.md pins this example: change the encoding and the document must change with it."""
    key = bytes.fromhex("00" * 32)
    row = {"id": 7, "panel_id": "p-1", "expert_code": "E0042", "state": "invited", "attended": None}
    assert canonical_row("panel_members", row) == (
        '{"row":{"attended":null,"expert_code":"E0042","id":7,"panel_id":"p-1","state":"invited"},'
        '"table":"panel_members"}')
    digest = row_digest(key, "panel_members", row)
    assert digest == "61840a16ba6a9c5f0beb94577fc663dd057e66b8655deaa98af4d28c96bd9bb4"
    assert row_key([7]) == "[7]"
    assert (rows_digest([("panel_members", "[7]", digest)])
            == "7a996d79dc4efec120ae0355ffa4df4dd96a5260ad6212eb614f5174a255f043")



def test_the_documented_canonical_forms_of_each_kind_of_value() -> None:
    """Whoever recomputes a row digest from docs/audit-log.md gets the same text: non-ASCII as itself,
    instants in UTC with microseconds and Z, dates ISO, bytes base64, decimals as text; a composite key
    as a JSON array of the same forms."""
    row = {"name": "张伟", "at": dt.datetime(2026, 12, 14, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
           "on": dt.date(2026, 12, 14), "token": b"\x00\xff", "score": decimal.Decimal("92.50"), "ok": True,
           "state": SeatState.INVITED}
    assert canonical_row("experts", row) == (
        '{"row":{"at":"2026-12-14T01:30:00.000000Z","name":"张伟","ok":true,"on":"2026-12-14",'
        '"score":"92.50","state":"invited","token":"AP8="},"table":"experts"}')
    assert row_key(["E0001", dt.date(2026, 12, 14), "上午"]) == '["E0001","2026-12-14","上午"]'


# Point 7: checkpoints delivered off the host, and a truncated chain caught by them

async def delivered_checkpoints(client: AsyncTestClient[Litestar], minter: AssertionMinter,
                                service: str = "experts") -> list[dict[str, Any]]:
    """The events a webhook receiver would have got, as the dispatcher reads them from the outbox."""
    response = await client.get("/api/v1/internal/events", params={"limit": 1000},
                                headers=minter.headers(service, "service", subject=DISPATCHER_SUBJECT))
    return [event for event in response.json() if event["event_type"] == "audit.checkpoint"]


def webhook_body(service: str, event: dict[str, Any]) -> str:
    """A delivered webhook's body, as services/gateway/webhooks/deliveries.py builds it."""
    return json.dumps({"event": event["event_type"], "service": service, "seq": event["seq"],
                       "object_id": event["object_id"], "occurred_at": event["occurred_at"],
                       "data": event["payload"]}, ensure_ascii=False, sort_keys=True)


async def test_a_reveal_is_checkpointed_and_a_truncated_chain_fails_against_the_delivered_checkpoints(
        experts_client, minter, monkeypatch, capsys, caplog, tmp_path: Path) -> None:
    caplog.set_level(logging.INFO, logger="sortes.audit")
    draw = await experts_workload(experts_client, minter)
    [[(revealed,)], [(declined,)], [(head,)]] = await run_sql(
        experts_client, f"SELECT seq FROM audit_log WHERE action = 'draw.revealed' AND object_id = '{draw['draw']}'",
        "SELECT seq FROM audit_log WHERE action = 'seat.declined'", "SELECT seq FROM audit_head")
    events = await delivered_checkpoints(experts_client, minter)
    [checkpoint] = [event["payload"] for event in events]
    signed = checkpoint["seq"]
    # The last entry of the reveal's transaction (the seats it took, the reveal, the sealed list it
    # showed); the decline's transaction comes next.
    assert revealed < signed == declined - 1 < head
    assert checkpoint["service"] == "experts" and checkpoint["signature"]
    logged = [record for record in caplog.records if record.getMessage() == "audit checkpoint signed"]
    assert [(r.fields["service"], r.fields["seq"], r.fields["head_hash"]) for r in logged] == [
        ("experts", signed, checkpoint["entry_hash"])]
    assert "signature" in logged[0].fields

    payloads = tmp_path / "checkpoints.jsonl"
    payloads.write_text(json.dumps(checkpoint) + "\n")
    received = tmp_path / "webhooks.jsonl"  # what a receiver writes: every event it got, one body a line
    received.write_text(webhook_body("experts", events[0]) + "\n" + json.dumps(
        {"event": "draw.revealed", "service": "experts", "seq": 1, "data": {}}) + "\n")
    urls = {"experts": url_of(experts_client)}
    for delivered in (payloads, received):
        assert await verify(monkeypatch, urls, "--service", "experts", "--checkpoints", str(delivered)) == 0, \
            capsys.readouterr().out
    capsys.readouterr()

    # Cut the chain back to before the reveal, with the stored checkpoints, the head and the row digests.
    keep = revealed - 1
    [[(keep_hash,)]] = await run_sql(experts_client, f"SELECT entry_hash FROM audit_log WHERE seq = {keep}")
    await run_sql(experts_client, f"DELETE FROM audit_log WHERE seq > {keep}",
                  f"DELETE FROM audit_checkpoints WHERE seq > {keep}",
                  f"DELETE FROM audit_row_digests WHERE seq > {keep}",
                  f"UPDATE audit_head SET seq = {keep}, entry_hash = '{keep_hash}'")
    for delivered in (payloads, received):
        assert await verify(monkeypatch, urls, "--service", "experts", "--checkpoints", str(delivered)) == 1
        output = capsys.readouterr().out
        assert (f"experts: FAILED — entries after {keep} were removed (a signed checkpoint names entry {signed})"
                in output), output


@pytest.mark.parametrize("service", ["experts", "vendors", "gateway"])
def test_unless_told_otherwise_a_service_signs_every_hundred_entries_and_at_least_hourly(
        service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The defaults docs/audit-log.md states, which a deployment without these settings relies on.
    for setting in ("CHECKPOINT_EVERY", "CHECKPOINT_INTERVAL_SECONDS"):
        monkeypatch.delenv(f"SORTES_{service.upper()}_AUDIT_{setting}", raising=False)
    settings = AuditSettings.from_env(service)
    assert (settings.checkpoint_every, settings.checkpoint_interval_seconds) == (100, 3600)
    monkeypatch.setenv(f"SORTES_{service.upper()}_AUDIT_CHECKPOINT_INTERVAL_SECONDS", "600")
    assert AuditSettings.from_env(service).checkpoint_interval_seconds == 600


async def test_every_hundred_entries_are_checkpointed_and_delivered(experts_client, minter) -> None:
    await register_projects(experts_client, minter, 101)
    events = await delivered_checkpoints(experts_client, minter)
    assert [event["payload"]["seq"] for event in events] == [100]
    [[(stored,)]] = await run_sql(experts_client, "SELECT count(*) FROM audit_checkpoints")
    assert stored == 1


async def test_rows_a_statement_reaches_but_leaves_as_they_were_are_not_bound_again(experts_client, minter) -> None:
    # More than one lookup's worth of rows (500), all reached by one statement and none changed: the
    # transaction wrote nothing, so it writes no entry and binds no row digest.
    await register_projects(experts_client, minter, 501)
    counts = ("SELECT count(*) FROM audit_log", "SELECT count(*) FROM audit_row_digests")
    before = await run_sql(experts_client, *counts)
    audit = experts_client.app.state.audit
    async with direct_database(experts_client) as database, database.transaction() as session:
        await audit.record_many(session, actor=system_actor("experts"), changes=[])
        await session.execute(update(Project).values(name=Project.name))
    assert await run_sql(experts_client, *counts) == before


async def test_the_head_is_signed_on_demand_once_and_not_while_the_log_is_empty(experts_client, minter) -> None:
    audit = experts_client.app.state.audit

    async def sign_on_demand() -> int | None:
        async with direct_database(experts_client) as database, database.transaction() as session:
            signed = await audit.checkpoint(session)
        return None if signed is None else signed.seq

    assert await sign_on_demand() is None  # an empty log: nothing to sign
    await register_projects(experts_client, minter, 1)
    assert await sign_on_demand() == 1
    assert await sign_on_demand() is None  # the head is signed already
    await register_projects(experts_client, minter, 1, first=9)
    assert await sign_on_demand() == 2
    assert [event["payload"]["seq"] for event in await delivered_checkpoints(experts_client, minter)] == [1, 2]


async def test_told_every_entry_each_is_signed_and_told_zero_none_is_signed_by_count(experts_client, minter,
                                                                                    monkeypatch) -> None:
    audit = experts_client.app.state.audit
    monkeypatch.setattr(audit, "checkpoint_every", 1)
    await register_projects(experts_client, minter, 2)
    assert [event["payload"]["seq"] for event in await delivered_checkpoints(experts_client, minter)] == [1, 2]
    monkeypatch.setattr(audit, "checkpoint_every", 0)
    await register_projects(experts_client, minter, 1, first=9)
    assert [event["payload"]["seq"] for event in await delivered_checkpoints(experts_client, minter)] == [1, 2]


async def checkpointing(audit: Any, database: Any, *, seconds: float = 0.5, retry: float = 5.0,
                        until: Callable[[], bool] = lambda: False) -> None:
    """The periodic checkpoint task as a service runs it, for ``seconds`` or until ``until()``, then stopped."""
    task = asyncio.create_task(checkpoint_periodically(SimpleNamespace(audit=audit, database=database), retry=retry))
    try:
        for _ in range(round(seconds / 0.05)):
            if until():
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_new_entries_are_checkpointed_at_least_every_interval(experts_client, minter) -> None:
    audit = experts_client.app.state.audit
    await register_projects(experts_client, minter, 3)
    audit.checkpoint_interval = 0.05
    async with direct_database(experts_client) as database:
        await checkpointing(audit, database)
    # Signed once for the new entries, not again while nothing new came.
    assert [event["payload"]["seq"] for event in await delivered_checkpoints(experts_client, minter)] == [3]


async def test_an_upgraded_database_verifies_once_its_baseline_is_taken(test_databases, backend, monkeypatch,
                                                                      capsys) -> None:
    """Rows written before row digests (here the fields and calendar the migrations seed) have no digest
    until the baseline, which the service takes at its start or the operator with `sortes audit baseline`."""
    ensure_secret_file(AuditSettings.from_env("experts").digest_key_file)  # the key a service made on this host
    url = await asyncio.to_thread(test_databases.fresh, "experts", backend)
    urls = {"experts": url}
    assert await verify(monkeypatch, urls, "--service", "experts") == 1
    assert "row fields [" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["audit", "baseline", "--service", "experts"]) == 0
    assert "baseline of" in capsys.readouterr().out
    assert await verify(monkeypatch, urls, "--service", "experts") == 0, capsys.readouterr().out
    assert await asyncio.to_thread(main, ["audit", "baseline", "--service", "experts"]) == 0
    assert "taken before" in capsys.readouterr().out


class _Unreachable:
    """A database whose first ``failures`` transactions cannot start (a server not up yet, a dropped
    connection); each attempt's time noted."""

    def __init__(self, database: Database, failures: set[int]) -> None:
        self.database, self.failures, self.attempts = database, failures, []

    def transaction(self):
        self.attempts.append(time.monotonic())
        if len(self.attempts) in self.failures:
            raise OSError("connection refused")
        return self.database.transaction()


def logged(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage() == message]


async def test_a_baseline_the_start_could_not_take_is_tried_again_at_its_pace_and_logged(
        test_databases, backend, caplog) -> None:
    caplog.set_level(logging.INFO, logger="sortes.audit")
    url = await asyncio.to_thread(test_databases.fresh, "experts", backend)  # rows seeded, no baseline yet
    database = Database.from_url(url)
    audit = AuditSettings.from_env("experts").recorder("experts", AUDIT, rows=AUDITED_ROWS)
    audit.checkpoint_interval = 3600
    unreachable = _Unreachable(database, failures={1, 2})
    try:
        await checkpointing(audit, unreachable, seconds=10, retry=0.3,
                            until=lambda: bool(logged(caplog, "audit row baseline taken")))
    finally:
        await database.dispose()
    assert len(unreachable.attempts) == 3, "taken at the third attempt, then not tried again"
    assert unreachable.attempts[2] - unreachable.attempts[0] >= 0.6, "tried again without waiting"
    failed = logged(caplog, "audit row baseline not taken yet; tried again shortly")
    assert [record.levelno for record in failed] == [logging.WARNING, logging.WARNING]
    taken = logged(caplog, "audit row baseline taken")
    assert len(taken) == 1 and taken[0].fields["service"] == "experts" and taken[0].fields["rows"] > 0


async def test_a_periodic_checkpoint_that_fails_is_logged_and_the_next_round_signs(experts_client, minter,
                                                                                  caplog) -> None:
    caplog.set_level(logging.INFO, logger="sortes.audit")
    audit = experts_client.app.state.audit
    await register_projects(experts_client, minter, 3)
    audit.checkpoint_interval = 0.05
    async with direct_database(experts_client) as database:
        flaky = _Unreachable(database, failures={2})  # the first is the baseline's; the second the first round's
        await checkpointing(audit, flaky)
    failed = logged(caplog, "periodic audit checkpoint failed")
    assert len(failed) == 1 and failed[0].levelno == logging.ERROR and failed[0].exc_info is not None
    assert [event["payload"]["seq"] for event in await delivered_checkpoints(experts_client, minter)] == [3]


async def test_entries_noted_in_a_transaction_rolled_back_are_never_appended(experts_client, minter) -> None:
    audit = experts_client.app.state.audit
    actor = system_actor("experts")
    async with direct_database(experts_client) as database, AsyncSession(database.engine) as session:
        await session.execute(text("SELECT 1"))  # a transaction has begun
        await audit.record(session, actor=actor, action="test.rolled_back", object_type="test", object_id="1")
        await session.rollback()
        await audit.record(session, actor=actor, action="test.committed", object_type="test", object_id="2")
        await session.commit()
    entries = await audit_entries(experts_client, minter, object_type="test")
    assert [entry["action"] for entry in entries] == ["test.committed"]


async def test_rows_written_with_no_entry_of_their_own_are_named_in_one_entry(experts_client, minter) -> None:
    await register_projects(experts_client, minter, 1)
    async with direct_database(experts_client) as database:
        database.session_info["audit_recorder"] = experts_client.app.state.audit  # as the service's own database
        async with database.transaction() as session:  # a bookkeeping change with no entry recorded for it
            await session.execute(update(Project).values(name="城市大脑（二期）"))
        async with database.transaction() as session:  # a transaction that changes nothing adds nothing
            await session.execute(text("SELECT 1"))
    entries = await audit_entries(experts_client, minter)
    assert [(e["action"], e["object_id"]) for e in entries] == [("rows.written", "projects"),
                                                                 ("project.created", "PY-1")]
    assert (entries[0]["object_type"], entries[0]["actor"], entries[0]["details"]) == (
        "rows", "system:experts", {"rows": 1})


async def test_a_recorder_without_audited_tables_takes_no_baseline(experts_client) -> None:
    audit = AuditSettings.from_env("experts").recorder("experts", AUDIT)  # no rows= : no table to digest
    async with direct_database(experts_client) as database, database.transaction() as session:
        assert await audit.baseline(session) == 0


@pytest.mark.postgres
async def test_the_row_baseline_waits_for_a_write_to_the_chain_under_way(postgres_available, test_databases) -> None:
    # PostgreSQL runs transactions side by side: a baseline taken while a change holds the chain's head
    # would digest rows that change is still writing (SQLite lets one writer in at a time anyway).
    url = await asyncio.to_thread(test_databases.fresh, "experts", "postgresql")
    audit = AuditSettings.from_env("experts").recorder("experts", AUDIT, rows=AUDITED_ROWS)
    head = audit.tables.head

    async def writing(session) -> None:
        await session.execute(select(head.c.seq).where(head.c.id == 1).with_for_update())

    holding(url, writing)
    database = Database.from_url(url)
    try:
        async def baseline() -> int:
            async with database.transaction() as session:
                return await audit.baseline(session)

        late, rows = await waited(baseline())
    finally:
        await database.dispose()
    assert late, "the baseline was taken while a write held the chain's head"
    assert rows > 0
